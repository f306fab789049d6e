"""Model quality: metrics against ground truth, their constraints, and ground-truth labels.

``model_quality`` computes SageMaker's model-quality ``statistics.json`` for binary,
multiclass and regression models; ``suggest_quality_constraints`` and ``check_quality``
turn a baseline into constraints and judge later statistics;
``suggest_quality_baseline`` makes (and writes) both documents of a model-quality
baseline from predictions and labels, as ``watchkeeper quality baseline`` does;
``upload_ground_truth``,
``read_ground_truth`` and ``merge_with_captures`` bring labels and captured predictions
together.
"""

from watchkeeper.quality.baseline import QualityBaseline, suggest_quality_baseline
from watchkeeper.quality.constraints import check_quality, suggest_quality_constraints
from watchkeeper.quality.groundtruth import (
    Merged,
    Upload,
    merge_with_captures,
    read_ground_truth,
    upload_ground_truth,
)
from watchkeeper.quality.metrics import PROBLEM_TYPES, model_quality

__all__ = [
    "PROBLEM_TYPES",
    "Merged",
    "QualityBaseline",
    "Upload",
    "check_quality",
    "merge_with_captures",
    "model_quality",
    "read_ground_truth",
    "suggest_quality_baseline",
    "suggest_quality_constraints",
    "upload_ground_truth",
]
