"""Each write to a feature group (an ingest, a record's deletion) lands whole or not at
all, also when the writing process is killed.

A call writes its offline Parquet files into a staging folder of its own,
``_staging/{group}/{commit}/``, under the relative paths they will have in the group's
folder; queries never look there. Once every file is staged it writes
``manifest.json`` there, listing them. Then the call commits: for a group with an
online store, by the online write, which notes the commit in its own transaction; for a
group without one, the manifest is the commit. Last the files are renamed into the
group's folder and the staging folder is removed.

:meth:`Staging.recover` settles what a dead writer left behind:

* a staging folder without a manifest never committed: it is removed;
* a manifest whose online store has no note of its commit never committed: removed;
* a manifest that committed: its remaining files are renamed into place.

After it, every call is in both stores or in neither, and no staging file is left.
Recovery only touches calls whose writer is gone. On a local folder each writing call
holds a shared lock on ``_staging.lock`` (released by the system when the process dies)
and recovery needs the exclusive lock: while any writer is working it leaves everything
for a later opening. Object stores have no such locks; there a call counts as gone
:data:`STALE_AFTER` seconds after it started.

A query running at the moment a call renames its files may see part of that call; a
call that returned, or that recovery settled, is seen whole.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import posixpath
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import fsspec

from watchkeeper.errors import WatchkeeperError
from watchkeeper.io import storage

try:
    import fcntl
except ImportError:  # Windows has no flock: there, too, a call is judged by its age
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("watchkeeper.featurestore")

STAGING = "_staging"
MANIFEST = "manifest.json"
STALE_AFTER = 3600.0


def new_commit() -> str:
    """A commit name that sorts by, and tells, the time the call started."""
    return f"{time.time_ns():016x}-{uuid.uuid4().hex[:16]}"


def location_of(online: Any) -> str:
    """Which online store ``online`` is, as recorded in a manifest."""
    return str(getattr(online, "location", None) or type(online).__name__)


def _started(commit: str) -> float | None:
    try:
        return int(commit.split("-", 1)[0], 16) / 1e9
    except ValueError:
        return None


class Call:
    """One call's staging folder: :meth:`stage` its files, :meth:`seal` it, commit it
    (:meth:`commit_online`, or nothing more without an online store), :meth:`publish`."""

    def __init__(self, staging: Staging, group: str, offline_uri: str) -> None:
        self.staging = staging
        self.group = group
        self.commit = new_commit()
        self.offline_uri = offline_uri
        self.folder = posixpath.join(staging.root, group, self.commit)
        self.files: list[str] = []
        # True once the call committed, or may have: its staging is then left to recovery
        self.committed = False
        self._numbers = itertools.count()
        self._online: Any = None

    def stage(self, folder: str, data: bytes) -> str:
        """Stage a Parquet file for the group's ``folder`` (e.g. ``event_date=…``);
        returns the URI it will have. Safe to call from several threads."""
        relative = f"{folder}/part-{self.commit}-{next(self._numbers)}.parquet"
        path = posixpath.join(self.folder, relative)
        fs = self.staging.fs
        if self.staging.local:
            fs.makedirs(posixpath.dirname(path), exist_ok=True)
        fs.pipe_file(path, data)
        self.files.append(relative)
        return storage.join(self.offline_uri, *relative.split("/"))

    def seal(self, online: Any = None) -> None:
        """Write the manifest, naming the ``online`` store that will commit the call;
        without one, this commits the call."""
        manifest = {
            "group": self.group,
            "commit": self.commit,
            "online": None if online is None else location_of(online),
            "files": sorted(self.files),
        }
        self.staging.write_manifest(self.folder, manifest)
        if online is None:
            self.committed = True

    def commit_online(self, online: Any, write: Callable[[str], Any]) -> Any:
        """Commit by ``write(commit)``, the online write noting the commit; returns what
        it returns. If it fails and the online store cannot say whether the commit got
        in, the staging is left for recovery to ask again."""
        self._online = online
        try:
            result = write(self.commit)
        except BaseException:
            try:
                self.committed = bool(online.committed(self.group, self.commit))
            except Exception:
                self.committed = True
            raise
        self.committed = True
        return result

    def publish(self) -> None:
        """Rename the staged files into the group's folder, remove the staging folder and
        the online store's note of the commit."""
        self.staging.move_into_place(self.folder, self.offline_uri, self.files)
        if self._online is not None:
            try:
                self._online.forget(self.group, self.commit)
            except Exception as exc:  # a note left behind is harmless; the call landed
                log.warning(
                    "feature group %s: commit %s not forgotten: %s", self.group, self.commit, exc
                )


