"""Partial dependence: the grid Clarify describes and the mean prediction over the data."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from watchkeeper.errors import UsageError
from watchkeeper.explain import partial_dependence
from watchkeeper.explain.pdp import grid, top_features

RNG = np.random.default_rng(3)
X = RNG.normal(size=(60, 3)) * [1.0, 5.0, 0.2] + [0.0, 10.0, -1.0]
NAMES = ["a", "b", "c"]


@pytest.fixture(scope="module")
def linear():
    y = X @ [2.0, -0.5, 3.0] + 1.25 + RNG.normal(scale=0.1, size=len(X))
    return LinearRegression().fit(X, y)


def test_linear_model_matches_the_closed_form(linear):
    table = pa.table({name: X[:, i] for i, name in enumerate(NAMES)})
    entries = partial_dependence(linear, table, features=NAMES, grid_resolution=7)
    assert [entry["feature_name"] for entry in entries] == NAMES
    weights, bias, means = linear.coef_, linear.intercept_, X.mean(axis=0)
    for j, entry in enumerate(entries):
        low, high = X[:, j].min(), X[:, j].max()
        centres = low + (high - low) * (np.arange(7) + 0.5) / 7
        assert entry["data_type"] == "numerical"
        np.testing.assert_allclose(entry["feature_values"], centres, rtol=0, atol=1e-12)
        others = sum(weights[k] * means[k] for k in range(3) if k != j)
        expected = bias + weights[j] * centres + others
        [predictions] = entry["model_predictions"]
        np.testing.assert_allclose(predictions, expected, rtol=1e-12, atol=1e-12)
        assert entry["label_headers"] == ["label0"]


def test_binary_classifier_averages_the_positive_probability():
    y = (X[:, 0] + 0.1 * X[:, 1] > 1.0).astype(int)
    model = LogisticRegression().fit(X, y)
    table = pa.table({name: X[:, i] for i, name in enumerate(NAMES)})
    [entry] = partial_dependence(
        model, table, features=["a"], grid_resolution=4, label_headers=["approved"]
    )
    assert entry["label_headers"] == ["approved"]
    for value, got in zip(entry["feature_values"], entry["model_predictions"][0], strict=True):
        varied = X.copy()
        varied[:, 0] = value
        assert got == pytest.approx(model.predict_proba(varied)[:, 1].mean(), abs=1e-12)


def test_a_boolean_feature_takes_each_category():
    flags = RNG.random(len(X)) < 0.3
    y = 2.0 * X[:, 0] + np.where(flags, 5.0, -1.0)
    model = LinearRegression().fit(np.column_stack([flags, X[:, 0]]), y)
    table = pa.table({"member": flags, "a": X[:, 0]})
    [entry] = partial_dependence(model, table, features=["member"])
    assert entry["data_type"] == "categorical"
    assert entry["feature_values"] == [False, True]
    mean_a = X[:, 0].mean()
    np.testing.assert_allclose(
        entry["model_predictions"][0], [2 * mean_a - 1.0, 2 * mean_a + 5.0], atol=1e-9
    )


def test_a_text_feature_takes_each_category(tmp_path):
    # a model that takes text: a one-hot pipeline, its feature types from a baseline
    import pandas as pd
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    import watchkeeper
    from watchkeeper.model import LoadedModel

    colours = np.array(["red", "blue", "green"])[RNG.integers(0, 3, len(X))]
    data = pd.DataFrame({"colour": colours, "a": X[:, 0]})
    y = X[:, 0] + np.select([colours == "red", colours == "blue"], [5.0, -5.0], 0.0)
    pipeline = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["colour"]), remainder="passthrough"),
        LinearRegression(),
    ).fit(data, y)
    watchkeeper.suggest_baseline(data, tmp_path)
    model = LoadedModel.from_object(pipeline, baseline=tmp_path)
    [entry] = partial_dependence(model, pa.Table.from_pandas(data), features=["colour"])
    assert entry["data_type"] == "categorical"
    assert entry["feature_values"] == ["blue", "green", "red"]
    mean_a = X[:, 0].mean()
    np.testing.assert_allclose(
        entry["model_predictions"][0], [mean_a - 5.0, mean_a, mean_a + 5.0], atol=1e-9
    )


def test_without_features_the_top_k_by_importance(linear):
    table = pa.table({name: X[:, i] for i, name in enumerate(NAMES)})
    importance = {"a": 0.5, "b": -2.0, "c": 0.1}
    entries = partial_dependence(linear, table, importance=importance, top_k_features=2)
    assert [entry["feature_name"] for entry in entries] == ["b", "a"]
    assert top_features({"x": float("nan"), "y": 0.0}, 1) == ["y"]


def test_a_constant_feature_has_one_grid_value():
    assert grid(pa.array([2, 2, 2]), 10) == ("numerical", [2.0])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"features": ["a"], "grid_resolution": 0}, "grid_resolution must be a positive integer"),
        ({"features": ["a"], "top_k_features": 1.5}, "top_k_features must be a positive"),
        ({"features": ["zz"]}, "feature 'zz' is not a feature of the model"),
        ({}, "needs the features to plot"),
    ],
)
def test_bad_options_say_what_is_wrong(linear, options, message):
    table = pa.table({name: X[:, i] for i, name in enumerate(NAMES)})
    with pytest.raises(UsageError, match=message):
        partial_dependence(linear, table, **options)
