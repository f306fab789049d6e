"""Reports on a profile: the per-feature table (CSV, JSON) and a self-contained HTML page;
the model pages (quality, bias, explanations); and the charts the reports and the
dashboard share: the palette and distributions (:mod:`~watchkeeper.report.charts`),
batches over time (:mod:`~watchkeeper.report.batch_charts`) and sparklines
(:mod:`~watchkeeper.report.sparkline`).

>>> import pyarrow as pa
>>> from watchkeeper.profile import DatasetProfile
>>> from watchkeeper.report import feature_table
>>> p = DatasetProfile()
>>> p.track(pa.table({"age": [31, 45, None]}))
>>> feature_table(p)[0]["missing"]
1
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from watchkeeper.lazy import lazy_exports

# Imported on first use: the feature table of `watchkeeper profile` needs no templates.
_TABLE = "watchkeeper.report.table"
_WRITER = "watchkeeper.report.writer"
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "render_bias_html": "watchkeeper.report.bias_page",
        "write_bias_report": "watchkeeper.report.bias_page",
        "render_explanations_html": "watchkeeper.report.explanations_page",
        "write_explanations_report": "watchkeeper.report.explanations_page",
        "render_html": "watchkeeper.report.page",
        "render_quality_html": "watchkeeper.report.quality_page",
        "write_quality_report": "watchkeeper.report.quality_page",
        "FEATURE_FIELDS": _TABLE,
        "feature_row": _TABLE,
        "feature_table": _TABLE,
        "table_csv": _TABLE,
        "table_json": _TABLE,
        "REPORT_NAMES": _WRITER,
        "render_report": _WRITER,
        "write_plotly_bundle": _WRITER,
        "write_report": _WRITER,
    },
)

if TYPE_CHECKING:
    from watchkeeper.report.bias_page import render_bias_html as render_bias_html
    from watchkeeper.report.bias_page import write_bias_report as write_bias_report
    from watchkeeper.report.explanations_page import (
        render_explanations_html as render_explanations_html,
    )
    from watchkeeper.report.explanations_page import (
        write_explanations_report as write_explanations_report,
    )
    from watchkeeper.report.page import render_html
    from watchkeeper.report.quality_page import render_quality_html as render_quality_html
    from watchkeeper.report.quality_page import write_quality_report as write_quality_report
    from watchkeeper.report.table import (
        FEATURE_FIELDS,
        feature_row,
        feature_table,
        table_csv,
        table_json,
    )
    from watchkeeper.report.writer import (
        REPORT_NAMES,
        render_report,
        write_plotly_bundle,
        write_report,
    )

__all__ = [
    "FEATURE_FIELDS",
    "REPORT_NAMES",
    "feature_row",
    "feature_table",
    "render_html",
    "render_report",
    "table_csv",
    "table_json",
    "write_plotly_bundle",
    "write_report",
]
