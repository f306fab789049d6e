"""A model-quality baseline: SageMaker's model-quality ``statistics.json`` and its
suggested ``constraints.json``, with the report page, from predictions and labels."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.artifacts import CONSTRAINTS, REPORT_HTML, STATISTICS
from watchkeeper.baseline.jackson import dumps
from watchkeeper.io.storage import write_files
from watchkeeper.quality.constraints import suggest_quality_constraints
from watchkeeper.quality.metrics import model_quality
from watchkeeper.report import render_quality_html

__all__ = ["QualityBaseline", "suggest_quality_baseline"]


@dataclass(frozen=True)
class QualityBaseline:
    """The two documents of a model-quality baseline and where they were written.

    ``statistics`` is the model-quality ``statistics.json`` document, ``constraints``
    the suggested ``constraints.json``; ``files`` maps each file written (also
    ``report.html``) to its URI, and is empty when nothing was written.
    """

    statistics: dict[str, Any]
    constraints: dict[str, Any]
    files: dict[str, str] = field(default_factory=dict)


def suggest_quality_baseline(
    data: object,
    output: str | os.PathLike[str] | None = None,
    *,
    problem_type: str,
    ground_truth_attribute: str,
    inference_attribute: str | None = None,
    probability_attribute: str | None = None,
    probability_threshold: float = 0.5,
    positive_label: object = 1,
    r2: str = "standard",
    seed: int = 0,
    subtitle: str | None = None,
    storage_options: dict | None = None,
    **read_options: Any,
) -> QualityBaseline:
    """The model-quality baseline of ``data``, as SageMaker's model-quality baselining
    job makes it: the metrics of :func:`~watchkeeper.quality.model_quality` (same
    arguments) and the constraints :func:`~watchkeeper.quality.suggest_quality_constraints`
    suggests from them.

    With ``output`` (a folder or URI), writes ``statistics.json``, ``constraints.json``
    and ``report.html`` there as one set: all are rendered before any is written, and a
    failure leaves ``output`` as it was. ``subtitle`` heads the report (by default the
    path or URI of ``data``). ``watchkeeper quality baseline`` runs this.

    >>> rows = [{"label": 1.0, "prediction": 0.5}, {"label": 0.0, "prediction": 0.5},
    ...         {"label": 2.0, "prediction": 1.5}]
    >>> made = suggest_quality_baseline(rows, problem_type="Regression",
    ...                                 inference_attribute="prediction",
    ...                                 ground_truth_attribute="label")
    >>> made.constraints["regression_constraints"]["mae"]
    {'threshold': 0.5, 'comparison_operator': 'GreaterThanThreshold'}
    >>> made.files
    {}
    """
    statistics = model_quality(
        data,
        problem_type=problem_type,
        inference_attribute=inference_attribute,
        ground_truth_attribute=ground_truth_attribute,
        probability_attribute=probability_attribute,
        probability_threshold=probability_threshold,
        positive_label=positive_label,
        r2=r2,
        seed=seed,
        storage_options=storage_options,
        **read_options,
    )
    constraints = suggest_quality_constraints(statistics)
    if output is None:
        return QualityBaseline(statistics, constraints)
    if subtitle is None and isinstance(data, str | os.PathLike):
        subtitle = os.fspath(data)
    documents = {
        STATISTICS: dumps(statistics),
        CONSTRAINTS: dumps(constraints),
        REPORT_HTML: render_quality_html(statistics, subtitle=subtitle),
    }
    written = write_files(output, documents, storage_options)
    return QualityBaseline(statistics, constraints, written)
