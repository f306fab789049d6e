"""What lands where: the objects below a watched folder or bucket prefix, with versions.

A version identifies one content of one key: the ETag an object store gives, or the
modification time and size of a local file. The watcher processes each (key, version)
once, so a replaced file is checked again and an unchanged one never is.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import fsspec

from watchkeeper.errors import InputError
from watchkeeper.io.files import split_extension
from watchkeeper.io.messages import first_line

# names that writers use while a file is still being written, or that are not data
TEMPORARY_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".swp", "~")


@dataclass(frozen=True)
class LandedObject:
    """One object: where it is (``uri``), its key below the watched root, its version."""

    uri: str
    key: str
    version: str
    size: int
    modified: float  # seconds since the epoch; 0 when the store does not say


@dataclass(frozen=True)
class Filters:
    """Which keys count, as an S3 trigger's prefix and suffix filters do.

    Without a suffix, files with a data extension (``.csv``, ``.parquet``, ``.jsonl`` …,
    compressed or not) count. Hidden names (``.``/``_``), files still being written
    under a temporary name and everything below ``exclude`` (the reports) never count.
    """

    prefix: str = ""
    suffix: str | None = None
    exclude: tuple[str, ...] = ()

    def wants(self, key: str) -> bool:
        if not key.startswith(self.prefix):
            return False
        if any(key == e or key.startswith(e.rstrip("/") + "/") for e in self.exclude if e):
            return False
        parts = PurePosixPath(key).parts
        if any(part.startswith((".", "_")) for part in parts):
            return False
        name = parts[-1] if parts else ""
        if name.lower().endswith(TEMPORARY_SUFFIXES):
            return False
        if self.suffix is not None:
            return key.endswith(self.suffix)
        return split_extension(name)[0] is not None


class Location:
    """A watched root: a local folder or any fsspec URI (``s3://bucket/prefix/``)."""

    def __init__(self, source: str | os.PathLike[str], storage_options: dict | None = None) -> None:
        text = os.fspath(source)
        self.storage_options = storage_options or {}
        self.is_local = "://" not in text or text.startswith("file://")
        if self.is_local:
            root = Path(text[len("file://") :] if text.startswith("file://") else text)
            self.root = str(root.expanduser().resolve())
            self.display = self.root
            self.fs = None
        else:
            try:
                self.fs, path = fsspec.core.url_to_fs(text, **self.storage_options)
            except (ImportError, ValueError, TypeError) as exc:
                raise InputError(f"{text}: cannot watch this location: {first_line(exc)}") from exc
            self.root = path.rstrip("/")
            self.protocol = text.split("://", 1)[0]
            self.display = f"{self.protocol}://{self.root}/"

    def uri(self, key: str) -> str:
        """The full location of a key below the root."""
        if self.is_local:
            return str(Path(self.root, *PurePosixPath(key).parts))
        return f"{self.protocol}://{self.root}/{key}"

    def objects(self, filters: Filters) -> list[LandedObject]:
        """Every wanted object below the root, sorted by key."""
        try:
            found = self._local(filters) if self.is_local else self._remote(filters)
        except InputError:
            raise
        except PermissionError as exc:
            raise InputError(f"{self.display}: permission denied; cannot list it") from exc
        except FileNotFoundError as exc:
            raise InputError(f"{self.display}: no such folder or prefix") from exc
        except Exception as exc:  # any storage failure: the location cannot be listed now
            raise InputError(f"{self.display}: cannot list: {first_line(exc)}") from exc
        return sorted(found, key=lambda item: item.key)

    def _local(self, filters: Filters) -> list[LandedObject]:
        if not os.path.isdir(self.root):
            raise InputError(f"{self.root}: no such folder")
        found = []
        for folder, folders, files in os.walk(self.root):
            relative = os.path.relpath(folder, self.root)
            base = "" if relative == "." else relative.replace(os.sep, "/") + "/"
            folders[:] = sorted(f for f in folders if not f.startswith((".", "_")))
            for name in files:
                key = base + name
                if not filters.wants(key):
                    continue
                try:
                    info = os.stat(os.path.join(folder, name))
                except FileNotFoundError:
                    continue  # gone between listing and looking
                version = f"{info.st_mtime_ns}:{info.st_size}"
                found.append(LandedObject(self.uri(key), key, version, info.st_size, info.st_mtime))
        return found

    def _remote(self, filters: Filters) -> list[LandedObject]:
        self.fs.invalidate_cache()  # a watcher lists again and again: never a stale answer
        found = []
        for path, info in self.fs.find(self.root, detail=True).items():
            if info.get("type") == "directory" or path.endswith("/"):
                continue
            key = path[len(self.root) :].lstrip("/")
            if filters.wants(key):
                found.append(_remote_object(self.uri(key), key, info))
        return found

    def describe(self, key: str) -> LandedObject:
        """The object at ``key`` now (for an event that names it)."""
        if self.is_local:
            info = os.stat(self.uri(key))
            return LandedObject(
                self.uri(key),
                key,
                f"{info.st_mtime_ns}:{info.st_size}",
                info.st_size,
                info.st_mtime,
            )
        self.fs.invalidate_cache()
        return _remote_object(self.uri(key), key, self.fs.info(f"{self.root}/{key}"))


def _remote_object(uri: str, key: str, info: dict) -> LandedObject:
    size = int(info.get("size") or info.get("Size") or 0)
    modified = info.get("LastModified") or info.get("mtime") or info.get("last_modified")
    stamp = modified.timestamp() if hasattr(modified, "timestamp") else float(modified or 0)
    etag = info.get("ETag") or info.get("etag") or info.get("md5Hash")
    version = str(etag).strip('"') if etag else f"{stamp}:{size}"
    return LandedObject(uri, key, version, size, stamp)


def settled(item: LandedObject, quiet: float, now: float | None = None) -> bool:
    """Whether a local file has not changed for ``quiet`` seconds (writers done with it)."""
    return ((now or time.time()) - item.modified) >= quiet
