"""Reading statistics.json and constraints.json written by anyone: every field checked,
absurd sketches refused, each error one line naming the file, the feature and the field."""

from __future__ import annotations

import copy
import json
import math
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

import watchkeeper
from watchkeeper.baseline import (
    parse_constraints,
    profile_from_statistics,
    read_constraints,
    read_statistics,
    statistics_json,
)
from watchkeeper.baseline.statistics import MAX_SKETCH_K, MAX_SKETCH_LEVELS
from watchkeeper.errors import FormatError
from watchkeeper.profile.kll import KLLSketch

DATA_QUALITY = (
    Path(__file__).parents[1] / "data" / "sagemaker" / "pipeline" / "quality_check_step"
    / "data_quality"
)  # fmt: skip
GOLDEN = json.loads((DATA_QUALITY / "statistics.json").read_text())
FIRST = "statistics.json: features[0] ('_c0').numerical_statistics"


def changed(path: str, value) -> dict:
    """The golden document with the field at ``path`` (dotted; numbers index lists) set."""
    document = copy.deepcopy(GOLDEN)
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    node = document
    for part in parents:
        node = node[part]
    node[last] = value
    return document


def refused(document, field: str) -> str:
    with pytest.raises(FormatError) as caught:
        profile_from_statistics(document)
    message = str(caught.value)
    assert field in message and "\n" not in message and len(message) < 300, message
    return message


SKETCH = "features.0.numerical_statistics.distribution.kll.sketch"
KLL = f"{FIRST}.distribution.kll"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("dataset.item_count", math.inf, "dataset.item_count is inf"),
        ("dataset.item_count", 10**400, "dataset.item_count is 1000"),
        ("dataset.item_count", -1, "dataset.item_count is -1"),
        ("dataset", [], "dataset is a list; expected an object"),
        ("features.0.numerical_statistics.common.num_present", 1e300, f"{FIRST}.common"),
        ("features.0.numerical_statistics.common.num_missing", 2.5, f"{FIRST}.common"),
        ("features.0.numerical_statistics.mean", "abc", f"{FIRST}.mean is 'abc'"),
        ("features.0.numerical_statistics.min", 5.0, f"{FIRST}: min 5.0 and max 3.0"),
        ("features.0.numerical_statistics.mean", 7.5, f"{FIRST}: mean 7.5 lies outside min"),
        ("features.0.numerical_statistics.std_dev", 8e77, f"{FIRST}: std_dev 8e+77 is impossible"),
        ("features.0.numerical_statistics.std_dev", -0.5, f"{FIRST}: std_dev -0.5 is impossible"),
        ("features.0.inferred_type", ["Integral"], "inferred_type is a list"),
        ("features.1.name", "_c0", "features[1] ('_c0'): a feature of this name is listed"),
        ("features.0", "text", "features[0] is 'text'; expected an object"),
    ],
)
def test_bad_fields_are_named(path, value, field):
    refused(changed(path, value), field)


@pytest.mark.parametrize(
    ("key", "value", "allowed"),
    [
        ("k", 1e308, f"expected a whole number from 1 to {MAX_SKETCH_K}"),
        ("k", 0, "expected a whole number from 1"),
        ("k", 2048.5, "expected a whole number from 1"),
        ("k", math.nan, "expected a finite number"),
        ("c", 1e308, "expected a number in (0, 1]"),
        ("c", 0.0, "expected a number in (0, 1]"),
        ("c", -math.inf, "expected a finite number"),
    ],
)
def test_absurd_sketch_parameters_are_refused(key, value, allowed):
    message = refused(changed(f"{SKETCH}.parameters.{key}", value), f"sketch.parameters.{key}")
    assert allowed in message and KLL in message


