"""SageMaker Model Monitor's ``baseline_drift_check`` figure, for constraints that ask for it.

watchkeeper's own judgement is :func:`watchkeeper.drift.detect`; this module gives the
figure SageMaker compares with ``comparison_threshold`` (numeric features) or
``categorical_comparison_threshold`` (String features), so a constraints file written
for SageMaker keeps its meaning.

Methods are named as SageMaker names them once its ``constraints.json`` is read:
``Simple`` or ``Robust``, and ``LInfinity`` or ``ChiSquared``. The spellings SageMaker's
files and documents also use (``linf_robust``, ``robust`` ...) belong to that file
format and are resolved where it is read (:mod:`watchkeeper.baseline.constraints`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from watchkeeper.drift._support import CATEGORICAL, comparison_kind
from watchkeeper.drift.categorical import chi_square
from watchkeeper.drift.distances import linf_robust, linf_simple
from watchkeeper.errors import UsageError
from watchkeeper.profile.column import ColumnProfile

COMPARISON_METHODS = ("Simple", "Robust")
CATEGORICAL_METHODS = ("LInfinity", "ChiSquared")

LINF_SIMPLE = "linf_simple"
LINF_ROBUST = "linf_robust"
CHI_SQUARED_SIMPLE = "chi_squared_simple"
CHI_SQUARED_ROBUST = "chi_squared_robust"


@dataclass(frozen=True)
class BaselineDrift:
    """What SageMaker's ``baseline_drift_check`` computes for one feature.

    ``distance`` is always a distance between the two distributions: Deequ's
    L-infinity distance (``method`` ``linf_simple``, or ``linf_robust`` after its
    sample-size penalty), or the chi-square statistic (``chi_squared_simple``,
    ``chi_squared_robust``). ``p_value`` is the chi-square test's p-value, NaN for the
    L-infinity methods, which are not tests. Both are NaN when a side has no value to
    compare. :meth:`breaks` judges a threshold as SageMaker does, and :attr:`judged`
    is the figure it compares.

    >>> drift = BaselineDrift(distance=12.5, p_value=0.002, method="chi_squared_robust")
    >>> drift.judged, drift.breaks(0.01)
    (0.002, True)
    >>> BaselineDrift(0.3, math.nan, "linf_simple").breaks(0.1)
    True
    """

    distance: float
    p_value: float
    method: str

    @property
    def judged(self) -> float:
        """The figure compared with the threshold: Deequ's ``ChiSquared`` with the
        ``Robust`` method returns the test's p-value, every other method the distance."""
        return self.p_value if self.method == CHI_SQUARED_ROBUST else self.distance

    def breaks(self, threshold: float) -> bool:
        """Whether SageMaker reports drift at ``threshold``: a p-value below it (small
        means the distributions differ), a distance above it; never when NaN."""
        judged = self.judged
        if math.isnan(judged):
            return False
        return judged < threshold if self.method == CHI_SQUARED_ROBUST else judged > threshold


def baseline_drift_distance(
    baseline: ColumnProfile,
    current: ColumnProfile,
    comparison_method: str = "Robust",
    categorical_drift_method: str = "LInfinity",
    alpha: float | None = None,
) -> BaselineDrift:
    """What SageMaker's ``baseline_drift_check`` computes for one feature.

    ``comparison_method`` is ``"Simple"`` or ``"Robust"``: numeric features get
    :func:`~watchkeeper.drift.linf_simple` or :func:`~watchkeeper.drift.linf_robust`.
    String and Boolean features do too with ``categorical_drift_method="LInfinity"``;
    with ``"ChiSquared"`` they get Deequ's chi-square test
    (:func:`~watchkeeper.drift.chi_square`), judged by its statistic for ``Simple`` and
    by its p-value for ``Robust``, as Deequ returns them (how SageMaker thresholds that
    p-value is undocumented). ``alpha`` replaces Deequ 2.0.2's fixed c(alpha) = 1.8 of
    the robust L-infinity distance. Any other method name is a UsageError: the names are
    case-sensitive, as :class:`~watchkeeper.baseline.MonitoringConfig` holds them;
    :func:`watchkeeper.baseline.comparison_method_name` and
    :func:`~watchkeeper.baseline.categorical_drift_method_name` turn the other
    spellings of ``constraints.json`` into these.

    >>> import pyarrow as pa
    >>> from watchkeeper.profile import DatasetProfile
    >>> def column(values):
    ...     profile = DatasetProfile()
    ...     profile.track(pa.table({"x": values}))
    ...     return profile.columns["x"]
    >>> drift = baseline_drift_distance(column(["a"] * 60 + ["b"] * 40),
    ...                                 column(["a"] * 30 + ["b"] * 70), "Simple")
    >>> drift.distance, drift.method, drift.breaks(0.1)
    (0.3, 'linf_simple', True)
    """
    _require(comparison_method, COMPARISON_METHODS, "comparison_method")
    _require(categorical_drift_method, CATEGORICAL_METHODS, "categorical_drift_method")
    robust = comparison_method == "Robust"
    kind = comparison_kind(baseline, current)
    if kind == CATEGORICAL and categorical_drift_method == "ChiSquared":
        result = chi_square(baseline, current)
        method = CHI_SQUARED_ROBUST if robust else CHI_SQUARED_SIMPLE
        return BaselineDrift(result.statistic, result.p_value, method)
    if robust:
        return BaselineDrift(linf_robust(baseline, current, alpha), math.nan, LINF_ROBUST)
    return BaselineDrift(linf_simple(baseline, current), math.nan, LINF_SIMPLE)


def _require(value: object, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise UsageError(
            f"{name} must be {' or '.join(map(repr, allowed))}; got {value!r} (other spellings "
            f"a constraints.json may use become these through watchkeeper.baseline.{name}_name)"
        )
