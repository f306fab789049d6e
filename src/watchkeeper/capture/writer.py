"""CaptureWriter: sampled requests and responses written as capture files, off the request path.

``capture()`` decides sampling, builds the record and puts it on a bounded queue; a
background thread drains the queue into files laid out as SageMaker lays out its
captures. Storage is never touched on the request path, and a destination that fails
never raises into it: write errors are counted and retried.
"""

from __future__ import annotations

import atexit
import functools
import logging
import os
import queue
import random
import signal
import threading
import time
from collections.abc import Callable, Collection, Iterable
from types import FrameType
from typing import Any

from watchkeeper.capture.record import Payload
from watchkeeper.capture.sampling import (
    CAPTURE_MODES,
    CaptureStats,
    SampledCapture,
    check_capture_mode,
    check_sampling_percent,
)
from watchkeeper.capture.spool import Rotation, Spool, sink_for
from watchkeeper.errors import UsageError

__all__ = [
    "CAPTURE_MODES",
    "CaptureStats",
    "CaptureWriter",
    "check_capture_mode",
    "install_signal_handlers",
]

log = logging.getLogger("watchkeeper.capture")

MIB = 1 << 20
# Backoff between attempts on a failing destination, so a dead store is not hammered.
MAX_RETRY_SECONDS = 30.0
_BATCH = 10_000
# The writer thread looks at the queue this often rather than at every record: waking
# for each record would hand the GIL back and forth once per request and add to every
# request's latency. A flush, a close or a filling queue wakes it at once.
_DRAIN_SECONDS = 0.05


class _Flush:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.complete = False


_STOP = object()


