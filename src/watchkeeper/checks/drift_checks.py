"""Drift as check units: the default detector, SageMaker's distance, the Hellinger distance.

Each unit is two steps, as a Deequ analyzer and its constraint: :meth:`measure` reads
the two column profiles once and returns plain figures (a dict that can be stored, so a
dashboard judges a batch again under a new threshold without its profiles), and
:meth:`judge` turns those figures into a :class:`Violation` or None. The CLI, the
watcher, a scheduled job and the dashboard's monitors run the same units, so the same
drift reads the same everywhere: one figure (``observed``), its limit (``threshold``)
and one description.

>>> import numpy as np, pyarrow as pa
>>> from watchkeeper.profile import DatasetProfile
>>> def column(values):
...     profile = DatasetProfile()
...     profile.track(pa.table({"x": values}))
...     return profile.columns["x"]
>>> rng = np.random.default_rng(0)
>>> unit = DetectorDrift()
>>> found = unit.judge("x", unit.measure(column(rng.normal(0, 1, 5000)),
...                                      column(rng.normal(0.85, 1, 2000))))
>>> found.description
'location moved 0.87 sd (floor 0.10 sd), p = 9.8e-205, 5,000 vs 2,000 values'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.baseline.jackson import java_double
from watchkeeper.checks.violations import BASELINE_DRIFT, PREVIOUS_DRIFT, Violation
from watchkeeper.drift import (
    BaselineDrift,
    DriftResult,
    DriftSettings,
    baseline_drift_distance,
    hellinger,
)
from watchkeeper.drift.judge import judge_column
from watchkeeper.drift.text import EMBEDDING_MEAN
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.text import OUT_OF_VOCABULARY

BASELINE, PREVIOUS = "baseline", "previous"
_CHECK_TYPES = {BASELINE: BASELINE_DRIFT, PREVIOUS: PREVIOUS_DRIFT}
_AGAINST = {BASELINE: "", PREVIOUS: " against the previous batch"}


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class DetectorDrift:
    """watchkeeper's default detector (:func:`watchkeeper.drift.detect`) as a check.

    ``multiple`` scales every test's minimal meaningful effect (the dashboard's drift
    threshold: 2 asks for twice the floor; the standard-deviation ratio scales on its
    log scale). ``against`` says what the current profile is compared with.
    """

    settings: DriftSettings = field(default_factory=DriftSettings)
    multiple: float = 1.0
    against: str = BASELINE

    def measure(self, reference: ColumnProfile, current: ColumnProfile) -> dict[str, Any]:
        return measurement(judge_column(reference, current, self.settings))

    def judge(self, feature: str, figures: dict[str, Any] | None) -> Violation | None:
        if not figures or figures.get("test") is None:
            return None
        score = figures.get("score") or 0.0
        if score <= 0 or score < self.multiple:
            return None
        floor = _scaled_floor(figures["test"], figures["floor"], self.multiple)
        details = {
            "test": figures["test"],
            "p_value": figures["p_value"],
            "score": score,
            "baseline_count": figures["baseline_count"],
            "current_count": figures["current_count"],
        }
        if figures.get("subject") is not None:
            details["category"] = figures["subject"]
        return Violation(
            feature,
            _CHECK_TYPES[self.against],
            describe(figures, floor) + _AGAINST[self.against],
            figures["effect"],
            floor,
            details,
        )


def measurement(result: DriftResult) -> dict[str, Any]:
    """The figures of a detector's verdict that judging and describing need."""
    return {
        "test": result.test,
        "effect": _finite(result.effect),
        "floor": _finite(result.threshold),
        "p_value": _finite(result.p_value),
        "score": _finite(result.score),
        "baseline_count": result.baseline_count,
        "current_count": result.current_count,
        "subject": result.subject,
    }


def _scaled_floor(test: str, floor: float, multiple: float) -> float:
    if multiple == 1.0:
        return floor
    return floor**multiple if test.rpartition(":")[2] == "scale" else floor * multiple


