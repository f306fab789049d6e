"""The per-feature summary table: one row of plain values per column of a profile.

The row fields are a public format (CSV and JSON reports, the command line); they keep
their names and order. Counts are ints, statistics floats, and a figure that does not
apply to a column (the mean of a text column, the top value of a numeric one) is None.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from watchkeeper.profile import ColumnProfile, DatasetProfile

FEATURE_FIELDS = (
    "feature",
    "rows",
    "type",
    "missing",
    "missing_pct",
    "mean",
    "std",
    "min",
    "max",
    "distinct",
    "p50",
    "top_value",
)


def feature_table(profile: DatasetProfile) -> list[dict[str, Any]]:
    """One row per column of ``profile``, in column order, with the fields of
    :data:`FEATURE_FIELDS`.

    ``missing_pct`` is in percent (0–100); ``std`` is the population standard
    deviation (ddof=0), as SageMaker reports it; ``mean``, ``std``, ``min``, ``max``
    and ``p50`` are given for numeric columns only, ``top_value`` (the most frequent
    value) for text and boolean columns only; ``distinct`` is the rounded estimate
    (exact for small cardinalities).

    >>> import pyarrow as pa
    >>> p = DatasetProfile()
    >>> p.track(pa.table({"x": [1.0, 3.0, None], "s": ["a", "b", "a"]}))
    >>> [(r["feature"], r["missing_pct"], r["mean"], r["top_value"]) for r in feature_table(p)]
    [('x', 33.33333333333333, 2.0, None), ('s', 0.0, None, 'a')]
    """
    return [feature_row(name, column) for name, column in profile.columns.items()]


def feature_row(name: str, column: ColumnProfile) -> dict[str, Any]:
    """The table row of one column (see :func:`feature_table`)."""
    numeric = column.is_numeric and column.moments.n > 0
    top = column.categories.items(1) if not column.is_numeric else []
    return {
        "feature": name,
        "rows": column.count,
        "type": column.inferred_type,
        "missing": column.null_count,
        "missing_pct": 100.0 * column.null_fraction,
        "mean": _number(column.mean) if numeric else None,
        "std": _number(column.std_dev) if numeric else None,
        "min": _number(column.min) if numeric else None,
        "max": _number(column.max) if numeric else None,
        "distinct": _count(column.distinct_count()),
        "p50": _number(column.kll.quantiles([0.5])[0]) if numeric else None,
        "top_value": top[0][0] if top else None,
    }


def _count(value: float) -> int | None:
    # unknown for baselines read from SageMaker files, which omit it for numbers
    return None if math.isnan(value) else round(value)


def _number(value: float) -> float | None:
    # NaN means "no figure" (e.g. the spread of infinities); infinities are real extremes
    value = float(value)
    return None if math.isnan(value) else value


def table_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as CSV text with a header row.

    Numbers are printed in Python's shortest round-trip form, so ``float(cell)`` gives
    back the very value; None is an empty cell. Columns are those of the first row
    (:data:`FEATURE_FIELDS` for an empty table).
    """
    rows = list(rows)
    fields = list(rows[0]) if rows else list(FEATURE_FIELDS)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(fields)
    writer.writerows([_csv_cell(row.get(key)) for key in fields] for row in rows)
    return out.getvalue()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return value


def table_json(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as a JSON list of objects, fields in row order, null for None.

    The text is strict JSON (no NaN or Infinity: a non-finite number is null) and
    depends only on the rows, so equal profiles give equal bytes.
    """
    clean = [{key: _json_value(value) for key, value in row.items()} for row in rows]
    return json.dumps(clean, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
