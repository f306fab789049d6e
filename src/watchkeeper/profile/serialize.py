"""The profile file: binary by default, or versioned JSON; lossless, byte-for-byte
deterministic. :func:`profile_from_bytes` tells the two forms apart by their first bytes
(the binary form's layout: :mod:`watchkeeper.profile.binary`); this module writes and
reads the JSON form.

JSON layout (version 1)::

    {"format": "watchkeeper-profile", "version": 1, "rows": N, "metadata": {...},
     "columns": [{"name": ..., "count": ..., "null_count": ..., "type_counts": {...},
                  "integral_valued": ..., "arrow_types": [...], "moments": {...},
                  "kll": {"k", "c", "levels": [base64 float64 LE], "compactions",
                          "offsets", "error_weight"},
                  "distinct": base64 compact theta sketch (DataSketches format),
                  "categories": {"cap", "lg_max_map_size", "exact": [[value, count], ...]}
                                | {"cap", "lg_max_map_size", "sketch": base64},
                  "text": {...}, "embedding": {...}}]}

``text`` (free-text columns only) and ``embedding`` (columns of numeric vectors only)
are :func:`text_to_dict` and :func:`embedding_to_dict`; other columns are written as
they always were.

Floats are written with Python's shortest round-trip repr, so reading gives back the
same bits; keys are sorted; nothing depends on the clock. A newer watchkeeper reads
every older version; a file from a newer watchkeeper is refused with a clear message.

Profiles arrive from outside (uploads to the dashboard, files written by other
processes), so reading is strict: every field's type and bounds, the sketches' bytes
and the counts' consistency are checked while the profile is built, before any of it
is used, and a document that fails is refused with a :class:`FormatError` naming the
field. Whatever is accepted merges with any other accepted profile and can be shown.

>>> profile_from_bytes(b'{"format": "watchkeeper-profile", "version": 1, "rows": -1, '
...                    b'"columns": []}', "upload")
Traceback (most recent call last):
...
watchkeeper.errors.FormatError: upload: rows: must be a whole number from 0 to 9007199254740992, got -1
"""  # noqa: E501

from __future__ import annotations

import json
from typing import Any

import datasketches

from watchkeeper.errors import FormatError, UsageError
from watchkeeper.profile.binary import is_binary_profile, profile_to_binary
from watchkeeper.profile.binary_read import profile_from_binary
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile
from watchkeeper.profile.distinct import DistinctSketch
from watchkeeper.profile.frequent import CategoryCounts
from watchkeeper.profile.json_parts import b64 as _b64
from watchkeeper.profile.json_parts import base64_bytes as _base64
from watchkeeper.profile.json_parts import checked as _checked
from watchkeeper.profile.json_parts import fields as _fields
from watchkeeper.profile.json_parts import kll_to_dict as _kll_to_dict
from watchkeeper.profile.json_parts import moments_to_dict
from watchkeeper.profile.json_parts import read_kll as _kll
from watchkeeper.profile.json_parts import read_moments as _moments
from watchkeeper.profile.moments import Moments
from watchkeeper.profile.parts import COLUMN_PARTS, column_parts_to_dict, read_embedding, read_text
from watchkeeper.profile.types import BOOLEAN, FRACTIONAL, INTEGRAL, STRING
from watchkeeper.profile.validation import (
    CATEGORY_CAP,
    LG_MAP_SIZE,
    MAX_COLUMNS,
    MAX_NAME_LENGTH,
    MAX_TEXT_LENGTH,
    Invalid,
    arrow_types,
    check_frequent,
    check_theta,
    column_path,
    count,
    fail,
    integer,
    is_int,
    kind,
    metadata,
    reason,
    shown,
    text,
)

FORMAT = "watchkeeper-profile"
VERSION = 1

_TYPE_KEYS = (INTEGRAL, FRACTIONAL, BOOLEAN, STRING)
_COLUMN_FIELDS = {
    "name", "count", "null_count", "type_counts", "arrow_types", "moments", "kll",
    "distinct", "categories",
}  # fmt: skip


def profile_to_dict(profile: DatasetProfile) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "rows": profile.rows,
        "metadata": dict(sorted(profile.metadata.items())),
        "columns": [_column_to_dict(name, column) for name, column in profile.columns.items()],
    }


