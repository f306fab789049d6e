"""Where data lives: resolving paths, folders, globs and URIs to files, and opening them.

Everything goes through fsspec so a local path, ``file://`` and ``s3://`` behave the
same; a plain local file is found with one ``stat`` and opened natively, so reading it
does not import fsspec at all. Byte counts for progress come from the file objects
themselves, so they measure what was actually read (compressed bytes for compressed
files).
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from watchkeeper.errors import InputError, UsageError
from watchkeeper.io.messages import first_line

EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}
FORMAT_ALIASES = {
    "csv": "csv",
    "tsv": "tsv",
    "parquet": "parquet",
    "pq": "parquet",
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "json": "jsonl",
}
ACCEPTED = ".csv, .tsv, .parquet/.pq, .jsonl/.ndjson/.json (csv and jsonl also as .gz, .bz2, .zst)"


@dataclass(frozen=True)
class DataFile:
    """One file to read: where it is, how big, and how to parse it."""

    path: str  # as shown to users: a local path or a full URI
    fs: Any  # the fsspec filesystem; None for a plain local file, opened natively
    fs_path: str
    size: int
    format: str
    compression: str | None


def normalise_format(format: str | None) -> str | None:
    """The canonical format name for a user's ``format=``, or None to go by extension."""
    if format is None:
        return None
    name = str(format).lower().lstrip(".")
    if name not in FORMAT_ALIASES:
        raise UsageError(f"format {format!r} is not supported; use one of {sorted(FORMAT_ALIASES)}")
    return FORMAT_ALIASES[name]


def split_extension(path: str) -> tuple[str | None, str | None]:
    """(format, compression) that a file name's extensions say, None where unknown."""
    name = PurePosixPath(path).name.lower()
    compression = None
    for ext, codec in COMPRESSIONS.items():
        if name.endswith(ext):
            compression, name = codec, name[: -len(ext)]
            break
    return EXTENSIONS.get(PurePosixPath(name).suffix), compression


def resolve(
    source: str | os.PathLike[str], storage_options: dict | None, format: str | None
) -> list[DataFile]:
    """The files a path, folder, glob or URI stands for, each with its format decided."""
    fs, entries = locate(source, storage_options, any_extension=format is not None)
    return [_describe(fs, path, size, format) for path, size in entries]


def list_files(source: str | os.PathLike[str], *, storage_options: dict | None = None) -> list[str]:
    """The data files a path, folder, glob or URI resolves to, sorted.

    A folder stands for every data file below it (recursively), a glob for the files
    it matches (and the data files below the folders it matches). Files without a data
    extension (see :func:`read_batches`) are left out, and so are hidden files and
    folders — names starting with ``.`` or ``_`` as in Hadoop and Spark, which covers
    ``_SUCCESS``, ``_temporary/`` and ``.crc`` files. A single file named explicitly is
    always listed. Local files are returned as absolute paths, remote ones as full
    URIs (``s3://bucket/key``).

    Raises:
        InputError: nothing exists there, no file matches, or it cannot be listed.

    >>> list_files("data/")  # doctest: +SKIP
    ['/home/me/data/2024/a.csv', '/home/me/data/2024/b.csv']
    """
    fs, entries = locate(source, storage_options, any_extension=False)
    return [_display(fs, path) for path, _ in entries]


def locate(
    source: str | os.PathLike[str], storage_options: dict | None, *, any_extension: bool
) -> tuple[Any, list[tuple[str, int]]]:
    """(filesystem, sorted [(path, size)]) for a source; raises InputError.

    Folders and globs keep only files with a data extension unless ``any_extension``.
    """
    label = os.fspath(source) if isinstance(source, str | os.PathLike) else source
    if not isinstance(label, str):
        raise UsageError(f"a path must be text (str or Path), not {type(label).__name__}")
    single = _plain_local_file(label)
    if single is not None:
        return None, [single]
    fs, path = _filesystem(label, storage_options)
    try:
        if _is_glob(path) and not fs.exists(path):
            entries = _glob(fs, path, label, any_extension)
        else:
            entries = _single(fs, path, label, any_extension)
    except InputError:
        raise
    except PermissionError as exc:
        raise InputError(f"{label}: permission denied; cannot list or read it") from exc
    except Exception as exc:  # any storage failure here means the source cannot be reached
        raise InputError(f"{label}: cannot access: {first_line(exc)}") from exc
    return fs, sorted(entries.items())


