"""Pre- and post-training bias of a table, as sections of Clarify's ``analysis.json``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.errors import UsageError
from watchkeeper.fairness import columns
from watchkeeper.fairness.metrics import (
    POSTTRAINING,
    PRETRAINING,
    MetricFailure,
    Tally,
    description,
    flip_test,
)
from watchkeeper.io import CsvOptions, read_table
from watchkeeper.model import LoadedModel

Values = Sequence[Any] | str | int | float | bool | None


@dataclass(frozen=True)
class _Split:
    """One facet split: the text Clarify gives it and the rows in the sensitive group d."""

    text: str
    sensitive: np.ndarray


def _as_list(values: Values) -> list[Any] | None:
    if values is None:
        return None
    if isinstance(values, str | int | float | bool):
        return [values]
    listed = list(values)
    if not listed:
        raise UsageError("an empty list of values selects nothing; give at least one value")
    return listed


def _threshold(value: Any, option: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise UsageError(f"{option} must be a number, not {value!r}")
    return value


def _column(table: pa.Table, name: str, role: str) -> pa.ChunkedArray:
    if not isinstance(name, str) or not name:
        raise UsageError(f"{role} must be a column name, not {name!r}")
    if name not in table.column_names:
        shown = ", ".join(repr(column) for column in table.column_names[:8])
        more = " ..." if table.num_columns > 8 else ""
        raise UsageError(f"{role} column {name!r} is not in the data (columns: {shown}{more})")
    return table.column(name)


def _methods(methods: str | Sequence[str], known: dict[str, Any], stage: str) -> list[str]:
    if isinstance(methods, str):
        if methods.lower() == "all":
            return list(known)
        methods = [part.strip() for part in methods.split(",") if part.strip()]
    chosen = [str(name).upper() for name in methods]
    unknown = [name for name in chosen if name not in known]
    if unknown or not chosen:
        raise UsageError(
            f"unknown {stage} metric(s) {', '.join(unknown) or '(none given)'}; "
            f"choose 'all' or from {', '.join(known)}"
        )
    return sorted(set(chosen))


def _positive(
    column: pa.ChunkedArray, name: str, values: list[Any] | None, threshold: float | None
) -> np.ndarray:
    if values is not None:
        return columns.member(column, values, name)
    assert threshold is not None
    return columns.above(column, threshold, name)


def _label_rule(
    table: pa.Table, label: str, label_values: Values, label_threshold: Any
) -> tuple[pa.ChunkedArray, list[Any] | None, float | None, str]:
    column = _column(table, label, "label")
    values = _as_list(label_values)
    if (values is None) == (label_threshold is None):
        raise UsageError(
            f"say which labels of {label!r} are positive: give label_values or "
            "label_threshold (exactly one)"
        )
    if values is not None:
        if not columns.member(column, values, label).any():
            present = columns.distinct_values(column)[:8]
            raise UsageError(
                f"none of the label values {columns.values_text(values)} is in column "
                f"{label!r} (it holds {', '.join(map(str, present))})"
            )
        return column, values, None, columns.values_text(values)
    threshold = _threshold(label_threshold, "label_threshold")
    return column, None, threshold, columns.interval_text(column, threshold, label)


def _splits(
    table: pa.Table, facet: str, facet_values: Values, facet_threshold: Any
) -> list[_Split]:
    column = _column(table, facet, "facet")
    values = _as_list(facet_values)
    if values is not None and facet_threshold is not None:
        raise UsageError("give facet_values or facet_threshold, not both")
    if facet_threshold is not None:
        threshold = _threshold(facet_threshold, "facet_threshold")
        return [
            _Split(
                columns.interval_text(column, threshold, facet),
                columns.above(column, threshold, facet),
            )
        ]
    if values is not None:
        sensitive = columns.member(column, values, facet)
        if not sensitive.any():
            present = columns.distinct_values(column)[:8]
            raise UsageError(
                f"none of the facet values {columns.values_text(values)} is in column "
                f"{facet!r} (it holds {', '.join(map(str, present))})"
            )
        return [_Split(columns.values_text(values), sensitive)]
    # No values: each value in turn against all the others, as Clarify does.
    return [
        _Split(str(value), columns.member(column, [value], facet))
        for value in columns.distinct_values(column)
    ]


def _result(name: str, compute: Any, *arguments: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "description": description(name)}
    try:
        entry["value"] = float(compute(*arguments))
    except MetricFailure as exc:
        entry["value"] = None
        entry["error"] = str(exc)
    return entry


def _section(label: str, label_text: str, facet: str, facets: list[dict]) -> dict[str, Any]:
    return {"label": label, "facets": {facet: facets}, "label_value_or_threshold": label_text}


def pretraining_bias(
    data: Any,
    *,
    label: str,
    label_values: Values = None,
    label_threshold: float | None = None,
    facet: str,
    facet_values: Values = None,
    facet_threshold: float | None = None,
    group_variable: str | None = None,
    methods: str | Sequence[str] = "all",
    format: str | None = None,
    csv: CsvOptions | None = None,
) -> dict[str, Any]:
    """Clarify's pre-training bias metrics of ``data``: its ``pre_training_bias_metrics``.

    Args:
        data: a file, folder, glob or URI, or a DataFrame or Arrow table
            (anything :func:`watchkeeper.io.read_batches` reads).
        label: the label column; a label is positive when it is one of
            ``label_values`` or greater than ``label_threshold`` (give exactly one).
        facet: the column that defines the sensitive group d: rows whose value is in
            ``facet_values``, or greater than ``facet_threshold``; with neither, each
            value of the column in turn against all the others.
        group_variable: the column whose groups CDDL conditions on.
        methods: ``"all"`` or metric names among CDDL, CI, DPL, JS, KL, KS, LP, TVD.
        format, csv: how to read files, as for :func:`watchkeeper.io.read_batches`.

    Returns:
        ``{"label", "facets": {facet: [{"value_or_threshold", "metrics"}]},
        "label_value_or_threshold"}`` with metrics sorted by name, each
        ``{"name", "description", "value"}`` (and ``"error"`` with a null value when
        the metric cannot be computed, e.g. for an empty group).

    Raises:
        UsageError: a column is missing, no row has a given label or facet value, both
            or neither of values and threshold are given, an unknown metric.

    Example:
        >>> import pyarrow as pa
        >>> table = pa.table({"sex": [0, 0, 1, 1, 1], "approved": [1, 0, 1, 1, 0]})
        >>> section = pretraining_bias(table, label="approved", label_values=[1],
        ...                            facet="sex", facet_values=[0], methods=["CI", "DPL"])
        >>> [(m["name"], round(m["value"], 4)) for m in section["facets"]["sex"][0]["metrics"]]
        [('CI', 0.2), ('DPL', 0.1667)]
    """
    chosen = _methods(methods, PRETRAINING, "pre-training")
    table = read_table(data, format=format, csv=csv)
    label_column, values, threshold, label_text = _label_rule(
        table, label, label_values, label_threshold
    )
    splits = _splits(table, facet, facet_values, facet_threshold)
    groups = _groups(table, group_variable)
    positive = _positive(label_column, label, values, threshold)
    facets = []
    for split in splits:
        tally = Tally.of(split.sensitive, positive, group_codes=groups)
        metrics = [_result(name, PRETRAINING[name], tally) for name in chosen]
        facets.append({"value_or_threshold": split.text, "metrics": metrics})
    return _section(label, label_text, facet, facets)


def _groups(table: pa.Table, group_variable: str | None) -> tuple[np.ndarray, int] | None:
    if group_variable is None:
        return None
    return columns.group_codes(_column(table, group_variable, "group_variable"))


def _predictions(
    table: pa.Table,
    *,
    label: str,
    values: list[Any] | None,
    threshold: float | None,
    predicted_label: str | None,
    probability: str | None,
    probability_threshold: float,
    model: Any,
) -> tuple[np.ndarray, list[str]]:
    """Positive predictions, and the columns that are outputs rather than features."""
    given = [
        name
        for name, it in [
            ("predicted_label", predicted_label),
            ("probability", probability),
            ("model", model),
        ]
        if it is not None
    ]
    if len(given) != 1:
        raise UsageError(
            "post-training bias needs the model's answers: give predicted_label, probability "
            f"or model (exactly one; got {', '.join(given) or 'none'})"
        )
    if predicted_label is not None:
        column = _column(table, predicted_label, "predicted_label")
        return _positive(column, predicted_label, values, threshold), [predicted_label]
    if probability is not None:
        column = _column(table, probability, "probability")
        cut = _threshold(probability_threshold, "probability_threshold")
        return columns.above(column, cut, probability), [probability]
    if not hasattr(model, "predict"):
        raise UsageError(f"model must have a predict method; got a {type(model).__name__}")
    loaded = model if isinstance(model, LoadedModel) else LoadedModel.from_object(model)
    answers = np.asarray(loaded.predict(table.drop_columns([label])))
    if answers.ndim != 1 or len(answers) != table.num_rows:
        raise UsageError(
            f"the model gave predictions of shape {answers.shape} for {table.num_rows} rows"
        )
    return _positive(pa.chunked_array([answers]), "prediction", values, threshold), []


def posttraining_bias(
    data: Any,
    *,
    label: str,
    label_values: Values = None,
    label_threshold: float | None = None,
    facet: str,
    facet_values: Values = None,
    facet_threshold: float | None = None,
    predicted_label: str | None = None,
    probability: str | None = None,
    probability_threshold: float = 0.5,
    model: Any = None,
    group_variable: str | None = None,
    methods: str | Sequence[str] = "all",
    format: str | None = None,
    csv: CsvOptions | None = None,
) -> dict[str, Any]:
    """Clarify's post-training bias metrics: its ``post_training_bias_metrics``.

    Arguments as for :func:`pretraining_bias`, and the model's answers from one of:
    ``predicted_label``, a column of predicted labels (positive as the label is);
    ``probability``, a column of scores, positive above ``probability_threshold``; or
    ``model``, an object with ``predict`` (or a :class:`~watchkeeper.model.LoadedModel`)
    run on every column but the label. ``methods`` are among AD, CDDPL, DAR, DCA, DCR,
    DI, DPPL, DRR, FT, GE, RD, SD, TE. FT (the flip test) trains a
    k-nearest-neighbours classifier on group a's numeric columns (all but the facet,
    label and prediction columns) and fails on non-numeric ones, as Clarify does.

    Example:
        >>> import pyarrow as pa
        >>> table = pa.table({"sex": [0, 0, 1, 1], "approved": [1, 0, 1, 0],
        ...                   "predicted": [1, 1, 1, 0]})
        >>> section = posttraining_bias(table, label="approved", label_values=[1],
        ...                             facet="sex", facet_values=[0],
        ...                             predicted_label="predicted", methods=["DPPL", "DI"])
        >>> [(m["name"], m["value"]) for m in section["facets"]["sex"][0]["metrics"]]
        [('DI', 2.0), ('DPPL', -0.5)]
    """
    chosen = _methods(methods, POSTTRAINING, "post-training")
    table = read_table(data, format=format, csv=csv)
    label_column, values, threshold, label_text = _label_rule(
        table, label, label_values, label_threshold
    )
    splits = _splits(table, facet, facet_values, facet_threshold)
    groups = _groups(table, group_variable)
    positive = _positive(label_column, label, values, threshold)
    predicted, outputs = _predictions(
        table,
        label=label,
        values=values,
        threshold=threshold,
        predicted_label=predicted_label,
        probability=probability,
        probability_threshold=probability_threshold,
        model=model,
    )
    features = _features(table, [facet, label, *outputs]) if "FT" in chosen else None
    facets = []
    for split in splits:
        tally = Tally.of(split.sensitive, positive, predicted, group_codes=groups)
        metrics = []
        for name in chosen:
            if name == "FT":
                metrics.append(_result(name, _flip, features, split, predicted))
            else:
                metrics.append(_result(name, POSTTRAINING[name], tally))
        facets.append({"value_or_threshold": split.text, "metrics": metrics})
    return _section(label, label_text, facet, facets)


def _features(table: pa.Table, leave_out: list[str]) -> np.ndarray | str:
    """Numeric feature columns as one float matrix, or why there is none."""
    kept = [name for name in table.column_names if name not in leave_out]
    text = [
        name
        for name in kept
        if not (
            columns.is_numeric(table.column(name).type)
            or pa.types.is_boolean(table.column(name).type)
        )
    ]
    if text:
        return "FlipTest does not support non-numeric columns"
    if not kept:
        return "FlipTest needs at least one feature column"
    return np.column_stack([columns.numbers(table.column(name), name) for name in kept])


def _flip(features: np.ndarray | str | None, split: _Split, predicted: np.ndarray) -> float:
    if isinstance(features, str):
        raise MetricFailure(features)
    assert features is not None
    if np.isnan(features).any():
        raise MetricFailure("FlipTest does not support missing values in feature columns")
    return flip_test(features, split.sensitive, predicted)