def profile_to_bytes(profile: DatasetProfile, format: str = "binary") -> bytes:
    """The profile file's bytes: the compact binary form, or JSON (``format="json"``).

    >>> profile_to_bytes(DatasetProfile())[:4], profile_to_bytes(DatasetProfile(), "json")[:1]
    (b'\\x89WKP', b'{')
    """
    if format == "binary":
        return profile_to_binary(profile)
    if format == "json":
        return profile_to_json(profile)
    raise UsageError(f"profile format must be 'binary' or 'json', got {format!r}")


def profile_to_json(profile: DatasetProfile) -> bytes:
    """The profile as UTF-8 JSON: readable, and read by every watchkeeper version."""
    text = json.dumps(profile_to_dict(profile), sort_keys=True, separators=(",", ":"))
    return text.encode()


def profile_from_bytes(data: bytes, source: str = "profile") -> DatasetProfile:
    """Read and check a profile file, binary or JSON (told apart by their first bytes);
    ``source`` names it in error messages."""
    if is_binary_profile(data):
        return profile_from_binary(data, source)
    try:
        document = json.loads(data)
    except RecursionError:
        raise FormatError(f"{source}: not a watchkeeper profile (JSON nested too deeply)") from None
    except (UnicodeDecodeError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise FormatError(f"{source}: not a watchkeeper profile (invalid JSON: {reason})") from None
    return profile_from_dict(document, source)


def profile_from_dict(document: Any, source: str = "profile") -> DatasetProfile:
    """Check a parsed profile document and build the profile it describes."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise FormatError(f'{source}: not a watchkeeper profile (no \'"format": "{FORMAT}"\')')
    version = document.get("version")
    if not is_int(version) or version < 1:
        raise FormatError(f"{source}: invalid profile version {shown(version)}")
    if version > VERSION:
        raise FormatError(
            f"{source}: profile version {version} was written by a newer watchkeeper "
            f"(this one reads up to version {VERSION}); upgrade watchkeeper"
        )
    try:
        return _profile(document)
    except Invalid as exc:
        raise FormatError(f"{source}: {exc.path}: {exc.problem}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:  # a check missed
        raise FormatError(f"{source}: corrupt profile ({type(exc).__name__}: {exc})") from None


# Parts of a column entry, for formats that carry some of a profile beside their own
# fields (watchkeeper's key in statistics.json). ``where`` names the part in messages.


def moments_from_dict(value: Any, where: str, present: int) -> Moments:
    """Moments written by :func:`moments_to_dict`, checked; FormatError naming ``where``."""
    return _checked(_moments, value, where, present)


def type_counts_from_dict(value: Any, where: str, present: int) -> dict[str, int]:
    """Counts of present values by Deequ type, adding up to at most ``present``."""
    return _checked(_type_counts, value, where, present)


def categories_from_dict(value: Any, where: str, present: int) -> CategoryCounts:
    """Category counts written by :func:`categories_to_dict`, checked."""
    return _checked(_categories, value, where, present)


# -- reading, checked ---------------------------------------------------------------------


def _profile(document: dict[str, Any]) -> DatasetProfile:
    _fields(document, "document", {"format", "version", "rows", "columns"}, {"metadata"})
    rows = count(document["rows"], "rows")
    profile = DatasetProfile(metadata(document.get("metadata", {})))
    profile.rows = rows
    columns = document["columns"]
    if not isinstance(columns, list):
        fail("columns", f"must be a list, got {kind(columns)}")
    if len(columns) > MAX_COLUMNS:
        fail("columns", f"at most {MAX_COLUMNS:,} columns, got {len(columns):,}")
    for index, entry in enumerate(columns):
        name = entry.get("name") if isinstance(entry, dict) else None
        path = column_path(name, index)
        if not isinstance(entry, dict):
            fail(path, f"must be an object, got {kind(entry)}")
        name = text(name, f"{path}.name", MAX_NAME_LENGTH)
        if name in profile.columns:
            fail(f"{path}.name", f"column {shown(name)} appears twice")
        profile.columns[name] = _column(entry, path)
    return profile


def _column(entry: dict[str, Any], path: str) -> ColumnProfile:
    _fields(entry, path, _COLUMN_FIELDS, {"integral_valued", *COLUMN_PARTS})
    column = ColumnProfile()
    column.count = count(entry["count"], f"{path}.count")
    column.null_count = count(entry["null_count"], f"{path}.null_count")
    if column.null_count > column.count:
        fail(f"{path}.null_count", f"{column.null_count} is more than count ({column.count})")
    present = column.count - column.null_count
    column.type_counts = _type_counts(entry["type_counts"], f"{path}.type_counts", present)
    column.integral_valued = count(entry.get("integral_valued", 0), f"{path}.integral_valued")
    if column.integral_valued > column.type_counts[FRACTIONAL]:
        fail(f"{path}.integral_valued", f"more than the {FRACTIONAL} values counted")
    column.arrow_types = arrow_types(entry["arrow_types"], f"{path}.arrow_types")
    column.moments = _moments(entry["moments"], f"{path}.moments", present)
    column.kll = _kll(entry["kll"], f"{path}.kll")
    column.distinct = _distinct(entry["distinct"], f"{path}.distinct")
    column.categories = _categories(entry["categories"], f"{path}.categories", present)
    if "text" in entry:
        column.text = read_text(entry["text"], f"{path}.text", present)
        column.text_choice = True
    if "embedding" in entry:
        column.embedding = read_embedding(entry["embedding"], f"{path}.embedding", present)
    return column


def _type_counts(value: Any, path: str, present: int) -> dict[str, int]:
    _fields(value, path, set(_TYPE_KEYS))
    counts = {key: count(value[key], f"{path}.{key}") for key in _TYPE_KEYS}
    if sum(counts.values()) > present:
        fail(path, f"add up to {sum(counts.values())}, more than the {present} present values")
    return counts


def _distinct(value: Any, path: str) -> DistinctSketch:
    data = _base64(value, path)
    check_theta(data, path)
    try:
        return DistinctSketch.from_bytes(data)
    except Exception as exc:  # the library's own checks (seed hash, sizes)
        fail(path, f"not a theta sketch DataSketches reads ({reason(exc)})")


def _categories(value: Any, path: str, present: int) -> CategoryCounts:
    form = "exact" if isinstance(value, dict) and "exact" in value else "sketch"
    _fields(value, path, {"cap", "lg_max_map_size", form})
    cap = integer(value["cap"], f"{path}.cap", *CATEGORY_CAP)
    lg = integer(value["lg_max_map_size"], f"{path}.lg_max_map_size", *LG_MAP_SIZE)
    if form == "exact":
        exact = _exact(value["exact"], f"{path}.exact", cap)
        total = sum(exact.values())
        counts = CategoryCounts(cap, lg, exact=exact)
    else:
        data = _base64(value["sketch"], f"{path}.sketch")
        total = check_frequent(data, f"{path}.sketch", lg)
        try:
            sketch = datasketches.frequent_strings_sketch.deserialize(data)
        except Exception as exc:  # the library's own checks
            fail(f"{path}.sketch", f"not a frequent-items sketch ({reason(exc)})")
        counts = CategoryCounts(cap, lg, sketch=sketch)
    if total > present:
        fail(path, f"count {total} values, more than the {present} present values")
    return counts


def _exact(value: Any, path: str, cap: int) -> dict[str, int]:
    if not isinstance(value, list):
        fail(path, f"must be a list, got {kind(value)}")
    if len(value) > cap:
        fail(path, f"holds {len(value)} values, more than cap ({cap})")
    exact: dict[str, int] = {}
    for index, pair in enumerate(value):
        if not isinstance(pair, list) or len(pair) != 2:
            fail(f"{path}[{index}]", "must be a [value, count] pair")
        value_text = text(pair[0], f"{path}[{index}][0]", MAX_TEXT_LENGTH)
        if value_text in exact:
            fail(f"{path}[{index}][0]", f"value {shown(value_text)} appears twice")
        exact[value_text] = count(pair[1], f"{path}[{index}][1]")
    return exact


# -- primitives -------------------------------------------------------------------------


# -- writing ------------------------------------------------------------------------------


def _column_to_dict(name: str, column: ColumnProfile) -> dict[str, Any]:
    return {
        "name": name,
        "count": column.count,
        "null_count": column.null_count,
        "type_counts": dict(column.type_counts),
        "integral_valued": column.integral_valued,
        "arrow_types": list(column.arrow_types),
        "moments": moments_to_dict(column.moments),
        "kll": _kll_to_dict(column.kll),
        "distinct": _b64(column.distinct.to_bytes()),
        "categories": categories_to_dict(column.categories),
        **column_parts_to_dict(column),
    }


def categories_to_dict(categories: CategoryCounts) -> dict[str, Any]:
    entry: dict[str, Any] = {"cap": categories.cap, "lg_max_map_size": categories.lg_max_map_size}
    if categories.exact is not None:
        entry["exact"] = [[value, count] for value, count in sorted(categories.exact.items())]
    else:
        entry["sketch"] = _b64(categories.sketch_bytes())
    return entry


