"""Performance estimated before labels arrive, against the realized performance.

    .venv/bin/python bench/estimate.py

A calibrated synthetic binary classifier (the label's chance is a fixed logistic
function of two features, the score is that chance) is fitted on a reference window of
50,000 labelled rows; windows of 10,000 rows then move their inputs (covariate shift:
means and spreads change, the input-label relation does not). For each window the
estimate from the scores alone (``PerformanceEstimator``) is printed beside the
realized metrics once the labels are known; 20 seeds per shift, and the largest error.
The same with scores cubed (badly calibrated scores; the estimator calibrates them).
"""

from __future__ import annotations

import time

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from watchkeeper.quality.estimate import PerformanceEstimator

SHIFTS = [(0.0, 1.0), (0.5, 1.0), (1.0, 1.0), (-1.0, 0.6), (0.0, 2.0), (1.5, 0.5)]
SEEDS = 20


def world(rng, rows, shift=0.0, spread=1.0, power=1.0):
    x = rng.normal(shift, spread, (rows, 2))
    chance = 1.0 / (1.0 + np.exp(-(1.5 * x[:, 0] - 1.0 * x[:, 1] + 0.3)))
    return chance**power, rng.random(rows) < chance


def main() -> None:
    started = time.perf_counter()
    print(f"{'scores':<10} {'inputs (mean, sd)':<18} {'realized acc':>12} {'estimated':>10} "
          f"{'max |error|':>12} {'max |error| F1':>15} {'max |error| AUC':>16}")  # fmt: skip
    worst = 0.0
    for power, kind in ((1.0, "calibrated"), (3.0, "cubed")):
        for shift, spread in SHIFTS:
            errors, f1_errors, auc_errors, accs, ests = [], [], [], [], []
            for seed in range(SEEDS):
                rng = np.random.default_rng(seed)
                estimator = PerformanceEstimator().fit(*world(rng, 50_000, power=power))
                scores, labels = world(rng, 10_000, shift, spread, power)
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
    print(f"\nlargest accuracy error, calibrated classifier, {len(SHIFTS)} shifts × {SEEDS} "
          f"seeds: {worst:.4f} (target ±0.02) — {'PASS' if worst <= 0.02 else 'FAIL'}; "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