def describe(figures: dict[str, Any], floor: float | None = None) -> str:
    """What the deciding test found, in words and figures.

    >>> describe({"test": "scale", "effect": 7.03, "floor": 1.1, "p_value": 9.6e-105,
    ...           "baseline_count": 150, "current_count": 150})
    'spread grew to 7.03 times the baseline standard deviation (floor 1.10 either way), p = 9.6e-105, 150 vs 150 values'
    """  # noqa: E501
    descriptor, _, test = figures["test"].rpartition(":")
    effect = figures["effect"]
    floor = figures["floor"] if floor is None else floor
    if test == OUT_OF_VOCABULARY:
        text = (
            f"{test}: {effect * 100:.1f} points more of the tokens unseen in the baseline "
            f"than its own text leaves unseen (floor {floor * 100:.1f} points)"
        )
    elif test == EMBEDDING_MEAN:
        text = (
            f"{test}: the mean vector moved {effect:.2f} sd per dimension "
            f"(root mean square; floor {floor:.2f} sd)"
        )
    elif test in ("null_fraction", "value_kind"):
        what = "missing values" if test == "null_fraction" else "values that are numbers"
        moved = "rose" if effect > 0 else "fell"
        text = (
            f"share of {what} {moved} {abs(effect) * 100:.1f} points "
            f"(floor {floor * 100:.1f} points)"
        )
    elif test == "location":
        text = f"location moved {effect:.2f} sd (floor {floor:.2f} sd)"
    elif test == "scale":
        moved = "grew" if effect >= 1 else "shrank"
        text = (
            f"spread {moved} to {effect:.3g} times the baseline standard deviation "
            f"(floor {floor:.2f} either way)"
        )
    elif test in ("new_category", "vanished_category"):
        side = "of rows" if test == "new_category" else "of baseline rows"
        label = "new category" if test == "new_category" else "vanished category"
        text = (
            f"{label} {figures.get('subject')!r} at {effect * 100:.1f} % {side} "
            f"(floor {floor * 100:.1f} %)"
        )
    elif test == "shape":
        text = f"distribution changed shape: KS distance {effect:.3f} (floor {floor:.2f})"
    else:
        text = f"category shares changed: total variation {effect:.3f} (floor {floor:.2f})"
    if descriptor:  # a text column's descriptor: its name says what moved
        text = f"{descriptor}: {text}"
    counts = f"{figures['baseline_count']:,} vs {figures['current_count']:,} values"
    return f"{text}, {_p(figures['p_value'])}, {counts}"


def _p(value: float | None) -> str:
    if value is None:
        return "p = n/a"
    # below the smallest float the test's arithmetic gives 0: say what is known
    return "p < 1e-300" if value == 0 else f"p = {value:.2g}"


@dataclass(frozen=True)
class HellingerDrift:
    """The Hellinger distance (0..1, symmetric) over quantile bins or categories."""

    threshold: float = 0.2
    against: str = BASELINE

    def measure(self, reference: ColumnProfile, current: ColumnProfile) -> float | None:
        return _finite(hellinger(reference, current))

    def judge(self, feature: str, distance: float | None) -> Violation | None:
        if distance is None or distance < self.threshold:
            return None
        text = f"Hellinger distance {distance:.3f} (threshold {self.threshold:g})"
        return Violation(
            feature, _CHECK_TYPES[self.against], text + _AGAINST[self.against],
            distance, self.threshold, {"method": "hellinger"},
        )  # fmt: skip


@dataclass(frozen=True)
class SageMakerDrift:
    """SageMaker's ``baseline_drift_check``: Deequ's distance with the constraints' method
    against their threshold, in SageMaker's words."""

    comparison_method: str = "Robust"
    categorical_drift_method: str = "LInfinity"
    comparison_threshold: float = 0.1
    categorical_comparison_threshold: float = 0.1

    def measure(self, reference: ColumnProfile, current: ColumnProfile) -> BaselineDrift:
        return baseline_drift_distance(
            reference, current, self.comparison_method, self.categorical_drift_method
        )

    def judge(self, feature: str, drift: BaselineDrift, categorical: bool) -> Violation | None:
        threshold = (
            self.categorical_comparison_threshold if categorical else self.comparison_threshold
        )
        if not drift.breaks(threshold):
            return None
        label = "Categorical" if categorical else "Numerical"
        description = (
            f"{label} distance: {java_double(drift.judged)} exceeds "
            f"{label.lower()} threshold: {java_double(threshold)}"
        )
        details = {"method": self.comparison_method}
        if categorical:
            details["categorical_method"] = self.categorical_drift_method
        return Violation(feature, BASELINE_DRIFT, description, drift.judged, threshold, details)


def verdict_view(verdict: DriftResult | float) -> dict[str, Any]:
    """A feature's drift verdict as the reports show it, in the violation's words and
    figure: ``drifted`` (None for a SageMaker distance, judged against the
    constraints), ``text`` and ``figure``."""
    if isinstance(verdict, DriftResult):
        if verdict.test is None:
            text = "no drift test applies (no values to compare)"
            return {"drifted": False, "text": text, "figure": None}
        figures = measurement(verdict)
        return {"drifted": verdict.drifted, "text": describe(figures), "figure": figures["effect"]}
    distance = float(verdict)
    return {"drifted": None, "text": f"distance {java_double(distance)}", "figure": distance}
