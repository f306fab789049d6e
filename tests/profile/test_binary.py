"""The binary profile file: the same profile as JSON, smaller, and read as strictly."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.baseline import statistics_json
from watchkeeper.errors import FormatError, UsageError
from watchkeeper.profile import (
    DatasetProfile,
    profile_from_bytes,
    profile_to_bytes,
    profile_to_json,
    read_profile,
    write_profile,
)
from watchkeeper.profile.binary import HEADER, MAGIC, SECTIONS, profile_to_binary

OLD_JSON = Path(__file__).parents[1] / "data" / "profiles" / "mixed_v1.json"


def profile_of(table: pa.Table, batches: int = 1, **metadata: str) -> DatasetProfile:
    profile = DatasetProfile(metadata)
    for piece in np.array_split(np.arange(table.num_rows), batches):
        part = DatasetProfile(metadata)
        part.track(table.take(pa.array(piece, pa.int64())))
        profile = profile.merge(part) if profile.rows else part
    return profile


def mixed(rows: int, seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "price": rng.lognormal(3, 1, rows),
            "nullable": pa.array(rng.normal(size=rows), mask=rng.random(rows) < 0.1),
            "extreme": np.where(rng.random(rows) < 0.01, np.inf, rng.normal(size=rows)),
            "count": rng.integers(0, 100, rows),
            "city": rng.choice(["Zürich", "東京", "Paris", ""], rows),
            "user": pa.array([f"u{i % (rows // 2 + 1)}" for i in range(rows)]),
            "flag": rng.random(rows) < 0.3,
            "when": pa.array(rng.integers(0, 10**9, rows).astype("datetime64[s]")),
            "numeric_text": pa.array([str(v) for v in rng.integers(0, 50, rows)]),
            "long_text": pa.array(["x" * (70 + i % 3000) for i in range(rows)]),
            "empty": pa.array([None] * rows, pa.float64()),
        }
    )


def _wide() -> DatasetProfile:
    rng = np.random.default_rng(3)
    return profile_of(pa.table({f"c{i}": rng.normal(size=50) for i in range(3000)}))


def _many_distinct() -> DatasetProfile:
    ids = pa.array(np.char.add("id-", np.arange(1_000_000).astype(str)))
    return profile_of(pa.table({"id": ids, "n": np.arange(1_000_000)}))


PROFILES = {
    "empty": lambda: DatasetProfile(),
    "no rows": lambda: profile_of(mixed(10).slice(0, 0)),
    "all null": lambda: profile_of(pa.table({"a": pa.array([None] * 9, pa.string())})),
    "mixed": lambda: profile_of(mixed(3000), dataset="shop"),
    "merged batches": lambda: profile_of(mixed(20_000, seed=2), batches=40),
    "booleans": lambda: profile_of(pa.table({"b": [True, False, None, True]})),
    "timestamps": lambda: profile_of(
        pa.table({"t": pa.array((np.arange(5000) * 60).astype("datetime64[s]"))})
    ),
    "~1M distinct strings": _many_distinct,
    "odd names": lambda: profile_of(
        pa.table({"prix €": [1.0, 2.0], "東京": ["a", "b"], "": [True, None]}),
        **{"k\ud800": "lone surrogates \udfff", "é": "東"},
    ),
    "wide": _wide,
}


@pytest.fixture(scope="module", params=list(PROFILES))
def profile(request) -> DatasetProfile:
    return PROFILES[request.param]()


def test_binary_and_json_read_back_the_same_profile(profile):
    binary, text = profile_to_bytes(profile), profile_to_json(profile)
    assert binary.startswith(MAGIC) and text.startswith(b"{")
    from_binary, from_json = profile_from_bytes(binary), profile_from_bytes(text)
    assert statistics_json(from_binary) == statistics_json(from_json) == statistics_json(profile)
    assert profile_to_json(from_binary) == text  # every field, every sketch byte
    assert profile_to_bytes(from_binary) == binary == profile_to_bytes(from_json)
    merged = from_binary.merge(from_json)
    assert profile_to_json(merged) == profile_to_json(profile.merge(profile))


def test_the_binary_form_is_smaller():
    profile = PROFILES["mixed"]()
    assert len(profile_to_json(profile)) > 2.5 * len(profile_to_bytes(profile))


def test_a_profile_file_from_before_the_binary_form_still_loads(tmp_path):
    old = read_profile(OLD_JSON)
    assert old.rows == 120 and len(old.columns) == 20
    assert old.metadata == {"dataset": "mixed"}
    assert profile_to_json(old) == OLD_JSON.read_bytes()  # the JSON form has not changed
    write_profile(old, tmp_path / "p.wkp")
    assert statistics_json(read_profile(tmp_path / "p.wkp")) == statistics_json(old)


def test_write_profile_chooses_the_form_by_the_name(tmp_path):
    profile = PROFILES["booleans"]()
    write_profile(profile, tmp_path / "p.json")
    write_profile(profile, tmp_path / "P.JSON")
    write_profile(profile, tmp_path / "p.wkp")
    assert json.loads((tmp_path / "p.json").read_bytes())["format"] == "watchkeeper-profile"
    assert (tmp_path / "P.JSON").read_bytes().startswith(b"{")
    assert (tmp_path / "p.wkp").read_bytes().startswith(MAGIC)
    for name in ("p.json", "p.wkp"):
        assert statistics_json(read_profile(tmp_path / name)) == statistics_json(profile)


def test_an_unknown_format_is_refused():
    with pytest.raises(UsageError, match="profile format must be 'binary' or 'json', got 'xml'"):
        profile_to_bytes(DatasetProfile(), "xml")


# -- untrusted bytes --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> DatasetProfile:
    rng = np.random.default_rng(5)
    return profile_of(
        pa.table(
            {
                "age": rng.normal(40, 8, 5000),
                "city": rng.choice(["a", "b", "c"], 5000),
                "user": [f"u{i}" for i in range(5000)],
            }
        )
    )


def refusal(data: bytes) -> str:
    with pytest.raises(FormatError) as info:
        profile_from_bytes(data, "upload")
    message = str(info.value)
    assert "\n" not in message and message.startswith("upload: "), message
    return message.removeprefix("upload: ")


def test_every_truncation_is_refused_naming_the_source(sample):
    for data in (profile_to_binary(sample), profile_to_binary(sample, compress=False)):
        for end in sorted({*range(0, 64), *range(64, len(data), 97), len(data) - 1}):
            message = refusal(data[:end])
            assert "corrupt profile" not in message, message


def test_a_newer_binary_version_asks_for_an_upgrade(sample):
    data = bytearray(profile_to_binary(sample))
    struct.pack_into("<H", data, len(MAGIC), 2)
    assert "written by a newer watchkeeper" in refusal(bytes(data))


def test_an_announced_size_beyond_reason_is_refused_before_unpacking(sample):
    data = bytearray(profile_to_binary(sample))
    struct.pack_into("<Q", data, HEADER.size - 8, 1 << 40)
    assert "too large for its compressed size" in refusal(bytes(data))


def edited(profile: DatasetProfile, section: str, change) -> bytes:
    """The uncompressed binary file with one section replaced by ``change(bytes)``."""
    raw = profile_to_binary(profile, compress=False)
    body = raw[HEADER.size :]
    sizes = list(struct.unpack_from(f"<{len(SECTIONS)}Q", body, 4))
    at = 4 + 8 * len(SECTIONS)
    parts = []
    for name, size in zip(SECTIONS, sizes, strict=True):
        part = body[at : at + size]
        parts.append(change(part) if name == section else part)
        at += size
    table = struct.pack(f"<I{len(SECTIONS)}Q", len(SECTIONS), *map(len, parts))
    new_body = table + b"".join(parts)
    return HEADER.pack(MAGIC, 1, 0, len(new_body)) + new_body


def set_int(column: int, field: int, value: int):
    def change(part: bytes) -> bytes:
        rows = np.frombuffer(part, "<i8").reshape(3, -1).copy()
        rows[column, field] = value
        return rows.tobytes()

    return change


def set_float(column: int, field: int, value: float):
    def change(part: bytes) -> bytes:
        rows = np.frombuffer(part, "<f8").reshape(3, -1).copy()
        rows[column, field] = value
        return rows.tobytes()

    return change


def shuffled_edit(dtype: str, index: int, value):
    """Set one number of a byte-shuffled section (KLL items, hash differences)."""

    def change(part: bytes) -> bytes:
        numbers = np.frombuffer(part, np.uint8).reshape(8, -1).T.copy().view(dtype).ravel()
        numbers[index] = value
        return numbers.view(np.uint8).reshape(-1, 8).T.tobytes()

    return change


@pytest.mark.parametrize(
    ("section", "change", "message"),
    [
        ("ints", set_int(0, 1, 6000), "columns.age.null_count: is more than count"),
        ("ints", set_int(0, 0, -1), "columns.age.count: must be from 0 to"),
        ("ints", set_int(1, 4, 1), "columns.city.type_counts: add up to more than"),
        ("ints", set_int(0, 8, 3), "columns.age.kll.k: must be from 8 to 65536"),
        ("ints", set_int(0, 8, 8), "columns.age.kll.levels: hold 2805 items, more than k=8"),
        ("ints", set_int(1, 11, 2), "columns.city.categories.exact: holds more values than cap"),
        ("ints", set_int(0, 16, 5), "columns.age.distinct: unknown source of hashes"),
        ("ints", lambda part: part[:-8], "ints: must hold whole rows"),
        ("floats", set_float(0, 2, -1.0), "columns.age.moments.m2: must not be negative"),
        ("floats", set_float(0, 5, np.nan), "columns.age.moments: min must be a number at"),
        ("floats", set_float(0, 7, 1.5), "columns.age.kll.c: must be in (0, 1]"),
        ("items", shuffled_edit("<f8", 3, np.nan), "columns.age.kll.levels: holds NaN"),
        ("items", lambda part: part + b"\0" * 8, "items: must hold 2805 KLL items"),
        ("meta", lambda part: b"[" + part, "meta: is not valid JSON"),
        ("meta", lambda part: part.replace(b'"city"', b'"age"'), "column 'age' appears twice"),
        ("texts", lambda part: b"\xff" + part[1:], "columns.city.categories: a value is not UTF"),
        ("texts", lambda part: b"b" + part[1:], "columns.city.categories.exact: a value appears"),
        ("counts", lambda part: b"\x7f" * 8 + part[8:], "columns.city.categories.exact: counts"),
        ("counts", lambda part: struct.pack("<q", 10**6) + part[8:], "columns.city.categories: "
         "count 1003"),
        ("theta_heads", lambda part: b"\x02\x03\x04" + part[3:], "compact theta sketch (DataS"),
        ("theta_heads", lambda part: part[:6] + b"\0\1" + part[8:], "its seed hash is not ours"),
        ("hashes", shuffled_edit("<u8", 1, 0), "columns.age.distinct: theta sketch hashes are not"),
        ("frequent_heads", lambda part: part[:16] + b"\0" * 8 + part[24:], "counts are not con"),
        ("text_sizes", lambda part: part[:-8] + struct.pack("<q", 9), "texts: must hold"),
    ],
)
def test_each_corruption_is_refused_naming_the_field(sample, section, change, message):
    found = refusal(edited(sample, section, change))
    assert message in found, found


def test_the_stored_sections_are_what_the_tests_edit(sample):
    # the edits above address fields by position: keep them honest
    raw = edited(sample, "ints", lambda part: part)
    assert profile_to_json(profile_from_bytes(raw)) == profile_to_json(sample)
    assert len(SECTIONS) == 11
