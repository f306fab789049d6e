"""The text and embedding parts of a column in the profile file (see
:mod:`watchkeeper.profile.text`): their JSON in the JSON form and in
``statistics.json``, and the binary form's extra section, checked as they are read.

A column's parts (only those it has)::

    "text": {"descriptors": {"text_length" | "word_count" | "non_letter_share":
                               {"moments": {...}, "kll": {...}}},
             "vocabulary": {"buckets": 32768, "indices": base64 uint16 LE,
                            "counts": base64 int64 LE}},
    "embedding": {"count": N, "sums": base64 float64 LE, "squares": base64 float64 LE}

``indices`` are the occupied buckets, rising; ``counts`` their token occurrences.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile
from watchkeeper.profile.json_parts import (
    b64,
    base64_bytes,
    checked,
    fields,
    kll_to_dict,
    moments_to_dict,
    read_kll,
    read_moments,
)
from watchkeeper.profile.text import (
    DESCRIPTORS,
    VOCABULARY_BUCKETS,
    Distribution,
    EmbeddingProfile,
    TextProfile,
    Vocabulary,
)
from watchkeeper.profile.validation import MAX_COUNT, count, fail, integer, kind, shown

COLUMN_PARTS = ("text", "embedding")
MAX_DIMENSIONS = 1 << 16
# the binary form's section that holds the parts (see parts_to_json)
PARTS = "parts"


def text_from_dict(value: Any, where: str, present: int) -> TextProfile:
    """A text part written by :func:`text_to_dict`, checked."""
    return checked(read_text, value, where, present)


def embedding_from_dict(value: Any, where: str, present: int) -> EmbeddingProfile:
    """An embedding part written by :func:`embedding_to_dict`, checked."""
    return checked(read_embedding, value, where, present)


def read_text(value: Any, path: str, present: int) -> TextProfile:
    fields(value, path, {"descriptors", "vocabulary"})
    described = value["descriptors"]
    fields(described, f"{path}.descriptors", set(DESCRIPTORS))
    descriptors = {}
    for name in DESCRIPTORS:
        where = f"{path}.descriptors.{name}"
        fields(described[name], where, {"moments", "kll"})
        moments = read_moments(described[name]["moments"], f"{where}.moments", present)
        kll = read_kll(described[name]["kll"], f"{where}.kll")
        if kll.n != moments.n:
            fail(f"{where}.kll", f"holds {kll.n} values, the moments {moments.n}")
        descriptors[name] = Distribution(moments, kll)
    counts = {descriptor.moments.n for descriptor in descriptors.values()}
    if len(counts) > 1:
        fail(f"{path}.descriptors", "must all describe the same number of values")
    vocabulary = value["vocabulary"]
    where = f"{path}.vocabulary"
    fields(vocabulary, where, {"buckets", "indices", "counts"})
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


def read_embedding(value: Any, path: str, present: int) -> EmbeddingProfile:
    fields(value, path, {"count", "sums", "squares"})
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
    data = base64_bytes(value, path)
    width = np.dtype(dtype).itemsize
    if len(data) % width:
        fail(path, f"must hold whole {width}-byte numbers")
    return np.frombuffer(data, dtype=dtype)


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
            name: {"moments": moments_to_dict(part.moments), "kll": kll_to_dict(part.kll)}
            for name, part in text.descriptors.items()
        },
        "vocabulary": {
            "buckets": VOCABULARY_BUCKETS,
            "indices": b64(seen.astype("<u2").tobytes()),
            "counts": b64(counts[seen].astype("<i8").tobytes()),
        },
    }


def embedding_to_dict(embedding: EmbeddingProfile) -> dict[str, Any]:
    return {
        "count": embedding.count,
        "sums": b64(embedding.sums.astype("<f8").tobytes()),
        "squares": b64(embedding.squares.astype("<f8").tobytes()),
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
        fields(value, path, set(), COLUMN_PARTS)
        if "text" in value:
            column.text = read_text(value["text"], f"{path}.text", column.present)
            column.text_choice = True
        if "embedding" in value:
            where = f"{path}.embedding"
            column.embedding = read_embedding(value["embedding"], where, column.present)
