"""Performance of a multiclass classifier estimated before its labels arrive.

The binary estimator's idea, one class at a time: on labelled reference data each
class's predicted probability is calibrated one-vs-rest (isotonic regression, the same
map as :func:`watchkeeper.quality.estimate.calibration`), the calibrated chances of a
record are rescaled to sum to one, and each unlabelled record then adds its chance of
being class ``a`` to the cell (actual ``a``, predicted class) of an *expected* confusion
matrix. That matrix gives accuracy and the support-weighted recall, precision and
F-scores, named as SageMaker names them in ``multiclass_classification_metrics``.
It holds under covariate shift (the inputs move, the input-label relation does not);
concept drift only labels reveal.

>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> chances = rng.dirichlet([1, 1, 1], 20_000)              # calibrated probabilities
>>> labels = (rng.random(20_000)[:, None] > chances.cumsum(1)).sum(1)
>>> estimator = MulticlassEstimator().fit(chances, labels)
>>> window = rng.dirichlet([4, 1, 1], 5_000)                # most records now class 0
>>> truth = (rng.random(5_000)[:, None] > window.cumsum(1)).sum(1)
>>> realized = (window.argmax(1) == truth).mean()
>>> bool(abs(estimator.estimate(window)["accuracy"] - realized) < 0.02)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import UsageError
from watchkeeper.quality.estimate import calibration
from watchkeeper.quality.metrics import label_text, weighted_metrics

# estimated metrics, named as SageMaker names them in multiclass_classification_metrics
METRICS = (
    "accuracy",
    "weighted_recall",
    "weighted_precision",
    "weighted_f0_5",
    "weighted_f1",
    "weighted_f2",
)


@dataclass
class MulticlassEstimator:
    """Learns how each class's probability maps to its chance, then estimates a window.

    ``classes`` names the class of each probability column, in column order (a model's
    ``classes_``); by default the reference's labels, sorted (numbers as numbers), as
    scikit-learn orders them.
    """

    classes: Sequence[object] | None = None

    def fit(self, probabilities, labels) -> MulticlassEstimator:
        """Learn the calibrations from reference ``probabilities`` (one column per class)
        and their true ``labels``."""
        probabilities = _matrix(probabilities, "reference probabilities")
        texts, codes = _texts(labels, "reference labels")
        if len(codes) != len(probabilities):
            raise UsageError(
                f"reference labels ({len(codes)}) and probabilities ({len(probabilities)}) "
                "differ in length"
            )
        given = self.classes is not None and len(self.classes) > 0
        classes = [label_text(c) for c in self.classes] if given else _sorted(texts)
        if len(classes) != probabilities.shape[1]:
            raise UsageError(
                f"the reference probabilities have {probabilities.shape[1]} columns but "
                f"{len(classes)} classes ({', '.join(classes[:6])}); give the class of each "
                "column in order (classes)"
            )
        actual = _codes(texts, codes, classes, "reference labels")
        present = np.bincount(actual, minlength=len(classes))
        if (present == 0).any():
            raise UsageError(
                f"reference labels never show class {classes[int(np.argmin(present))]!r}: "
                "every class needs labelled records to learn its calibration"
            )
        self._calibrations = [
            calibration(probabilities[:, a], actual == a) for a in range(len(classes))
        ]
        self.classes_ = classes
        self.reference = self.estimate(probabilities)
        return self

    def calibrated(self, probabilities) -> np.ndarray:
        """Each record's chance of being each class (rows sum to one)."""
        if not hasattr(self, "_calibrations"):
            raise UsageError("fit the estimator on labelled reference data first")
        probabilities = _matrix(probabilities, "probabilities")
        if probabilities.shape[1] != len(self._calibrations):
            raise UsageError(
                f"probabilities have {probabilities.shape[1]} columns; the estimator was "
                f"fitted on {len(self._calibrations)} classes"
            )
        chances = np.column_stack(
            [fitted.predict(probabilities[:, a]) for a, fitted in enumerate(self._calibrations)]
        )
        total = chances.sum(axis=1, keepdims=True)
        # a record every calibration puts at zero keeps the model's own probabilities
        raw = probabilities / np.maximum(probabilities.sum(axis=1, keepdims=True), 1e-300)
        return np.where(total > 0, chances / np.where(total > 0, total, 1.0), raw)

    def confusion(self, probabilities, predicted=None) -> np.ndarray:
        """The expected confusion matrix (actual classes on rows, predicted on columns);
        ``predicted`` labels default to each record's most probable class."""
        chances = self.calibrated(probabilities)
        k = chances.shape[1]
        if predicted is None:
            guess = np.asarray(probabilities, dtype=np.float64).argmax(axis=1)
        else:
            texts, codes = _texts(predicted, "predicted labels")
            if len(codes) != len(chances):
                raise UsageError(
                    f"predicted labels ({len(codes)}) and probabilities ({len(chances)}) "
                    "differ in length"
                )
            guess = _codes(texts, codes, self.classes_, "predicted labels")
        return np.stack(
            [np.bincount(guess, weights=chances[:, a], minlength=k) for a in range(k)]
        )

    def estimate(self, probabilities, predicted=None) -> dict[str, float]:
        """Expected accuracy and weighted recall, precision and F-scores of a window."""
        matrix = self.confusion(probabilities, predicted)
        scores = weighted_metrics(matrix)
        return {**{name: scores[name] for name in METRICS}, "records": len(probabilities)}


def _matrix(values, what: str) -> np.ndarray:
    try:
        matrix = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise UsageError(f"{what} must be a table of numbers, one column per class") from None
    if matrix.ndim != 2 or matrix.shape[1] < 2 or len(matrix) == 0:
        raise UsageError(
            f"{what} must hold one column per class (at least two) and at least one row; "
            f"got shape {matrix.shape}"
        )
    if not np.isfinite(matrix).all():
        raise UsageError(f"{what} hold NaN or infinite values")
    return matrix


def _texts(values, what: str) -> tuple[list[str], np.ndarray]:
    """The distinct labels of ``values`` as text, and each value's index among them."""
    array = values if isinstance(values, pa.Array | pa.ChunkedArray) else None
    if array is None:
        try:
            array = pa.array(np.asarray(values) if not isinstance(values, list) else values,
                             from_pandas=True)  # fmt: skip
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            raise UsageError(f"{what} mix types that cannot be compared") from None
    if array.null_count:
        raise UsageError(f"{what} hold {array.null_count} missing values")
    distinct = pc.unique(array)
    codes = pc.index_in(array, value_set=distinct).to_numpy(zero_copy_only=False)
    return [label_text(v) for v in distinct.to_pylist()], codes.astype(np.int64)


def _codes(texts: list[str], codes: np.ndarray, classes: list[str], what: str) -> np.ndarray:
    """Each value's index among ``classes``; a value that is no class is refused."""
    position = {name: i for i, name in enumerate(classes)}
    unknown = [t for t in texts if t not in position]
    if unknown:
        raise UsageError(
            f"{what} hold {', '.join(map(repr, unknown[:5]))}, not among the classes "
            f"{', '.join(classes[:10])}"
        )
    return np.array([position[t] for t in texts], dtype=np.int64)[codes]


def _sorted(texts: list[str]) -> list[str]:
    unique = sorted(set(texts))
    try:
        return sorted(unique, key=float)
    except ValueError:
        return unique
