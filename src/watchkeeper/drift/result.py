"""Settings and results of watchkeeper's default drift detector."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from watchkeeper.errors import UsageError

if TYPE_CHECKING:
    from watchkeeper.profile.column import ColumnProfile


@dataclass(frozen=True)
class DriftSettings:
    """Thresholds of :func:`~watchkeeper.drift.detect`; every default was calibrated
    with ``bench/drift_calibration.py``.

    A feature drifts when one of its tests is significant at the family-wise level
    ``alpha`` (Bonferroni over the tests that apply to it) *and* its effect reaches the
    minimal meaningful size below. The tests keep small samples quiet; the effect
    floors keep large samples quiet, since at millions of rows every test finds some
    difference that nobody would act on.

    * ``alpha``: family-wise false-alarm probability per feature for small samples.
    * ``min_null_change``: change of the missing-value share (and of the share of
      values of the column's kind, e.g. text turning up in a numeric column).
    * ``min_mean_shift``: change of the mean, in pooled standard deviations.
    * ``min_sd_ratio``: ratio of standard deviations (either direction).
    * ``min_ks``: Kolmogorov–Smirnov distance, after the sketches' rank error.
    * ``min_total_variation``: total variation distance of the category shares,
      beyond what two samples of one distribution show by chance (which grows with
      the number of categories and shrinks with the sample sizes).
    * ``min_category_share``: share of its side's values a category seen on one side
      only must hold (new in the current data, or gone from the baseline).
    * ``sketch_rank_error``: rank error assumed for a KLL sketch that has compacted
      (when its own proven bound is not smaller). The largest error measured for
      watchkeeper's sketch was 0.0025 (4 million values in random order); the proven
      bound is about ten times the real error and is unknown for sketches rebuilt
      from SageMaker files.
    * ``min_expected_count``: categories are pooled until every cell of the
      baseline-versus-current table expects this many values, so that the chi-square
      approximation holds with many rare categories.
    """

    alpha: float = 0.005
    min_null_change: float = 0.05
    min_mean_shift: float = 0.1
    min_sd_ratio: float = 1.1
    min_ks: float = 0.05
    min_total_variation: float = 0.05
    min_category_share: float = 0.01
    sketch_rank_error: float = 0.005
    min_expected_count: float = 5.0

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if not isinstance(value, int | float) or not math.isfinite(value):
                raise UsageError(f"{item.name} must be a finite number, got {value!r}")
        if not 0.0 < self.alpha < 1.0:
            raise UsageError(f"alpha must be between 0 and 1 (exclusive), got {self.alpha!r}")
        if self.min_sd_ratio <= 1.0:
            raise UsageError(f"min_sd_ratio must be above 1, got {self.min_sd_ratio!r}")
        for name in ("min_null_change", "min_ks", "min_total_variation", "min_category_share"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise UsageError(f"{name} must be in (0, 1], got {getattr(self, name)!r}")
        if self.min_mean_shift <= 0:
            raise UsageError(f"min_mean_shift must be positive, got {self.min_mean_shift!r}")
        if not 0.0 <= self.sketch_rank_error < 1.0:
            raise UsageError(f"sketch_rank_error must be in [0, 1), got {self.sketch_rank_error!r}")
        if self.min_expected_count < 1:
            raise UsageError(
                f"min_expected_count must be at least 1, got {self.min_expected_count!r}"
            )


@dataclass(frozen=True)
class DriftTest:
    """One test of the family, with its effect size.

    ``p_value`` is Bonferroni-adjusted (``min(1, tests * p)``), so it compares with
    ``DriftSettings.alpha`` directly. ``effect`` is in the test's natural unit (see
    :func:`~watchkeeper.drift.detect`) and ``threshold`` is the minimal meaningful
    effect in that unit. ``ratio`` is how many times the threshold the effect is
    (on a log scale for the standard-deviation ratio). ``subject`` names what the
    test is about when it is one thing, e.g. the new category.
    """

    name: str
    statistic: float
    p_value: float
    effect: float
    threshold: float
    ratio: float
    significant: bool = False
    subject: str | None = None

    @property
    def drifted(self) -> bool:
        return self.significant and self.ratio >= 1.0


@dataclass(frozen=True)
class DriftResult:
    """The judgement on one feature.

    ``drifted`` is True when some test is significant and meaningful. ``score`` is the
    largest ``ratio`` (effect over its threshold) among the significant tests, 0 when
    none is: below 1 the feature is quiet, at 1 or more it drifts, and the number says
    by how much, in the same terms for every feature. ``test``, ``p_value``, ``effect``
    and ``threshold`` are those of the deciding test: the one that gives the score, or
    the one with the smallest p-value when no test is significant (``test`` is None when
    nothing could be compared, e.g. a column with no rows). ``tests`` holds every test
    that ran; ``kind`` is ``numeric``, ``categorical`` or ``unknown``; ``subject`` is
    the deciding test's (the category that is new or gone).
    """

    drifted: bool
    score: float
    p_value: float
    test: str | None
    effect: float
    threshold: float
    kind: str
    tests: tuple[DriftTest, ...] = ()
    baseline_count: int = 0
    current_count: int = 0
    subject: str | None = None

    def __str__(self) -> str:
        if self.test is None:
            return "no drift test applies (no values to compare)"
        verdict = "drift" if self.drifted else "no drift"
        about = f" {self.subject!r}" if self.subject is not None else ""
        return (
            f"{verdict}: {self.test}{about} effect {self.effect:.4g} "
            f"(threshold {self.threshold:.4g}), p={self.p_value:.3g}, score {self.score:.3g}"
        )


def verdict(
    tests: list[DriftTest], kind: str, baseline: ColumnProfile, current: ColumnProfile
) -> DriftResult:
    """The judgement of a feature from its family's adjusted tests: drifted when a
    significant test reaches its effect floor; decided by the significant test furthest
    past its floor, else by the smallest p-value. ``baseline`` and ``current`` are the
    two sides' column profiles (their counts are reported)."""
    counts = {"baseline_count": baseline.count, "current_count": current.count}
    if not tests:
        return DriftResult(False, 0.0, math.nan, None, math.nan, math.nan, kind, (), **counts)
    significant = [test for test in tests if test.significant]
    if significant:
        # Ties go to the earlier test in the family: deterministic.
        decider = max(significant, key=lambda test: test.ratio)
        score = decider.ratio
    else:
        decider = min(tests, key=lambda test: test.p_value)
        score = 0.0
    return DriftResult(
        drifted=decider.drifted,
        score=score,
        p_value=decider.p_value,
        test=decider.name,
        effect=decider.effect,
        threshold=decider.threshold,
        kind=kind,
        tests=tuple(tests),
        **counts,
        subject=decider.subject,
    )
