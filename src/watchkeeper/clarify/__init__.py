"""SageMaker Clarify's processing job, run locally from its ``analysis_config.json``:
``run_clarify(read_analysis_config(path), data, out_dir)`` writes ``analysis.json``,
``explanations_shap/out.csv`` and the report page, as ``watchkeeper clarify`` does.
"""

from __future__ import annotations

from watchkeeper.clarify.config import AnalysisConfig, parse_analysis_config, read_analysis_config
from watchkeeper.clarify.job import ClarifyResult, run_clarify

__all__ = [
    "AnalysisConfig",
    "ClarifyResult",
    "parse_analysis_config",
    "read_analysis_config",
    "run_clarify",
]
