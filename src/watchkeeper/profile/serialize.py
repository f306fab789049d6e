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

import base64
import binascii
import json
import math
from collections.abc import Collection
from typing import Any

import datasketches
import numpy as np

from watchkeeper.errors import FormatError, UsageError
from watchkeeper.profile.binary import is_binary_profile, profile_to_binary
from watchkeeper.profile.binary_read import profile_from_binary
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile
from watchkeeper.profile.distinct import DistinctSketch
from watchkeeper.profile.frequent import CategoryCounts
from watchkeeper.profile.kll import KLLSketch
from watchkeeper.profile.moments import Moments
from watchkeeper.profile.text import (
    DESCRIPTORS,
    VOCABULARY_BUCKETS,
    Distribution,
    EmbeddingProfile,
    TextProfile,
    Vocabulary,
)
from watchkeeper.profile.types import BOOLEAN, FRACTIONAL, INTEGRAL, STRING
from watchkeeper.profile.validation import (
    CATEGORY_CAP,
    KLL_K,
    LG_MAP_SIZE,
    MAX_COLUMNS,
    MAX_COUNT,
    MAX_KLL_LEVELS,
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
    kll_levels,
    metadata,
    reason,
    shown,
    text,
)

FORMAT = "watchkeeper-profile"
VERSION = 1

_SPECIAL_NUMBERS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}
_TYPE_KEYS = (INTEGRAL, FRACTIONAL, BOOLEAN, STRING)
_COLUMN_FIELDS = {
    "name", "count", "null_count", "type_counts", "arrow_types", "moments", "kll",
    "distinct", "categories",
}  # fmt: skip
_COLUMN_PARTS = ("text", "embedding")
_MOMENT_FIELDS = {"n", "total", "mean", "m2", "m3", "m4"}
MAX_DIMENSIONS = 1 << 16
_KLL_FIELDS = {"k", "c", "levels", "compactions", "offsets", "error_weight"}


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


def text_from_dict(value: Any, where: str, present: int) -> TextProfile:
    """A text part written by :func:`text_to_dict`, checked."""
    return _checked(_text, value, where, present)


def embedding_from_dict(value: Any, where: str, present: int) -> EmbeddingProfile:
    """An embedding part written by :func:`embedding_to_dict`, checked."""
    return _checked(_embedding, value, where, present)


def _checked(read, value: Any, where: str, *args: Any) -> Any:
    try:
        return read(value, where, *args)
    except Invalid as exc:
        raise FormatError(f"{exc.path}: {exc.problem}") from None
    except (ArithmeticError, LookupError, TypeError, ValueError) as exc:  # a check missed
        raise FormatError(f"{where}: corrupt ({type(exc).__name__}: {exc})") from None


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
    _fields(entry, path, _COLUMN_FIELDS, {"integral_valued", *_COLUMN_PARTS})
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
        column.text = _text(entry["text"], f"{path}.text", present)
        column.text_choice = True
    if "embedding" in entry:
        column.embedding = _embedding(entry["embedding"], f"{path}.embedding", present)
    return column


def _text(value: Any, path: str, present: int) -> TextProfile:
    _fields(value, path, {"descriptors", "vocabulary"})
    described = value["descriptors"]
    _fields(described, f"{path}.descriptors", set(DESCRIPTORS))
    descriptors = {}
    for name in DESCRIPTORS:
        where = f"{path}.descriptors.{name}"
        _fields(described[name], where, {"moments", "kll"})
        moments = _moments(described[name]["moments"], f"{where}.moments", present)
        kll = _kll(described[name]["kll"], f"{where}.kll")
        if kll.n != moments.n:
            fail(f"{where}.kll", f"holds {kll.n} values, the moments {moments.n}")
        descriptors[name] = Distribution(moments, kll)
    counts = {descriptor.moments.n for descriptor in descriptors.values()}
    if len(counts) > 1:
        fail(f"{path}.descriptors", "must all describe the same number of values")
    vocabulary = value["vocabulary"]
    where = f"{path}.vocabulary"
    _fields(vocabulary, where, {"buckets", "indices", "counts"})
    integer(vocabulary["buckets"], f"{where}.buckets", VOCABULARY_BUCKETS, VOCABULARY_BUCKETS)
    indices = _array(vocabulary["indices"], f"{where}.indices", "<u2")
    counts = _array(vocabulary["counts"], f"{where}.counts", "<i8")
    if len(indices) != len(counts):
        fail(where, f"{len(indices)} indices for {len(counts)} counts")
    rising = np.diff(indices.astype(np.int64)) > 0
    if len(indices) and (not rising.all() or indices[-1] >= VOCABULARY_BUCKETS):
        fail(f"{where}.indices", f"must rise strictly, below {VOCABULARY_BUCKETS}")
    if np.any(counts <= 0) or counts.sum(dtype=np.float64) > MAX_COUNT:
        fail(f"{where}.counts", f"must be whole numbers from 1, adding up to at most {MAX_COUNT}")
    dense = np.zeros(VOCABULARY_BUCKETS, dtype=np.int64)
    dense[indices.astype(np.int64)] = counts
    return TextProfile(descriptors, Vocabulary(dense))