def _plain_local_file(label: str) -> tuple[str, int] | None:
    """(path, size) of a local path naming one existing file, named as fsspec names it
    (absolute, not resolved); None for anything else, which fsspec then resolves (and
    reports on, when it is missing or unreadable)."""
    if "://" in label or _is_glob(label) or os.sep != "/":
        return None
    path = os.path.expanduser(label)
    if not path.startswith("/"):
        path = f"{os.getcwd()}/{path.removeprefix('./') if path != '.' else ''}"
    path = path.rstrip("/") or "/"
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return None if stat.S_ISDIR(info.st_mode) else (path, info.st_size)


def _filesystem(label: str, storage_options: dict | None) -> tuple[Any, str]:
    import fsspec  # only for URIs, folders and patterns: a plain local file needs none

    target = label if "://" in label else os.path.expanduser(label)
    try:
        fs, path = fsspec.core.url_to_fs(target, **(storage_options or {}))
    except (ImportError, ValueError, TypeError) as exc:
        raise InputError(f"{label}: cannot open this location: {first_line(exc)}") from exc
    if not is_local_filesystem(fs):
        # A watcher lists the same prefix again and again: never answer from a stale cache.
        fs.invalidate_cache()
    return fs, path


def _single(fs: Any, path: str, label: str, any_extension: bool) -> dict[str, int]:
    try:
        info = fs.info(path)
    except FileNotFoundError as exc:
        raise InputError(f"{label}: no such file or folder") from exc
    if info.get("type") != "directory":
        return {info.get("name", path): int(info.get("size") or 0)}
    entries = _folder(fs, path, any_extension)
    if not entries:
        raise InputError(f"{label}: the folder holds no data files ({ACCEPTED})")
    return entries


def _glob(fs: Any, pattern: str, label: str, any_extension: bool) -> dict[str, int]:
    try:
        matches = fs.glob(pattern, detail=True)
    except ValueError as exc:
        raise InputError(f"{label}: not a valid pattern: {first_line(exc)}") from exc
    if not matches:
        raise InputError(f"{label}: no files match this pattern")
    entries: dict[str, int] = {}
    for match, info in matches.items():
        name = PurePosixPath(match).name
        if info.get("type") == "directory" and not _hidden(name):
            entries.update(_folder(fs, match, any_extension))
        elif info.get("type") != "directory" and _wanted(name, any_extension):
            entries[match] = int(info.get("size") or 0)
    if not entries:
        raise InputError(f"{label}: the pattern matches no data files ({ACCEPTED})")
    return entries


def _folder(fs: Any, root: str, any_extension: bool) -> dict[str, int]:
    found = fs.find(root, detail=True)
    root_parts = len(PurePosixPath(root.rstrip("/")).parts)
    entries = {}
    for path, info in found.items():
        parts = PurePosixPath(path).parts[root_parts:]
        if not parts or path.endswith("/") or info.get("type") == "directory":
            continue  # folder markers that object stores list as objects
        *folders, name = parts
        if not any(_hidden(folder) for folder in folders) and _wanted(name, any_extension):
            entries[path] = int(info.get("size") or 0)
    return entries


def _wanted(name: str, any_extension: bool) -> bool:
    return not _hidden(name) and (any_extension or split_extension(name)[0] is not None)


def _hidden(name: str) -> bool:
    return name.startswith((".", "_"))


def _is_glob(path: str) -> bool:
    return any(char in path for char in "*?[")


