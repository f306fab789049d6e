"""Performance estimated before labels arrive, against the realized performance.

    .venv/bin/python bench/estimate.py [--seeds 20]

Binary: a calibrated synthetic classifier (the label's chance is a fixed logistic
function of two features, the score is that chance) is fitted on a reference window of
50,000 labelled rows; windows of 10,000 rows then move their inputs (covariate shift:
means and spreads change, the input-label relation does not). For each window the
estimate from the scores alone (``PerformanceEstimator``) is printed beside the
realized metrics once the labels are known; 20 seeds per shift, and the largest error.
The same with scores cubed (badly calibrated scores; the estimator calibrates them).

Multiclass: three classes whose logits are fixed linear functions of two features; the
model's probabilities are the softmax of those logits (calibrated) or of 2.5 times them
(overconfident); ``MulticlassEstimator`` on the same windows.

Regression: three features; the target is a fixed function of them plus noise that
grows with the first; the model misses a square term, so its loss depends on where the
inputs are; ``LossEstimator`` (direct loss estimation) on the same windows.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    mean_squared_error,
    precision_score,
    r2_score,
    roc_auc_score,
)

from watchkeeper.quality.estimate import PerformanceEstimator
from watchkeeper.quality.estimate_multiclass import MulticlassEstimator
from watchkeeper.quality.estimate_regression import LossEstimator

SHIFTS = [(0.0, 1.0), (0.5, 1.0), (1.0, 1.0), (-1.0, 0.6), (0.0, 2.0), (1.5, 0.5)]
# the regression windows: the first three inside the reference's range, then beyond it
REGRESSION_SHIFTS = [(0.0, 1.0), (0.5, 1.0), (-1.0, 0.6), (1.0, 1.0), (0.0, 1.5), (1.5, 0.5)]
REFERENCE_ROWS, WINDOW_ROWS = 50_000, 10_000
WEIGHTS = np.array([[1.5, -1.0], [-1.0, 1.2], [-0.3, -0.4]])
BIAS = np.array([0.2, 0.0, 0.3])


def world(rng, rows, shift=0.0, spread=1.0, power=1.0):
    x = rng.normal(shift, spread, (rows, 2))
    chance = 1.0 / (1.0 + np.exp(-(1.5 * x[:, 0] - 1.0 * x[:, 1] + 0.3)))
    return chance**power, rng.random(rows) < chance


def softmax(logits):
    exp = np.exp(logits - logits.max(axis=1, keepdims=True))
    return exp / exp.sum(axis=1, keepdims=True)


def multiclass_world(rng, rows, shift=0.0, spread=1.0, sharpness=1.0):
    logits = rng.normal(shift, spread, (rows, 2)) @ WEIGHTS.T + BIAS
    labels = (rng.random(rows)[:, None] > softmax(logits).cumsum(axis=1)).sum(axis=1)
    return softmax(logits * sharpness), labels


def regression_world(rng, rows, shift=0.0, spread=1.0):
    x = rng.normal(shift, spread, (rows, 3))
    scale = 0.3 + 0.6 * np.abs(x[:, 0]) + 0.3 * (x[:, 1] > 0)
    target = 2 * x[:, 0] - x[:, 1] + 0.5 * x[:, 2] ** 2 + rng.normal(0, 1, rows) * scale
    return x, 2 * x[:, 0] - x[:, 1] + 0.5, target


def binary(seeds: int) -> None:
    print(f"{'scores':<10} {'inputs (mean, sd)':<18} {'realized acc':>12} {'estimated':>10} "
          f"{'max |error|':>12} {'max |error| F1':>15} {'max |error| AUC':>16}")  # fmt: skip
    worst = 0.0
    for power, kind in ((1.0, "calibrated"), (3.0, "cubed")):
        for shift, spread in SHIFTS:
            errors, f1_errors, auc_errors, accs, ests = [], [], [], [], []
            for seed in range(seeds):
                rng = np.random.default_rng(seed)
                estimator = PerformanceEstimator().fit(*world(rng, REFERENCE_ROWS, power=power))
                scores, labels = world(rng, WINDOW_ROWS, shift, spread, power)
                estimate = estimator.estimate(scores)
                predicted = scores >= 0.5
                accuracy = accuracy_score(labels, predicted)
                accs.append(accuracy)
                ests.append(estimate["accuracy"])
                errors.append(abs(estimate["accuracy"] - accuracy))
                f1_errors.append(abs(estimate["f1"] - f1_score(labels, predicted)))
                auc_errors.append(abs(estimate["auc"] - roc_auc_score(labels, scores)))
            worst = max(worst, max(errors)) if power == 1.0 else worst
            print(f"{kind:<10} {f'({shift:+.1f}, {spread:.1f})':<18} {np.mean(accs):>12.4f} "
                  f"{np.mean(ests):>10.4f} {max(errors):>12.4f} {max(f1_errors):>15.4f} "
                  f"{max(auc_errors):>16.4f}")  # fmt: skip
    print(f"\nlargest accuracy error, calibrated classifier, {len(SHIFTS)} shifts × {seeds} "
          f"seeds: {worst:.4f} (target ±0.02) — {'PASS' if worst <= 0.02 else 'FAIL'}")


def multiclass(seeds: int) -> None:
    print(f"{'probabilities':<14} {'inputs (mean, sd)':<18} {'realized acc':>12} "
          f"{'estimated':>10} {'max |error|':>12} {'max |error| w-F1':>17} "
          f"{'max |error| w-precision':>24}")  # fmt: skip
    # largest error per probabilities kind: accuracy and weighted F1, weighted precision
    worst = {1.0: [0.0, 0.0], 2.5: [0.0, 0.0]}
    for sharpness, kind in ((1.0, "calibrated"), (2.5, "overconfident")):
        for shift, spread in SHIFTS:
            errors, f1_errors, precision_errors, accs, ests = [], [], [], [], []
            for seed in range(seeds):
                rng = np.random.default_rng(seed)
                estimator = MulticlassEstimator().fit(
                    *multiclass_world(rng, REFERENCE_ROWS, sharpness=sharpness)
                )
                probabilities, labels = multiclass_world(
                    rng, WINDOW_ROWS, shift, spread, sharpness
                )
                estimate = estimator.estimate(probabilities)
                predicted = probabilities.argmax(axis=1)
                accuracy = accuracy_score(labels, predicted)
                accs.append(accuracy)
                ests.append(estimate["accuracy"])
                errors.append(abs(estimate["accuracy"] - accuracy))
                f1 = f1_score(labels, predicted, average="weighted")
                f1_errors.append(abs(estimate["weighted_f1"] - f1))
                precision = precision_score(labels, predicted, average="weighted",
                                            zero_division=0)  # fmt: skip
                precision_errors.append(abs(estimate["weighted_precision"] - precision))
            worst[sharpness][0] = max(worst[sharpness][0], *errors, *f1_errors)
            worst[sharpness][1] = max(worst[sharpness][1], *precision_errors)
            print(f"{kind:<14} {f'({shift:+.1f}, {spread:.1f})':<18} {np.mean(accs):>12.4f} "
                  f"{np.mean(ests):>10.4f} {max(errors):>12.4f} {max(f1_errors):>17.4f} "
                  f"{max(precision_errors):>24.4f}")  # fmt: skip
    calibrated, overconfident = worst[1.0], worst[2.5]
    passed = calibrated[0] <= 0.02 and overconfident[0] <= 0.035 and max(
        calibrated[1], overconfident[1]) <= 0.04  # fmt: skip
    print(f"\nlargest error, {len(SHIFTS)} shifts × {seeds} seeds: accuracy and weighted F1 "
          f"{calibrated[0]:.4f} calibrated (bound ±0.02), {overconfident[0]:.4f} overconfident "
          f"(bound ±0.035); weighted precision {calibrated[1]:.4f} / {overconfident[1]:.4f} "
          f"(bound ±0.04) — {'PASS' if passed else 'FAIL'}")  # fmt: skip


def regression(seeds: int) -> None:
    print(f"{'inputs (mean, sd)':<18} {'realized MAE':>12} {'estimated':>10} "
          f"{'max rel. error MAE':>19} {'max rel. error RMSE':>20} "
          f"{'max |error| R²':>15}")  # fmt: skip
    worst = {"inside": [0.0, 0.0, 0.0], "beyond": [0.0, 0.0, 0.0]}
    for number, (shift, spread) in enumerate(REGRESSION_SHIFTS):
        mae_errors, rmse_errors, r2_errors, maes, ests = [], [], [], [], []
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            estimator = LossEstimator().fit(*regression_world(rng, REFERENCE_ROWS))
            features, prediction, target = regression_world(rng, WINDOW_ROWS, shift, spread)
            estimate = estimator.estimate(features, prediction)
            mae = mean_absolute_error(target, prediction)
            rmse = float(np.sqrt(mean_squared_error(target, prediction)))
            maes.append(mae)
            ests.append(estimate["mae"])
            mae_errors.append(abs(estimate["mae"] - mae) / mae)
            rmse_errors.append(abs(estimate["rmse"] - rmse) / rmse)
            r2_errors.append(abs(estimate["r2"] - r2_score(target, prediction)))
        region = worst["inside" if number < 3 else "beyond"]
        for index, errors in enumerate((mae_errors, rmse_errors, r2_errors)):
            region[index] = max(region[index], max(errors))
        print(f"{f'({shift:+.1f}, {spread:.1f})':<18} {np.mean(maes):>12.4f} "
              f"{np.mean(ests):>10.4f} {max(mae_errors):>19.4f} {max(rmse_errors):>20.4f} "
              f"{max(r2_errors):>15.4f}")  # fmt: skip
    inside, beyond = worst["inside"], worst["beyond"]
    print(f"\nlargest error inside the reference's range: MAE {inside[0]:.4f}, RMSE "
          f"{inside[1]:.4f} (relative; bound 0.05), R² {inside[2]:.4f} (bound 0.03) — "
          f"{'PASS' if max(inside[:2]) <= 0.05 and inside[2] <= 0.03 else 'FAIL'}; beyond "
          f"it: MAE {beyond[0]:.4f}, RMSE {beyond[1]:.4f} (bound 0.15), R² {beyond[2]:.4f} "
          f"(bound 0.07) — "
          f"{'PASS' if max(beyond[:2]) <= 0.15 and beyond[2] <= 0.07 else 'FAIL'}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="windows per shift")
    seeds = parser.parse_args().seeds
    for name, table in (("binary", binary), ("multiclass", multiclass),
                        ("regression", regression)):  # fmt: skip
        started = time.perf_counter()
        print(f"\n== {name}")
        table(seeds)
        print(f"{time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
