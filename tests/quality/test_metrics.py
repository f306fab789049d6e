"""Classification and regression metrics against scikit-learn's, and their edge cases."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from sklearn import metrics as sk

from watchkeeper.errors import InputError, UsageError
from watchkeeper.quality import model_quality


def binary_data(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    label = (rng.random(n) < 0.3).astype(np.int64)
    probability = np.clip(0.35 * label + rng.random(n) * 0.65, 0, 1).round(3)
    return label, (probability >= 0.5).astype(np.int64), probability


def binary(label, prediction, probability=None, **options) -> dict:
    columns = {"label": label, "prediction": prediction}
    if probability is not None:
        columns["probability"] = probability
    return model_quality(
        pa.table(columns),
        problem_type="BinaryClassification",
        inference_attribute="prediction",
        ground_truth_attribute="label",
        probability_attribute="probability" if probability is not None else None,
        **options,
    )["binary_classification_metrics"]


def value(metrics: dict, name: str) -> float:
    return metrics[name]["value"]


def test_binary_metrics_equal_scikit_learn():
    label, prediction, probability = binary_data(1000)
    metrics = binary(label, prediction, probability)
    assert value(metrics, "recall") == pytest.approx(sk.recall_score(label, prediction))
    assert value(metrics, "precision") == pytest.approx(sk.precision_score(label, prediction))
    assert value(metrics, "accuracy") == pytest.approx(sk.accuracy_score(label, prediction))
    for name, beta in (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0)):
        assert value(metrics, name) == pytest.approx(sk.fbeta_score(label, prediction, beta=beta))
    assert value(metrics, "auc") == pytest.approx(sk.roc_auc_score(label, probability))
    (tn, fp), (fn, tp) = sk.confusion_matrix(label, prediction)
    assert metrics["confusion_matrix"] == {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}
    assert value(metrics, "true_negative_rate") == pytest.approx(tn / (tn + fp))
    assert value(metrics, "false_positive_rate") == pytest.approx(fp / (fp + tn))
    assert value(metrics, "false_negative_rate") == pytest.approx(fn / (fn + tp))
    assert value(metrics, "true_positive_rate") == value(metrics, "recall")


def test_best_constant_classifier_always_predicts_positive():
    label, prediction, _ = binary_data(500)
    metrics = binary(label, prediction)
    always = np.ones_like(label)
    assert value(metrics, "recall_best_constant_classifier") == 1.0
    assert value(metrics, "precision_best_constant_classifier") == pytest.approx(label.mean())
    assert value(metrics, "accuracy_best_constant_classifier") == pytest.approx(label.mean())
    assert value(metrics, "f2_best_constant_classifier") == pytest.approx(
        sk.fbeta_score(label, always, beta=2.0)
    )


def test_curves_match_scikit_learn():
    label, prediction, probability = binary_data(300)
    metrics = binary(label, prediction, probability)
    fpr, tpr, _ = sk.roc_curve(label, probability, drop_intermediate=False)
    roc = metrics["receiver_operating_characteristic_curve"]
    np.testing.assert_allclose(roc["false_positive_rates"], fpr)
    np.testing.assert_allclose(roc["true_positive_rates"], tpr)
    pr = metrics["precision_recall_curve"]
    assert pr["recalls"][0] == 0.0 and pr["recalls"][-1] == 1.0
    assert len(pr["precisions"]) == len(pr["recalls"]) == len(fpr)


def test_curves_are_thinned_for_plots():
    label, prediction, _ = binary_data(5000)
    probability = np.random.default_rng(1).random(5000)
    roc = binary(label, prediction, probability)["receiver_operating_characteristic_curve"]
    assert len(roc["false_positive_rates"]) <= 1000
    assert roc["false_positive_rates"][0] == 0.0 and roc["true_positive_rates"][-1] == 1.0


def test_multiclass_weighted_metrics_equal_scikit_learn():
    rng = np.random.default_rng(3)
    label = rng.choice(["cat", "dog", "owl"], size=900, p=[0.5, 0.3, 0.2])
    prediction = np.where(rng.random(900) < 0.7, label, rng.choice(["cat", "dog", "owl"], 900))
    doc = model_quality(
        pa.table({"y": label, "p": prediction}),
        problem_type="MulticlassClassification",
        inference_attribute="p",
        ground_truth_attribute="y",
    )
    metrics = doc["multiclass_classification_metrics"]
    average = {"average": "weighted", "zero_division": 0}
    assert value(metrics, "accuracy") == pytest.approx(sk.accuracy_score(label, prediction))
    assert value(metrics, "weighted_recall") == pytest.approx(
        sk.recall_score(label, prediction, **average)
    )
    assert value(metrics, "weighted_precision") == pytest.approx(
        sk.precision_score(label, prediction, **average)
    )
    for name, beta in (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0)):
        assert value(metrics, f"weighted_{name}") == pytest.approx(
            sk.fbeta_score(label, prediction, beta=beta, **average)
        )
    matrix = sk.confusion_matrix(label, prediction, labels=["cat", "dog", "owl"])
    assert [list(row.values()) for row in metrics["confusion_matrix"].values()] == matrix.tolist()
    constant = np.full_like(label, "cat")
    assert value(metrics, "weighted_f1_best_constant_classifier") == pytest.approx(
        sk.f1_score(label, constant, **average)
    )
    assert value(metrics, "accuracy_best_constant_classifier") == pytest.approx(0.5, abs=0.05)


def test_regression_metrics_equal_scikit_learn():
    rng = np.random.default_rng(5)
    label = rng.normal(10, 3, 400)
    prediction = label + rng.normal(0, 1, 400)
    metrics = model_quality(
        pa.table({"y": label, "p": prediction}),
        problem_type="Regression",
        inference_attribute="p",
        ground_truth_attribute="y",
    )["regression_metrics"]
    assert value(metrics, "mae") == pytest.approx(sk.mean_absolute_error(label, prediction))
    assert value(metrics, "mse") == pytest.approx(sk.mean_squared_error(label, prediction))
    assert value(metrics, "rmse") == pytest.approx(sk.mean_squared_error(label, prediction) ** 0.5)
    assert value(metrics, "r2") == pytest.approx(sk.r2_score(label, prediction))


def test_standard_deviation_is_seeded_and_needs_200_rows():
    label, prediction, probability = binary_data(1000)
    first = binary(label, prediction, probability, seed=11)
    again = binary(label, prediction, probability, seed=11)
    other = binary(label, prediction, probability, seed=12)
    assert first == again
    deviation = first["recall"]["standard_deviation"]
    assert 0 < deviation < 0.1
    assert deviation != other["recall"]["standard_deviation"]
    small = binary(label[:199], prediction[:199], probability[:199])
    assert all(m["standard_deviation"] == "NaN" for k, m in small.items() if "value" in m)
    assert binary(label[:200], prediction[:200])["f1"]["standard_deviation"] != "NaN"


def test_single_class_leaves_auc_undefined():
    metrics = binary(np.ones(50, np.int64), np.ones(50, np.int64), np.full(50, 0.9))
    assert metrics["auc"]["value"] == "NaN"
    assert value(metrics, "recall") == 1.0
    assert metrics["confusion_matrix"] == {"1": {"1": 50}}


def test_all_predictions_positive():
    label, _, _ = binary_data(300)
    metrics = binary(label, np.ones_like(label))
    assert value(metrics, "recall") == 1.0
    assert value(metrics, "true_negative_rate") == 0.0
    assert value(metrics, "precision") == pytest.approx(label.mean())
    assert value(metrics, "precision") == value(metrics, "precision_best_constant_classifier")


def test_predictions_from_probabilities_with_a_threshold():
    label, _, probability = binary_data(300)
    doc = model_quality(
        pa.table({"label": label, "probability": probability}),
        problem_type="BinaryClassification",
        inference_attribute=None,
        probability_attribute="probability",
        probability_threshold=0.6,
        ground_truth_attribute="label",
    )["binary_classification_metrics"]
    assert value(doc, "recall") == pytest.approx(sk.recall_score(label, probability >= 0.6))


def test_labels_match_across_types_and_text():
    metrics = binary(["1", "0", "1", "0"], [1.0, 0.0, 0.0, 0.0])
    assert metrics["confusion_matrix"] == {"0": {"0": 2, "1": 0}, "1": {"0": 1, "1": 1}}
    words = binary(["yes", "no", "yes"], ["yes", "yes", "yes"], positive_label="yes")
    assert value(words, "precision") == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ([1.0, float("nan"), 0.0], "NaN labels"),
        ([1, None, 0], "missing labels"),
    ],
)
def test_missing_labels_are_named(label, message):
    with pytest.raises(InputError, match=message) as caught:
        binary(pa.array(label), [1, 0, 0])
    assert "'label'" in str(caught.value)


def test_bad_options_and_columns_are_named():
    table = pa.table({"y": [1.0, 2.0], "p": [1.0, 2.5]})
    common = {"inference_attribute": "p", "ground_truth_attribute": "y"}
    with pytest.raises(UsageError, match="problem_type must be one of"):
        model_quality(table, problem_type="Ranking", **common)
    with pytest.raises(UsageError, match="r2 must be"):
        model_quality(table, problem_type="Regression", r2="adjusted", **common)
    with pytest.raises(InputError, match="column 'q' not found; the data has columns y, p"):
        model_quality(table, problem_type="Regression", inference_attribute="q",
                      ground_truth_attribute="y")  # fmt: skip
    with pytest.raises(InputError, match="at most two labels"):
        binary([0, 1, 2], [0, 1, 1])
    with pytest.raises(InputError, match="missing values"):
        model_quality(pa.table({"y": [1.0, None], "p": [1.0, 2.0]}), problem_type="Regression",
                      **common)  # fmt: skip
    with pytest.raises(InputError, match="not numeric"):
        model_quality(pa.table({"y": ["a", "b"], "p": [1.0, 2.0]}), problem_type="Regression",
                      **common)  # fmt: skip


def test_million_rows_is_fast():
    import time

    label, prediction, probability = binary_data(1_000_000)
    started = time.perf_counter()
    metrics = binary(label, prediction, probability)
    assert time.perf_counter() - started < 30
    assert not math.isnan(value(metrics, "auc"))
