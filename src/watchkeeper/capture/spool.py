"""The writer thread's side: capture files being filled, and how they reach storage.

A :class:`Spool` receives records in arrival order, groups them into files (rotating by
size, age and UTC hour) and hands each file's bytes to a sink. A local sink appends to
the file as records arrive; an object-store sink uploads each file whole once it is
finished, because objects cannot be appended to. Bytes that could not be written stay
buffered, up to a bound, and are tried again; what is beyond the bound is counted lost.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

from watchkeeper.capture.layout import file_path, hour_folder
from watchkeeper.io.storage import is_local, write_bytes

# Appending this much at once keeps memory flat under heavy traffic between flushes.
EARLY_WRITE_BYTES = 1 << 20


@dataclass
class Counters:
    """What happened to records once accepted; shared with the request side under a lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    captured: int = 0
    sampled_out: int = 0
    dropped: int = 0
    written: int = 0
    lost: int = 0
    write_errors: int = 0
    files: int = 0

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, count in counts.items():
                setattr(self, name, getattr(self, name) + count)


@dataclass(eq=False)
class SpoolFile:
    """One capture file: its place, what has been put in it, and what is not yet stored."""

    path: str
    hour: str
    started: float
    size: int = 0
    buffer: bytearray = field(default_factory=bytearray)
    buffered_records: int = 0
    handle: int | None = None  # an open descriptor, local files only

    def add(self, line: bytes) -> None:
        self.buffer += line
        self.buffered_records += 1
        self.size += len(line)


