"""What every capture writer shares: where records go, which requests are sampled, how a
record line is made, and the counters.

:class:`CaptureWriter` writes from a background thread, for servers that run on;
:class:`~watchkeeper.capture.durable.DurableCapture` writes when told to, for functions
that may be frozen as soon as they answer. Both sample and count here, so a setting
means the same thing wherever it is changed.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Collection
from dataclasses import dataclass

from watchkeeper.capture.layout import check_name
from watchkeeper.capture.record import INPUT, OUTPUT, Payload, capture_record, record_line
from watchkeeper.capture.spool import Counters
from watchkeeper.errors import UsageError

# What each capture mode writes, as SageMaker's CaptureOptions list them.
CAPTURE_MODES = {"both": (INPUT, OUTPUT), "input": (INPUT,), "output": (OUTPUT,)}


@dataclass(frozen=True)
class CaptureStats:
    """Counts since the writer started.

    ``captured`` records were sampled and queued; ``sampled_out`` were not sampled;
    ``dropped`` were sampled but refused because the queue was full (or the writer
    closed). Of the captured ones, ``written`` reached storage and ``lost`` were given up
    because the destination stayed unwritable while the buffer was full, or at close.
    ``write_errors`` counts failed attempts to write, ``files`` the files created.
    """

    captured: int
    sampled_out: int
    dropped: int
    written: int
    lost: int
    write_errors: int
    files: int


class SampledCapture:
    """The settings and counters of a capture writer; subclasses store the records.

    ``enabled``, ``sampling_percent`` and ``capture_mode`` are in force now;
    ``destination``, ``endpoint`` and ``variant`` say where files go.
    """

    def __init__(
        self,
        destination: str | os.PathLike[str],
        endpoint: str,
        variant: str,
        *,
        sampling_percent: float,
        csv_content_types: Collection[str],
        json_content_types: Collection[str],
        clock: Callable[[], float],
        rng: random.Random | int | None,
        capture_mode: str,
    ) -> None:
        check_sampling_percent(sampling_percent)
        self.capture_mode = check_capture_mode(capture_mode)
        self.enabled = True
        self.destination = os.fspath(destination).rstrip("/") or "/"
        self.endpoint = check_name("endpoint", endpoint)
        self.variant = check_name("variant", variant)
        self.sampling_percent = float(sampling_percent)
        self.content_types = (
            tuple(map(str.lower, csv_content_types)),
            tuple(map(str.lower, json_content_types)),
        )
        self.clock = clock
        self.rng = rng if isinstance(rng, random.Random) else random.Random(rng)
        self.counters = Counters()

    def sampled(self) -> bool:
        """Draw whether the next request is captured (counting it ``sampled_out`` if not)."""
        percent = self.sampling_percent
        taken = self.enabled and (
            percent >= 100.0 or (percent > 0.0 and self.rng.random() * 100.0 < percent)
        )
        if not taken:
            self.counters.add(sampled_out=1)
        return taken

    def record(
        self,
        input_data: Payload,
        input_content_type: str | None,
        output_data: Payload,
        output_content_type: str | None,
        *,
        at: float,
        inference_id: str | None,
        event_id: str | None,
    ) -> bytes:
        """The record line of one exchange at time ``at``, in this writer's mode."""
        return record_line(
            capture_record(
                input_data, input_content_type, output_data, output_content_type,
                inference_time_seconds=at, event_id=event_id, inference_id=inference_id,
                csv_content_types=self.content_types[0],
                json_content_types=self.content_types[1],
                modes=CAPTURE_MODES[self.capture_mode],
            )
        )  # fmt: skip

    def configure(
        self, *, enabled: bool | None = None, sampling_percent: float | None = None
    ) -> None:
        """Switch capture off or on, or change the share of requests captured, while
        the writer runs; each setting left as it is when not given. Requests not
        captured while switched off are counted ``sampled_out``.

        >>> import tempfile
        >>> from watchkeeper.capture import CaptureWriter
        >>> writer = CaptureWriter(tempfile.mkdtemp(), "churn")
        >>> writer.configure(enabled=False)
        >>> writer.capture(b"1,2", "text/csv", b"0.5", "text/csv")
        False
        >>> writer.configure(enabled=True, sampling_percent=100)
        >>> writer.capture(b"1,2", "text/csv", b"0.5", "text/csv")
        True
        >>> writer.close()
        """
        if enabled is not None and not isinstance(enabled, bool):
            raise UsageError(f"enabled must be true or false, not {enabled!r}")
        if sampling_percent is not None:
            if isinstance(sampling_percent, bool) or not isinstance(sampling_percent, int | float):
                raise UsageError(f"sampling_percent must be a number, not {sampling_percent!r}")
            check_sampling_percent(sampling_percent)
            self.sampling_percent = float(sampling_percent)
        if enabled is not None:
            self.enabled = enabled

    @property
    def stats(self) -> CaptureStats:
        """A snapshot of the counters."""
        c = self.counters
        with c.lock:
            return CaptureStats(
                c.captured, c.sampled_out, c.dropped, c.written, c.lost, c.write_errors, c.files
            )


def check_sampling_percent(percent: float) -> float:
    """``percent`` if it is a share of requests (0 to 100), else a :class:`UsageError`."""
    if not 0.0 <= percent <= 100.0:
        raise UsageError(f"sampling_percent must be between 0 and 100, not {percent}")
    return percent


def check_capture_mode(mode: str) -> str:
    """The capture mode, in lower case: ``both``, ``input`` or ``output``.

    >>> check_capture_mode("Input")
    'input'
    """
    chosen = mode.lower() if isinstance(mode, str) else mode
    if chosen not in CAPTURE_MODES:
        raise UsageError(
            f"capture mode must be one of {', '.join(CAPTURE_MODES)}, not {mode!r}"
        )
    return chosen
