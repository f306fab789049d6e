"""Reading profile documents from outside: every field checked, the culprit named."""

from __future__ import annotations

import base64
import copy
import json
import struct

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.errors import FormatError
from watchkeeper.profile import DatasetProfile, profile_from_bytes, profile_to_json
from watchkeeper.profile.serialize import MAX_COLUMNS, profile_from_dict

ROWS = 5000


@pytest.fixture(scope="module")
def document() -> dict:
    """A profile with a KLL sketch of two levels (age), exact categories (city, flag)
    and a frequent-items sketch (user, 5,000 distinct values)."""
    rng = np.random.default_rng(1)
    profile = DatasetProfile({"dataset": "shop"})
    profile.track(
        pa.table(
            {
                "age": rng.normal(40, 8, ROWS),
                "city": rng.choice(["a", "b", "c"], ROWS),
                "user": [f"u{i}" for i in range(ROWS)],
                "flag": rng.random(ROWS) < 0.5,
            }
        )
    )
    return json.loads(profile_to_json(profile))


def changed(document: dict, path: str, value) -> bytes:
    """The document with the field at ``path`` (dots; ``columns.<name>`` picks a column)
    set to ``value``, or removed when ``value`` is ``...``."""
    edited = copy.deepcopy(document)
    keys = path.split(".")
    target = edited
    if keys[0] == "columns" and len(keys) > 1:
        target = next(c for c in edited["columns"] if c["name"] == keys[1])
        keys = keys[2:]
    for key in keys[:-1]:
        target = target[int(key)] if isinstance(target, list) else target[key]
    last = int(keys[-1]) if isinstance(target, list) else keys[-1]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return json.dumps(edited).encode()


def refusal(data: bytes) -> str:
    with pytest.raises(FormatError) as info:
        profile_from_bytes(data, "upload")
    message = str(info.value)
    assert "\n" not in message and message.startswith("upload: ")
    return message.removeprefix("upload: ")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_a_profile_reads_back_whole(document):
    profile = profile_from_bytes(json.dumps(document).encode())
    assert profile.rows == ROWS and list(profile.columns) == ["age", "city", "user", "flag"]
    assert len(profile.columns["age"].kll.levels) == 2
    assert profile.columns["user"].categories.sketch is not None
    assert profile.columns["city"].categories.total == ROWS
    # what was read writes the same bytes again
    assert json.loads(profile_to_json(profile)) == document


