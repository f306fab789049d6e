"""SageMaker's six constraint checks of a current profile against a baseline.

The checks and their SageMaker semantics:

* ``data_type_check``: the share of present values whose own type matches the
  baseline's ``inferred_type`` is below ``datatype_check_threshold``. Integral values
  match a Fractional baseline (numbers widen). A String baseline accepts numbers beside
  text (an id column may hold ``"A17"`` and ``"42"``), but a column whose present values
  are now all numbers is no longer text: only its non-numeric values match, as in
  SageMaker's own bad case (``_c5`` declared String, the data Fractional). Missing
  values are left to the completeness check. In a
  floating-point column (typed data, text unknown) that mixes whole numbers and
  decimals, the whole numbers count as Integral, as they would have been written;
  one holding only whole numbers was written with decimal points (``3.0``) and counts
  as Fractional, as in SageMaker.
* ``completeness_check``: the share of present values is below the baseline's
  ``completeness``.
* ``baseline_drift_check``: the distribution moved (see below).
* ``missing_column_check`` / ``extra_column_check``: a baseline column is absent from the
  current data, or the current data has a column the baseline does not know.
* ``categorical_values_check``: the share of present values of a feature with
  ``domains`` that lie in those domains is below ``domain_content_threshold``.

Two judgements exist for drift and completeness. ``drift="sagemaker"`` judges exactly as
SageMaker: completeness against the baseline's share as a hard floor, drift as Deequ's
L-infinity distance (``comparison_method`` Simple or Robust, categorical LInfinity or
ChiSquared) against ``comparison_threshold``. The default mode keeps the files'
meaning but is quiet when nothing changed: drift is decided by
:func:`watchkeeper.drift.detect` (sample-size aware), and a completeness below the
baseline's must also be statistically credible (one-sided binomial test at
``alpha``) and at least ``COMPLETENESS_TOLERANCE`` short to count, since a fresh
sample of a column with 5% missing values is below 95% complete half of the time.
"""

from __future__ import annotations

from dataclasses import dataclass

from watchkeeper.baseline.constraints import Constraints, FeatureConstraints
from watchkeeper.baseline.jackson import java_double
from watchkeeper.checks.drift_checks import DetectorDrift, SageMakerDrift, measurement
from watchkeeper.checks.violations import (
    CATEGORICAL_VALUES,
    COMPLETENESS,
    DATA_TYPE,
    EXTRA_COLUMN,
    MISSING_COLUMN,
    Violation,
)
from watchkeeper.drift import DriftResult, DriftSettings
from watchkeeper.drift.judge import judge_column
from watchkeeper.errors import UsageError
from watchkeeper.profile import BOOLEAN, FRACTIONAL, INTEGRAL, STRING, UNKNOWN
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile

DRIFT_MODES = ("default", "sagemaker")
# In the default mode a completeness below the baseline's counts only when it is
# statistically credible and at least one percentage point short: at millions of rows
# a 0.01% dip is significant but nobody would act on it.
COMPLETENESS_TOLERANCE = 0.01


@dataclass(frozen=True)
class Judgement:
    """The violations of one evaluation, and the drift verdict of every compared feature."""

    violations: list[Violation]
    drift: dict[str, DriftResult | float]


def evaluate_constraints(
    current: DatasetProfile,
    constraints: Constraints,
    baseline: DatasetProfile | None = None,
    *,
    drift: str = "default",
    drift_settings: DriftSettings | None = None,
) -> Judgement:
    """Judge ``current`` against ``constraints`` (and ``baseline`` statistics for drift)."""
    check_drift_mode(drift)
    config = constraints.config
    if not config.evaluate_constraints:
        return Judgement([], {})
    settings = drift_settings or DriftSettings()
    violations: list[Violation] = []
    verdicts: dict[str, DriftResult | float] = {}
    for name, feature in constraints.features.items():
        if not feature.evaluate_constraints:
            continue
        column = current.columns.get(name)
        if column is None:
            violations.append(_missing_column(name))
            continue
        violations.extend(_data_type(name, feature, column, config.datatype_check_threshold))
        violations.extend(_completeness(name, feature, column, drift, settings.alpha))
        violations.extend(_domains(name, feature, column, config.domain_content_threshold))
        reference = baseline.columns.get(name) if baseline is not None else None
        if config.perform_comparison and reference is not None:
            verdict, found = _drift(name, feature, reference, column, constraints, drift, settings)
            verdicts[name] = verdict
            violations.extend(found)
    for name in current.columns:
        if name not in constraints.features:
            violations.append(_extra_column(name))
    return Judgement(violations, verdicts)


def check_drift_mode(drift: str) -> str:
    """``drift`` if it names a drift judgement (``default`` or ``sagemaker``)."""
    if drift not in DRIFT_MODES:
        raise UsageError(f"drift must be one of {', '.join(DRIFT_MODES)}; got {drift!r}")
    return drift


