"""Binary profile files changed in a few bytes: a profile that can be used, or one clear
error naming the source — never another exception, never a check left to chance.

The files are real profiles (KLL sketches of several levels, exact and sketched
categories, theta sketches stored and hashed again), uncompressed so that changed bytes
reach the checks of each section, and compressed as they are written.
"""

from __future__ import annotations

import struct

import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st
from parser_fuzzing import FUZZ, holds

from watchkeeper.baseline import statistics_json
from watchkeeper.errors import WatchkeeperError
from watchkeeper.profile import DatasetProfile, profile_from_bytes, profile_to_bytes
from watchkeeper.profile.binary import HEADER, MAGIC, SECTIONS, profile_to_binary


def _profiles() -> list[DatasetProfile]:
    rng = np.random.default_rng(11)
    rows = 6000
    large = DatasetProfile({"dataset": "shop"})
    large.track(
        pa.table(
            {
                "price": rng.lognormal(3, 1, rows),
                "count": rng.integers(0, 9, rows),
                "city": rng.choice(["Zürich", "Paris", "東京"], rows),
                "user": [f"u{i}" for i in range(rows)],
                "flag": rng.random(rows) < 0.5,
            }
        )
    )
    small = DatasetProfile()
    small.track(pa.table({"x": [1.5, None, 3.0], "s": ["a", "b", None]}))
    return [large, small, DatasetProfile()]


PROFILES = _profiles()


def sections_of(profile: DatasetProfile) -> list[bytes]:
    body = profile_to_binary(profile, compress=False)[HEADER.size :]
    sizes = struct.unpack_from(f"<{len(SECTIONS)}Q", body, 4)
    ends = np.cumsum([4 + 8 * len(SECTIONS), *sizes]).tolist()
    return [body[ends[i] : ends[i + 1]] for i in range(len(SECTIONS))]


SECTIONS_OF = [sections_of(profile) for profile in PROFILES]


def packed(sections: list[bytes], compress: bool) -> bytes:
    body = struct.pack(f"<I{len(sections)}Q", len(sections), *map(len, sections))
    body += b"".join(sections)
    if compress:
        return HEADER.pack(MAGIC, 1, 1, len(body)) + pa.Codec("zstd").compress(body, asbytes=True)
    return HEADER.pack(MAGIC, 1, 0, len(body)) + body


def _edit(draw: st.DrawFn, data: bytearray, low: int = 0) -> None:
    if len(data) <= low:
        data.extend(draw(st.binary(min_size=1, max_size=8)))
        return
    at = draw(st.integers(low, len(data) - 1))
    edit = draw(st.sampled_from(["overwrite", "overwrite", "flip", "flip", "cut", "repeat"]))
    if edit == "overwrite":
        data[at : at + 8] = draw(st.binary(min_size=8, max_size=8))[: len(data) - at]
    elif edit == "flip":
        data[at] ^= 1 << draw(st.integers(0, 7))
    elif edit == "cut":
        del data[at : at + draw(st.integers(1, 16))]
    else:
        data[at:at] = data[at : at + draw(st.integers(1, 16))]


@st.composite
def changed(draw: st.DrawFn) -> bytes:
    """A file with one to three edits — bytes overwritten, bits flipped, a piece cut out or
    repeated — inside one section (the file put together again around it, so the edit
    reaches that section's checks), or anywhere in the file as written."""
    which = draw(st.integers(0, len(PROFILES) - 1))
    if draw(st.integers(0, 3)):
        sections = list(SECTIONS_OF[which])
        index = draw(st.integers(0, len(SECTIONS) - 1))
        section = bytearray(sections[index])
        for _ in range(draw(st.integers(1, 3))):
            _edit(draw, section)
        sections[index] = bytes(section)
        return packed(sections, compress=draw(st.booleans()))
    data = bytearray(profile_to_binary(PROFILES[which], compress=draw(st.booleans())))
    for _ in range(draw(st.integers(1, 3))):
        _edit(draw, data)
    if draw(st.booleans()):
        del data[draw(st.integers(0, len(data))) :]
    return bytes(data)


@FUZZ
@given(changed())
def test_a_changed_binary_profile_is_used_or_refused_in_one_line(data):
    answer = holds(profile_from_bytes, data, "upload.wkp", names=["upload.wkp"])
    if isinstance(answer, WatchkeeperError):
        assert "corrupt profile" not in str(answer), f"a check missed: {answer}"
        return
    # what is accepted keeps the invariants the JSON reader checks, and is usable: shown,
    # merged, written back and read again
    for column in answer.columns.values():
        present = column.count - column.null_count
        assert present >= 0 and sum(column.type_counts.values()) <= present
        assert column.moments.n <= present and column.categories.total <= present
        assert len(column.distinct.hashes) <= 4096 and not np.isnan(column.kll.levels[0]).any()
    statistics_json(answer)
    merged = answer.merge(answer)
    assert merged.rows == 2 * answer.rows
    again = profile_from_bytes(profile_to_bytes(answer), "again")
    assert profile_to_bytes(again) == profile_to_bytes(answer)
