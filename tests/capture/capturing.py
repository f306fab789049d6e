"""Helpers for the capture tests: a clock the test moves, and reading capture files back."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watchkeeper.capture import capture_record, record_line

# 2024-05-01T10:00:00Z, a time whose hour and minute are easy to read in paths
T0 = datetime(2024, 5, 1, 10, tzinfo=UTC).timestamp()


class Clock:
    """A clock that only moves when told to; callable like ``time.time``."""

    def __init__(self, now: float = T0) -> None:
        self.now = now
        self.lock = threading.Lock()

    def __call__(self) -> float:
        with self.lock:
            return self.now

    def set(self, now: float) -> None:
        with self.lock:
            self.now = now

    def advance(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def capture_files(root: Path) -> list[Path]:
    """Every capture file under ``root``, in path order."""
    return sorted(root.rglob("*.jsonl"))


def records_in(root: Path) -> list[dict[str, Any]]:
    """Every record under ``root``, file by file in path order, line by line."""
    return [
        json.loads(line)
        for path in capture_files(root)
        for line in path.read_text().splitlines()
        if line
    ]


def write_records(path: Path, records: list[dict[str, Any]], extra: bytes = b"") -> Path:
    """A capture file holding these records (then ``extra``, raw)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(map(record_line, records)) + extra)
    return path


def csv_record(inputs: str, output: str, at: float, **kwargs: Any) -> dict[str, Any]:
    """A record of a CSV request and a CSV answer made at ``at``."""
    return capture_record(
        inputs, "text/csv", output, "text/csv", inference_time_seconds=at, **kwargs
    )


def json_record(inputs: Any, output: Any, at: float, **kwargs: Any) -> dict[str, Any]:
    """A record of a JSON request and a JSON answer made at ``at``."""
    return capture_record(
        json.dumps(inputs), "application/json", json.dumps(output), "application/json",
        inference_time_seconds=at, **kwargs,
    )  # fmt: skip


def utc(text: str) -> datetime:
    """``2024-05-01T10:30:00`` as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)
