"""Reading and writing artefacts on a local path or any fsspec URI, atomically.

Every artefact (profile, statistics.json, constraints.json, reports) is written whole or
not at all: locally to a temporary file in the target folder, then renamed over the
target; on object stores through one upload, which the store makes visible only once
complete. A failure part-way leaves what was there before.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import fsspec

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
            fs, path = fsspec.core.url_to_fs(text, **(storage_options or {}))
            fs.pipe_file(path, data)
    except PermissionError as exc:
        raise InputError(f"{text}: permission denied, cannot write") from exc
    except OSError as exc:
        raise InputError(f"{text}: cannot be written ({exc})") from exc
    return text


def _write_local(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        # mkstemp creates the file private to its owner; artefacts are for the team
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text(uri: str | os.PathLike[str], text: str, storage_options: dict | None = None) -> str:
    return write_bytes(uri, text.encode("utf-8"), storage_options)


def exists(uri: str | os.PathLike[str], storage_options: dict | None = None) -> bool:
    text = os.fspath(uri)
    if is_local(text):
        return _local_path(text).exists()
    fs, path = fsspec.core.url_to_fs(text, **(storage_options or {}))
    return fs.exists(path)
