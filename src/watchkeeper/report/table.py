"""The per-feature summary table: one row of plain values per column of a profile.

The row fields are a public format (CSV and JSON reports, the command line); they keep
their names and order. Counts are ints, statistics floats, and a figure that does not
apply to a column (the mean of a text column, the top value of a numeric one) is None.

``report.csv`` is opened in spreadsheets, which run a cell that starts with ``=``,
``+``, ``-`` or ``@`` (or a tab or carriage return) as a formula: a feature named
``=HYPERLINK(...)`` must not become one. Such text cells are written with a leading
``'``, the spreadsheets' own mark for "this is text". Numbers are never marked: a
count or statistic (``-1.5``) is written as a number, and so is text that is a plain
decimal number, which no spreadsheet runs. ``report.json`` keeps every value exact.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
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


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def feature_table(profile: DatasetProfile) -> list[dict[str, Any]]:
    """One row per column of ``profile``, in column order, with the fields of
    :data:`FEATURE_FIELDS`.

    ``missing_pct`` is in percent (0–100); ``std`` is the population standard
    deviation (ddof=0), as SageMaker reports it; ``mean``, ``std``, ``min``, ``max``
    and ``p50`` are given for numeric columns only, ``top_value`` (the most frequent
    value) for text and boolean columns only, and not when every value is unique;
    ``distinct`` is the rounded estimate (exact for small cardinalities, never more
    than the present values: see :func:`distinct_values`).

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
    distinct = distinct_values(column)
    top = column.categories.items(1) if not column.is_numeric and not distinct.all_unique else []
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
        "distinct": distinct.count,
        "p50": _number(column.kll.quantiles([0.5])[0]) if numeric else None,
        "top_value": top[0][0] if top else None,
    }


@dataclass(frozen=True)
class DistinctValues:
    """How many distinct values a column holds, as a report may state it.

    ``count`` is None when unknown (a SageMaker file omits it for numbers); ``exact``
    says whether it is a count or an estimate; ``all_unique`` whether no value occurs
    twice (an estimate too when ``exact`` is False).
    """

    count: int | None
    exact: bool
    all_unique: bool


def distinct_values(column: ColumnProfile) -> DistinctValues:
    """The distinct values of ``column``: counted exactly up to 4,096, estimated beyond
    (the estimate capped at the present values: a column of 5,000 ids holds at most
    5,000), and whether every value is unique.

    >>> import pyarrow as pa
    >>> p = DatasetProfile()
    >>> p.track(pa.table({"id": [f"id-{i}" for i in range(5000)]}))
    >>> distinct_values(p.columns["id"])
    DistinctValues(count=5000, exact=False, all_unique=True)
    """
    estimate = column.distinct_count()
    if math.isnan(estimate):
        return DistinctValues(None, False, False)
    exact = column.stated_distinct is None and (
        column.distinct.is_exact
        or (column.categories.is_exact and column.categories.total == column.present)
    )
    count = min(round(estimate), column.present)
    if exact:
        return DistinctValues(count, True, column.present > 1 and count == column.present)
    # unique unless the estimate is more than one standard error short of every value
    # being distinct, or a value is known to repeat
    high = column.distinct.bounds(1)[1] if column.stated_distinct is None else estimate
    unique = column.present > 1 and high >= column.present and not _a_value_repeats(column)
    return DistinctValues(count, False, unique)


def _a_value_repeats(column: ColumnProfile) -> bool:
    """Whether some value is known to occur more than once (text values only)."""
    counted = column.categories.counted(1)
    return bool(counted) and counted[0][1] > 1


def _number(value: float) -> float | None:
    # NaN means "no figure" (e.g. the spread of infinities); infinities are real extremes
    value = float(value)
    return None if math.isnan(value) else value


def table_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """The rows as CSV text with a header row.

    Numbers are printed in Python's shortest round-trip form, so ``float(cell)`` gives
    back the very value; None is an empty cell; text that a spreadsheet would run as a
    formula gets a leading ``'``. Columns are those of the first row
    (:data:`FEATURE_FIELDS` for an empty table).

    >>> print(table_csv([{"feature": "=1+1", "min": -1.5, "top_value": "-2"}]), end="")
    feature,min,top_value
    '=1+1,-1.5,-2
    """
    rows = list(rows)
    fields = list(rows[0]) if rows else list(FEATURE_FIELDS)
    out = io.StringIO()
    # With "\r\n" as terminator the writer quotes a cell holding a carriage return,
    # which with "\n" it leaves bare, splitting the row for readers; lines end in "\n".
    writer = csv.writer(out, lineterminator="\r\n")
    lines = []
    for cells in [fields, *([_csv_cell(row.get(key)) for key in fields] for row in rows)]:
        out.seek(0)
        out.truncate()
        writer.writerow(cells)
        lines.append(out.getvalue()[:-2])
    return "".join(line + "\n" for line in lines)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return value if _PLAIN_NUMBER.fullmatch(value) else "'" + value
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
