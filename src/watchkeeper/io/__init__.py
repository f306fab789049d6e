"""Readers: every supported source as a stream of bounded Arrow record batches.

CSV, TSV, Parquet and JSON Lines files (local, ``file://``, ``s3://`` or any fsspec
location; plain or compressed), folders and globs of them, and in-memory tables
(pandas, polars, pyarrow, lists of dicts) all come out of :func:`read_batches` the same
way: record batches of at most ``batch_rows`` rows, memory bounded by the batch size
rather than the input size.

>>> import pyarrow as pa
>>> from watchkeeper.io import read_batches
>>> sum(batch.num_rows for batch in read_batches(pa.table({"x": [1, 2, 3]})))
3
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeeper.lazy import lazy_exports

# Imported on first use: the options of the command line need CsvOptions, not pyarrow.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "CsvOptions": "watchkeeper.io.options",
        "list_files": "watchkeeper.io.files",
        "read_batches": "watchkeeper.io.reader",
        "read_table": "watchkeeper.io.table",
    },
)

if TYPE_CHECKING:
    from watchkeeper.io.files import list_files
    from watchkeeper.io.options import CsvOptions
    from watchkeeper.io.reader import read_batches
    from watchkeeper.io.table import read_table

__all__ = ["CsvOptions", "list_files", "read_batches", "read_table"]
