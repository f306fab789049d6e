"""Kernel SHAP values: exact on linear models, sensible on the scholarship data, seeded."""

from __future__ import annotations

import numpy as np
import pytest
from explain_samples import SCHOLARSHIP_FEATURES, scholarship, scholarship_model
from sklearn.linear_model import LinearRegression, LogisticRegression

from watchkeeper.errors import InputError, UsageError
from watchkeeper.explain import AGG_METHODS, aggregate, explain, write_explanations


@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 5)) * [1.0, 3.0, 0.5, 2.0, 10.0]
    y = X @ [1.5, -2.0, 4.0, 0.25, 0.1] + 3.0 + rng.normal(0, 0.1, 60)
    return LinearRegression().fit(X, y), X


@pytest.fixture(scope="module")
def students():
    frame = scholarship()
    return scholarship_model(frame), frame


@pytest.mark.parametrize("num_samples", [None, 12])
def test_linear_regression_values_are_exact(linear, num_samples):
    # a linear model is additive in the coalition mask, so the weighted regression is
    # exact whether the coalitions are enumerated (None) or sampled (12 of 30)
    model, X = linear
    rows, background = X[:8], X[20:27]
    result = explain(model, rows, baseline=background, num_samples=num_samples, seed=3)
    phi = result.local_values["label0"]
    expected_phi = model.coef_ * (rows - background.mean(axis=0))
    np.testing.assert_allclose(phi, expected_phi, atol=1e-6)
    expected_value = result.expected_values["label0"]
    assert expected_value == pytest.approx(model.predict(background).mean(), abs=1e-9)
    np.testing.assert_allclose(phi.sum(axis=1), model.predict(rows) - expected_value, atol=1e-6)


def test_clustered_baseline_is_the_weighted_centres(linear):
    model, X = linear
    result = explain(model, X[:5], num_clusters=4)
    phi = result.local_values["label0"]
    expected_value = result.expected_values["label0"]
    # the centres stand for the data, so the baseline mean is close to (not equal to) X's
    np.testing.assert_allclose(phi.sum(axis=1), model.predict(X[:5]) - expected_value, atol=1e-6)
    centre = X[:5] - phi / model.coef_
    np.testing.assert_allclose(centre, np.broadcast_to(centre[0], centre.shape), atol=1e-6)


def test_logistic_regression_in_log_odds_is_exact():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(80, 3))
    y = (X @ [2.0, -1.0, 0.5] + rng.normal(0, 0.5, 80) > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    # one baseline row: the log-odds of an average over one row is that row's log-odds,
    # so the explained function stays linear in the mask
    reference = X[:1]
    result = explain(model, X[1:9], baseline=reference, use_logit=True)
    assert result.labels == ["label0"]
    phi = result.local_values["label0"]
    np.testing.assert_allclose(phi, model.coef_[0] * (X[1:9] - reference), atol=1e-6)
    log_odds = model.decision_function(X[1:9])
    np.testing.assert_allclose(
        phi.sum(axis=1), log_odds - result.expected_values["label0"], atol=1e-6
    )


def test_binary_classifier_explains_the_positive_probability(students):
    model, frame = students
    rows = frame.iloc[:6]
    result = explain(model, rows, num_clusters=3, num_samples=80)
    positive = model.predict_proba(rows[SCHOLARSHIP_FEATURES])[:, 1]
    phi = result.local_values["label0"]
    np.testing.assert_allclose(
        phi.sum(axis=1), positive - result.expected_values["label0"], atol=1e-6
    )


def test_multiclass_explains_every_class():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(90, 3))
    y = np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])
    model = LogisticRegression().fit(X, y)
    result = explain(model, X[:5], baseline=X[50:55], label_headers=["low", "mid", "high"], seed=1)
    assert result.labels == ["low", "mid", "high"]
    probabilities = model.predict_proba(X[:5])
    for index, label in enumerate(result.labels):
        total = result.local_values[label].sum(axis=1)
        np.testing.assert_allclose(
            total, probabilities[:, index] - result.expected_values[label], atol=1e-6
        )


def test_scholarship_noise_features_rank_last(students):
    model, frame = students
    result = explain(model, frame.iloc[:40], num_clusters=5, num_samples=100, seed=0)
    assert result.features == SCHOLARSHIP_FEATURES  # the label column is left out
    values = result.global_values["label0"]
    ranking = sorted(values, key=values.get, reverse=True)
    assert set(ranking[:3]) == {"math", "science", "technology"}, values
    assert set(ranking[-2:]) == {"random1", "random2"}, values


