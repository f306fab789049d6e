"""Data capture: sampled request/response records, written and read as SageMaker does.

:class:`CaptureWriter` samples the traffic of a prediction server into JSON Lines files
under ``{destination}/{endpoint}/{variant}/yyyy/mm/dd/HH/``; :func:`read_capture`
reads a time window of them back as one Arrow table, output columns first.
:class:`DurableCapture` writes the same files synchronously, for functions that may be
frozen as soon as they answer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeeper.lazy import lazy_exports

# Imported on first use: a server or a function that writes captures does not pay for
# the reader's Arrow and pandas at start-up.
_MIDDLEWARE = "watchkeeper.capture.middleware"
_READER = "watchkeeper.capture.reader"
_RECORD = "watchkeeper.capture.record"
_WRITER = "watchkeeper.capture.writer"
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "CaptureMiddleware": _MIDDLEWARE,
        "CaptureStats": _WRITER,
        "CaptureWindow": _READER,
        "CaptureWriter": _WRITER,
        "DurableCapture": "watchkeeper.capture.durable",
        "capture_middleware": _MIDDLEWARE,
        "capture_record": _RECORD,
        "flask_capture": _MIDDLEWARE,
        "install_signal_handlers": _WRITER,
        "read_capture": _READER,
        "record_line": _RECORD,
    },
)

if TYPE_CHECKING:
    from watchkeeper.capture.durable import DurableCapture
    from watchkeeper.capture.middleware import (
        CaptureMiddleware,
        capture_middleware,
        flask_capture,
    )
    from watchkeeper.capture.reader import CaptureWindow, read_capture
    from watchkeeper.capture.record import capture_record, record_line
    from watchkeeper.capture.writer import CaptureStats, CaptureWriter, install_signal_handlers

__all__ = [
    "CaptureMiddleware",
    "CaptureStats",
    "CaptureWindow",
    "CaptureWriter",
    "DurableCapture",
    "capture_middleware",
    "capture_record",
    "flask_capture",
    "install_signal_handlers",
    "read_capture",
    "record_line",
]
