"""Texts that may be numbers or booleans: the first-byte test agrees with the pattern."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.io.arrays import mask
from watchkeeper.profile.types import CANDIDATE_PATTERN, _candidates

starts = st.sampled_from(["", "-", "+", " ", "0", "7", "t", "f", "x", "é", "\x00", "T", "ş"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.tuples(starts, st.text(max_size=4)).map("".join))))
def test_first_byte_test_matches_the_candidate_pattern(texts):
    values = pa.array(texts, type=pa.string())
    for array in (values, values.slice(min(1, len(values)))):
        expected = mask(pc.match_substring_regex(array, CANDIDATE_PATTERN))
        np.testing.assert_array_equal(_candidates(array), expected)
