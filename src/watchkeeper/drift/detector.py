"""The distribution detector: significant *and* meaningful drift, at any sample size."""

from __future__ import annotations

from dataclasses import replace

from watchkeeper.drift._support import CATEGORICAL, NUMERIC, comparison_kind
from watchkeeper.drift.category_tests import category_presence_test
from watchkeeper.drift.family import (
    category_test,
    location_test,
    null_fraction_test,
    numeric_share_test,
    scale_test,
    shape_test,
)
from watchkeeper.drift.result import DriftResult, DriftSettings, DriftTest, verdict
from watchkeeper.errors import UsageError
from watchkeeper.profile.column import ColumnProfile

DEFAULT_SETTINGS = DriftSettings()


def detect_distribution(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings | None = None
) -> DriftResult:
    """Judge whether a column's values drifted from its baseline's, as numbers or
    categories, whatever else the two profiles keep: watchkeeper's default judgement
    of every column that is not free text or embeddings (see
    :func:`watchkeeper.drift.judge.detect`), and what those judgements build on.

    A small family of tests runs on the two profiles, each with an effect size (the
    threshold is the default minimal meaningful effect, see :class:`DriftSettings`):

    * ``null_fraction``: did the share of missing values change? Two-proportion z-test;
      effect = change of the share (0.05).
    * ``value_kind`` (numeric columns): did the share of present values that are
      numbers change, e.g. text arriving? Two-proportion z-test; effect as above.
    * ``location`` (numeric): did the values move? Mann–Whitney rank test while the
      sketches hold every value (up to about 2000 a side), else Welch's t-test on the
      exact moments; effect = shift of the mean in pooled standard deviations (0.1).
    * ``scale`` (numeric): did the spread change? Mood's rank test while the sketches
      hold every value, else the log variance ratio with a kurtosis-aware standard
      error; effect = ratio of standard deviations (1.1).
    * ``shape`` (numeric): did the distribution change otherwise? Kolmogorov–Smirnov
      from the sketches, less their rank error; effect = KS distance (0.05).
    * ``categories`` (String, Boolean): did the category shares change? Chi-square test
      of homogeneity with rare categories pooled; effect = total variation, against
      the total variation two samples of one distribution show by chance with this
      many categories and rows, plus 0.05.
    * ``new_category`` / ``vanished_category`` (String, Boolean): is a category with at
      least 1 % of one side's values absent from the other side? Exact binomial test
      of its count given both sides' sizes, over every category compared; effect =
      that share (0.01); the result's ``subject`` names the category.

    Tests that cannot apply are left out (no missing value anywhere, a side with too
    few values, no category on one side only). The family error is Bonferroni's: each
    test's p-value is multiplied by the number of tests that ran for the feature, so
    the chance that an unchanged feature has any significant test is at most
    ``alpha`` (0.005) at every sample size; the tests' own approximations are checked
    by ``bench/drift_calibration.py`` from 100 to 10M rows a side (see
    ``bench/RESULTS.md``). The feature drifts when a test's adjusted p-value is at
    most ``alpha`` *and* its effect reaches its threshold. Significance alone would
    alarm on trivial differences at millions of rows; effect size alone would alarm on
    noise at a hundred rows. See :class:`DriftResult` for the score and the deciding
    test. The baseline's type decides the kind of comparison (the current one's if
    the baseline has no value).

    >>> import numpy as np, pyarrow as pa
    >>> from watchkeeper.profile import DatasetProfile
    >>> rng = np.random.default_rng(0)
    >>> def column(values):
    ...     profile = DatasetProfile()
    ...     profile.track(pa.table({"x": values}))
    ...     return profile.columns["x"]
    >>> judge = detect_distribution
    >>> judge(column(rng.normal(0, 1, 5000)), column(rng.normal(0, 1, 5000))).drifted
    False
    >>> result = judge(column(rng.normal(0, 1, 5000)), column(rng.normal(0.3, 1, 5000)))
    >>> result.drifted, result.test
    (True, 'location')

    A category the baseline never had, at 4 % of the rows:

    >>> before = column(pa.array(["a"] * 500 + ["b"] * 500))
    >>> result = judge(before, column(pa.array(["a"] * 480 + ["b"] * 480 + ["c"] * 40)))
    >>> result.drifted, result.test, result.subject, round(result.effect, 3)
    (True, 'new_category', 'c', 0.04)

    """
    if not (isinstance(baseline, ColumnProfile) and isinstance(current, ColumnProfile)):
        raise UsageError(
            "detect_distribution compares two ColumnProfiles; got "
            f"{type(baseline).__name__} and {type(current).__name__}"
        )
    return _detect_column(baseline, current, settings)


def _detect_column(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings | None
) -> DriftResult:
    settings = DEFAULT_SETTINGS if settings is None else settings
    kind = comparison_kind(baseline, current)
    tests = _adjust(_run_family(baseline, current, kind, settings), settings.alpha)
    return verdict(tests, kind, baseline, current)


def _run_family(
    baseline: ColumnProfile, current: ColumnProfile, kind: str, settings: DriftSettings
) -> list[DriftTest]:
    tests = [null_fraction_test(baseline, current, settings)]
    if kind == NUMERIC:
        tests += [
            _within_floats(test, baseline, current, settings)
            for test in (numeric_share_test, location_test, scale_test, shape_test)
        ]
    elif kind == CATEGORICAL:
        tests.append(category_test(baseline, current, settings))
        tests.append(category_presence_test(baseline, current, settings))
    return [test for test in tests if test is not None]


def _within_floats(test, baseline, current, settings) -> DriftTest | None:
    """The test, or None when its arithmetic leaves the floats: values near 1e308 square
    to more than a float holds, variances near 5e-324 divide to zero (and ``math.log``
    of that zero is a domain error). Like a test whose figures are not finite, it is
    not run."""
    try:
        return test(baseline, current, settings)
    except (ArithmeticError, ValueError):
        return None


def _adjust(tests: list[DriftTest], alpha: float) -> list[DriftTest]:
    """Bonferroni: multiply each p-value by the number of tests that ran."""
    size = len(tests)
    adjusted = []
    for test in tests:
        p_value = min(1.0, test.p_value * size)
        adjusted.append(replace(test, p_value=p_value, significant=p_value <= alpha))
    return adjusted
