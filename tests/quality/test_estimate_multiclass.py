"""Multiclass performance estimated before labels arrive, against the realized performance."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from watchkeeper.errors import UsageError
from watchkeeper.quality import model_quality
from watchkeeper.quality.estimate_multiclass import MulticlassEstimator

# three classes whose logits are fixed linear functions of two features
WEIGHTS = np.array([[1.5, -1.0], [-1.0, 1.2], [-0.3, -0.4]])
BIAS = np.array([0.2, 0.0, 0.3])
CLASSES = np.array(["cat", "dog", "eel"])


def softmax(logits: np.ndarray) -> np.ndarray:
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def world(rng, rows: int, shift: float = 0.0, spread: float = 1.0, sharpness: float = 1.0):
    """The model's class probabilities (``sharpness`` 1: calibrated; above 1:
    overconfident) and the true labels, drawn from the calibrated chances: only the
    inputs move with ``shift``/``spread``."""
    logits = rng.normal(shift, spread, (rows, 2)) @ WEIGHTS.T + BIAS
    chance = softmax(logits)
    labels = (rng.random(rows)[:, None] > chance.cumsum(axis=1)).sum(axis=1)
    return softmax(logits * sharpness), CLASSES[labels]


def realized(probabilities, labels) -> dict[str, float]:
    predicted = CLASSES[probabilities.argmax(axis=1)]
    return {
        "accuracy": accuracy_score(labels, predicted),
        "weighted_recall": recall_score(labels, predicted, average="weighted"),
        "weighted_precision": precision_score(labels, predicted, average="weighted"),
        "weighted_f1": f1_score(labels, predicted, average="weighted"),
    }


# the bounds the README states: accuracy, weighted recall and F1 by how calibrated the
# probabilities are; weighted precision, noisier where a class is rarely predicted, ±0.04
@pytest.mark.parametrize(("sharpness", "bound"), [(1.0, 0.02), (2.5, 0.035)])
@pytest.mark.parametrize(("shift", "spread"), [(0.0, 1.0), (1.0, 1.0), (-1.0, 0.6), (0.0, 2.0)])
def test_the_estimate_follows_the_realized_metrics_under_covariate_shift(
    sharpness, bound, shift, spread
):
    rng = np.random.default_rng(42)
    estimator = MulticlassEstimator().fit(*world(rng, 50_000, sharpness=sharpness))
    probabilities, labels = world(rng, 20_000, shift, spread, sharpness)
    estimate = estimator.estimate(probabilities)
    for metric, value in realized(probabilities, labels).items():
        allowed = 0.04 if metric == "weighted_precision" else bound
        assert estimate[metric] == pytest.approx(value, abs=allowed), metric
    assert estimate["records"] == 20_000


def test_the_estimate_moves_when_the_inputs_move_and_matches_sagemakers_metric_names():
    rng = np.random.default_rng(5)
    estimator = MulticlassEstimator().fit(*world(rng, 30_000))
    before = estimator.estimate(world(rng, 10_000)[0])
    after = estimator.estimate(world(rng, 10_000, shift=-1.0, spread=0.6)[0])
    assert after["accuracy"] < before["accuracy"] - 0.04
    assert estimator.reference["accuracy"] == pytest.approx(before["accuracy"], abs=0.015)
    probabilities, labels = world(rng, 1_000)
    document = model_quality(
        pa.table({"label": labels, "prediction": CLASSES[probabilities.argmax(axis=1)]}),
        problem_type="MulticlassClassification",
        inference_attribute="prediction",
        ground_truth_attribute="label",
    )
    named = document["multiclass_classification_metrics"]
    assert set(estimator.estimate(probabilities)) - {"records"} <= set(named)


def test_given_predictions_and_class_order_are_used():
    rng = np.random.default_rng(9)
    probabilities, labels = world(rng, 20_000)
    # columns in another order than sorted, named by classes
    order = [2, 0, 1]
    estimator = MulticlassEstimator(classes=list(CLASSES[order])).fit(
        probabilities[:, order], labels
    )
    window, truth = world(rng, 10_000, shift=0.5)
    # a model that always answers "dog": its accuracy is the share of dogs
    always = np.full(len(window), "dog")
    estimate = estimator.estimate(window[:, order], predicted=always)
    assert estimate["accuracy"] == pytest.approx((truth == "dog").mean(), abs=0.02)
    matrix = estimator.confusion(window[:, order], predicted=always)
    assert matrix.shape == (3, 3) and matrix[:, [0, 1]].sum() == 0  # columns: eel, cat, dog
    assert matrix.sum() == pytest.approx(10_000)


def test_numeric_labels_match_whatever_their_type():
    rng = np.random.default_rng(1)
    probabilities, labels = world(rng, 5_000)
    codes = np.searchsorted(CLASSES, labels)
    as_ints = MulticlassEstimator().fit(probabilities, codes)
    as_floats = MulticlassEstimator().fit(probabilities, codes.astype(float))
    assert as_ints.classes_ == as_floats.classes_ == ["0", "1", "2"]
    window = world(rng, 2_000)[0]
    floats = window.argmax(axis=1).astype(float)
    assert as_ints.estimate(window, predicted=floats) == as_floats.estimate(window)


def test_bad_input_is_refused_with_a_reason():
    rng = np.random.default_rng(2)
    probabilities, labels = world(rng, 2_000)
    with pytest.raises(UsageError, match="fit the estimator"):
        MulticlassEstimator().estimate(probabilities)
    with pytest.raises(UsageError, match="one column per class"):
        MulticlassEstimator().fit(probabilities[:, 0], labels)  # one score, not probabilities
    with pytest.raises(UsageError, match="3 columns but 2 classes"):
        MulticlassEstimator().fit(probabilities, np.where(labels == "eel", "cat", labels))
    with pytest.raises(UsageError, match="never show class 'eel'"):
        MulticlassEstimator(classes=CLASSES).fit(
            probabilities, np.where(labels == "eel", "cat", labels)
        )
    with pytest.raises(UsageError, match="1 missing values"):
        MulticlassEstimator().fit(probabilities[:3], ["cat", None, "dog"])
    with pytest.raises(UsageError, match="differ in length"):
        MulticlassEstimator().fit(probabilities, labels[:-1])
    with pytest.raises(UsageError, match="NaN"):
        MulticlassEstimator().fit(np.full((3, 3), np.nan), ["cat", "dog", "eel"])
    fitted = MulticlassEstimator().fit(probabilities, labels)
    with pytest.raises(UsageError, match="'fox', not among the classes cat, dog, eel"):
        fitted.estimate(probabilities[:2], predicted=["cat", "fox"])
    with pytest.raises(UsageError, match="fitted on 3 classes"):
        fitted.estimate(probabilities[:, :2])