def test_an_absurd_kll_c_is_refused_naming_the_field(document):
    assert refusal(changed(document, "columns.age.kll.c", 1e308)) == (
        "columns.age.kll.c: must be in (0, 1], got 1e+308"
    )


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("rows", -1, "rows: must be a whole number from 0 to 9007199254740992, got -1"),
        ("rows", True, "rows: must be a whole number from 0 to 9007199254740992, got True"),
        ("rows", 1.5, "rows: must be a whole number"),
        ("metadata", {"dataset": 7}, "metadata.dataset: must be text, got a number"),
        ("columns", {}, "columns: must be a list, got an object"),
        ("surprise", 1, "document: unknown field 'surprise'"),
        ("columns.age.count", 2**60, "columns.age.count: must be a whole number from 0 to"),
        ("columns.age.null_count", ROWS + 1, "columns.age.null_count: 5001 is more than count"),
        ("columns.age.type_counts.Integral", 1, "columns.age.type_counts: add up to 5001, more"),
        ("columns.age.type_counts.Unknown", 0, "columns.age.type_counts: unknown field"),
        ("columns.age.type_counts.Boolean", ..., "columns.age.type_counts: missing field"),
        ("columns.age.integral_valued", ROWS + 1, "columns.age.integral_valued: more than"),
        ("columns.age.arrow_types", ["x"] * 65, "columns.age.arrow_types: at most 64 types"),
        ("columns.age.name", "a" * 1025, "columns[0].name: at most 1024 characters"),
        ("columns.age.moments.n", ROWS + 1, "columns.age.moments.n: 5001 is more than"),
        ("columns.age.moments.m2", -1.0, "columns.age.moments.m2: must not be negative"),
        ("columns.age.moments.m4", "-inf", "columns.age.moments.m4: must not be negative"),
        ("columns.age.moments.mean", "1e5", "columns.age.moments.mean: must be a number"),
        ("columns.age.moments.min", 1e9, "columns.age.moments: min must be a number at most max"),
        ("columns.age.moments.max", "nan", "columns.age.moments: min must be a number at most"),
        ("columns.age.moments.max", ..., "columns.age.moments: missing field 'max'"),
        ("columns.age.kll.c", 0, "columns.age.kll.c: must be in (0, 1], got 0"),
        ("columns.age.kll.c", "nan", "columns.age.kll.c: must be in (0, 1], got 'nan'"),
        ("columns.age.kll.k", 10**9, "columns.age.kll.k: must be a whole number from 8 to 65536"),
        ("columns.age.kll.k", 8, "columns.age.kll.levels: hold 2805 items, more than k=8, c"),
        ("columns.age.kll.levels", [], "columns.age.kll.levels: must be a list of 1 to 60"),
        ("columns.age.kll.levels.0", "AAAA", "columns.age.kll.levels[0]: must hold whole float64"),
        ("columns.age.kll.levels.0", "not base64!", "columns.age.kll.levels[0]: is not base64"),
        ("columns.age.kll.compactions", [1], "columns.age.kll.compactions: must be a list of 2"),
        ("columns.age.kll.offsets", [0, 2], "columns.age.kll.offsets[1]: must be a whole number"),
        ("columns.age.kll.error_weight", -2, "columns.age.kll.error_weight: must be a whole"),
        ("columns.age.distinct", 42, "columns.age.distinct: must be base64 text, got a number"),
        ("columns.city.categories.cap", 0, "columns.city.categories.cap: must be a whole number"),
        ("columns.city.categories.cap", 2, "columns.city.categories.exact: holds 3 values, more"),
        ("columns.city.categories.lg_max_map_size", 40, "lg_max_map_size: must be a whole number"),
        ("columns.city.categories.exact.0", ["b", 1], "exact[1][0]: value 'b' appears twice"),
        ("columns.city.categories.exact.0", ["a"], "exact[0]: must be a [value, count] pair"),
        ("columns.city.categories.exact.0", ["a", 10**6], "more than the 5000 present values"),
        ("columns.city.categories.sketch", "", "columns.city.categories: unknown field 'sketch'"),
        ("columns.user.categories.sketch", "AAAA", "categories.sketch: a frequent-items sketch"),
    ],
)
def test_each_bad_field_is_named(document, path, value, message):
    assert message in refusal(changed(document, path, value))


def test_nan_in_a_kll_level_is_refused(document):
    level = b64(np.array([1.0, np.nan]).astype("<f8").tobytes())
    assert refusal(changed(document, "columns.age.kll.levels.1", level)) == (
        "columns.age.kll.levels[1]: holds NaN, which a sketch never keeps"
    )


def theta_bytes(hashes: list[int], theta: int | None = None) -> bytes:
    longs = 2 if theta is None else 3
    head = struct.pack("<BBBHB", longs, 3, 3, 0, 0b11010) + b"\xcc\x93"
    head += struct.pack("<II", len(hashes), 0)
    if theta is not None:
        head += struct.pack("<Q", theta)
    return head + struct.pack(f"<{len(hashes)}Q", *hashes)


