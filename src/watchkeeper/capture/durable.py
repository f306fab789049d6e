"""DurableCapture: capture for a process that may be frozen or killed as soon as it answers.

A function (AWS Lambda and the like) is frozen when its handler returns and later thawed
or thrown away without warning; a background writer would sleep through the freeze and
die with whatever it held. Here nothing happens in the background: :meth:`capture`
only samples and keeps the record, and :meth:`DurableCapture.flush`, called by the
handler before it returns, writes every record kept so far and returns once they are
stored. Between two invocations nothing is held that is not already stored.

The design, and what it costs:

- Records go into SageMaker's layout,
  ``{destination}/{endpoint}/{variant}/yyyy/mm/dd/HH/MM-SS-mmm-<uuid4>.jsonl``, one file
  per process and hour, named for its first record with a fresh random id, so two
  processes (two warm containers, or a container and its replacement) never write to
  the same file, and a frozen process that is thawed carries on with its own.
- Locally each flush appends the new records and ``fsync``\\ s the file (and the folders
  it created): one small write and one sync per invocation.
- An object store cannot append, so each flush uploads the file again, whole, with
  every record of it so far (one PUT per invocation). The object is replaced, never
  added to, so a record is stored once however many times it is uploaded: nothing is
  duplicated, and a process that disappears between invocations loses nothing, as
  everything it captured was in its last upload. What a PUT carries grows with the
  file, so files end at ``max_file_bytes`` (1 MiB by default on object stores) and at
  the hour; the bytes of the file being filled are kept in memory until then.
- A flush that fails (the store unreachable) keeps the records, counts a write error
  and tries again at the next flush; what was not stored when the process disappears
  is lost. Capture never fails an answer.

Example::

    capture = DurableCapture("s3://bucket/data-capture", "churn")
    capture.capture(b"1,2,3", "text/csv", b"0.7", "text/csv")
    capture.flush()  # True: the record is in the object store
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Collection
from typing import Any

from watchkeeper.capture.record import Payload
from watchkeeper.capture.sampling import SampledCapture
from watchkeeper.capture.spool import Rotation, Spool, durable_sink_for
from watchkeeper.errors import UsageError
from watchkeeper.io.storage import is_local

log = logging.getLogger("watchkeeper.capture")

MIB = 1 << 20
HOUR_SECONDS = 3600.0
OBJECT_FILE_BYTES = 1 * MIB  # each flush uploads the file so far: keep it small
LOCAL_FILE_BYTES = 64 * MIB  # appending costs the same whatever the size


class DurableCapture(SampledCapture):
    """Sampled capture written synchronously: after :meth:`flush` returns True, every
    record captured so far is stored (synced to disk, or uploaded).

    Parameters as :class:`~watchkeeper.capture.CaptureWriter`'s: ``destination`` a
    folder or fsspec URI (``s3://bucket/prefix``); ``endpoint``, ``variant`` the two
    folder names under it; ``sampling_percent`` the share of requests captured (0-100,
    drawn from ``rng``); ``max_file_bytes`` the size at which a new file starts (1 MiB
    on object stores, 64 MiB locally, by default); ``max_buffer_bytes`` what is kept
    while storage is failing, beyond which records are counted ``lost``;
    ``capture_mode`` ``both``, ``input`` or ``output``.

    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> capture = DurableCapture(folder, "churn")
    >>> capture.capture(b"1,2", "text/csv", b"0.5", "text/csv")
    True
    >>> capture.flush(), capture.stats.written
    (True, 1)
    """

    def __init__(
        self,
        destination: str | os.PathLike[str],
        endpoint: str,
        variant: str = "AllTraffic",
        *,
        sampling_percent: float = 100.0,
        max_file_bytes: int | None = None,
        max_buffer_bytes: int = 64 * MIB,
        csv_content_types: Collection[str] = ("text/csv",),
        json_content_types: Collection[str] = ("application/json",),
        storage_options: dict[str, Any] | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | int | None = None,
        capture_mode: str = "both",
    ) -> None:
        super().__init__(
            destination, endpoint, variant, sampling_percent=sampling_percent,
            csv_content_types=csv_content_types, json_content_types=json_content_types,
            clock=clock, rng=rng, capture_mode=capture_mode,
        )  # fmt: skip
        if max_file_bytes is None:
            max_file_bytes = LOCAL_FILE_BYTES if is_local(self.destination) else OBJECT_FILE_BYTES
        if not max_file_bytes > 0:
            raise UsageError(f"max_file_bytes must be greater than 0, not {max_file_bytes}")
        if max_buffer_bytes < max_file_bytes:
            raise UsageError(
                f"max_buffer_bytes ({max_buffer_bytes}) must be at least max_file_bytes "
                f"({max_file_bytes})"
            )
        self.max_file_bytes = max_file_bytes
        self._lock = threading.Lock()
        self._closed = False
        # a file ends at its size bound or at the hour, never by age: a frozen process
        # that is thawed within the hour carries on with the file it had
        self._spool = Spool(
            self.destination, self.endpoint, self.variant,
            Rotation(max_file_bytes, HOUR_SECONDS),
            durable_sink_for(self.destination, storage_options), self.counters,
            max_buffer_bytes,
        )  # fmt: skip

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
        """Sample one request/response pair and keep its record for the next
        :meth:`flush`; True when it was kept, False when not sampled or closed."""
        if not self.sampled():
            return False
        at = self.clock()
        line = self.record(
            input_data, input_content_type, output_data, output_content_type,
            at=at, inference_id=inference_id, event_id=event_id,
        )  # fmt: skip
        with self._lock:
            if self._closed:
                self.counters.add(dropped=1)
                return False
            self._spool.add(at, line)
            self.counters.add(captured=1)
        return True

    @property
    def pending(self) -> int:
        """Records kept but not yet stored."""
        return self._spool.buffered_records

    def flush(self, timeout: float | None = None) -> bool:
        """Store every record kept so far; True when none is left unstored.

        A storage error is logged and counted, never raised: the records stay for the
        next flush. ``timeout`` is accepted for the writer interface; the store's own
        timeouts bound the call.
        """
        with self._lock:
            if not self._spool.buffered_records:
                return True
            try:
                self._spool.flush(self.clock(), whole=False)
            except Exception as exc:  # any storage failure: count, keep, try again later
                self.counters.add(write_errors=1)
                log.warning(
                    "capture destination %s cannot be written (%d records kept for the next "
                    "try): %s", self.destination, self._spool.buffered_records, exc,
                )  # fmt: skip
            return self._spool.buffered_records == 0

    def close(self) -> None:
        """Store what is kept, then refuse further records; safe to call again."""
        self.flush()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._spool.buffered_records:
                log.warning(
                    "capture destination %s: %d records could not be written before close",
                    self.destination, self._spool.buffered_records,
                )  # fmt: skip
            self._spool.give_up()

    def __enter__(self) -> DurableCapture:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
