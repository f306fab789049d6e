"""Partial dependence of a model's output on its features, as SageMaker Clarify writes it.

For a feature and a grid of its values, the partial dependence at a grid value ``v`` is
the model's output averaged over every row of the data with that feature set to ``v``
(the other features keep their values). The grid of a numeric feature is the centres of
``grid_resolution`` equal-width buckets between its smallest and largest value (Clarify
divides the range into that many buckets); a feature of text or booleans takes each of
its categories in sorted order. The model runs once per grid value, on all the rows
(a float matrix when every feature is numeric or boolean, else the table).

The output explained is the one Kernel SHAP explains (see :mod:`watchkeeper.explain.kernel`):
``predict`` of a regressor, the positive class's probability of a binary classifier,
each class's probability otherwise. Each feature becomes one entry of Clarify's
``explanations.pdp`` list::

    {"feature_name": "age", "data_type": "numerical", "feature_values": [...],
     "model_predictions": [[...one list per label...]], "label_headers": ["label0"]}

>>> import numpy as np, pyarrow as pa
>>> from sklearn.linear_model import LinearRegression
>>> table = pa.table({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 2.0, 1.0]})  # y = 2a + b
>>> model = LinearRegression().fit(np.column_stack([table["a"], table["b"]]), [1, 2, 6, 7])
>>> [entry] = partial_dependence(model, table, features=["a"], grid_resolution=3)
>>> entry["feature_values"], [round(v, 6) for v in entry["model_predictions"][0]]
([0.5, 1.5, 2.5], [2.0, 4.0, 6.0])
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.errors import InputError, UsageError
from watchkeeper.explain.kernel import loaded_model, model_output
from watchkeeper.explain.table import feature_matrix
from watchkeeper.io import CsvOptions, read_table

__all__ = [
    "DEFAULT_GRID_RESOLUTION",
    "DEFAULT_TOP_K_FEATURES",
    "grid",
    "partial_dependence",
    "top_features",
]

# Clarify's defaults (the SDK's PDPConfig)
DEFAULT_GRID_RESOLUTION = 15
DEFAULT_TOP_K_FEATURES = 10
NUMERICAL, CATEGORICAL = "numerical", "categorical"


def grid(column: pa.ChunkedArray | pa.Array, grid_resolution: int) -> tuple[str, list[Any]]:
    """The data type (``numerical`` or ``categorical``) and the grid of one column.

    >>> grid(pa.array([0.0, 10.0, 4.0]), 5)
    ('numerical', [1.0, 3.0, 5.0, 7.0, 9.0])
    >>> grid(pa.array(["b", "a", None, "b"]), 5)
    ('categorical', ['a', 'b'])
    """
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    kind = column.type
    if pa.types.is_dictionary(kind):
        column, kind = column.cast(kind.value_type), kind.value_type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
        finite = values[np.isfinite(values)]
        if len(finite) == 0:
            raise InputError("has no numeric values to make a grid from")
        low, high = float(finite.min()), float(finite.max())
        if low == high:
            return NUMERICAL, [low]
        width = (high - low) / grid_resolution
        return NUMERICAL, [low + width * (i + 0.5) for i in range(grid_resolution)]
    categories = pc.unique(column.drop_null())
    if len(categories) == 0:
        raise InputError("has no values to make a grid from")
    return CATEGORICAL, sorted(categories.to_pylist())


def top_features(importance: Mapping[str, float], top_k_features: int) -> list[str]:
    """The ``top_k_features`` features of largest absolute importance (global SHAP
    values), the most important first; ties keep the given order.

    >>> top_features({"a": 0.1, "b": -0.5, "c": 0.3}, 2)
    ['b', 'c']
    """
    ranked = sorted(
        importance,
        key=lambda name: -abs(importance[name]) if _finite(importance[name]) else math.inf,
    )
    return ranked[:top_k_features]


def partial_dependence(
    model: Any,
    data: Any,
    *,
    features: Sequence[str] | None = None,
    importance: Mapping[str, float] | None = None,
    grid_resolution: int = DEFAULT_GRID_RESOLUTION,
    top_k_features: int = DEFAULT_TOP_K_FEATURES,
    label_headers: Sequence[str] | None = None,
    format: str | None = None,
    csv: CsvOptions | None = None,
) -> list[dict[str, Any]]:
    """Clarify's ``explanations.pdp`` entries of ``model`` on ``data``.

    Args:
        model: as for :func:`~watchkeeper.explain.explain` (an object with ``predict``,
            a :class:`~watchkeeper.model.LoadedModel`, a model file or ``module:attr``).
        data: the rows averaged over: anything :func:`~watchkeeper.io.read_table`
            reads. Its columns are the model's features (by the model's feature names
            when it knows them, else all of them, in order).
        features: the features to plot; without them, the ``top_k_features`` features
            of largest absolute ``importance`` (global SHAP values), as Clarify picks
            them when it has SHAP values.
        grid_resolution: the number of buckets a numeric feature's range is divided into.
        label_headers: names of the outputs (default ``label0``, ``label1``, ...).

    Raises:
        UsageError: an option has a value that is not allowed, or a feature is unknown.
        InputError: the data cannot be read or a feature has no values.
    """
    _check(grid_resolution, "grid_resolution")
    _check(top_k_features, "top_k_features")
    loaded = loaded_model(model)
    table = read_table(data, format=format, csv=csv)
    if loaded.feature_names is not None:
        missing = [name for name in loaded.feature_names if name not in table.column_names]
        if missing:
            raise InputError(f"the data has no column {missing[0]!r}, which the model takes")
        table = table.select(loaded.feature_names)
    chosen = _chosen(features, importance, top_k_features, table.column_names)
    rows = _numeric_matrix(table)
    inputs = rows.copy() if rows is not None else table
    output, labels = model_output(loaded, inputs, False, label_headers)
    entries = []
    for name in chosen:
        try:
            data_type, values = grid(table.column(name), grid_resolution)
        except InputError as exc:
            raise InputError(f"feature {name!r} {exc}") from None
        position = table.column_names.index(name)
        means = np.empty((len(values), len(labels)))
        for index, value in enumerate(values):
            if rows is not None:
                # one buffer for every grid value: the column is overwritten, then restored
                inputs[:, position] = float(value)
                varied = inputs
            else:
                # a numeric grid value is fractional whatever the column's type holds
                kind = pa.float64() if data_type == NUMERICAL else table.schema.field(name).type
                fixed = pa.repeat(pa.scalar(value, kind), table.num_rows)
                varied = table.set_column(position, name, fixed)
            predictions = np.asarray(output(varied), dtype=np.float64)
            means[index] = predictions.reshape(table.num_rows, -1).mean(axis=0)
        if rows is not None:
            inputs[:, position] = rows[:, position]
        entries.append(
            {
                "feature_name": name,
                "data_type": data_type,
                "feature_values": values,
                "model_predictions": [
                    [_number(value) for value in means[:, label].tolist()]
                    for label in range(len(labels))
                ],
                "label_headers": labels,
            }
        )
    return entries


def _numeric_matrix(table: pa.Table) -> np.ndarray | None:
    """The table as one float matrix when every column is numbers or booleans (the
    model then runs on arrays, as Kernel SHAP runs it); None when one holds text."""
    kinds = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean, pa.types.is_null)
    if not all(any(test(field.type) for test in kinds) for field in table.schema):
        return None
    matrix, _ = feature_matrix(table, None)
    return matrix


def _chosen(
    features: Sequence[str] | None,
    importance: Mapping[str, float] | None,
    top_k_features: int,
    columns: list[str],
) -> list[str]:
    if features is None:
        if importance is None:
            raise UsageError(
                "partial dependence needs the features to plot, or SHAP values to pick "
                "the top features by"
            )
        features = top_features(importance, top_k_features)
    if isinstance(features, str):
        raise UsageError("features must be a list of column names, not one string")
    chosen = [str(name) for name in features]
    unknown = [name for name in chosen if name not in columns]
    if unknown:
        raise UsageError(
            f"feature {unknown[0]!r} is not a feature of the model "
            f"(features: {', '.join(columns[:10])})"
        )
    if not chosen:
        raise UsageError("features must name at least one feature")
    return chosen


def _check(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise UsageError(f"{name} must be a positive integer, not {value!r}")


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


def _number(value: float) -> float | None:
    # JSON has no NaN; a model that answers NaN leaves the value unknown
    return value if math.isfinite(value) else None