def _embedding(value: Any, path: str, present: int) -> EmbeddingProfile:
    _fields(value, path, {"count", "sums", "squares"})
    rows = count(value["count"], f"{path}.count")
    if not 0 < rows <= present:
        fail(f"{path}.count", f"must be from 1 to the {present} present values, got {rows}")
    sums = _array(value["sums"], f"{path}.sums", "<f8")
    squares = _array(value["squares"], f"{path}.squares", "<f8")
    if not 0 < len(sums) <= MAX_DIMENSIONS or len(squares) != len(sums):
        fail(path, f"sums and squares must have one equal length up to {MAX_DIMENSIONS}")
    if not (np.isfinite(sums).all() and np.isfinite(squares).all() and (squares >= 0).all()):
        fail(path, "sums must be finite and squares finite and not negative")
    return EmbeddingProfile(rows, sums.astype(np.float64), squares.astype(np.float64))


def _array(value: Any, path: str, dtype: str) -> np.ndarray:
    data = _base64(value, path)
    width = np.dtype(dtype).itemsize
    if len(data) % width:
        fail(path, f"must hold whole {width}-byte numbers")
    return np.frombuffer(data, dtype=dtype)


def _type_counts(value: Any, path: str, present: int) -> dict[str, int]:
    _fields(value, path, set(_TYPE_KEYS))
    counts = {key: count(value[key], f"{path}.{key}") for key in _TYPE_KEYS}
    if sum(counts.values()) > present:
        fail(path, f"add up to {sum(counts.values())}, more than the {present} present values")
    return counts


def _moments(value: Any, path: str, present: int) -> Moments:
    _fields(value, path, _MOMENT_FIELDS, {"min", "max"})
    n = count(value["n"], f"{path}.n")
    if n > present:
        fail(f"{path}.n", f"{n} is more than the {present} present values")
    numbers = {key: _real(value[key], f"{path}.{key}") for key in _MOMENT_FIELDS - {"n"}}
    for key in ("m2", "m4"):  # sums of even powers
        if numbers[key] < 0:
            fail(f"{path}.{key}", f"must not be negative, got {shown(value[key])}")
    low, high = math.inf, -math.inf
    if n:
        _fields(value, path, _MOMENT_FIELDS | {"min", "max"})
        low, high = _real(value["min"], f"{path}.min"), _real(value["max"], f"{path}.max")
        if math.isnan(low) or math.isnan(high) or low > high:
            both = f"{shown(value['min'])} and {shown(value['max'])}"
            fail(path, f"min must be a number at most max, got {both}")
    return Moments(n=n, min=low, max=high, **numbers)


def _kll(value: Any, path: str) -> KLLSketch:
    _fields(value, path, _KLL_FIELDS)
    k = integer(value["k"], f"{path}.k", *KLL_K)
    c = _real(value["c"], f"{path}.c")
    if not 0 < c <= 1:
        fail(f"{path}.c", f"must be in (0, 1], got {shown(value['c'])}")
    raw = value["levels"]
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_KLL_LEVELS:
        fail(f"{path}.levels", f"must be a list of 1 to {MAX_KLL_LEVELS} levels")
    levels = []
    for h, encoded in enumerate(raw):
        data = _base64(encoded, f"{path}.levels[{h}]")
        if len(data) % 8:
            fail(f"{path}.levels[{h}]", "must hold whole float64 values (8 bytes each)")
        levels.append(np.frombuffer(data, dtype="<f8").astype(np.float64))
    compactions = _counts(value["compactions"], f"{path}.compactions", len(levels), MAX_COUNT)
    offsets = _counts(value["offsets"], f"{path}.offsets", len(levels), 1)
    kll_levels(levels, k, c, path)
    return KLLSketch(
        k=k,
        c=float(c),
        levels=levels,
        compactions=compactions,
        offsets=offsets,
        error_weight=count(value["error_weight"], f"{path}.error_weight"),
    )


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


def _fields(value: Any, path: str, required: set[str], optional: Collection[str] = ()) -> None:
    if not isinstance(value, dict):
        fail(path, f"must be an object, got {kind(value)}")
    missing = required - value.keys()
    if missing:
        fail(path, f"missing field {shown(min(missing))}")
    unknown = value.keys() - required - set(optional)
    if unknown:
        fail(path, f"unknown field {shown(min(unknown))}")


