"""Histogram and category shares read from the profiles' sketches."""

from __future__ import annotations

import json
import math

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.profile import DatasetProfile
from watchkeeper.report.charts import (
    category_figure,
    category_shares,
    histogram_shares,
    numeric_figure,
    script_json,
)


def column(values, name="x"):
    profile = DatasetProfile()
    profile.track(pa.table({name: values}))
    return profile.columns[name]


def test_histogram_shares_equal_numpy_for_exact_sketches():
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 1500), rng.normal(0.5, 2, 900)
    edges, (share_a, share_b) = histogram_shares([column(a).kll, column(b).kll], bins=30)
    expected_edges = np.linspace(min(a.min(), b.min()), max(a.max(), b.max()), 31)
    np.testing.assert_allclose(edges, expected_edges)
    np.testing.assert_allclose(share_a, np.histogram(a, expected_edges)[0] / len(a))
    np.testing.assert_allclose(share_b, np.histogram(b, expected_edges)[0] / len(b))


def test_histogram_of_a_compacted_sketch_is_close():
    values = np.random.default_rng(4).exponential(1.0, 200_000)
    sketch = column(values).kll
    edges, (shares,) = histogram_shares([sketch], bins=30)
    exact = np.histogram(values, edges)[0] / len(values)
    assert shares.sum() == pytest.approx(1.0)
    assert np.abs(np.cumsum(shares) - np.cumsum(exact)).max() < 0.01


def test_a_single_value_and_infinities_are_binned():
    edges, (shares,) = histogram_shares([column([2.0, 2.0]).kll])
    assert edges.tolist() == [1.5, 2.5] and shares.tolist() == [1.0]
    edges, (shares,) = histogram_shares([column([-math.inf, 0.5, 1.5, math.inf]).kll], bins=2)
    assert edges.tolist() == [0.5, 1.0, 1.5] and shares.tolist() == [0.5, 0.5]


def test_a_few_whole_numbers_get_one_bin_each():
    before, after = column([1, 2, 2, 3]).kll, column([3, 3, 5, 5]).kll
    edges, (share_before, share_after) = histogram_shares([before, after], bins=30)
    assert edges.tolist() == [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]
    assert share_before.tolist() == [0.25, 0.5, 0.25, 0.0, 0.0]
    assert share_after.tolist() == [0.0, 0.0, 0.5, 0.0, 0.5]
    edges, _ = histogram_shares([column(list(range(0, 300, 10))).kll], bins=30)
    assert len(edges) == 31  # a wide range of whole numbers: equal-width bins


def test_empty_sketches_give_no_bins():
    edges, shares = histogram_shares([column(pa.nulls(3, pa.float64())).kll])
    assert len(edges) == 0 and len(shares[0]) == 0
    assert numeric_figure(column(pa.nulls(3, pa.float64())), None) is None


def test_category_shares_union_the_top_values_and_pool_the_rest():
    before = column(["a"] * 5 + ["b"] * 3 + ["c"] * 2)
    after = column(["a"] * 2 + ["d"] * 6 + ["e"] * 2)
    values, (share_before, share_after) = category_shares([before, after], limit=2)
    assert values == ["d", "a"]  # ranked by the largest share on either side
    assert share_before.tolist() == [0.0, 0.5, 0.5]
    assert share_after.tolist() == [0.6, 0.2, 0.2]


def test_no_other_bar_when_every_value_is_shown():
    figure = category_figure(column(["a", "b", "a"]), None)
    assert figure["layout"]["yaxis"]["ticktext"] == ["a", "b"]
    assert figure["data"][0]["x"] == [pytest.approx(2 / 3, abs=1e-6), pytest.approx(1 / 3)]


def test_script_json_cannot_close_the_script_element():
    text = script_json({"label": "</script><!-- & \u2028"})
    assert "<" not in text and ">" not in text and "&" not in text and "\u2028" not in text
    assert text == '{"label":"\\u003c/script\\u003e\\u003c!-- \\u0026 \\u2028"}'


LARGEST = np.finfo(np.float64).max


@pytest.mark.parametrize(
    "values",
    [
        [math.inf, math.inf, math.inf],
        [math.inf, -math.inf],
        [-math.inf, math.inf, math.inf],
    ],
)
def test_a_column_with_no_finite_value_has_no_histogram(values):
    assert numeric_figure(column(values), None) is None
    assert numeric_figure(column(values), column(values)) is None


@pytest.mark.parametrize(
    "values",
    [
        [0.5],
        [0.5, 0.5, math.inf],
        [-1e308, 1e308],
        [-LARGEST, LARGEST],
        [LARGEST],
        [-LARGEST, -LARGEST],
        [5e-324, 1e-323],
        [0.1, 0.1 + 1e-16],
        [2.0**60, 2.0**60 + 4096],
        [-math.inf, 3.0, 4.0],
    ],
)
def test_extreme_ranges_give_finite_bins_that_hold_every_value(values):
    figure = numeric_figure(column(values), None)
    script_json(figure)  # strict JSON: every number finite
    trace = figure["data"][0]
    assert trace["width"] > 0 and all(math.isfinite(x) for x in trace["x"])
    assert sum(trace["y"]) == pytest.approx(1.0)


def test_infinite_current_values_fall_into_the_outer_bins_of_the_baseline_range():
    figure = numeric_figure(column([math.inf, -math.inf, 2.0]), column([1.0, 2.0, 3.0]))
    baseline, current = figure["data"]
    assert baseline["x"] == current["x"] == [1.0, 2.0, 3.0]
    assert current["y"] == pytest.approx([1 / 3, 1 / 3, 1 / 3])


def test_charts_are_written_without_float_noise():
    figure = {
        "data": [
            {"type": "scatter", "name": "mean", "y": [-2.1e-15, 0.1 + 0.2, 1.6]},
            {"type": "scatter", "name": "p5", "y": [-1.6, -1.6, -1.6]},
            # another axis keeps its own scale: small shares beside large values stay
            {"type": "bar", "x": [1e9, 2e9], "y": [1e-6, 0.5], "yaxis": "y2"},
        ],
        "layout": {"yaxis": {"range": [-1.6000000000000003, 2.0]}},
    }
    written = json.loads(script_json(figure))
    assert written["data"][0]["y"] == [0.0, 0.3, 1.6]
    assert written["data"][2]["y"] == [1e-6, 0.5]
    assert written["layout"]["yaxis"]["range"] == [-1.6, 2.0]
    # a list of figures, as the feature page writes them, is tidied figure by figure
    [again] = json.loads(script_json([figure]))
    assert again == written
    assert "e-15" not in script_json(figure)


def test_a_second_axis_gets_ticks_of_its_own(tmp_path):
    from watchkeeper.catalog import Catalog
    from watchkeeper.datasets.service import DatasetService
    from watchkeeper.report.batch_charts import feature_figures, overview_figure

    service = DatasetService(Catalog(f"sqlite:///{tmp_path / 'catalog.db'}"))
    profile = DatasetProfile()
    profile.track(pa.table({"price": np.arange(100.0)}))
    service.receive("shop", profile, timestamp="2026-11-20T09:00:00Z")
    service.refresh("shop")
    batches = service.batches("shop")
    layouts = [overview_figure(batches)["layout"]]
    layouts += [figure["layout"] for figure in feature_figures(batches, "price")]
    seconds = [layout["yaxis2"] for layout in layouts if "yaxis2" in layout]
    assert len(seconds) == 3
    # plotly's default for an overlaying axis ("sync") puts its ticks at odd values
    assert all(axis["tickmode"] == "auto" for axis in seconds)
