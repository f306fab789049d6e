"""SageMaker Model Monitor's ``baseline_drift_check`` distance, for constraints that ask for it.

watchkeeper's own judgement is :func:`watchkeeper.drift.detect`; this module gives the
number SageMaker compares with ``comparison_threshold`` (numeric features) or
``categorical_comparison_threshold`` (String features), so a constraints file written
for SageMaker keeps its meaning.
"""

from __future__ import annotations

from watchkeeper.drift._support import CATEGORICAL, NUMERIC, comparison_kind
from watchkeeper.drift.categorical import chi_square
from watchkeeper.drift.distances import linf_robust, linf_simple
from watchkeeper.errors import UsageError
from watchkeeper.profile.column import ColumnProfile

_COMPARISON_METHODS = {
    "simple": "Simple",
    "linf_simple": "Simple",
    "robust": "Robust",
    "linf_robust": "Robust",
}
_CATEGORICAL_METHODS = {"linfinity": "LInfinity", "chisquared": "ChiSquared"}


def baseline_drift_distance(
    baseline: ColumnProfile,
    current: ColumnProfile,
    comparison_method: str = "Robust",
    categorical_drift_method: str = "LInfinity",
    alpha: float | None = None,
) -> float:
    """The distance SageMaker's ``baseline_drift_check`` reports for one feature.

    ``comparison_method`` is ``"Simple"`` or ``"Robust"`` (also ``"linf_simple"`` /
    ``"linf_robust"``; case does not matter). Numeric features get
    :func:`~watchkeeper.drift.linf_simple` or :func:`~watchkeeper.drift.linf_robust`.
    String and Boolean features do too with ``categorical_drift_method="LInfinity"``; with
    ``"ChiSquared"`` they get Deequ's chi-square test (:func:`~watchkeeper.drift.chi_square`):
    the statistic for ``Simple`` and the p-value for ``Robust``, as Deequ returns them
    (how SageMaker thresholds that p-value is undocumented). ``alpha`` replaces
    Deequ 2.0.2's fixed c(alpha) = 1.8 of the robust L-infinity distance. NaN when a
    side has no value to compare.

    >>> import pyarrow as pa
    >>> from watchkeeper.profile import DatasetProfile
    >>> def column(values):
    ...     profile = DatasetProfile()
    ...     profile.track(pa.table({"x": values}))
    ...     return profile.columns["x"]
    >>> baseline_drift_distance(column(["a"] * 60 + ["b"] * 40),
    ...                         column(["a"] * 30 + ["b"] * 70), "Simple")
    0.3
    """
    method = comparison_method_name(comparison_method)
    categorical_method = categorical_method_name(categorical_drift_method)
    kind = comparison_kind(baseline, current)
    if kind == CATEGORICAL and categorical_method == "ChiSquared":
        result = chi_square(baseline, current)
        return result.statistic if method == "Simple" else result.p_value
    if kind in (NUMERIC, CATEGORICAL) and method == "Simple":
        return linf_simple(baseline, current)
    return linf_robust(baseline, current, alpha)


def comparison_method_name(value: str) -> str:
    """The canonical name (``Simple``/``Robust``) of a ``comparison_method`` as SageMaker
    files and docs spell it (``linf_simple``, ``robust`` ...); UsageError otherwise."""
    return _choose(value, _COMPARISON_METHODS, "comparison_method")


def categorical_method_name(value: str) -> str:
    """The canonical name (``LInfinity``/``ChiSquared``) of a ``categorical_drift_method``."""
    return _choose(value, _CATEGORICAL_METHODS, "categorical_drift_method")


def _choose(value: str, allowed: dict[str, str], name: str) -> str:
    choice = allowed.get(str(value).lower())
    if choice is None:
        names = sorted(set(allowed.values())) + sorted(
            key for key in allowed if key.startswith("linf_")
        )
        raise UsageError(f"{name} must be one of {', '.join(names)}; got {value!r}")
    return choice