class Staging:
    """The staging area of one feature store (``{uri}/_staging``)."""

    def __init__(self, uri: str, storage_options: dict | None) -> None:
        self.local = storage.is_local(uri)
        self.fs, base = fsspec.core.url_to_fs(
            storage.join(uri, STAGING), **(storage_options or {})
        )
        self.root = base.rstrip("/")
        self.locks = self.local and fcntl is not None
        self.lock_path = os.path.join(os.fspath(uri), "_staging.lock") if self.locks else None
        self.storage_options = storage_options

    # -- one call ---------------------------------------------------------------------

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Hold off recovery for the ``with`` block: a writer is at work."""
        with self._lock(shared=True, wait=True):
            yield

    @contextlib.contextmanager
    def call(self, group: str, offline_uri: str) -> Iterator[Call]:
        """A call's staging folder for the ``with`` block. An error before the commit
        removes what was staged; after it, the call is left for :meth:`recover`."""
        with self.writing():
            call = Call(self, group, offline_uri)
            try:
                yield call
            except BaseException:
                if not call.committed:
                    self._remove(call.folder)
                raise

    def write_manifest(self, folder: str, manifest: dict[str, Any]) -> None:
        uri = self.fs.unstrip_protocol(posixpath.join(folder, MANIFEST))
        storage.write_text(uri, json.dumps(manifest), self.storage_options)

    def move_into_place(self, folder: str, offline_uri: str, files: list[str]) -> None:
        """Rename each staged file (if still staged) to the group's folder, then remove
        the manifest and the staging folder."""
        _, target = fsspec.core.url_to_fs(offline_uri, **(self.storage_options or {}))
        for relative in files:
            staged = posixpath.join(folder, relative)
            if not self.fs.exists(staged):
                continue  # moved before an interruption
            final = posixpath.join(target.rstrip("/"), relative)
            if self.local:
                os.makedirs(posixpath.dirname(final), exist_ok=True)
                os.replace(staged, final)
            else:
                self.fs.mv(staged, final)
        self._remove(posixpath.join(folder, MANIFEST))
        self._remove(folder)

    def discard(self, group: str) -> None:
        """Remove every staged call of a group (the group is being deleted)."""
        self._remove(posixpath.join(self.root, group))

    # -- recovery ---------------------------------------------------------------------

    def recover(
        self,
        offline_uri: Callable[[str], str | None],
        online_store: Callable[[], Any],
        registry: str | None = None,
    ) -> int:
        """Settle the calls of writers that are gone; returns how many were settled.

        ``offline_uri(group)`` is the group's folder (None once the group is deleted);
        ``online_store()`` the online store, opened only when a manifest needs it. On a
        local folder, the temporary files a killed writer left in ``registry`` (the
        groups' descriptions) are removed too."""
        if not self.fs.exists(self.root) and registry is None:
            return 0
        settled = 0
        with self._lock(shared=False, wait=False) as held:
            if not held:
                return 0
            if registry is not None and self.local:
                for leftover in Path(registry).glob(".*.tmp"):
                    leftover.unlink(missing_ok=True)
            if not self.fs.exists(self.root):
                return 0
            for folder in self._calls():
                try:
                    settled += self._settle(folder, offline_uri, online_store)
                except WatchkeeperError as exc:
                    log.warning("staged call %s left for later: %s", folder, exc)
        return settled

    def _calls(self) -> list[str]:
        folders = []
        for group in self.fs.ls(self.root, detail=False):
            if self.fs.isdir(group):
                folders += [p for p in self.fs.ls(group, detail=False) if self.fs.isdir(p)]
            else:
                self._remove(group)
        return sorted(folders)

    def _settle(
        self,
        folder: str,
        offline_uri: Callable[[str], str | None],
        online_store: Callable[[], Any],
    ) -> int:
        group, commit = folder.rstrip("/").split("/")[-2:]
        if not self.locks:
            started = _started(commit)
            if started is not None and time.time() - started < STALE_AFTER:
                return 0  # maybe still being written by a process elsewhere
        target = offline_uri(group)
        manifest = self._manifest(folder)
        if target is None or manifest is None:
            self._remove(folder)
            return 1
        if manifest.get("online"):
            online = online_store()
            if location_of(online) != manifest["online"]:
                log.warning(
                    "staged call %s left for a store opened with its online store %s",
                    folder,
                    manifest["online"],
                )
                return 0
            if not online.committed(group, commit):
                self._remove(folder)
                return 1
            self.move_into_place(folder, target, manifest["files"])
            online.forget(group, commit)
            return 1
        self.move_into_place(folder, target, manifest["files"])
        return 1

    def _manifest(self, folder: str) -> dict[str, Any] | None:
        path = posixpath.join(folder, MANIFEST)
        try:
            with self.fs.open(path, "rb") as handle:
                document = json.loads(handle.read())
        except (OSError, ValueError):
            return None  # none, or torn: the call cannot have committed
        files = document.get("files") if isinstance(document, dict) else None
        if not isinstance(files, list) or not all(_is_part(f) for f in files):
            return None
        return document

    # -- files and locks --------------------------------------------------------------

    def _remove(self, path: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            if self.fs.exists(path):
                self.fs.rm(path, recursive=True)

    @contextlib.contextmanager
    def _lock(self, shared: bool, wait: bool) -> Iterator[bool]:
        if self.lock_path is None:
            yield True
            return
        os.makedirs(os.path.dirname(self.lock_path), exist_ok=True)
        with open(self.lock_path, "a+b") as handle:
            mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
            try:
                fcntl.flock(handle.fileno(), mode if wait else mode | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _is_part(relative: Any) -> bool:
    """Whether a manifest entry names a file inside a group's partition folder."""
    if not isinstance(relative, str):
        return False
    parts = relative.split("/")
    return len(parts) == 2 and parts[0].startswith("event_date=") and ".." not in parts
