"""Reading and writing artefacts on a local path or any fsspec URI, atomically.

Every artefact (profile, statistics.json, constraints.json, reports) is written whole or
not at all: locally to a temporary file in the target folder, then renamed over the
target; on object stores through one upload, which the store makes visible only once
complete. A failure part-way leaves what was there before.

A set of artefacts that belong together (a check's statistics, violations and reports)
is written by :func:`write_files` once every one of them has been rendered: locally all
are staged as temporary files first and renamed into place only when all were written,
so a failure leaves the folder as it was (a folder it had to create is removed again).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path
from typing import Any

from watchkeeper.errors import FormatError, InputError
from watchkeeper.io.files import opening_error


def is_local(uri: str | os.PathLike[str]) -> bool:
    text = os.fspath(uri)
    return "://" not in text or text.startswith("file://")


def _local_path(uri: str | os.PathLike[str]) -> Path:
    text = os.fspath(uri)
    return Path(text[len("file://") :] if text.startswith("file://") else text)


def join(base: str | os.PathLike[str], *parts: str) -> str:
    """``base/part/...`` for paths and URIs alike."""
    text = os.fspath(base)
    if is_local(text):
        return str(_local_path(text).joinpath(*parts))
    return "/".join([text.rstrip("/"), *(part.strip("/") for part in parts)])


def read_bytes(uri: str | os.PathLike[str], storage_options: dict | None = None) -> bytes:
    """The bytes of a file; a missing or unreadable file raises :class:`InputError`."""
    text = os.fspath(uri)
    try:
        if is_local(text):
            return _local_path(text).read_bytes()
        import fsspec  # local files need none

        with fsspec.open(text, "rb", **(storage_options or {})) as handle:
            return handle.read()
    except OSError as exc:
        raise opening_error(text, exc) from exc


def read_json(uri: str | os.PathLike[str], storage_options: dict | None = None) -> Any:
    """The JSON document of a file; a missing file or one that is not JSON raises an
    error naming it."""
    data = read_bytes(uri, storage_options)
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{os.fspath(uri)}: not JSON ({exc})") from None


def write_bytes(
    uri: str | os.PathLike[str], data: bytes, storage_options: dict | None = None
) -> str:
    """Write ``data`` to ``uri`` atomically, creating folders as needed; returns the URI."""
    text = os.fspath(uri)
    try:
        if is_local(text):
            _write_local(_local_path(text), data)
        else:
            import fsspec  # local files need none

            fs, path = fsspec.core.url_to_fs(text, **(storage_options or {}))
            fs.pipe_file(path, data)
    except PermissionError as exc:
        raise InputError(f"{text}: permission denied, cannot write") from exc
    except OSError as exc:
        raise InputError(f"{text}: cannot be written ({exc})") from exc
    return text


def _write_local(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(_stage(path, data), path)


def _stage(path: Path, data: bytes) -> str:
    """Write ``data`` to a temporary file beside ``path``; returns its name."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        # mkstemp creates the file private to its owner; artefacts are for the team
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(temporary, mode)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return temporary


def write_files(
    directory: str | os.PathLike[str],
    files: Mapping[str, bytes | str],
    storage_options: dict | None = None,
) -> dict[str, str]:
    """Write ``files`` (name → bytes or text, UTF-8) under ``directory`` as one set;
    returns name → URI.

    Render everything first, then call this: locally every file is staged beside its
    target and all are renamed into place only once all were written, so a failure
    (a full disk, a permission) leaves the folder as it was. On object stores each
    file is one upload, made visible whole, one after the other.

    >>> import tempfile
    >>> sorted(write_files(tempfile.mkdtemp(), {"a.json": "{}", "b.csv": b"x\\n"}))
    ['a.json', 'b.csv']
    """
    where = os.fspath(directory)
    contents = {name: _as_bytes(data) for name, data in files.items()}
    if not is_local(where):
        return {
            name: write_bytes(join(where, name), data, storage_options)
            for name, data in contents.items()
        }
    folder = _local_path(where)
    for name in contents:
        if (folder / name).is_dir():  # renaming onto it would fail after others moved
            raise InputError(f"{folder / name}: is a folder; cannot write a file there")
    created = _missing_folders(folder)
    staged: list[tuple[str, Path]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in contents.items():
            staged.append((_stage(folder / name, data), folder / name))
        for temporary, target in staged:
            os.replace(temporary, target)
    except BaseException as exc:
        for temporary, _ in staged:
            Path(temporary).unlink(missing_ok=True)
        for made in created:
            with suppress(OSError):  # only if still empty
                made.rmdir()
        if isinstance(exc, PermissionError):
            raise InputError(f"{where}: permission denied, cannot write") from exc
        if isinstance(exc, OSError):
            raise InputError(f"{where}: cannot be written ({exc})") from exc
        raise
    return {name: join(where, name) for name in contents}


def _as_bytes(data: bytes | str) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def _missing_folders(folder: Path) -> list[Path]:
    """The folders that creating ``folder`` would create, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def write_text(uri: str | os.PathLike[str], text: str, storage_options: dict | None = None) -> str:
    return write_bytes(uri, text.encode("utf-8"), storage_options)


def exists(uri: str | os.PathLike[str], storage_options: dict | None = None) -> bool:
    text = os.fspath(uri)
    if is_local(text):
        return _local_path(text).exists()
    import fsspec  # local files need none

    fs, path = fsspec.core.url_to_fs(text, **(storage_options or {}))
    return fs.exists(path)
