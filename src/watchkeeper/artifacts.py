"""The names of the files watchkeeper writes and reads, in one place.

They are SageMaker's: a baseline folder holds :data:`STATISTICS` and :data:`CONSTRAINTS`
(Model Monitor's data-quality or model-quality documents), and watchkeeper's
:data:`SAMPLE` beside them; a check or a monitoring
execution writes :data:`STATISTICS`, :data:`CONSTRAINT_VIOLATIONS` and the report files;
Clarify's bias and explainability results are :data:`ANALYSIS`. Nothing here imports any
other part of watchkeeper, so every layer can name its files from here.

>>> REPORT_FILES["html"]
'report.html'
"""

from __future__ import annotations

STATISTICS = "statistics.json"
CONSTRAINTS = "constraints.json"
CONSTRAINT_VIOLATIONS = "constraint_violations.json"
ANALYSIS = "analysis.json"
# watchkeeper's own file in a baseline folder (SageMaker reads only the two above): a
# bounded sample of the baseline's rows, for multivariate drift
SAMPLE = "watchkeeper-sample.parquet"

REPORT_HTML = "report.html"
REPORT_CSV = "report.csv"
REPORT_JSON = "report.json"
# the report's files by the short name callers choose them with (``names=("html",)``)
REPORT_FILES = {"html": REPORT_HTML, "csv": REPORT_CSV, "json": REPORT_JSON}

__all__ = [
    "ANALYSIS",
    "CONSTRAINTS",
    "CONSTRAINT_VIOLATIONS",
    "REPORT_CSV",
    "REPORT_FILES",
    "REPORT_HTML",
    "REPORT_JSON",
    "SAMPLE",
    "STATISTICS",
]
