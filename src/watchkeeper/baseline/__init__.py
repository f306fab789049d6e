"""Baselines: SageMaker-compatible ``statistics.json`` and ``constraints.json``."""

from __future__ import annotations

from watchkeeper.baseline.constraints import (
    Constraints,
    FeatureConstraints,
    MonitoringConfig,
    categorical_drift_method_name,
    comparison_method_name,
    constraints_json,
    parse_constraints,
    read_constraints,
    suggest_constraints,
    write_constraints,
)
from watchkeeper.baseline.model import (
    CONSTRAINTS,
    STATISTICS,
    Baseline,
    load_baseline,
    write_baseline,
)
from watchkeeper.baseline.statistics import (
    profile_from_statistics,
    read_statistics,
    statistics_document,
    statistics_json,
    write_statistics,
)

__all__ = [
    "CONSTRAINTS",
    "STATISTICS",
    "Baseline",
    "Constraints",
    "FeatureConstraints",
    "MonitoringConfig",
    "categorical_drift_method_name",
    "comparison_method_name",
    "constraints_json",
    "load_baseline",
    "parse_constraints",
    "profile_from_statistics",
    "read_constraints",
    "read_statistics",
    "statistics_document",
    "statistics_json",
    "suggest_constraints",
    "write_baseline",
    "write_constraints",
    "write_statistics",
]
