"""Regression performance estimated before labels arrive, against the realized performance."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from watchkeeper.errors import UsageError
from watchkeeper.quality.estimate_regression import LossEstimator


def world(rng, rows: int, shift: float = 0.0, spread: float = 1.0, noise: float = 1.0):
    """Three features; the target's mean and noise are fixed functions of them, so only
    the inputs move with ``shift``/``spread`` (``noise`` scales the noise: concept
    drift). The model misses the square term and the noise grows with ``|x0|``, so the
    loss depends on where the inputs are."""
    x = rng.normal(shift, spread, (rows, 3))
    scale = 0.3 + 0.6 * np.abs(x[:, 0]) + 0.3 * (x[:, 1] > 0)
    target = 2 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] ** 2 + rng.normal(0, 1, rows) * scale * noise
    prediction = 2 * x[:, 0] - x[:, 1] + 0.5
    return x, prediction, target


def realized(prediction, target) -> dict[str, float]:
    mse = mean_squared_error(target, prediction)
    return {
        "mae": mean_absolute_error(target, prediction),
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "r2": r2_score(target, prediction),
    }


# relative error bounds for the losses, absolute for R²: inside the reference's range,
# and where the window reaches beyond it (trees do not extrapolate)
INSIDE = {"mae": 0.05, "mse": 0.10, "rmse": 0.05, "r2": 0.03}
BEYOND = {"mae": 0.15, "mse": 0.30, "rmse": 0.15, "r2": 0.07}


@pytest.mark.parametrize(
    ("shift", "spread", "bounds"),
    [(0.0, 1.0, INSIDE), (0.5, 1.0, INSIDE), (-1.0, 0.6, INSIDE), (1.0, 1.0, BEYOND),
     (0.0, 1.5, BEYOND)],
)  # fmt: skip
def test_the_estimate_follows_the_realized_metrics_under_covariate_shift(shift, spread, bounds):
    rng = np.random.default_rng(42)
    estimator = LossEstimator().fit(*world(rng, 50_000))
    features, prediction, target = world(rng, 20_000, shift, spread)
    estimate = estimator.estimate(features, prediction)
    for metric, value in realized(prediction, target).items():
        scale = 1.0 if metric == "r2" else value
        assert abs(estimate[metric] - value) <= bounds[metric] * scale, metric
    assert estimate["records"] == 20_000


def test_the_estimate_moves_when_the_inputs_move_and_not_with_concept_drift():
    rng = np.random.default_rng(8)
    estimator = LossEstimator(seed=3).fit(*world(rng, 30_000))
    before = estimator.estimate(*world(rng, 10_000)[:2])
    # inputs near x0 = 0 are where the model is best: the estimated error falls
    calmer = estimator.estimate(*world(rng, 10_000, spread=0.5)[:2])
    assert calmer["mae"] < 0.8 * before["mae"]
    features, prediction, target = world(rng, 10_000, noise=2.0)
    truth = realized(prediction, target)
    assert truth["mae"] > 1.5 * estimator.estimate(features, prediction)["mae"]


def test_the_same_reference_gives_the_same_estimate():
    rng = np.random.default_rng(4)
    reference = world(rng, 5_000)
    window = world(rng, 2_000, shift=0.3)[:2]
    first = LossEstimator(seed=1).fit(*reference).estimate(*window)
    assert LossEstimator(seed=1).fit(*reference).estimate(*window) == first


def test_bad_input_is_refused_with_a_reason():
    rng = np.random.default_rng(2)
    features, prediction, target = world(rng, 500)
    with pytest.raises(UsageError, match="fit the estimator"):
        LossEstimator().estimate(features, prediction)
    unlabelled = np.full(500, np.nan)
    with pytest.raises(UsageError, match="reference targets hold 500 missing"):
        LossEstimator().fit(features, prediction, unlabelled)
    with pytest.raises(UsageError, match="needs at least 100"):
        LossEstimator().fit(features[:50], prediction[:50], target[:50])
    with pytest.raises(UsageError, match="differ in length"):
        LossEstimator().fit(features, prediction, target[:-1])
    with pytest.raises(UsageError, match="differ in length"):
        LossEstimator().fit(features[:-1], prediction, target)
    with pytest.raises(UsageError, match="features must be numbers"):
        LossEstimator().fit([["a"]] * 500, prediction, target)
    fitted = LossEstimator().fit(features, prediction, target)
    with pytest.raises(UsageError, match="2 feature columns; the estimator was fitted on 3"):
        fitted.estimate(features[:, :2], prediction)
    # missing feature values are allowed: the trees route them
    holes = features.copy()
    holes[::7, 1] = np.nan
    assert np.isfinite(fitted.estimate(holes, prediction)["mae"])
