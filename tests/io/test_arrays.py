"""NumPy views of Arrow arrays."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.io.arrays import mask, values


@pytest.mark.parametrize(
    "kind", [pa.int8(), pa.int32(), pa.int64(), pa.uint16(), pa.float32(), pa.float64()]
)
def test_values_match_the_data(kind):
    array = pa.array([1, 2, 3, 4, 5], type=kind).slice(1, 3)
    view = values(array)
    assert view.tolist() == [2, 3, 4]
    assert view.dtype == np.dtype(kind.to_pandas_dtype())


def test_mask_reads_nulls_as_false_and_values_refuse_nulls():
    assert mask(pa.array([True, None, False, True]).slice(1)).tolist() == [False, False, True]
    with pytest.raises(ValueError, match="without nulls"):
        values(pa.array([1.0, None]))


def test_no_pandas_import():
    # pyarrow.array and to_numpy would import pandas (0.3 s); profiling a file must not
    code = (
        "import sys, numpy as np, watchkeeper;"
        "from watchkeeper.io.arrays import from_indices, from_mask, from_strings, mask, values;"
        "texts = from_strings(['a', 'bc']);"
        "values(from_indices(np.arange(3))); mask(from_mask(np.array([True, False])));"
        "texts.take(from_indices(np.array([1]))); texts.filter(from_mask(np.array([True, False])));"
        "print('pandas' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_builders_round_trip():
    from watchkeeper.io.arrays import from_indices, from_mask, from_strings

    assert from_strings(["a", "", "日本"]).to_pylist() == ["a", "", "日本"]
    assert from_indices(np.array([3, 1])).to_pylist() == [3, 1]
    assert from_mask(np.array([True, False] * 5)).to_pylist() == [True, False] * 5
