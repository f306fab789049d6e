"""Estimated performance before labels arrive, against the realized performance."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

from watchkeeper.errors import UsageError
from watchkeeper.quality.estimate import PerformanceEstimator


def world(rng, rows: int, shift: float = 0.0, spread: float = 1.0, power: float = 1.0):
    """Two features; the label's chance is a fixed logistic function of them (so only
    the inputs move with ``shift``/``spread``); the model's score is that chance raised
    to ``power`` (1: calibrated)."""
    x = rng.normal(shift, spread, (rows, 2))
    chance = 1.0 / (1.0 + np.exp(-(1.5 * x[:, 0] - 1.0 * x[:, 1] + 0.3)))
    labels = rng.random(rows) < chance
    return chance**power, labels


def realized(scores, labels, threshold=0.5) -> dict[str, float]:
    predicted = scores >= threshold
    return {
        "accuracy": accuracy_score(labels, predicted),
        "precision": precision_score(labels, predicted),
        "recall": recall_score(labels, predicted),
        "f1": f1_score(labels, predicted),
        "auc": roc_auc_score(labels, scores),
    }


@pytest.mark.parametrize("power", [1.0, 3.0])  # calibrated, and badly calibrated scores
@pytest.mark.parametrize(("shift", "spread"), [(0.0, 1.0), (0.8, 1.3), (-1.0, 0.6)])
def test_the_estimate_follows_the_realized_metrics_under_covariate_shift(power, shift, spread):
    rng = np.random.default_rng(42)
    estimator = PerformanceEstimator().fit(*world(rng, 50_000, power=power))
    scores, labels = world(rng, 50_000, shift, spread, power)
    estimate = estimator.estimate(scores)
    truth = realized(scores, labels)
    for metric, value in truth.items():
        assert estimate[metric] == pytest.approx(value, abs=0.02), metric
    assert estimate["records"] == 50_000


def test_the_estimate_moves_when_the_inputs_move():
    rng = np.random.default_rng(7)
    estimator = PerformanceEstimator().fit(*world(rng, 20_000))
    before = estimator.estimate(world(rng, 20_000)[0])
    after = estimator.estimate(world(rng, 20_000, shift=-1.0, spread=0.6)[0])
    # near the decision boundary the model is less sure: accuracy falls, and says so
    assert after["accuracy"] < before["accuracy"] - 0.05
    assert estimator.reference["accuracy"] == pytest.approx(before["accuracy"], abs=0.01)


def test_concept_drift_is_what_only_labels_reveal():
    rng = np.random.default_rng(3)
    estimator = PerformanceEstimator().fit(*world(rng, 20_000))
    scores, labels = world(rng, 20_000)
    flipped = ~labels  # the same inputs now mean the opposite
    estimate = estimator.estimate(scores)
    assert abs(estimate["accuracy"] - realized(scores, flipped)["accuracy"]) > 0.3


def test_bad_input_is_refused_with_a_reason():
    estimator = PerformanceEstimator()
    with pytest.raises(UsageError, match="fit the estimator"):
        estimator.estimate([0.2, 0.9])
    with pytest.raises(UsageError, match="both classes"):
        estimator.fit([0.1, 0.9], [1, 1])
    with pytest.raises(UsageError, match="differ in length"):
        estimator.fit([0.1, 0.9, 0.5], [0, 1])
    with pytest.raises(UsageError, match="NaN"):
        estimator.fit([0.1, float("nan")], [0, 1])
    with pytest.raises(UsageError, match="0/1"):
        estimator.fit([0.1, 0.9], [0, 2])
    with pytest.raises(UsageError, match="threshold"):
        PerformanceEstimator(threshold=1.5).fit([0.1, 0.9], [0, 1])