# -- the checks -------------------------------------------------------------------------


def _missing_column(name: str) -> Violation:
    return Violation(
        name,
        MISSING_COLUMN,
        f"Column {name} is in the baseline but missing from the current data.",
    )


def _extra_column(name: str) -> Violation:
    return Violation(
        name,
        EXTRA_COLUMN,
        f"Column {name} is in the current data but not in the baseline.",
    )


def matching_share(column: ColumnProfile, expected: str) -> float | None:
    """Share of present values whose type satisfies ``expected`` (None: nothing to judge)."""
    if column.present == 0 or expected == UNKNOWN:
        return None
    counts = column.type_counts
    if expected == STRING:
        numbers = counts[INTEGRAL] + counts[FRACTIONAL]
        matching = column.present if counts[STRING] else column.present - numbers
    elif expected == FRACTIONAL:
        matching = counts[FRACTIONAL] + counts[INTEGRAL]
    else:
        matching = counts.get(expected, 0)
    if expected == INTEGRAL and 0 < column.integral_valued < counts[FRACTIONAL]:
        # A floating-point column that mixes whole numbers and decimals: the whole
        # numbers were most likely written as integers ("3", not "3.0"), as SageMaker,
        # which sees the text, would count them.
        matching += column.integral_valued
    return matching / column.present


def _data_type(
    name: str, feature: FeatureConstraints, column: ColumnProfile, threshold: float
) -> list[Violation]:
    share = matching_share(column, feature.inferred_type)
    if share is None or share >= threshold:
        return []
    description = (
        "Data type match requirement is not met. "
        f"Expected data type: {feature.inferred_type}, "
        f"Expected match: {java_double(threshold * 100)}%. "
        f"Observed: Only {java_double(share * 100)}% of data is {feature.inferred_type}."
    )
    return [
        Violation(
            name,
            DATA_TYPE,
            description,
            observed=share,
            threshold=threshold,
            details={"observed_types": _observed_types(column)},
        )
    ]


def _observed_types(column: ColumnProfile) -> dict[str, int]:
    return {kind: count for kind, count in column.type_counts.items() if count}


def _completeness(
    name: str, feature: FeatureConstraints, column: ColumnProfile, drift: str, alpha: float
) -> list[Violation]:
    expected = feature.completeness
    if expected is None or column.count == 0 or column.completeness >= expected:
        return []
    details = {"missing": column.null_count, "rows": column.count}
    if drift == "default" and expected < 1.0:
        from scipy import stats  # loaded only when needed: it is slow to import

        # P(at most this many present values | each row present with the baseline's share)
        p_value = float(stats.binom.cdf(column.present, column.count, expected))
        details["p_value"] = p_value
        if p_value >= alpha or expected - column.completeness < COMPLETENESS_TOLERANCE:
            return []
    return [
        Violation(
            name,
            COMPLETENESS,
            f"Value: {java_double(column.completeness)} does not meet the constraint requirement! ",
            observed=column.completeness,
            threshold=expected,
            details=details,
        )
    ]


def _domains(
    name: str, feature: FeatureConstraints, column: ColumnProfile, threshold: float
) -> list[Violation]:
    if feature.domains is None or column.present == 0:
        return []
    allowed = set(feature.domains)
    categories = column.categories
    inside = sum(count for value, count in categories.items() if value in allowed)
    # numbers and values the category sketch no longer lists count as outside
    share = inside / column.present
    if share >= threshold:
        return []
    unexpected = [value for value, _ in categories.items(limit=50) if value not in allowed][:10]
    return [
        Violation(
            name,
            CATEGORICAL_VALUES,
            f"Value: {java_double(share)} does not meet the constraint requirement! ",
            observed=share,
            threshold=threshold,
            details={"unexpected_values": unexpected, "exact": categories.is_exact},
        )
    ]


def _drift(
    name: str,
    feature: FeatureConstraints,
    reference: ColumnProfile,
    column: ColumnProfile,
    constraints: Constraints,
    drift: str,
    settings: DriftSettings,
) -> tuple[DriftResult | float, list[Violation]]:
    if drift == "sagemaker":
        config = constraints.config
        unit = SageMakerDrift(
            config.comparison_method,
            config.categorical_drift_method,
            config.comparison_threshold,
            config.categorical_comparison_threshold,
        )
        measured = unit.measure(reference, column)
        found = unit.judge(name, measured, feature.inferred_type in (STRING, BOOLEAN))
        return measured.judged, [found] if found else []
    verdict = judge_column(reference, column, settings)
    found = DetectorDrift(settings).judge(name, measurement(verdict))
    return verdict, [found] if found else []