class CaptureWriter(SampledCapture):
    """Sampled, buffered capture of requests and responses to a folder or object store.

    Files land at ``{destination}/{endpoint}/{variant}/yyyy/mm/dd/HH/MM-SS-mmm-<uuid>.jsonl``
    (UTC; the hour and name come from the file's first record). A new file starts when
    the next record would take the file past ``max_file_bytes``, when the file is
    ``max_file_seconds`` old, or when the hour changes.

    Local destinations are appended to, at least every ``flush_seconds``, so a crash
    loses about the last second at most. Object stores (``s3://`` and other fsspec URIs)
    cannot append: each file is uploaded whole, once, when it is finished (at rotation,
    on :meth:`flush` and on :meth:`close`), so an uploaded object is complete and never
    changes; a crash loses the file being filled, up to ``max_file_seconds`` of traffic.

    When storage fails, records stay buffered (up to ``max_buffer_bytes``) and are
    written when it recovers; past that bound they are counted ``lost``. :meth:`close`
    (also run at interpreter exit) writes everything, trying for ``close_timeout``
    seconds at most. Use :func:`install_signal_handlers` so that SIGTERM exits cleanly.

    Parameters: ``destination`` a folder or fsspec URI; ``endpoint`` and ``variant`` the
    two folder names under it; ``sampling_percent`` the share of requests captured,
    each drawn at random (0-100; ``rng`` a ``random.Random`` or a seed, for repeatable
    draws); ``max_file_bytes``, ``max_file_seconds`` when a file is finished;
    ``flush_seconds`` how often buffered records are appended to a local file and the
    age of the file being filled is checked; ``csv_content_types``,
    ``json_content_types`` the media types kept as text (others are base64);
    ``storage_options`` for fsspec (credentials, endpoint); ``clock`` the time source
    for inference times and file ages; ``queue_size`` the records waiting for the
    thread before ``capture()`` drops; ``max_buffer_bytes`` what is held while storage
    is failing; ``close_timeout`` how long :meth:`close` keeps trying a failing store;
    ``capture_mode`` what a record holds: ``"both"`` the request and the answer,
    ``"input"`` the request only, ``"output"`` the answer only (SageMaker's
    ``CaptureOptions``).

    A running writer is switched off and on, or given another sampling percentage, by
    :meth:`configure`; records already queued are written either way.

    Example::

        with CaptureWriter("captures/", "churn", sampling_percent=20) as writer:
            writer.capture(b"1,2,3", "text/csv", b"0.7", "text/csv")
    """

    def __init__(
        self,
        destination: str | os.PathLike[str],
        endpoint: str,
        variant: str = "AllTraffic",
        *,
        sampling_percent: float = 100.0,
        max_file_bytes: int = 64 * MIB,
        max_file_seconds: float = 60.0,
        flush_seconds: float = 1.0,
        csv_content_types: Collection[str] = ("text/csv",),
        json_content_types: Collection[str] = ("application/json",),
        storage_options: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | int | None = None,
        queue_size: int = 10_000,
        max_buffer_bytes: int = 256 * MIB,
        close_timeout: float = 10.0,
        capture_mode: str = "both",
    ) -> None:
        _check_settings(
            sampling_percent, max_file_bytes, max_file_seconds, flush_seconds,
            queue_size, max_buffer_bytes, close_timeout,
        )  # fmt: skip
        super().__init__(
            destination, endpoint, variant, sampling_percent=sampling_percent,
            csv_content_types=csv_content_types, json_content_types=json_content_types,
            clock=clock, rng=rng, capture_mode=capture_mode,
        )  # fmt: skip
        self.flush_seconds = float(flush_seconds)
        self.close_timeout = float(close_timeout)
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._wake = threading.Event()
        self._spool = Spool(
            self.destination, self.endpoint, self.variant,
            Rotation(max_file_bytes, max_file_seconds),
            sink_for(self.destination, storage_options), self.counters, max_buffer_bytes,
        )  # fmt: skip
        self._closed = False
        self._close_lock = threading.Lock()
        self._failures = 0
        self._retry_at = 0.0
        self._thread = threading.Thread(
            target=self._run, name=f"capture-{self.endpoint}-{self.variant}", daemon=True
        )
        self._thread.start()
        # The thread is a daemon so a forgotten writer never keeps a process alive;
        # closing at exit is what still writes its last records.
        atexit.register(self.close)

    # -- request side -------------------------------------------------------------

    def capture(
        self,
        input_data: Payload,
        input_content_type: str | None,
        output_data: Payload,
        output_content_type: str | None,
        *,
        inference_id: str | None = None,
        event_id: str | None = None,
    ) -> bool:
        """Sample one request/response pair and queue its record; returns at once.

        Returns True when the record was queued for writing, False when it was not
        sampled, or was dropped because the queue is full or the writer is closed.
        """
        if not self.sampled():
            return False
        at = self.clock()
        line = self.record(
            input_data, input_content_type, output_data, output_content_type,
            at=at, inference_id=inference_id, event_id=event_id,
        )  # fmt: skip
        with self.counters.lock:
            # Checked under the lock that close() takes, so no record lands behind the stop.
            if self._closed:
                self.counters.dropped += 1
                return False
            try:
                self._queue.put_nowait((at, line))
            except queue.Full:
                self.counters.dropped += 1
                return False
            self.counters.captured += 1
        if self._queue.qsize() > self._queue.maxsize // 2:
            self._wake.set()
        return True

    def flush(self, timeout: float | None = None) -> bool:
        """Write everything captured so far; True when nothing is left unwritten.

        On an object store this finishes the file being filled and uploads it.
        """
        if self._closed or not self._thread.is_alive():
            return self._spool.buffered_records == 0
        request = _Flush()
        try:
            self._queue.put(request, timeout=timeout)
        except queue.Full:
            return False
        self._wake.set()
        return request.done.wait(timeout) and request.complete

    def close(self) -> None:
        """Write everything, stop the thread and release files; safe to call again."""
        with self._close_lock:
            with self.counters.lock:
                if self._closed:
                    return
                self._closed = True
            atexit.unregister(self.close)
            self._queue.put(_STOP)
            self._wake.set()
            self._thread.join()

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- writer thread --------------------------------------------------------------

    def _run(self) -> None:
        next_flush = time.monotonic() + self.flush_seconds
        stopping = False
        while not stopping:
            self._wake.wait(min(_DRAIN_SECONDS, max(0.0, next_flush - time.monotonic())))
            self._wake.clear()
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                item = None
            try:
                stopping = self._take(item)
                if not stopping and (time.monotonic() >= next_flush or self._spool.due()):
                    self._store(force=False)
                    next_flush = time.monotonic() + self.flush_seconds
            except Exception:  # the thread must outlive any surprise; records stay buffered
                log.exception("capture writer for %s/%s", self.endpoint, self.variant)
        self._final_flush()

    def _take(self, item: Any) -> bool:
        """Spool the item and whatever else is queued, up to a batch; True at the stop."""
        for _ in range(_BATCH):
            if self._handle(item):
                return True
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return False
        return self._handle(item)  # the last one taken off the queue, handled all the same

    def _handle(self, item: Any) -> bool:
        """Spool a record or answer a flush; True for the stop."""
        if isinstance(item, tuple):
            self._spool.add(*item)
        elif isinstance(item, _Flush):
            item.complete = self._store(force=True, whole=True)
            item.done.set()
        return item is _STOP

    def _store(self, *, force: bool, whole: bool = False) -> bool:
        """One attempt to write what is buffered; True when nothing is left."""
        if not force and time.monotonic() < self._retry_at:
            return False
        try:
            self._spool.flush(self.clock(), whole=whole)
        except Exception as exc:  # any storage failure: count, keep, try again later
            self._failed(exc)
            return False
        if self._failures:
            log.warning("capture destination %s writable again", self.destination)
        self._failures = 0
        return self._spool.buffered_records == 0

    def _failed(self, exc: Exception) -> None:
        self.counters.add(write_errors=1)
        if not self._failures:
            log.warning("capture destination %s cannot be written: %s", self.destination, exc)
        self._failures += 1
        wait = min(self.flush_seconds * 2 ** min(self._failures, 16), MAX_RETRY_SECONDS)
        self._retry_at = time.monotonic() + wait

    def _final_flush(self) -> None:
        deadline = time.monotonic() + self.close_timeout
        while not self._store(force=True, whole=True):
            pause = min(self._retry_at, deadline) - time.monotonic()
            if time.monotonic() >= deadline:
                break
            time.sleep(max(pause, 0.01))
        if self._spool.buffered_records:
            log.warning(
                "capture destination %s: %d records could not be written before close",
                self.destination, self._spool.buffered_records,
            )  # fmt: skip
        self._spool.give_up()
        self._answer_late_flushes()

    def _answer_late_flushes(self) -> None:
        """A flush() that raced with close() must not wait forever."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if isinstance(item, _Flush):
                item.done.set()


def _check_settings(
    sampling_percent: float,
    max_file_bytes: int,
    max_file_seconds: float,
    flush_seconds: float,
    queue_size: int,
    max_buffer_bytes: int,
    close_timeout: float,
) -> None:
    check_sampling_percent(sampling_percent)
    positive = {
        "max_file_bytes": max_file_bytes,
        "max_file_seconds": max_file_seconds,
        "flush_seconds": flush_seconds,
        "queue_size": queue_size,
    }
    for name, value in positive.items():
        if not value > 0:
            raise UsageError(f"{name} must be greater than 0, not {value}")
    if max_buffer_bytes < max_file_bytes:
        raise UsageError(
            f"max_buffer_bytes ({max_buffer_bytes}) must be at least max_file_bytes "
            f"({max_file_bytes}): a file is buffered whole before an object store gets it"
        )
    if close_timeout < 0:
        raise UsageError(f"close_timeout must be 0 or more, not {close_timeout}")


def install_signal_handlers(signals: Iterable[int] = (signal.SIGTERM,)) -> None:
    """Make SIGTERM (or the given signals) end the process as a clean exit would.

    By default SIGTERM kills the process at once and buffered captures are lost. After
    this call it raises :class:`SystemExit` in the main thread instead, so ``with``
    blocks and ``finally`` clauses run and every open :class:`CaptureWriter` is closed
    (drained to storage) at exit. A handler already installed by Python code (a web
    server's, say) is called instead and keeps control of the shutdown; writers are
    still closed when the process exits. Call it from the main thread.

    Servers that install their own handlers when they start (uvicorn does) should close
    the writer in the application's shutdown (a FastAPI lifespan) instead.
    """
    for signum in signals:
        previous = signal.getsignal(signum)
        signal.signal(signum, functools.partial(_exit_on_signal, previous=previous))


def _exit_on_signal(signum: int, frame: FrameType | None, *, previous: Any) -> None:
    # Only raise here: closing writers inside the handler could wait on a lock the
    # interrupted main thread holds. The exception unwinds, releasing it, then exit closes.
    if callable(previous):
        previous(signum, frame)
        return
    raise SystemExit(128 + signum)
