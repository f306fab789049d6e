"""SHAP attributions: Kernel SHAP values of a model, Clarify's files, attribution drift.

>>> import numpy as np
>>> from sklearn.linear_model import LinearRegression
>>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
>>> model = LinearRegression().fit(X, X @ [2.0, -1.0])
>>> result = explain(model, X, baseline=X[:1], features=["a", "b"])
>>> {name: round(value, 6) for name, value in result.global_values["label0"].items()}
{'a': 3.0, 'b': 0.5}
"""

from __future__ import annotations

from watchkeeper.explain.drift import (
    DEFAULT_THRESHOLD,
    AttributionDrift,
    attribution_drift,
    attribution_drift_violations,
    ndcg,
)
from watchkeeper.explain.kernel import AGG_METHODS, Explanation, aggregate, explain
from watchkeeper.explain.output import analysis_document, write_explanations
from watchkeeper.explain.pdp import partial_dependence

__all__ = [
    "AGG_METHODS",
    "DEFAULT_THRESHOLD",
    "AttributionDrift",
    "Explanation",
    "aggregate",
    "analysis_document",
    "attribution_drift",
    "attribution_drift_violations",
    "explain",
    "ndcg",
    "partial_dependence",
    "write_explanations",
]
