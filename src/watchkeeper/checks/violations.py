"""The one violation type every check returns, and ``constraint_violations.json``.

Data-quality constraints and rules, drift, model quality, bias drift, attribution drift
and the dashboard's monitors all judge into :class:`Violation`; the report, the JSON
files, the alert and the dashboard show its figures under its names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.baseline.jackson import dumps
from watchkeeper.io.storage import write_text

# SageMaker's check types
DATA_TYPE = "data_type_check"
COMPLETENESS = "completeness_check"
BASELINE_DRIFT = "baseline_drift_check"
MISSING_COLUMN = "missing_column_check"
EXTRA_COLUMN = "extra_column_check"
CATEGORICAL_VALUES = "categorical_values_check"
SAGEMAKER_CHECKS = (
    DATA_TYPE,
    COMPLETENESS,
    BASELINE_DRIFT,
    MISSING_COLUMN,
    EXTRA_COLUMN,
    CATEGORICAL_VALUES,
)

# watchkeeper's rule checks (rules file)
ROW_COUNT = "row_count_check"
MISSING_VALUES = "missing_values_check"
SINGLE_VALUE = "single_value_check"
RANGE = "range_check"
ALLOWED_VALUES = "allowed_values_check"
REGEX = "regex_check"
RULE_CHECKS = (ROW_COUNT, MISSING_VALUES, SINGLE_VALUE, RANGE, ALLOWED_VALUES, REGEX)

# the dashboard's drift against the batch before (against the baseline: BASELINE_DRIFT)
PREVIOUS_DRIFT = "previous_batch_drift_check"

# watchkeeper's drift across columns (a sample of the baseline's rows against the current)
MULTIVARIATE_DRIFT = "multivariate_drift_check"

# a metric anomalous against its own history (a schedule's series, a dataset's figure)
HISTORY_ANOMALY = "metric_history_check"

# SageMaker's model monitors
BIAS_DRIFT = "bias_drift_check"
ATTRIBUTION_DRIFT = "feature_attribution_drift_check"


@dataclass(frozen=True)
class Violation:
    """One broken constraint or rule.

    ``feature_name``, ``constraint_check_type`` and ``description`` are what SageMaker
    writes. ``observed`` and ``threshold`` are the figures behind the description (the
    measured value and the limit it broke), ``details`` anything else worth showing
    (p-value, the test that decided, unexpected values ...).

    ``sagemaker`` is the entry SageMaker's own monitor writes for it in
    ``constraint_violations.json`` when that is not the data-quality shape (a model-quality
    metric's ``metric_name``, a bias metric's ``facet``/``facet_value``, an attribution
    label); ``feature_name`` then names what was judged, for people.
    """

    feature_name: str
    constraint_check_type: str
    description: str
    observed: float | None = None
    threshold: float | None = None
    details: dict[str, Any] = field(default_factory=dict)
    sagemaker: dict[str, str] | None = None

    def to_sagemaker(self) -> dict[str, str]:
        if self.sagemaker is not None:
            return dict(self.sagemaker)
        return {
            "feature_name": self.feature_name,
            "constraint_check_type": self.constraint_check_type,
            "description": self.description,
        }

    def to_dict(self) -> dict[str, Any]:
        """watchkeeper's form, the same for every kind of check (reports, ``--json``,
        alerts, the dashboard)."""
        return {
            "feature_name": self.feature_name,
            "constraint_check_type": self.constraint_check_type,
            "description": self.description,
            "observed": self.observed,
            "threshold": self.threshold,
            "details": dict(self.details),
        }

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> Violation:
        """The violation :meth:`to_dict` wrote."""
        return cls(
            str(document["feature_name"]),
            str(document["constraint_check_type"]),
            str(document.get("description") or ""),
            document.get("observed"),
            document.get("threshold"),
            dict(document.get("details") or {}),
        )


def violations_document(
    violations: list[Violation], version: str | None = None
) -> dict[str, Any]:
    """``constraint_violations.json``'s content (Clarify's monitors also write a version)."""
    head = {} if version is None else {"version": version}
    return {**head, "violations": [violation.to_sagemaker() for violation in violations]}


def violations_json(violations: list[Violation]) -> str:
    """``constraint_violations.json`` text, printed as SageMaker prints it."""
    return dumps(violations_document(violations))


def write_violations(
    violations: list[Violation], uri: str | os.PathLike[str], storage_options: dict | None = None
) -> str:
    return write_text(uri, violations_json(violations), storage_options)
