"""The capture record: one JSON line per sampled request, as SageMaker data capture writes it.

A record holds the request and the response payloads as text and says how that text is
encoded::

    {"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT",
      "data":"1,2,3","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv",
      "mode":"OUTPUT","data":"0.5","encoding":"CSV"}},
     "eventMetadata":{"eventId":"…","inferenceTime":"2024-05-01T10:00:00Z"},"eventVersion":"0"}

A record of a writer that captures one side only (SageMaker's ``CaptureOptions`` with
``Input`` or ``Output`` alone) has only that side under ``captureData``.

Payloads whose content type is one of the CSV types are kept as text with encoding
``CSV``, those of a JSON type as text with ``JSON``; anything else (images, protobuf, a
CSV body that is not UTF-8) is base64 with ``BASE64``.
"""

from __future__ import annotations

import base64
import json
import os
import random
import threading
import time
import uuid
from collections.abc import Collection
from typing import Any

CSV = "CSV"
JSON = "JSON"
BASE64 = "BASE64"
EVENT_VERSION = "0"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
INPUT, OUTPUT = "Input", "Output"  # SageMaker's CaptureMode values

Payload = bytes | bytearray | memoryview | str


def media_type(content_type: str | None) -> str:
    """``text/csv`` for ``Text/CSV; charset=utf-8``: the part that names the format."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def inference_time(epoch_seconds: float) -> str:
    """UTC in whole seconds ending in ``Z``, as ``inferenceTime`` is written.

    >>> inference_time(1713399708.871)
    '2024-04-18T00:21:48Z'
    """
    return time.strftime(TIME_FORMAT, time.gmtime(epoch_seconds))


def encode_payload(
    data: Payload,
    content_type: str | None,
    csv_content_types: Collection[str] = ("text/csv",),
    json_content_types: Collection[str] = ("application/json",),
) -> tuple[str, str]:
    """The ``(data, encoding)`` pair for a payload of the given content type.

    >>> encode_payload(b"1,2", "text/csv; charset=utf-8")
    ('1,2', 'CSV')
    >>> encode_payload(b"\\x89PNG", "image/png")
    ('iVBORw==', 'BASE64')
    """
    kind = media_type(content_type)
    if kind in csv_content_types or kind in json_content_types:
        text = _as_text(data)
        if text is not None:
            return text, CSV if kind in csv_content_types else JSON
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return base64.b64encode(raw).decode("ascii"), BASE64


def _as_text(data: Payload) -> str | None:
    if isinstance(data, str):
        return data
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        # Text that is not UTF-8 cannot travel as a JSON string: keep it, as base64.
        return None


_ids = random.Random(int.from_bytes(os.urandom(16), "big"))
_ids_lock = threading.Lock()


def new_event_id() -> str:
    """A random (version 4) UUID for an event.

    ``uuid.uuid4`` asks the kernel for fresh randomness at every call, which costs more
    than the rest of a capture on some virtual machines; a generator seeded once from
    the kernel gives ids just as unique for this purpose.
    """
    with _ids_lock:
        bits = _ids.getrandbits(128)
    return str(uuid.UUID(int=bits, version=4))


def capture_record(
    input_data: Payload,
    input_content_type: str | None,
    output_data: Payload,
    output_content_type: str | None,
    *,
    inference_time_seconds: float | None = None,
    event_id: str | None = None,
    inference_id: str | None = None,
    csv_content_types: Collection[str] = ("text/csv",),
    json_content_types: Collection[str] = ("application/json",),
    modes: Collection[str] = (INPUT, OUTPUT),
) -> dict[str, Any]:
    """One capture record as a dict, ready for :func:`record_line`.

    ``inference_time_seconds`` is seconds since the epoch (now when omitted); the
    event id is a fresh uuid4 unless given; ``inferenceId`` is written only when given;
    ``modes`` the sides written (``Input``, ``Output``).

    >>> record = capture_record(b"1,2", "text/csv", b"0.5", "text/csv",
    ...                         inference_time_seconds=0, event_id="e1")
    >>> record_line(record)
    b'{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"1,2","encoding":"CSV"},"endpointOutput":{"observedContentType":"text/csv","mode":"OUTPUT","data":"0.5","encoding":"CSV"}},"eventMetadata":{"eventId":"e1","inferenceTime":"1970-01-01T00:00:00Z"},"eventVersion":"0"}\\n'
    """
    types = (csv_content_types, json_content_types)
    seconds = time.time() if inference_time_seconds is None else inference_time_seconds
    metadata = {"eventId": event_id or new_event_id(), "inferenceTime": inference_time(seconds)}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    sides = {}
    if INPUT in modes:
        sides["endpointInput"] = _side("INPUT", input_data, input_content_type, *types)
    if OUTPUT in modes:
        sides["endpointOutput"] = _side("OUTPUT", output_data, output_content_type, *types)
    return {
        "captureData": sides,
        "eventMetadata": metadata,
        "eventVersion": EVENT_VERSION,
    }


def _side(
    mode: str,
    data: Payload,
    content_type: str | None,
    csv_types: Collection[str],
    json_types: Collection[str],
) -> dict[str, str]:
    text, encoding = encode_payload(data, content_type, csv_types, json_types)
    return {
        "observedContentType": content_type or "",
        "mode": mode,
        "data": text,
        "encoding": encoding,
    }


def record_line(record: dict[str, Any]) -> bytes:
    """The record as one compact JSON line, newline included."""
    try:
        text = json.dumps(record, separators=(",", ":"), ensure_ascii=False)
        return text.encode("utf-8") + b"\n"
    except UnicodeEncodeError:
        # A lone surrogate in a str payload has no UTF-8 form; JSON escapes carry it.
        return json.dumps(record, separators=(",", ":")).encode("ascii") + b"\n"
