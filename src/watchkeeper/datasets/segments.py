"""Segments: the slices of a dataset keyed by the values of one or more columns.

A segment is named by a *key*, the canonical text of its column values in the
dataset's segment-column order: ``country=DE&model_version=2`` (URL query encoding, so
any value round-trips; a missing value is written as an empty value). The whole
dataset, the merge of its segments, has the empty key ``""``.

>>> segment_key({"country": "DE", "model_version": 2}, ["country", "model_version"])
'country=DE&model_version=2'
>>> parse_segment_key('country=S%C3%A3o+Tom%C3%A9&tier=')
{'country': 'São Tomé', 'tier': None}
>>> segment_key({}, [])
''
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

from watchkeeper.errors import UsageError

WHOLE = ""
"""The key of the whole dataset (the merge of all its segments)."""

DATASET_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")  # the whole id must match
MAX_SEGMENT_KEY = 1024  # characters, as the catalog stores a key
MAX_SEGMENT_COLUMNS = 16

# Profile metadata written by the logger and read by the server.
META_DATASET = "dataset"
META_TIMESTAMP = "dataset_timestamp"
META_SEGMENT = "segment"
META_PROFILE_ID = "profile_id"  # the same profile sent twice (a retry) is counted once


def check_dataset_id(dataset: str) -> str:
    """``dataset`` if it is a valid id (letters, digits, ``.``, ``_``, ``-``; 128 at most)."""
    if not isinstance(dataset, str) or not DATASET_ID.fullmatch(dataset):
        raise UsageError(
            f"dataset id {dataset!r} is not valid: use 1 to 128 letters, digits, '.', '_' "
            "or '-', starting with a letter or digit"
        )
    return dataset


def check_segment_key(key: str) -> str:
    """``key`` if it can name a segment (``""``: the whole dataset).

    >>> check_segment_key("country")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.UsageError: segment 'country' is not of the form column=value&column=value
    """
    if not isinstance(key, str) or len(key) > MAX_SEGMENT_KEY:
        raise UsageError(f"a segment is text of at most {MAX_SEGMENT_KEY} characters")
    parse_segment_key(key)
    return key


def check_segment_columns(columns: Sequence[str]) -> tuple[str, ...]:
    """Segment column names: distinct, printable, at most 256 characters each."""
    columns = tuple(columns)
    if len(columns) > MAX_SEGMENT_COLUMNS:
        raise UsageError(f"at most {MAX_SEGMENT_COLUMNS} segment columns, got {len(columns)}")
    bad = [
        c for c in columns if not isinstance(c, str) or not 0 < len(c) <= 256 or not c.isprintable()
    ]
    if bad or len(set(columns)) != len(columns):
        raise UsageError(
            f"segment columns must be distinct names of 1 to 256 printable characters; "
            f"got {list(columns)!r:.200}"
        )
    return columns


def segment_key(values: Mapping[str, Any], columns: Sequence[str]) -> str:
    """The key of the segment whose ``columns`` have ``values``."""
    missing = [column for column in columns if column not in values]
    if missing:
        raise UsageError(f"segment values lack the column(s) {', '.join(missing)}")
    return urlencode([(column, _text(values[column])) for column in columns])


def parse_segment_key(key: str) -> dict[str, str | None]:
    """The column values of a segment key (``None`` for a missing value)."""
    if key == WHOLE:
        return {}
    try:
        pairs = parse_qsl(key, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise UsageError(f"segment {key!r} is not of the form column=value&column=value") from None
    return {column: (value if value != "" else None) for column, value in pairs}


def segment_columns_of(key: str) -> list[str]:
    """The column names of a segment key, in order."""
    return list(parse_segment_key(key))


def segment_label(key: str) -> str:
    """A label for people: ``country=DE, model_version=2``, or ``all`` for the whole."""
    if key == WHOLE:
        return "all"
    return ", ".join(
        f"{column}={'(missing)' if value is None else value}"
        for column, value in parse_segment_key(key).items()
    )


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)