def test_same_seed_same_bytes_and_global_rng_untouched(students, tmp_path):
    model, frame = students
    rows = frame.iloc[:10]
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    # 20 of the 62 coalitions of six features: the sampling draws random numbers
    first = explain(model, rows, num_clusters=3, num_samples=20, seed=5)
    assert np.random.random() == before
    second = explain(model, rows, num_clusters=3, num_samples=20, seed=5)
    other = explain(model, rows, num_clusters=3, num_samples=20, seed=6)
    write_explanations(first, tmp_path / "a")
    write_explanations(second, tmp_path / "b")
    for name in ("analysis.json", "explanations_shap/out.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert not np.array_equal(first.local_values["label0"], other.local_values["label0"])


def test_agg_methods_aggregate_the_same_local_values(students):
    model, frame = students
    rows = frame.iloc[:12]
    results = {
        method: explain(model, rows, num_clusters=3, num_samples=30, agg_method=method, seed=2)
        for method in AGG_METHODS
    }
    phi = results["mean_abs"].local_values["label0"]
    documented = {
        "mean_abs": np.abs(phi).mean(axis=0),
        "median": np.median(phi, axis=0),
        "mean_sq": (phi**2).mean(axis=0),
    }
    for method, result in results.items():
        np.testing.assert_array_equal(result.local_values["label0"], phi)
        got = [result.global_values["label0"][feature] for feature in result.features]
        np.testing.assert_allclose(got, documented[method], rtol=1e-12)
        np.testing.assert_allclose(aggregate(phi, method), documented[method], rtol=1e-12)


def test_model_file_and_data_file(tmp_path, students):
    import joblib

    model, frame = students
    joblib.dump(model, tmp_path / "model.joblib")
    frame.iloc[:8].to_csv(tmp_path / "data.csv", index=False)
    from_files = explain(
        tmp_path / "model.joblib", str(tmp_path / "data.csv"), num_clusters=2, num_samples=30
    )
    in_memory = explain(model, frame.iloc[:8], num_clusters=2, num_samples=30)
    np.testing.assert_allclose(
        from_files.local_values["label0"], in_memory.local_values["label0"], atol=1e-12
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"baseline": np.zeros((1, 5)), "num_clusters": 2}, "cannot both be given"),
        ({"num_clusters": 0}, "num_clusters must be a positive whole number"),
        ({"num_clusters": 99}, "has only 10 rows"),
        ({"num_samples": -1}, "num_samples must be a positive whole number"),
        ({"num_samples": 2.5}, "num_samples must be a positive whole number"),
        ({"agg_method": "mean"}, "agg_method must be one of mean_abs, median, mean_sq"),
        ({"seed": -1}, "seed must be a whole number"),
        ({"label_headers": ["a", "b"]}, "label_headers must name the 1 explained output"),
        ({"label_headers": "a"}, "a list of names"),
        ({"use_logit": True}, "use_logit needs a model with probabilities"),
    ],
)
def test_bad_options_are_usage_errors(linear, options, message):
    model, X = linear
    with pytest.raises(UsageError, match=message):
        explain(model, X[:10], **options)


def test_bad_data_is_an_input_error(students, linear):
    model, frame = students
    with pytest.raises(InputError, match="has no column 'math'"):
        explain(model, frame.drop(columns=["math"]))
    text = frame.astype({"random1": str})
    with pytest.raises(InputError, match="'random1' holds text"):
        explain(model, text)
    regression, X = linear
    with pytest.raises(InputError, match="takes 5 features and the data has 4"):
        explain(regression, X[:, :4])
    with pytest.raises(InputError, match="baseline: has 3 columns"):
        explain(regression, X[:4], baseline=X[:2, :3])


def test_features_follow_the_model(students, linear):
    model, frame = students
    shuffled = list(reversed(SCHOLARSHIP_FEATURES))
    result = explain(model, frame.iloc[:4], features=shuffled, num_clusters=2, num_samples=20)
    assert result.features == SCHOLARSHIP_FEATURES
    with pytest.raises(UsageError, match="not the features the model takes"):
        explain(model, frame.iloc[:4], features=["math", "science"])
    regression, X = linear
    named = explain(regression, X[:3], baseline=X[3:5], features=list("abcde"))
    assert named.features == list("abcde")


def test_text_predictions_without_probabilities_are_refused():
    class Labeller:
        def predict(self, rows):
            return np.where(np.asarray(rows)[:, 0] > 0, "yes", "no")

    with pytest.raises(UsageError, match="not numbers"):
        explain(Labeller(), np.array([[1.0], [-1.0]]), num_clusters=1)