class LocalSink:
    """Appends to local files and keeps each open until the file is finished.

    With ``sync``, each write returns only once the records are on the disk (``fsync``
    of the file, and of the folders a new file was created in), not merely handed to
    the operating system: for a process that may be frozen or killed as soon as it
    has answered.
    """

    appends = True

    def __init__(self, *, sync: bool = False) -> None:
        self.sync = sync

    def write(self, file: SpoolFile, counters: Counters) -> None:
        """Append what is buffered; on failure what was written is kept off the buffer."""
        created = 0
        if file.handle is None:
            self._open(file)
            created = 1
        done = 0
        try:
            with memoryview(file.buffer) as view:
                while done < len(view):
                    done += os.write(file.handle, view[done:])
            if self.sync:
                os.fsync(file.handle)
        finally:
            records = file.buffer.count(b"\n", 0, done)
            del file.buffer[:done]
            file.buffered_records -= records
            counters.add(written=records, files=created)

    def _open(self, file: SpoolFile) -> None:
        folder = Path(file.path).parent
        made = _missing(folder)
        folder.mkdir(parents=True, exist_ok=True)
        file.handle = os.open(file.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if self.sync:
            # a new file's name, and each new folder's, is durable once its parent is synced
            for changed in [folder, *(made.parent for made in made)]:
                _sync_folder(changed)

    def finish(self, file: SpoolFile) -> None:
        """Close the file once all of it is written."""
        if file.handle is not None:
            os.close(file.handle)
            file.handle = None

    def abandon(self, file: SpoolFile) -> None:
        """Release the file when its rest will never be written."""
        if file.handle is not None:
            with contextlib.suppress(OSError):
                os.close(file.handle)
            file.handle = None


def _missing(folder: Path) -> list[Path]:
    """The folders that creating ``folder`` would create."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _sync_folder(folder: Path) -> None:
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


class ObjectSink:
    """Uploads each finished file as one object.

    Object stores (S3 and the like) cannot append, so a file is uploaded whole when it is
    finished; each object is complete and is never written again.
    """

    appends = False

    def __init__(self, storage_options: dict | None) -> None:
        self.storage_options = storage_options

    def write(self, file: SpoolFile, counters: Counters) -> None:
        """Upload the whole file; on failure it stays buffered for the next attempt."""
        write_bytes(file.path, bytes(file.buffer), self.storage_options)
        records = file.buffered_records
        file.buffer.clear()
        file.buffered_records = 0
        counters.add(written=records, files=1)

    def finish(self, file: SpoolFile) -> None:
        """Nothing to release: an upload leaves nothing open."""

    def abandon(self, file: SpoolFile) -> None:
        """Nothing to release: an upload leaves nothing open."""


class RewritingObjectSink:
    """Uploads the file being filled whole at every write: everything stored in it so far.

    An object store cannot append, so keeping records durable as they come means
    rewriting the object; each upload replaces the last, so a reader sees a complete
    object with every record written up to then. The bytes already stored are kept
    here until the file is finished, so what a write costs grows with the file: keep
    files small (rotate by size).
    """

    appends = True

    def __init__(self, storage_options: dict | None) -> None:
        self.storage_options = storage_options
        self.stored: dict[str, bytes] = {}

    def write(self, file: SpoolFile, counters: Counters) -> None:
        """Upload the file with what is buffered; on failure the buffer is kept."""
        before = self.stored.get(file.path)
        if before is not None and not file.buffer:
            return  # stored already, as it is
        whole = (before or b"") + bytes(file.buffer)
        write_bytes(file.path, whole, self.storage_options)
        self.stored[file.path] = whole
        records = file.buffered_records
        file.buffer.clear()
        file.buffered_records = 0
        counters.add(written=records, files=0 if before is not None else 1)

    def finish(self, file: SpoolFile) -> None:
        """Forget the file's bytes: it will not be written again."""
        self.stored.pop(file.path, None)

    def abandon(self, file: SpoolFile) -> None:
        """Forget the file's bytes: it will not be written again."""
        self.stored.pop(file.path, None)


Sink = LocalSink | ObjectSink | RewritingObjectSink


def sink_for(destination: str, storage_options: dict | None) -> LocalSink | ObjectSink:
    """The sink that suits the destination: appends locally, whole uploads elsewhere."""
    return LocalSink() if is_local(destination) else ObjectSink(storage_options)


def durable_sink_for(
    destination: str, storage_options: dict | None
) -> LocalSink | RewritingObjectSink:
    """A sink whose every write is durable when it returns: synced appends locally, the
    file rewritten whole elsewhere."""
    if is_local(destination):
        return LocalSink(sync=True)
    return RewritingObjectSink(storage_options)


@dataclass
class Rotation:
    """When a file is finished and the next record starts a new one."""

    max_file_bytes: int
    max_file_seconds: float

    def needs_new_file(self, file: SpoolFile, at: float, line: bytes) -> bool:
        too_big = file.size > 0 and file.size + len(line) > self.max_file_bytes
        return too_big or self.too_old(file, at) or hour_folder(at) != file.hour

    def too_old(self, file: SpoolFile, now: float) -> bool:
        return now - file.started >= self.max_file_seconds


class Spool:
    """Files being filled and files finished but not yet fully stored, oldest first.

    Only the writer thread calls this; the counters are the one shared piece.
    """

    def __init__(
        self,
        destination: str,
        endpoint: str,
        variant: str,
        rotation: Rotation,
        sink: Sink,
        counters: Counters,
        max_buffer_bytes: int,
    ) -> None:
        self.place = (destination, endpoint, variant)
        self.rotation = rotation
        self.sink = sink
        self.counters = counters
        self.max_buffer_bytes = max_buffer_bytes
        self.current: SpoolFile | None = None
        self.finished: list[SpoolFile] = []
        self.buffered_bytes = 0
        self.buffered_records = 0

    def add(self, at: float, line: bytes) -> None:
        """Put one record line in the file it belongs to, or count it lost if full."""
        if self.current is not None and self.rotation.needs_new_file(self.current, at, line):
            self.finish_current()
        if self.buffered_bytes + len(line) > self.max_buffer_bytes:
            self.counters.add(lost=1)
            return
        if self.current is None:
            self.current = SpoolFile(file_path(*self.place, at), hour_folder(at), at)
        self.current.add(line)
        self.buffered_bytes += len(line)
        self.buffered_records += 1

    def finish_current(self) -> None:
        """Finish the file being filled; the next record starts a new one."""
        if self.current is not None:
            if self.current.size:
                self.finished.append(self.current)
            self.current = None

    def due(self) -> bool:
        """Whether there is something to write now, before the next periodic flush."""
        current = self.current
        early = self.sink.appends and current is not None
        return bool(self.finished) or (early and len(current.buffer) >= EARLY_WRITE_BYTES)

    def flush(self, now: float, *, whole: bool) -> None:
        """Store what can be stored; raises the first storage error, keeping the rest.

        ``whole`` also finishes the file being filled, so that an object store gets it
        now rather than at rotation.
        """
        current = self.current
        upload_now = whole and not self.sink.appends
        if current is not None and (upload_now or self.rotation.too_old(current, now)):
            self.finish_current()
        while self.finished:
            file = self.finished[0]
            self._write(file)
            self.sink.finish(file)
            self.finished.pop(0)
        if self.current is not None and self.sink.appends and self.current.buffer:
            self._write(self.current)

    def _write(self, file: SpoolFile) -> None:
        size, records = len(file.buffer), file.buffered_records
        try:
            self.sink.write(file, self.counters)
        finally:
            self.buffered_bytes -= size - len(file.buffer)
            self.buffered_records -= records - file.buffered_records

    def give_up(self) -> None:
        """Count everything still buffered as lost and release the files."""
        self.finish_current()
        self.counters.add(lost=self.buffered_records)
        for file in self.finished:
            self.sink.abandon(file)
        self.finished.clear()
        self.buffered_bytes = self.buffered_records = 0
