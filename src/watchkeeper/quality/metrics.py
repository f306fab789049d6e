"""model_quality: SageMaker's model-quality ``statistics.json`` from predictions and labels.

Three problem types, as SageMaker names them: ``BinaryClassification``,
``MulticlassClassification`` and ``Regression``. Every metric is computed over NumPy
arrays of the whole column (model quality reads rows, not profiles); only the columns
named are kept while the input is read batch by batch.

Each scalar metric has a ``standard_deviation``: from 200 rows up, the sample standard
deviation of the metric over five random 80 % subsamples (drawn with ``seed``, so a
seed gives the same document every time); below 200 rows the string ``"NaN"``, as
SageMaker writes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.baseline.jackson import JavaDouble
from watchkeeper.errors import InputError, UsageError
from watchkeeper.io import read_batches

PROBLEM_TYPES = ("BinaryClassification", "MulticlassClassification", "Regression")
KIND = {
    "BinaryClassification": "binary_classification",
    "MulticlassClassification": "multiclass_classification",
    "Regression": "regression",
}
R2_VARIANTS = ("standard", "sagemaker")
MIN_ROWS_FOR_DEVIATION = 200
SUBSAMPLES, SUBSAMPLE_FRACTION = 5, 0.8
# A million distinct scores would give a million-point curve; the curves are for plots,
# so they are thinned to this many points (the first and last always kept).
CURVE_POINTS = 1000
NAN = "NaN"


def model_quality(
    data: object,
    *,
    problem_type: str,
    inference_attribute: str | None,
    ground_truth_attribute: str,
    probability_attribute: str | None = None,
    probability_threshold: float = 0.5,
    positive_label: object = 1,
    r2: str = "standard",
    seed: int = 0,
    **read_options: Any,
) -> dict:
    """SageMaker's model-quality ``statistics.json`` document for ``data``.

    Args:
        data: anything :func:`watchkeeper.io.read_batches` reads (file, folder, URI,
            DataFrame, Arrow table, list of dicts), e.g. captures merged with ground truth.
        problem_type: ``"BinaryClassification"``, ``"MulticlassClassification"`` or
            ``"Regression"``.
        inference_attribute: the column of predicted labels (or values). For binary
            classification it may be ``None`` when ``probability_attribute`` is given:
            a row is then predicted positive when its probability is at least
            ``probability_threshold``.
        ground_truth_attribute: the column of actual labels (or values).
        probability_attribute: binary classification only: the column of positive-class
            probabilities, used for ``auc`` and the ROC and precision-recall curves
            (without it the predicted labels serve as scores).
        probability_threshold: see ``inference_attribute``.
        positive_label: the positive class of binary classification (compared as text,
            so ``1`` matches ``1``, ``1.0`` and ``"1"``).
        r2: ``"standard"`` (default) is the usual coefficient of determination,
            ``1 - SSE / Σ(y - mean y)²``, as scikit-learn's ``r2_score``.
            ``"sagemaker"`` reproduces SageMaker's container, which divides by the
            spread of the *predictions*, ``1 - SSE / Σ(ŷ - mean ŷ)²`` (its output for the
            SDK's reference data has r2 = -3.2088 where the usual r2 is -0.335), with
            the same online variance its JVM computes so that every digit agrees. Use
            it to compare with SageMaker's own baselines; use the default to judge a
            model.
        seed: seeds the subsamples of the standard deviations.
        read_options: passed to :func:`watchkeeper.io.read_batches` (``format``, ``csv``…).

    Example:

    >>> doc = model_quality(
    ...     [{"label": 1.0, "prediction": 0.5}, {"label": 0.0, "prediction": 0.5},
    ...      {"label": 2.0, "prediction": 1.5}],
    ...     problem_type="Regression", inference_attribute="prediction",
    ...     ground_truth_attribute="label")
    >>> doc["regression_metrics"]["mae"]
    {'value': 0.5, 'standard_deviation': 'NaN'}
    >>> round(doc["regression_metrics"]["r2"]["value"], 4)
    0.625
    """
    if problem_type not in PROBLEM_TYPES:
        raise UsageError(
            f"problem_type must be one of {', '.join(PROBLEM_TYPES)}, not {problem_type!r}"
        )
    if r2 not in R2_VARIANTS:
        raise UsageError(f"r2 must be 'standard' or 'sagemaker', not {r2!r}")
    if not 0.0 <= probability_threshold <= 1.0:
        raise UsageError(f"probability_threshold must lie in [0, 1], not {probability_threshold}")
    if probability_attribute and problem_type != "BinaryClassification":
        raise UsageError("probability_attribute is only used with BinaryClassification")
    if inference_attribute is None and not (
        problem_type == "BinaryClassification" and probability_attribute
    ):
        raise UsageError(
            "inference_attribute is required (only binary classification with a "
            "probability_attribute can do without)"
        )
    wanted = [c for c in (ground_truth_attribute, inference_attribute, probability_attribute)
              if c]  # fmt: skip
    columns = read_columns(data, wanted, **read_options)
    actual = columns[ground_truth_attribute]
    if len(actual) == 0:
        raise InputError("no rows to compute model quality from")
    rng = np.random.default_rng(seed)
    if problem_type == "Regression":
        metrics = regression_metrics(
            _numbers(actual, ground_truth_attribute),
            _numbers(columns[inference_attribute], inference_attribute),
            r2=r2,
            rng=rng,
        )
    elif problem_type == "BinaryClassification":
        scores = (_numbers(columns[probability_attribute], probability_attribute)
                  if probability_attribute else None)  # fmt: skip
        if scores is not None and ((scores < 0) | (scores > 1)).any():
            raise InputError(f"column {probability_attribute!r} has probabilities outside [0, 1]")
        if inference_attribute is None:
            predicted = pa.array(np.where(scores >= probability_threshold, 1.0, 0.0))
        else:
            predicted = columns[inference_attribute]
        metrics = binary_metrics(
            actual, predicted, scores, positive_label=positive_label, rng=rng,
            names=(ground_truth_attribute, inference_attribute or probability_attribute),
        )  # fmt: skip
    else:
        metrics = multiclass_metrics(
            actual, columns[inference_attribute], rng=rng,
            names=(ground_truth_attribute, inference_attribute),
        )  # fmt: skip
    return {
        "version": JavaDouble(0.0),
        "dataset": {"item_count": len(actual)},
        f"{KIND[problem_type]}_metrics": metrics,
    }


def quality_metric_points(statistics: dict) -> list[tuple[str, str, float]]:
    """(metric name, ``Value``, value) of every scalar metric of a model-quality
    ``statistics.json`` document: its series, named as SageMaker's CloudWatch metrics.

    >>> quality_metric_points({"regression_metrics": {"mae": {"value": 0.5},
    ...                                               "r2": {"value": "NaN"}}})
    [('mae', 'Value', 0.5)]
    """
    kind = next(key for key in statistics if key.endswith("_metrics"))
    points = []
    for name, entry in statistics[kind].items():
        value = entry.get("value") if isinstance(entry, dict) else None
        if isinstance(value, int | float) and not isinstance(value, bool):
            points.append((name, "Value", float(value)))
    return points


def read_columns(data: object, names: list[str], **read_options: Any) -> dict[str, pa.Array]:
    """The named columns of ``data``, read batch by batch keeping only those columns."""
    parts: dict[str, list[pa.Array]] = {name: [] for name in names}
    for batch in read_batches(data, **read_options):
        missing = [name for name in names if name not in batch.schema.names]
        if missing:
            raise InputError(
                f"column {missing[0]!r} not found; the data has columns "
                f"{', '.join(batch.schema.names)}"
            )
        for name in names:
            parts[name].append(batch.column(name))
    return {
        name: pa.chunked_array(chunks).combine_chunks() if chunks else pa.array([], pa.float64())
        for name, chunks in parts.items()
    }


# ---------------------------------------------------------------- shared helpers


def _numbers(column: pa.Array, name: str) -> np.ndarray:
    """A column as float64, with a message naming the column when it is not numeric."""
    try:
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise InputError(f"column {name!r} is not numeric ({exc})") from None
    missing = np.isnan(values)
    if missing.any():
        raise InputError(
            f"column {name!r} has {int(missing.sum())} missing values (first at row "
            f"{int(np.argmax(missing))}); drop or fill them before computing model quality"
        )
    return values


def _metric(value: float, deviation: float | str) -> dict:
    return {"value": _double(value), "standard_deviation": _double(deviation)}


def _double(value: float | str) -> JavaDouble | str:
    if isinstance(value, str) or not np.isfinite(value):
        return NAN
    return JavaDouble(value)


def _deviations(
    n: int, rng: np.random.Generator, scalars: Callable[[np.ndarray], dict[str, float]]
) -> dict[str, float | str]:
    """Per metric, the std over five random 80 % subsamples; "NaN" below 200 rows."""
    if n < MIN_ROWS_FOR_DEVIATION:
        return {}
    size = int(n * SUBSAMPLE_FRACTION)
    runs = [scalars(np.sort(rng.choice(n, size=size, replace=False)))
            for _ in range(SUBSAMPLES)]  # fmt: skip
    return {
        name: float(np.std([run[name] for run in runs], ddof=1))
        if all(np.isfinite(run[name]) for run in runs) else NAN
        for name in runs[0]
    }  # fmt: skip


def _document(values: dict[str, float], deviations: dict[str, float | str]) -> dict:
    return {name: _metric(value, deviations.get(name, NAN)) for name, value in values.items()}


# ---------------------------------------------------------------- regression


def regression_metrics(
    actual: np.ndarray, predicted: np.ndarray, *, r2: str, rng: np.random.Generator
) -> dict:
    """mae, mse, rmse and r2 with their subsample deviations."""

    def scalars(rows: np.ndarray | None) -> dict[str, float]:
        y, p = (actual, predicted) if rows is None else (actual[rows], predicted[rows])
        return _regression(y, p, r2)

    return _document(scalars(None), _deviations(len(actual), rng, scalars))


def _ordered_sum(values: np.ndarray) -> float:
    # Summed in row order, as SageMaker's JVM loop adds them, rather than NumPy's pairwise
    # sum: the last digits of the printed metrics then agree with SageMaker's files.
    return float(np.cumsum(values)[-1])


def _regression(y: np.ndarray, p: np.ndarray, r2: str) -> dict[str, float]:
    n = len(y)
    error = y - p
    # SageMaker squares the root of the sum of squares (an L2 norm); so do we, for its digits.
    sse = float(np.sqrt(_ordered_sum(error * error))) ** 2
    mse = sse / n
    spread = _online_spread(p) if r2 == "sagemaker" else _ordered_sum((y - y.mean()) ** 2)
    return {
        "mae": _ordered_sum(np.abs(error)) / n,
        "mse": mse,
        "rmse": float(np.sqrt(mse)),
        "r2": 1.0 - sse / spread if spread > 0 else float("nan"),
    }


def _online_spread(values: np.ndarray) -> float:
    """Σ(v - mean)² as Spark's online summariser computes it (zeros skipped, then added back).

    A Python loop: it is the only way to reproduce that summariser's rounding, and it
    runs only for ``r2="sagemaker"`` (about 0.1 s per million values).
    """
    mean, m2, count = 0.0, 0.0, 0
    for value in values.tolist():
        if value != 0.0:
            delta = value - mean
            count += 1
            mean += delta / count
            m2 += (value - mean) * delta
    n = len(values)
    return m2 + mean * mean * count * (n - count) / n


# ---------------------------------------------------------------- classification labels


def encode_labels(actual: pa.Array, predicted: pa.Array, names: tuple[str, str]) -> tuple:
    """Integer codes of both columns over their shared sorted labels, and the label texts.

    Numbers (or text that reads as numbers) are compared as numbers, so a label ``1``
    matches a prediction ``1.0``; integral numbers are written without a fraction, as
    SageMaker writes labels (``"1"``).
    """
    for column, name in zip((actual, predicted), names, strict=True):
        if column.null_count:
            raise InputError(
                f"column {name!r} has {column.null_count} missing labels; drop or fill them "
                "before computing model quality"
            )
    numeric = [_as_numbers(column) for column in (actual, predicted)]
    if numeric[0] is not None and numeric[1] is not None:
        for values, name in zip(numeric, names, strict=True):
            if np.isnan(values).any():
                raise InputError(f"column {name!r} has {int(np.isnan(values).sum())} NaN labels")
        labels, codes = np.unique(np.concatenate(numeric), return_inverse=True)
        texts = [str(int(v)) if float(v).is_integer() else repr(float(v)) for v in labels]
    else:
        both = pa.concat_arrays([pc.cast(actual, pa.string()), pc.cast(predicted, pa.string())])
        labels, codes = np.unique(both.to_numpy(zero_copy_only=False), return_inverse=True)
        texts = [str(v) for v in labels]
    n = len(actual)
    return codes[:n], codes[n:], texts


def _as_numbers(column: pa.Array) -> np.ndarray | None:
    if pa.types.is_boolean(column.type):
        column = pc.cast(column, pa.int8())
    try:
        return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _confusion(actual: np.ndarray, predicted: np.ndarray, k: int) -> np.ndarray:
    return np.bincount(actual * k + predicted, minlength=k * k).reshape(k, k)


def _confusion_document(matrix: np.ndarray, labels: list[str]) -> dict:
    # Outer key is the actual label, inner the predicted one, as SageMaker writes them.
    return {
        labels[a]: {labels[p]: int(matrix[a, p]) for p in range(len(labels))}
        for a in range(len(labels))
    }


def _divide(numerator: float, denominator: float) -> float:
    # An undefined ratio counts as 0, as scikit-learn's zero_division=0 does.
    return numerator / denominator if denominator else 0.0


def _f_beta(precision: float, recall: float, beta: float) -> float:
    b2 = beta * beta
    return _divide((1 + b2) * precision * recall, b2 * precision + recall)


BETAS = {"f0_5": 0.5, "f1": 1.0, "f2": 2.0}


# ---------------------------------------------------------------- binary classification


def binary_metrics(
    actual: pa.Array,
    predicted: pa.Array,
    scores: np.ndarray | None,
    *,
    positive_label: object,
    rng: np.random.Generator,
    names: tuple[str, str],
) -> dict:
    """SageMaker's ``binary_classification_metrics`` (positive class ``positive_label``)."""
    actual_codes, predicted_codes, labels = encode_labels(actual, predicted, names)
    if len(labels) > 2:
        raise InputError(
            f"binary classification needs at most two labels; columns {names[0]!r} and "
            f"{names[1]!r} hold {len(labels)} ({', '.join(labels[:5])}…)"
        )
    positive = label_text(positive_label)
    is_positive = np.array([label == positive for label in labels] + [False])
    truth, guess = is_positive[actual_codes], is_positive[predicted_codes]
    ranking = guess.astype(np.float64) if scores is None else scores

    def scalars(rows: np.ndarray | None) -> dict[str, float]:
        if rows is None:
            return _binary(truth, guess, ranking)
        return _binary(truth[rows], guess[rows], ranking[rows])

    values = scalars(None)
    deviations = _deviations(len(truth), rng, scalars)
    fpr, tpr, precisions, recalls = _curves(truth, ranking)
    order = ["recall", "precision", "accuracy", "recall_best_constant_classifier",
             "precision_best_constant_classifier", "accuracy_best_constant_classifier",
             "true_positive_rate", "true_negative_rate", "false_positive_rate",
             "false_negative_rate"]  # fmt: skip
    document: dict[str, Any] = {
        "confusion_matrix": _confusion_document(
            _confusion(actual_codes, predicted_codes, len(labels)), labels
        )
    }
    document.update(_document({m: values[m] for m in order}, deviations))
    document["receiver_operating_characteristic_curve"] = {
        "false_positive_rates": [JavaDouble(v) for v in fpr],
        "true_positive_rates": [JavaDouble(v) for v in tpr],
    }
    document["precision_recall_curve"] = {
        "precisions": [JavaDouble(v) for v in precisions],
        "recalls": [JavaDouble(v) for v in recalls],
    }
    rest = ["auc", "f0_5", "f1", "f2", "f0_5_best_constant_classifier",
            "f1_best_constant_classifier", "f2_best_constant_classifier"]  # fmt: skip
    document.update(_document({m: values[m] for m in rest}, deviations))
    return document


def label_text(label: object) -> str:
    """A label as SageMaker writes it: integral numbers without a fraction (``1.0`` → "1").

    >>> label_text(1.0), label_text("2"), label_text(True), label_text("cat")
    ('1', '2', '1', 'cat')
    """
    if isinstance(label, bool):
        return str(int(label))
    if isinstance(label, int | float) and float(label).is_integer():
        return str(int(label))
    try:
        number = float(str(label))
    except ValueError:
        return str(label)
    return str(int(number)) if number.is_integer() else repr(number)


def _binary(truth: np.ndarray, guess: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    n = len(truth)
    tp = int(np.count_nonzero(truth & guess))
    fp = int(np.count_nonzero(~truth & guess))
    fn = int(np.count_nonzero(truth & ~guess))
    tn = n - tp - fp - fn
    positives = tp + fn
    recall, precision = _divide(tp, tp + fn), _divide(tp, tp + fp)
    # The best constant classifier always predicts the positive class.
    constant_precision = positives / n
    values = {
        "recall": recall,
        "precision": precision,
        "accuracy": (tp + tn) / n,
        "recall_best_constant_classifier": 1.0 if positives else 0.0,
        "precision_best_constant_classifier": constant_precision,
        "accuracy_best_constant_classifier": constant_precision,
        "true_positive_rate": recall,
        "true_negative_rate": _divide(tn, tn + fp),
        "false_positive_rate": _divide(fp, fp + tn),
        "false_negative_rate": _divide(fn, fn + tp),
        "auc": _auc(truth, scores),
    }
    for name, beta in BETAS.items():
        values[name] = _f_beta(precision, recall, beta)
        values[f"{name}_best_constant_classifier"] = _f_beta(
            constant_precision, values["recall_best_constant_classifier"], beta
        )
    return values


def _roc_points(truth: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative true and false positives at each distinct score, highest score first."""
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], truth[order]
    last_of_score = np.r_[np.flatnonzero(np.diff(ranked)), len(ranked) - 1]
    tps = np.cumsum(hits)[last_of_score]
    return tps, (last_of_score + 1) - tps


def _auc(truth: np.ndarray, scores: np.ndarray) -> float:
    positives = int(np.count_nonzero(truth))
    negatives = len(truth) - positives
    if positives == 0 or negatives == 0:
        return float("nan")  # one class only: the area is undefined
    tps, fps = _roc_points(truth, scores)
    return float(np.trapezoid(np.r_[0, tps] / positives, np.r_[0, fps] / negatives))


def _curves(truth: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, ...]:
    """ROC (from (0, 0) to (1, 1)) and precision-recall points, thinned to CURVE_POINTS."""
    tps, fps = _roc_points(truth, scores)
    positives, negatives = max(int(tps[-1]), 1), max(int(fps[-1]), 1)
    fpr, tpr = np.r_[0.0, fps / negatives], np.r_[0.0, tps / positives]
    precisions, recalls = tps / (tps + fps), tps / positives
    precisions, recalls = np.r_[precisions[0], precisions], np.r_[0.0, recalls]
    keep = _thin(len(fpr))
    return fpr[keep], tpr[keep], precisions[keep], recalls[keep]


def _thin(n: int) -> np.ndarray:
    if n <= CURVE_POINTS:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, CURVE_POINTS).round().astype(np.int64))


# ---------------------------------------------------------------- multiclass classification


def multiclass_metrics(
    actual: pa.Array, predicted: pa.Array, *, rng: np.random.Generator, names: tuple[str, str]
) -> dict:
    """SageMaker's ``multiclass_classification_metrics`` (support-weighted averages).

    The best constant classifier predicts the most frequent actual label (the smallest
    on ties): the constant with the best accuracy.
    """
    actual_codes, predicted_codes, labels = encode_labels(actual, predicted, names)
    k = len(labels)
    constant = int(np.argmax(np.bincount(actual_codes, minlength=k)))

    def scalars(rows: np.ndarray | None) -> dict[str, float]:
        a, p = (actual_codes, predicted_codes) if rows is None else (
            actual_codes[rows], predicted_codes[rows])  # fmt: skip
        values = weighted_metrics(_confusion(a, p, k))
        best = weighted_metrics(_confusion(a, np.full_like(a, constant), k))
        values.update({f"{name}_best_constant_classifier": v for name, v in best.items()})
        return values

    document: dict[str, Any] = {
        "confusion_matrix": _confusion_document(
            _confusion(actual_codes, predicted_codes, k), labels
        )
    }
    document.update(_document(scalars(None), _deviations(len(actual_codes), rng, scalars)))
    return document


def weighted_metrics(matrix: np.ndarray) -> dict[str, float]:
    """Accuracy and support-weighted recall, precision and F-scores of a confusion matrix
    (actual labels on rows); its counts may be fractional, as an expected matrix's are."""
    support, predicted, hits = matrix.sum(axis=1), matrix.sum(axis=0), np.diag(matrix)
    n = support.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        recall = np.where(support > 0, hits / support, 0.0)
        precision = np.where(predicted > 0, hits / predicted, 0.0)
    values = {
        "accuracy": float(hits.sum() / n),
        "weighted_recall": float(support @ recall / n),
        "weighted_precision": float(support @ precision / n),
    }
    for name, beta in BETAS.items():
        b2 = beta * beta
        denominator = b2 * precision + recall
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.where(denominator > 0, (1 + b2) * precision * recall / denominator, 0.0)
        values[f"weighted_{name}"] = float(support @ scores / n)
    return values