def is_local_filesystem(fs: Any) -> bool:
    """Whether files of ``fs`` (a :attr:`DataFile.fs`) are on this machine's disk."""
    if fs is None:
        return True
    from fsspec.implementations.local import LocalFileSystem  # loaded with fs itself

    return isinstance(fs, LocalFileSystem)


def _display(fs: Any, path: str) -> str:
    return path if is_local_filesystem(fs) else fs.unstrip_protocol(path)


def _describe(fs: Any, path: str, size: int, format: str | None) -> DataFile:
    detected, compression = split_extension(path)
    shown = _display(fs, path)
    chosen = format or detected
    if chosen is None:
        raise InputError(
            f"{shown}: unknown file type; accepted: {ACCEPTED} — or pass format='csv'"
            " (or 'tsv', 'parquet', 'jsonl')"
        )
    if chosen == "parquet" and compression:
        raise InputError(
            f"{shown}: compressed Parquet files are not supported; Parquet compresses"
            " its own pages, so store it as plain .parquet"
        )
    return DataFile(shown, fs, path, size, chosen, compression)


class ByteCounter:
    """Bytes read from one file, for progress.

    When a file is read more than once (a re-read after a type conflict), progress is
    how far the furthest single read got, so it never runs backwards or past the size.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._best = 0
        self._current = 0
        self._position: Any = None

    def restart(self, position: Any = None) -> None:
        """A new read of the file begins; ``position`` (a callable) reports how far a
        native file has got, for files whose reads do not pass through Python."""
        self._best = max(self._best, self._current)
        self._current = 0
        self._position = position

    def add(self, count: int) -> None:
        self._current += count

    @property
    def done(self) -> int:
        if self._position is not None:
            with suppress(OSError, ValueError):  # closed at the end of the read
                self._current = max(self._current, int(self._position()))
        return min(self.size, max(self._best, self._current))


def opening_error(path: str, exc: BaseException) -> InputError:
    """The one-line error for a file that cannot be opened, by what the store said."""
    if isinstance(exc, PermissionError):
        return InputError(f"{path}: permission denied; cannot read the file")
    if isinstance(exc, FileNotFoundError):
        return InputError(f"{path}: no such file (was it moved or deleted?)")
    if isinstance(exc, IsADirectoryError):
        return InputError(f"{path}: is a folder, not a file")
    return InputError(f"{path}: cannot open: {first_line(exc)}")


@contextmanager
def _open_native(file: DataFile) -> Iterator[Any]:
    import pyarrow as pa

    try:
        native = pa.OSFile(file.fs_path, "r")
    except (OSError, pa.ArrowException) as exc:
        if os.path.isdir(file.fs_path):  # Arrow does not say so itself
            exc = IsADirectoryError(str(exc))
        raise opening_error(file.path, exc) from exc
    try:
        yield native
    finally:
        native.close()


class CountingFile(io.RawIOBase):
    """A read-only file object that reports the bytes it hands out to a ByteCounter."""

    def __init__(self, raw: Any, counter: ByteCounter) -> None:
        super().__init__()
        self._raw = raw
        self._counter = counter
        counter.restart()

    def read(self, size: int | None = -1) -> bytes:
        data = self._raw.read(-1 if size is None else size)
        self._counter.add(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


@contextmanager
def open_binary(file: DataFile, counter: ByteCounter) -> Iterator[Any]:
    """Open a data file for reading bytes; failures to open become InputError.

    Local files are opened as native Arrow files, so that Arrow's parsers read them
    without taking the GIL (with a Python file object every read would, and reading
    could not overlap with profiling); other stores go through fsspec.
    """
    if is_local_filesystem(file.fs):
        with _open_native(file) as native:
            counter.restart(native.tell)
            yield native
        return
    try:
        raw = file.fs.open(file.fs_path, "rb")
    except Exception as exc:  # any storage failure here means the file cannot be opened
        raise opening_error(file.path, exc) from exc
    with CountingFile(raw, counter) as handle:
        yield handle
