"""Where capture files live: ``{destination}/{endpoint}/{variant}/yyyy/mm/dd/HH/name.jsonl``.

The hour folder and the file name come from the UTC inference time of the first record
in the file, the name being ``MM-SS-mmm-<uuid4>.jsonl`` (minute, second, millisecond),
as SageMaker names its capture objects.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from watchkeeper.errors import UsageError
from watchkeeper.io.storage import join

HOUR = timedelta(hours=1)
_NAME_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_name(what: str, value: str) -> str:
    """``value`` if it can be one folder name of the layout, else a :class:`UsageError`."""
    if not isinstance(value, str) or not _NAME_PART.fullmatch(value):
        raise UsageError(
            f"{what} {value!r} cannot name a capture folder: use letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    return value


def hour_folder(epoch_seconds: float) -> str:
    """``yyyy/mm/dd/HH`` of a time, in UTC.

    >>> hour_folder(1713399708.871)
    '2024/04/18/00'
    """
    return time.strftime("%Y/%m/%d/%H", time.gmtime(epoch_seconds))


def file_name(epoch_seconds: float) -> str:
    """``MM-SS-mmm-<uuid4>.jsonl`` for a file whose first record was made at that time."""
    millis = int(epoch_seconds * 1000) % 1000
    return f"{time.strftime('%M-%S', time.gmtime(epoch_seconds))}-{millis:03d}-{uuid.uuid4()}.jsonl"


def file_path(destination: str, endpoint: str, variant: str, epoch_seconds: float) -> str:
    """The full path or URI of a new capture file whose first record is at that time."""
    return join(
        destination, endpoint, variant, *hour_folder(epoch_seconds).split("/"),
        file_name(epoch_seconds),
    )  # fmt: skip


def window_hours(start: datetime, end: datetime) -> Iterator[str]:
    """The hour folders that can hold records of ``[start, end)``, oldest first.

    The hour before ``start`` is included: a writer names a file for the hour of its first
    record, and a writer that rotates late may put the next hour's first records in it.

    >>> list(window_hours(datetime(2024, 1, 1, 10, 30, tzinfo=UTC),
    ...                   datetime(2024, 1, 1, 12, tzinfo=UTC)))
    ['2024/01/01/09', '2024/01/01/10', '2024/01/01/11']
    """
    hour = start.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - HOUR
    while hour < end:
        yield hour.strftime("%Y/%m/%d/%H")
        hour += HOUR
