"""``read_table``: a whole source as one Arrow table, for the analyses that read every
row at once (bias metrics, partial dependence)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from watchkeeper.errors import UsageError
from watchkeeper.io.options import CsvOptions
from watchkeeper.io.reader import read_batches


def read_table(data: Any, *, format: str | None = None, csv: CsvOptions | None = None) -> pa.Table:
    """Every row of ``data`` (anything :func:`~watchkeeper.io.read_batches` reads) as one
    table; a table is returned as it is.

    >>> read_table([{"x": 1}, {"x": 2}]).num_rows
    2
    """
    if isinstance(data, pa.Table):
        return data
    batches = read_batches(data, format=format, csv=csv)
    tables = [pa.Table.from_batches([batch]) for batch in batches]
    if not tables:
        raise UsageError("the data has no rows")
    return pa.concat_tables(tables, promote_options="permissive")
