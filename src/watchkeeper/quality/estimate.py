"""Performance of a binary classifier estimated before its labels arrive.

Confidence-based estimation: once a classifier's scores are *calibrated* (a score of
0.8 is right 80 % of the time), each unlabelled prediction is a fraction of a true or
false positive or negative, and summing those fractions gives the expected confusion
matrix of the window, hence its accuracy, precision, recall and F1; the expected ROC
curve follows in the same way. The calibration is learnt on labelled reference data
(the baseline), with isotonic regression, so the scores need not be calibrated
themselves; it must still hold in the window, which is true under covariate shift
(the inputs move, the relation between inputs and label does not) and false under
concept drift, which only labels reveal: compare the estimate with the realized
metrics once the labels join.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> scores = rng.random(20_000)
>>> labels = rng.random(20_000) < scores          # calibrated scores
>>> estimator = PerformanceEstimator().fit(scores, labels)
>>> window = rng.beta(2, 5, 5_000)                # the inputs moved: scores lower
>>> estimate = estimator.estimate(window)
>>> realized = ((window >= 0.5) == (rng.random(5_000) < window)).mean()
>>> bool(abs(estimate["accuracy"] - realized) < 0.02)
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from watchkeeper.errors import UsageError

METRICS = ("accuracy", "precision", "recall", "f1", "auc")


@dataclass
class PerformanceEstimator:
    """Learns how scores map to the chance of a positive label, then estimates a window.

    ``threshold`` turns a score into a predicted label (score ≥ threshold: positive).
    """

    threshold: float = 0.5

    def fit(self, scores, labels) -> PerformanceEstimator:
        """Learn the calibration from reference ``scores`` and their true ``labels``
        (booleans or 0/1)."""
        scores = _scores(scores, "reference scores")
        labels = np.asarray(labels)
        if labels.shape != scores.shape:
            raise UsageError(
                f"reference labels ({labels.shape[0] if labels.ndim else 0}) and scores "
                f"({scores.shape[0]}) differ in length"
            )
        if labels.dtype != bool:
            if not np.isin(labels, (0, 1)).all():
                raise UsageError("reference labels must be booleans or 0/1")
            labels = labels.astype(bool)
        if labels.all() or not labels.any():
            raise UsageError("reference labels must hold both classes to learn a calibration")
        if not 0.0 < self.threshold < 1.0:
            raise UsageError(f"threshold must be between 0 and 1, got {self.threshold!r}")
        self._calibration = calibration(scores, labels)
        self.reference = self.estimate(scores)
        return self

    def calibrated(self, scores) -> np.ndarray:
        """The probability of a positive label for each score."""
        if not hasattr(self, "_calibration"):
            raise UsageError("fit the estimator on labelled reference data first")
        return self._calibration.predict(_scores(scores, "scores"))

    def estimate(self, scores) -> dict[str, float]:
        """Expected accuracy, precision, recall, F1 and ROC AUC of a window's scores."""
        scores = _scores(scores, "scores")
        chance = self.calibrated(scores)
        positive = scores >= self.threshold
        tp = chance[positive].sum()
        fp = (1.0 - chance[positive]).sum()
        fn = chance[~positive].sum()
        tn = (1.0 - chance[~positive]).sum()
        return {
            "accuracy": float((tp + tn) / len(scores)),
            "precision": _ratio(tp, tp + fp),
            "recall": _ratio(tp, tp + fn),
            "f1": _ratio(2 * tp, 2 * tp + fp + fn),
            "auc": _expected_auc(scores, chance),
            "records": len(scores),
        }


def calibration(scores: np.ndarray, hits: np.ndarray):
    """An isotonic map from ``scores`` to the chance of a hit (``hits``: booleans), fitted
    on labelled reference data; its ``predict`` gives calibrated chances in [0, 1].

    >>> import numpy as np
    >>> fitted = calibration(np.array([0.1, 0.4, 0.6, 0.9]), np.array([0, 0, 1, 1], bool))
    >>> fitted.predict([0.05, 0.95]).tolist()
    [0.0, 1.0]
    """
    from sklearn.isotonic import IsotonicRegression

    # clipped, not extrapolated: a window's scores may reach beyond the reference's
    isotonic = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True, out_of_bounds="clip")
    return isotonic.fit(scores, hits.astype(np.float64))


def _expected_auc(scores: np.ndarray, chance: np.ndarray) -> float:
    """The area under the expected ROC curve: each record adds ``chance`` to the true
    positives and ``1 - chance`` to the false ones at its score (ties together)."""
    order = np.argsort(-scores, kind="stable")
    ranked, weights = scores[order], chance[order]
    # one point per distinct score, so tied scores move the curve diagonally
    last = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1]
    tp = np.cumsum(weights)[last]
    fp = np.cumsum(1.0 - weights)[last]
    if tp[-1] <= 0 or fp[-1] <= 0:
        return float("nan")
    tpr = np.r_[0.0, tp / tp[-1]]
    fpr = np.r_[0.0, fp / fp[-1]]
    return float(np.trapezoid(tpr, fpr))


def _ratio(top: float, bottom: float) -> float:
    return float(top / bottom) if bottom > 0 else float("nan")


def _scores(values, what: str) -> np.ndarray:
    scores = np.asarray(values, dtype=np.float64)
    if scores.ndim != 1 or len(scores) == 0:
        raise UsageError(f"{what} must be a non-empty list of numbers")
    if not np.isfinite(scores).all():
        raise UsageError(f"{what} hold NaN or infinite values")
    return scores
