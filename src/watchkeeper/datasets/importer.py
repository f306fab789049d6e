"""Importing profiles that :func:`watchkeeper.log` wrote to a storage URI.

The logger writes ``{uri}/{dataset}/yyyy/mm/dd/HH/{time}-{id}.wkp``; every such file
not imported before is received once (the catalog remembers each file by path and
size, as the landing-file watcher does), so an import can run again at any time.
"""

from __future__ import annotations

import os
import posixpath

import fsspec

from watchkeeper.catalog import ProcessedObject
from watchkeeper.datasets.segments import check_dataset_id
from watchkeeper.datasets.service import DatasetService
from watchkeeper.errors import InputError, WatchkeeperError
from watchkeeper.io.storage import read_bytes

SUFFIX = ".wkp"
SOURCE = "profile-import"


def import_profiles(
    service: DatasetService,
    uri: str | os.PathLike[str],
    dataset: str,
    storage_options: dict | None = None,
) -> tuple[int, list[str]]:
    """Receive every profile file of ``dataset`` under ``uri`` not imported before.

    Returns how many were imported and the problems met (a file that is not a
    profile is reported, recorded as failed and not tried again).
    """
    check_dataset_id(dataset)
    base = os.fspath(uri).rstrip("/")
    fs, path = fsspec.core.url_to_fs(f"{base}/{dataset}", **(storage_options or {}))
    if not fs.exists(path):
        # nothing logged for this dataset yet; a location that is not there is a typo
        if not fs.exists(posixpath.dirname(path)):
            raise InputError(f"{base}: no such folder or prefix")
        return 0, []
    found = fs.find(path, detail=True)
    files = sorted(name for name in found if name.endswith(SUFFIX))
    keys = [fs.unstrip_protocol(name) for name in files]
    done = service.catalog.processed_versions(keys)
    imported, problems = 0, []
    for name, key in zip(files, keys, strict=True):
        version = str(found[name].get("size", ""))
        if (key, version) in done:
            continue
        try:
            service.receive(dataset, read_bytes(key, storage_options), source=key)
        except WatchkeeperError as exc:
            problems.append(str(exc))
            service.catalog.record(
                ProcessedObject(SOURCE, key, version, "failed", error=str(exc)), []
            )
            continue
        service.catalog.record(ProcessedObject(SOURCE, key, version, "done"), [])
        imported += 1
    return imported, problems