@pytest.mark.parametrize(
    ("sketch", "message"),
    [
        (b"\x02\x03\x03", "a theta sketch has at least 8 bytes, got 3"),
        (theta_bytes([5, 3]), "hashes are not ordered, distinct and below theta"),
        (theta_bytes([3, 3]), "hashes are not ordered, distinct and below theta"),
        (theta_bytes([3, 9], theta=5), "hashes are not ordered, distinct and below theta"),
        (theta_bytes([3, 4])[:-4], "theta sketch of 2 hashes has 28 bytes"),
        (theta_bytes(list(range(1, 4098))), "holds 4097 hashes, more than 4096"),
        (theta_bytes([]).replace(b"\x03\x03", b"\x03\x04", 1), "serial version 3"),
        (theta_bytes([7]).replace(b"\xcc\x93", b"\x00\x01"), "not a theta sketch DataSketches"),
    ],
)
def test_a_bad_theta_sketch_is_refused(document, sketch, message):
    found = refusal(changed(document, "columns.age.distinct", b64(sketch)))
    assert found.startswith("columns.age.distinct: ") and message in found


def frequent_bytes(items: list[bytes], weights: list[int], total: int, lg: int = 11) -> bytes:
    head = struct.pack("<BBBBBBHIIQQ", 4, 1, 10, lg, lg, 0, 0, len(items), 0, total, 0)
    body = struct.pack(f"<{len(weights)}Q", *weights)
    return head + body + b"".join(struct.pack("<I", len(i)) + i for i in items)


@pytest.mark.parametrize(
    ("sketch", "message"),
    [
        (frequent_bytes([b"a", b"b"], [2, 1], 3), None),
        (frequent_bytes([b"a", b"\xff\xfe"], [2, 1], 3), "not UTF-8 text"),
        (frequent_bytes([b"a", b"\xc3"], [2, 1], 3)[:-1] + b"\xc3", "not UTF-8 text"),
        (frequent_bytes([b"ab\xc3", b"\xa9"], [2, 1], 3), "not UTF-8 text"),
        (frequent_bytes([b"a", b"b"], [2, 1], 3)[:-3], "ends inside an item"),
        (frequent_bytes([b"a", b"bc"], [2, 1], 3)[:-1], "do not end where its bytes do"),
        (frequent_bytes([b"a", b"b"], [2, 1], 3) + b"x", "do not end where its bytes do"),
        (frequent_bytes([b"a", b"b"], [2, 0], 3), "counts are not consistent"),
        (frequent_bytes([b"a", b"b"], [2, 2], 3), "counts are not consistent"),
        (frequent_bytes([b"a"] * 2000, [1] * 2000, 2000), "cannot hold 2000 items"),
        (frequent_bytes([b"a"], [1], 1, lg=12), "map sizes (12, 12) disagree"),
        (frequent_bytes([b"a"], [1], 1)[:20], "header is not valid"),
    ],
)
def test_a_bad_frequent_items_sketch_is_refused(document, sketch, message):
    data = changed(document, "columns.user.categories.sketch", b64(sketch))
    if message is None:
        assert profile_from_bytes(data).columns["user"].categories.as_dict() == {"a": 2, "b": 1}
        return
    found = refusal(data)
    assert found.startswith("columns.user.categories.sketch: ") and message in found


def test_columns_are_bounded_in_number_and_unique(document):
    column = document["columns"][1]
    too_many = {**document, "columns": [column] * (MAX_COLUMNS + 1)}
    with pytest.raises(FormatError, match="columns: at most 100,000 columns, got 100,001"):
        profile_from_dict(too_many, "upload")
    twice = {**document, "columns": [column, column]}
    with pytest.raises(FormatError, match=r"columns\.city\.name: column 'city' appears twice"):
        profile_from_dict(twice, "upload")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "JSON nested too deeply"),
        (b'{"format": "watchkeeper-profile", "rows": ' + b"9" * 5000 + b"}", "invalid JSON"),
        (b"\xff\xfe\x00", "invalid JSON"),
        (b'{"format": "watchkeeper-profile", "version": true}', "invalid profile version True"),
    ],
)
def test_unreadable_documents_are_refused_in_one_line(data, message):
    assert message in refusal(data)


def test_a_column_with_an_unprintable_name_is_named_by_position(document):
    edited = copy.deepcopy(document)
    edited["columns"][2]["name"] = "line\nbreak"
    edited["columns"][2]["count"] = -5
    assert refusal(json.dumps(edited).encode()).startswith("columns[2].count: must be")
