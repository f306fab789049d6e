"""``analysis_type=MODEL_QUALITY`` in the Model Monitor container: the predictions and
their ground truth, as columns of the window's rows, judged as a model-quality schedule
judges them (:func:`watchkeeper.quality.model_quality`).

The rows must carry the label: a batch transform dataset with its ground-truth column,
or captures whose record preprocessor adds it. The environment names the columns as
SageMaker's model-quality job does: ``problem_type`` (``BinaryClassification``,
``MulticlassClassification``, ``Regression``), ``inference_attribute``,
``probability_attribute``, ``probability_threshold_attribute`` and
``ground_truth_attribute``; ``baseline_constraints`` is a model-quality
``constraints.json``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from watchkeeper.artifacts import CONSTRAINT_VIOLATIONS, CONSTRAINTS, STATISTICS
from watchkeeper.checks.violations import Violation, violations_document
from watchkeeper.errors import UsageError
from watchkeeper.quality import (
    PROBLEM_TYPES,
    check_quality,
    model_quality,
    suggest_quality_constraints,
)
from watchkeeper.quality.metrics import quality_metric_points

MODEL_QUALITY = "MODEL_QUALITY"


@dataclass(frozen=True)
class QualitySettings:
    problem_type: str
    ground_truth_attribute: str
    inference_attribute: str | None = None
    probability_attribute: str | None = None
    probability_threshold: float = 0.5


def quality_settings(values: Mapping[str, str]) -> QualitySettings:
    """The model-quality variables of ``values``; a UsageError naming a wrong one."""
    problem = (values.get("problem_type") or "").strip()
    if problem not in PROBLEM_TYPES:
        raise UsageError(
            f"environment variable problem_type: {problem!r} is not one of "
            f"{', '.join(PROBLEM_TYPES)} (analysis_type {MODEL_QUALITY} needs it)"
        )
    truth = (values.get("ground_truth_attribute") or "").strip()
    if not truth:
        raise UsageError(
            f"environment variable ground_truth_attribute is not set "
            f"(analysis_type {MODEL_QUALITY} needs it)"
        )
    inference = (values.get("inference_attribute") or "").strip() or None
    probability = (values.get("probability_attribute") or "").strip() or None
    if inference is None and not (problem == "BinaryClassification" and probability):
        raise UsageError(
            "environment variable inference_attribute is not set (only a binary "
            "classifier may give probability_attribute alone)"
        )
    text = (values.get("probability_threshold_attribute") or "0.5").strip()
    try:
        threshold = float(text)
    except ValueError:
        threshold = math.nan
    if not 0 <= threshold <= 1:
        raise UsageError(
            f"environment variable probability_threshold_attribute: {text!r} is not a "
            "probability between 0 and 1"
        )
    return QualitySettings(problem, truth, inference, probability, threshold)


@dataclass
class QualityOutcome:
    files: dict[str, str]
    points: list[tuple[str, str, float]]
    violations: list[Violation]
    rows: int


def analyse_quality(
    data: object,
    settings: QualitySettings,
    constraints: dict[str, Any] | None,
    **read_options: Any,
) -> QualityOutcome:
    """The window's model-quality ``statistics.json``, its suggested ``constraints.json``
    and, against ``constraints``, its ``constraint_violations.json``."""
    statistics = model_quality(
        data,
        problem_type=settings.problem_type,
        inference_attribute=settings.inference_attribute,
        ground_truth_attribute=settings.ground_truth_attribute,
        probability_attribute=settings.probability_attribute
        if settings.problem_type == "BinaryClassification" else None,
        probability_threshold=settings.probability_threshold,
        **read_options,
    )  # fmt: skip
    files = {
        STATISTICS: json.dumps(statistics, indent=4),
        CONSTRAINTS: json.dumps(suggest_quality_constraints(statistics), indent=4),
    }
    violations: list[Violation] = []
    if constraints is not None:
        violations = check_quality(statistics, constraints)
        files[CONSTRAINT_VIOLATIONS] = json.dumps(violations_document(violations), indent=4)
    points = [point for point in quality_metric_points(statistics) if math.isfinite(point[2])]
    return QualityOutcome(files, points, violations, int(statistics["dataset"]["item_count"]))
