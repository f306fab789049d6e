"""Reports on a profile: the per-feature table (CSV, JSON) and a self-contained HTML page.

>>> import pyarrow as pa
>>> from watchkeeper.profile import DatasetProfile
>>> p = DatasetProfile()
>>> p.track(pa.table({"age": [31, 45, None]}))
>>> feature_table(p)[0]["missing"]
1
"""

from __future__ import annotations

from watchkeeper.report.page import render_html
from watchkeeper.report.table import (
    FEATURE_FIELDS,
    feature_row,
    feature_table,
    table_csv,
    table_json,
)
from watchkeeper.report.writer import REPORT_NAMES, write_plotly_bundle, write_report

__all__ = [
    "FEATURE_FIELDS",
    "REPORT_NAMES",
    "feature_row",
    "feature_table",
    "render_html",
    "table_csv",
    "table_json",
    "write_plotly_bundle",
    "write_report",
]
