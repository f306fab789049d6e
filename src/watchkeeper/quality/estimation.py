"""A window's model quality estimated from a labelled reference, for every problem type.

The one entry point a monitoring job calls: it reads the labelled ``reference``, fits the
estimator of the problem type on it, and estimates the window's metrics from the
window's own columns, before any label has joined. The metrics are named as
SageMaker's ``statistics.json`` names the realized ones (:data:`ESTIMATED`), so that an
estimate and its realized figure meet under one name (``estimated_<metric>`` beside
``<metric>``).

- ``BinaryClassification``: the positive class's probability (``probability``),
  :class:`~watchkeeper.quality.estimate.PerformanceEstimator`.
- ``MulticlassClassification``: one probability column per class, named as the captured
  answer names them (``probabilities_0``, ``probabilities_1``, … for ``probability``
  ``"probabilities"``) or listed; the predicted labels from ``prediction`` when the
  window has them, else the most probable class;
  :class:`~watchkeeper.quality.estimate_multiclass.MulticlassEstimator`.
- ``Regression``: the prediction and the input ``features`` (by default every numeric
  column the reference and the window share but the label, the prediction and the
  window's answer columns); :class:`~watchkeeper.quality.estimate_regression.LossEstimator`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import InputError, UsageError
from watchkeeper.quality import estimate, estimate_multiclass, estimate_regression

ESTIMATED = {
    "BinaryClassification": estimate.METRICS,
    "MulticlassClassification": estimate_multiclass.METRICS,
    "Regression": estimate_regression.METRICS,
}


def estimate_window(
    reference: object,
    window: pa.Table,
    *,
    problem_type: str,
    label: str,
    prediction: str | None = None,
    probability: str | Sequence[str] | None = None,
    threshold: float = 0.5,
    positive_label: object = 1,
    classes: Sequence[object] | None = None,
    features: Sequence[str] | None = None,
    answers: Sequence[str] = (),
    storage_options: dict | None = None,
) -> dict[str, float]:
    """The window's estimated metrics (:data:`ESTIMATED` of ``problem_type``, and
    ``records``), from ``reference``: anything :func:`watchkeeper.io.read_batches` reads
    that holds the ``label`` column beside the same prediction, probability and feature
    columns as the window. ``answers`` names the window's output columns, never taken
    as features.

    >>> import numpy as np, pyarrow as pa
    >>> rng = np.random.default_rng(0)
    >>> score = rng.random(4_000)
    >>> reference = pa.table({"score": score, "label": (rng.random(4_000) < score).astype(int)})
    >>> window = pa.table({"score": rng.beta(5, 2, 1_000)})
    >>> found = estimate_window(reference, window, problem_type="BinaryClassification",
    ...                         label="label", probability="score")
    >>> round(found["accuracy"], 1), found["records"]
    (0.7, 1000)
    """
    if problem_type not in ESTIMATED:
        raise UsageError(
            f"problem_type must be one of {', '.join(ESTIMATED)}, not {problem_type!r}"
        )
    rows = _read(reference, storage_options)
    where = reference if isinstance(reference, str) else "the reference"
    _require(rows, [label], f"reference {where}")
    # only labelled rows teach an estimator; a reference with none is refused
    rows = rows.filter(pc.is_valid(rows[label]))
    if rows.num_rows == 0:
        raise InputError(
            f"reference {where}: column {label!r} holds no labels; the estimate learns "
            "from labelled reference rows"
        )
    if problem_type == "BinaryClassification":
        return _binary(rows, window, label, probability, threshold, positive_label, where)
    if problem_type == "MulticlassClassification":
        return _multiclass(rows, window, label, prediction, probability, classes, where)
    return _regression(rows, window, label, prediction, features, answers, where)


def _binary(rows, window, label, probability, threshold, positive_label, where) -> dict:
    if not isinstance(probability, str) or not probability:
        raise UsageError("estimating a binary classifier needs its probability column")
    _require(rows, [probability], f"reference {where}")
    _require(window, [probability], "the window")
    positive = str(positive_label)
    labels = pc.equal(pc.cast(rows[label], pa.string()), positive).to_numpy(zero_copy_only=False)
    estimator = estimate.PerformanceEstimator(threshold).fit(_numbers(rows, probability), labels)
    current = _numbers(window, probability)
    return estimator.estimate(current[np.isfinite(current)])


def _multiclass(rows, window, label, prediction, probability, classes, where) -> dict:
    columns = probability_columns(window, probability)
    _require(window, columns, "the window")
    _require(rows, columns, f"reference {where}")
    probabilities = np.column_stack([_numbers(rows, name) for name in columns])
    estimator = estimate_multiclass.MulticlassEstimator(classes).fit(
        probabilities, rows[label].combine_chunks()
    )
    current = np.column_stack([_numbers(window, name) for name in columns])
    # a record without probabilities (a failed answer) says nothing of the window's quality
    complete = np.isfinite(current).all(axis=1)
    predicted = None
    if prediction and prediction in window.column_names:
        predicted = window[prediction].combine_chunks().filter(pa.array(complete))
    return estimator.estimate(current[complete], predicted)


def _regression(rows, window, label, prediction, features, answers, where) -> dict:
    if not prediction:
        raise UsageError("estimating a regression model needs its prediction column")
    _require(rows, [prediction], f"reference {where}")
    _require(window, [prediction], "the window")
    names = list(features) if features else _shared_numeric(
        rows, window, {label, prediction, *answers})  # fmt: skip
    if not names:
        raise InputError(
            f"reference {where} and the window share no numeric feature column to learn "
            "the loss from; name them with features"
        )
    _require(rows, names, f"reference {where}")
    _require(window, names, "the window")
    estimator = estimate_regression.LossEstimator().fit(
        np.column_stack([_numbers(rows, name) for name in names]),
        _numbers(rows, prediction),
        _numbers(rows, label),
    )
    current = _numbers(window, prediction)
    kept = np.isfinite(current)
    inputs = np.column_stack([_numbers(window, name) for name in names])
    return estimator.estimate(inputs[kept], current[kept])


def probability_columns(table: pa.Table, probability: str | Sequence[str] | None) -> list[str]:
    """A multiclass model's probability columns in ``table``: those listed, or
    ``<probability>_0``, ``<probability>_1``, … as a captured answer names them.

    >>> import pyarrow as pa
    >>> probability_columns(pa.table({"p_0": [0.2], "p_1": [0.8], "x": [1]}), "p")
    ['p_0', 'p_1']
    """
    if probability is not None and not isinstance(probability, str):
        return list(probability)
    if not probability:
        raise UsageError(
            "estimating a multiclass classifier needs its probabilities: one column per "
            "class (probability_attribute)"
        )
    columns = []
    while f"{probability}_{len(columns)}" in table.column_names:
        columns.append(f"{probability}_{len(columns)}")
    if len(columns) < 2:
        raise InputError(
            f"the window has no probability per class: no columns {probability}_0, "
            f"{probability}_1, … (a multiclass estimate needs one per class)"
        )
    return columns


def _read(reference: object, storage_options: dict | None) -> pa.Table:
    if isinstance(reference, pa.Table):
        return reference
    from watchkeeper.io import read_batches

    return pa.Table.from_batches(list(read_batches(reference, storage_options=storage_options)))


def _require(table: pa.Table, names: Sequence[str], where: str) -> None:
    missing = [name for name in names if name not in table.column_names]
    if missing:
        raise InputError(
            f"{where}: no column {missing[0]!r} (it has {', '.join(table.column_names[:12])})"
        )


def _numbers(table: pa.Table, name: str) -> np.ndarray:
    try:
        column = pc.cast(table[name], pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputError(f"column {name!r} is not numeric") from None
    return column.to_numpy().astype(np.float64, copy=False)


def _shared_numeric(rows: pa.Table, window: pa.Table, excluded: set[str]) -> list[str]:
    def numeric(table: pa.Table, name: str) -> bool:
        kind = table.schema.field(name).type
        return pa.types.is_integer(kind) or pa.types.is_floating(kind)

    return [
        name
        for name in rows.column_names
        if name not in excluded and name in window.column_names
        and numeric(rows, name) and numeric(window, name)
    ]  # fmt: skip