def test_a_sketch_bigger_than_its_parameters_allow_is_refused():
    refused(changed(f"{SKETCH}.data", [[1.0]] * (MAX_SKETCH_LEVELS + 1)), "at most 63")
    crowded = changed(f"{SKETCH}.parameters", {"c": 0.64, "k": 8.0})
    crowded["features"][0]["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"] = [
        list(range(10_000))
    ]
    refused(crowded, "holds 10000 items; a sketch with k=8 and c=0.64 holds at most")
    refused(changed(f"{SKETCH}.data", [[1.0, math.nan]]), f"{KLL}.sketch.data[0] is not a list")
    refused(changed(f"{SKETCH}.data", [[[1.0]]]), f"{KLL}.sketch.data[0] is not a list")


@pytest.mark.parametrize("count", [1e30, math.inf, -3.0])
def test_bucket_counts_out_of_range_are_refused(count):
    stand_in = {"buckets": [{"lower_bound": 0.0, "upper_bound": 1.0, "count": count}]}
    refused(changed("features.0.numerical_statistics.distribution.kll", stand_in),
            f"{KLL}.buckets[0].count")  # fmt: skip


def test_numbers_beyond_a_double_read_as_infinite():
    profile = profile_from_statistics(changed("features.0.numerical_statistics.sum", 10**400))
    assert profile.columns["_c0"].moments.total == math.inf


def test_nesting_too_deep_for_the_reader_is_a_format_error(tmp_path):
    path = tmp_path / "statistics.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(FormatError, match=re.escape(f"{path}: not readable JSON (nested too")):
        read_statistics(path)


@pytest.mark.parametrize("rows", [0, 1, 2050, 2051, 20_000, 300_000])
def test_every_sketch_watchkeeper_writes_is_read_back(rows):
    values = np.random.default_rng(rows).normal(size=rows)
    profile = watchkeeper.profile(pa.table({"x": values}))
    again = profile_from_statistics(json.loads(statistics_json(profile)))
    for written, read in zip(profile.columns["x"].kll.levels, again.columns["x"].kll.levels,
                             strict=True):  # fmt: skip
        assert np.array_equal(written, read)


def test_merged_small_sketches_are_read_back():
    sketch = KLLSketch(k=8)
    for part in np.array_split(np.arange(5_000, dtype=float), 37):
        piece = KLLSketch(k=8)
        piece.update(part)
        sketch = sketch.merge(piece)
    document = changed(f"{SKETCH}.parameters", {"c": 0.64, "k": 8.0})
    document["features"][0]["numerical_statistics"]["distribution"]["kll"]["sketch"]["data"] = (
        sketch.to_deequ_data()
    )
    assert profile_from_statistics(document).columns["_c0"].kll.n == 5_000


# -- constraints.json -------------------------------------------------------------------


@pytest.mark.parametrize("threshold", [math.nan, math.inf, 10**400, -0.5])
def test_drift_thresholds_must_be_finite_and_not_negative(threshold):
    document = {"monitoring_config": {"distribution_constraints": {"comparison_threshold": 0.1}}}
    document["monitoring_config"]["distribution_constraints"]["comparison_threshold"] = threshold
    with pytest.raises(FormatError, match=r"distribution_constraints\.comparison_threshold is"):
        parse_constraints(document)


def test_constraints_name_each_feature_once_and_list_plain_domains(tmp_path):
    twice = {"features": [{"name": "a"}, {"name": "a"}]}
    with pytest.raises(FormatError, match=r"features\[1\] \('a'\): a feature of this name"):
        parse_constraints(twice)
    nested = {"features": [{"name": "a", "string_constraints": {"domains": [["x"]]}}]}
    with pytest.raises(FormatError, match="domains must list values"):
        parse_constraints(nested)
    path = tmp_path / "constraints.json"
    path.write_text('{"features": ' + "[" * 100_000)
    with pytest.raises(FormatError, match="nested too deeply"):
        read_constraints(path)


@pytest.mark.parametrize("value", [0.95, 0.1, 1e-300, 3.3e300, -7.7])
def test_a_constant_column_whose_mean_rounds_past_it_is_read_back(value):
    # the mean of three 0.95s is 0.9499999999999998: below the minimum by one ulp
    profile = watchkeeper.profile(pa.table({"x": [value] * 3}))
    again = profile_from_statistics(json.loads(statistics_json(profile)))
    assert again.columns["x"].moments.n == 3