def _counts(value: Any, path: str, length: int, high: int) -> list[int]:
    if not isinstance(value, list) or len(value) != length:
        fail(path, f"must be a list of {length} whole numbers (one per level)")
    return [integer(item, f"{path}[{i}]", 0, high) for i, item in enumerate(value)]


def _real(value: Any, path: str) -> float:
    """A number; infinities and NaN are written as the strings 'inf', '-inf', 'nan'."""
    if isinstance(value, float):
        return value
    if is_int(value):
        try:
            return float(value)
        except OverflowError:
            fail(path, "is a whole number too large for a float64")
    if isinstance(value, str) and value in _SPECIAL_NUMBERS:
        return _SPECIAL_NUMBERS[value]
    fail(path, f"must be a number (or 'inf', '-inf', 'nan'), got {shown(value)}")


def _base64(value: Any, path: str) -> bytes:
    if not isinstance(value, str):
        fail(path, f"must be base64 text, got {kind(value)}")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        fail(path, "is not base64 text")


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


def column_parts_to_dict(column: ColumnProfile) -> dict[str, Any]:
    """A column's text and embedding parts, for those it has."""
    parts: dict[str, Any] = {}
    if column.text is not None:
        parts["text"] = text_to_dict(column.text)
    if column.embedding is not None:
        parts["embedding"] = embedding_to_dict(column.embedding)
    return parts


def text_to_dict(text: TextProfile) -> dict[str, Any]:
    counts = text.vocabulary.counts
    seen = np.flatnonzero(counts)
    return {
        "descriptors": {
            name: {"moments": moments_to_dict(part.moments), "kll": _kll_to_dict(part.kll)}
            for name, part in text.descriptors.items()
        },
        "vocabulary": {
            "buckets": VOCABULARY_BUCKETS,
            "indices": _b64(seen.astype("<u2").tobytes()),
            "counts": _b64(counts[seen].astype("<i8").tobytes()),
        },
    }


def embedding_to_dict(embedding: EmbeddingProfile) -> dict[str, Any]:
    return {
        "count": embedding.count,
        "sums": _b64(embedding.sums.astype("<f8").tobytes()),
        "squares": _b64(embedding.squares.astype("<f8").tobytes()),
    }


def parts_to_json(profile: DatasetProfile) -> bytes | None:
    """The text and embedding parts of a profile's columns as JSON (name → parts), or
    None when no column has any: the binary form carries them in one more section."""
    parts = {name: column_parts_to_dict(c) for name, c in profile.columns.items()}
    parts = {name: value for name, value in parts.items() if value}
    if not parts:
        return None
    return json.dumps(parts, sort_keys=True, separators=(",", ":")).encode()


def parts_from_json(profile: DatasetProfile, data: bytes) -> None:
    """Give the columns of ``profile`` the parts :func:`parts_to_json` wrote (checked;
    an :class:`Invalid` names what is wrong)."""
    try:
        parts = json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError):
        fail("parts", "is not JSON")
    if not isinstance(parts, dict):
        fail("parts", f"must be an object, got {kind(parts)}")
    for name, value in parts.items():
        column = profile.columns.get(name)
        path = f"parts[{shown(name)}]"
        if column is None:
            fail(path, "names no column of the profile")
        _fields(value, path, set(), _COLUMN_PARTS)
        if "text" in value:
            column.text = _text(value["text"], f"{path}.text", column.present)
            column.text_choice = True
        if "embedding" in value:
            column.embedding = _embedding(value["embedding"], f"{path}.embedding", column.present)


def moments_to_dict(moments: Moments) -> dict[str, Any]:
    fields = {
        "n": moments.n,
        "total": moments.total,
        "mean": moments.mean,
        "m2": moments.m2,
        "m3": moments.m3,
        "m4": moments.m4,
    }
    if moments.n:
        fields["min"] = moments.min
        fields["max"] = moments.max
    return {key: _number(value) for key, value in fields.items()}


def _kll_to_dict(sketch: KLLSketch) -> dict[str, Any]:
    return {
        "k": sketch.k,
        "c": sketch.c,
        "levels": [_b64(level.astype("<f8").tobytes()) for level in sketch.levels],
        "compactions": list(sketch.compactions),
        "offsets": list(sketch.offsets),
        "error_weight": sketch.error_weight,
    }


def categories_to_dict(categories: CategoryCounts) -> dict[str, Any]:
    entry: dict[str, Any] = {"cap": categories.cap, "lg_max_map_size": categories.lg_max_map_size}
    if categories.exact is not None:
        entry["exact"] = [[value, count] for value, count in sorted(categories.exact.items())]
    else:
        entry["sketch"] = _b64(categories.sketch_bytes())
    return entry


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _number(value: float | int) -> float | int | str:
    """JSON has no infinities or NaN; write them as strings."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # 'inf', '-inf', 'nan'
    return value
