"""Detectors that judge a metric's newest value against that metric's own history.

Each detector is small and takes plain arrays: ``judge(history, value)`` answers one
:class:`Judgement` (what was expected, the band, anomalous or not and why) for a new
value after ``history`` (its earlier values, oldest first). ``scan(values)`` judges every
point of a series against the points before it, as each execution would have been.

>>> detector = RollingBand(window=5, k=3)
>>> detector.judge([10.0, 10.2, 9.9, 10.1, 9.8], 14.0).anomalous
True
>>> detector.judge([10.0, 10.2, 9.9, 10.1, 9.8], 10.3).anomalous
False
>>> RateOfChange(max_increase=0.5, relative=True).judge([4.0], 7.0).reason
'7 is 75% above the previous value 4 (at most +50% allowed)'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from watchkeeper.errors import UsageError, WatchkeeperError

# the longest history a rule reads: a year of hourly points
MOST_POINTS = 10_000
# the seasons a seasonal fit reads: enough to estimate the pattern; older ones only slow it
SEASONS_READ = 12


@dataclass(frozen=True)
class Judgement:
    """A value judged against its history: the expected value and the band it had to
    fall in (None when the history is too short to judge), anomalous or not, and why."""

    value: float
    expected: float | None
    low: float | None
    high: float | None
    anomalous: bool
    reason: str

    @property
    def judged(self) -> bool:
        return self.expected is not None


class Detector(Protocol):
    """``span``: how many of the latest earlier values a judgement reads at most."""

    method: str

    @property
    def span(self) -> int: ...

    def judge(self, history: np.ndarray | list[float], value: float) -> Judgement: ...


def _too_short(value: float, have: int, need: int) -> Judgement:
    return Judgement(
        float(value), None, None, None, False, f"not judged: {have} earlier points, {need} needed"
    )


def _band(value: float, expected: float, low: float, high: float, what: str) -> Judgement:
    if not np.isfinite([expected, low, high]).all():
        # too large or too wild a history to bound; saying "within" would hide anything
        raise WatchkeeperError(f"the history gives no finite {what} band")
    value = float(value)
    if value > high:
        reason = f"{_number(value)} is above the {what} band [{_number(low)}, {_number(high)}]"
    elif value < low:
        reason = f"{_number(value)} is below the {what} band [{_number(low)}, {_number(high)}]"
    else:
        reason = f"{_number(value)} is within the {what} band [{_number(low)}, {_number(high)}]"
    return Judgement(value, float(expected), float(low), float(high), not low <= value <= high,
                     reason)  # fmt: skip


def _number(value: float) -> str:
    return f"{value:.6g}"


def _values(history: np.ndarray | list[float]) -> np.ndarray:
    values = np.asarray(history, dtype=np.float64).ravel()
    # a point the catalog could not keep as a number does not count as history
    return values[np.isfinite(values)]


def _sd_floor(sd: float, mean: float) -> float:
    # a constant history has sd 0: without a floor, rounding noise would be an anomaly
    return max(sd, 1e-9 * max(1.0, abs(mean)))


@dataclass(frozen=True)
class RateOfChange:
    """The change from the previous value, within bounds (Deequ's rate-of-change
    strategies): ``max_increase`` and ``max_decrease`` are magnitudes, absolute or, with
    ``relative``, fractions of the previous value (0.5: ±50 %). A bound left out is not
    checked."""

    max_increase: float | None = None
    max_decrease: float | None = None
    relative: bool = False
    method: str = "rate"

    def __post_init__(self) -> None:
        if not isinstance(self.relative, bool):
            raise UsageError(f"relative must be true or false, got {self.relative!r:.40}")
        if self.max_increase is None and self.max_decrease is None:
            raise UsageError("max_increase or max_decrease is needed by a rate-of-change detector")
        for name in ("max_increase", "max_decrease"):
            bound = getattr(self, name)
            if bound is not None and not (_is_number(bound) and bound >= 0):
                raise UsageError(f"{name} must be a number of at least 0, got {bound!r:.40}")

    @property
    def span(self) -> int:
        return 1

    def judge(self, history: np.ndarray | list[float], value: float) -> Judgement:
        values = _values(history)
        if not len(values):
            return _too_short(value, 0, 1)
        previous = float(values[-1])
        scale = abs(previous) if self.relative else 1.0
        high = previous + self.max_increase * scale if self.max_increase is not None else np.inf
        low = previous - self.max_decrease * scale if self.max_decrease is not None else -np.inf
        value = float(value)
        anomalous = not low <= value <= high
        if not self.relative:
            change = f"{_number(value)} changed by {value - previous:+.6g} from {_number(previous)}"
            limits = _limits(self.max_increase, self.max_decrease, "{:.6g}")
        elif previous == 0:
            # no fraction of 0 is a change: the band is the previous value itself
            change = f"{_number(value)} follows a previous value of 0"
            limits = _limits(self.max_increase, self.max_decrease, "{:.0%}")
        else:
            share = (value - previous) / abs(previous)
            direction = "above" if value >= previous else "below"
            change = (
                f"{_number(value)} is {abs(share):.0%} {direction} the previous value "
                f"{_number(previous)}"
            )
            limits = _limits(self.max_increase, self.max_decrease, "{:.0%}")
        return Judgement(value, previous, low, high, anomalous, f"{change} ({limits} allowed)")


def _limits(increase: float | None, decrease: float | None, form: str) -> str:
    parts = []
    if increase is not None:
        parts.append("+" + form.format(increase))
    if decrease is not None:
        parts.append("-" + form.format(decrease))
    return "at most " + " and ".join(parts)


@dataclass(frozen=True)
class RollingBand:
    """The mean of the trailing ``window`` values ± ``k`` standard deviations; a value
    is judged once ``min_points`` earlier values exist (default: the whole window)."""

    window: int = 14
    k: float = 3.0
    min_points: int | None = None
    method: str = "rolling"

    def __post_init__(self) -> None:
        _check_int("window", self.window, 2)
        _check_positive("k", self.k)
        if self.min_points is not None:
            _check_int("min_points", self.min_points, 2)
            if self.min_points > self.window:
                raise UsageError(
                    f"min_points ({self.min_points}) must be at most the window ({self.window})"
                )

    @property
    def needed(self) -> int:
        return self.min_points if self.min_points is not None else self.window

    @property
    def span(self) -> int:
        return self.window

    def judge(self, history: np.ndarray | list[float], value: float) -> Judgement:
        values = _values(history)
        if len(values) < self.needed:
            return _too_short(value, len(values), self.needed)
        trailing = values[-self.window :]
        with np.errstate(over="ignore", invalid="ignore"):
            mean = float(trailing.mean())
            sd = _sd_floor(float(trailing.std(ddof=1)), mean)
        return _band(value, mean, mean - self.k * sd, mean + self.k * sd,
                     f"rolling {len(trailing)}-point mean ± {self.k:g} sd")  # fmt: skip

    def scan(self, values: np.ndarray | list[float]) -> list[Judgement]:
        """Every point judged against the points before it (finite values, as the catalog
        keeps them), the windows' means and deviations computed at once."""
        series = np.asarray(values, dtype=np.float64)
        judged = [self.judge(series[:i], value) for i, value in enumerate(series[: self.window])]
        if len(series) <= self.window:
            return judged
        # windows[j] holds the `window` values before series[j + window]
        windows = np.lib.stride_tricks.sliding_window_view(series[:-1], self.window)
        with np.errstate(over="ignore", invalid="ignore"):
            means = windows.mean(axis=1)
            sds = np.maximum(windows.std(axis=1, ddof=1), 1e-9 * np.maximum(1.0, np.abs(means)))
        what = f"rolling {self.window}-point mean ± {self.k:g} sd"
        for value, mean, sd in zip(series[self.window :], means, sds, strict=True):
            judged.append(_band(value, mean, mean - self.k * sd, mean + self.k * sd, what))
        return judged


@dataclass(frozen=True)
class Seasonal:
    """Holt-Winters (additive season of ``period`` points, optional additive ``trend``)
    fitted to the history; the band is the one-step forecast ± ``k`` standard deviations
    of the fit's residuals. A value is judged once ``min_points`` earlier values exist
    (default, and at least, two seasons and no fewer than 10 + 2·(period // 2): what
    the heuristic start of the fit needs)."""

    period: int = 7
    k: float = 3.0
    trend: bool = False
    min_points: int | None = None
    method: str = "seasonal"

    def __post_init__(self) -> None:
        _check_int("period", self.period, 2, MOST_POINTS // SEASONS_READ)
        _check_positive("k", self.k)
        if not isinstance(self.trend, bool):
            raise UsageError(f"trend must be true or false, got {self.trend!r:.40}")
        if self.min_points is not None:
            _check_int("min_points", self.min_points, self.least)

    @property
    def least(self) -> int:
        return max(2 * self.period, 10 + 2 * (self.period // 2))

    @property
    def needed(self) -> int:
        return self.min_points if self.min_points is not None else self.least

    @property
    def span(self) -> int:
        return max(self.needed, SEASONS_READ * self.period)

    def judge(self, history: np.ndarray | list[float], value: float) -> Judgement:
        values = _values(history)
        if len(values) < self.needed:
            return _too_short(value, len(values), self.needed)
        expected, sd = _holt_winters(values, self.period, self.trend)
        sd = _sd_floor(sd, expected)
        return _band(value, expected, expected - self.k * sd, expected + self.k * sd,
                     f"seasonal ({self.period}-point season) forecast ± {self.k:g} sd")  # fmt: skip

    def scan(self, values: np.ndarray | list[float]) -> list[Judgement]:
        series = np.asarray(values, dtype=np.float64)
        return [self.judge(series[:i], value) for i, value in enumerate(series)]


def _holt_winters(values: np.ndarray, period: int, trend: bool) -> tuple[float, float]:
    """The one-step forecast and the residual deviation of an additive Holt-Winters fit."""
    import warnings

    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    model = ExponentialSmoothing(
        values,
        trend="add" if trend else None,
        seasonal="add",
        seasonal_periods=period,
        # estimating the initial states too costs five to eight times the fit (measured)
        initialization_method="heuristic",
    )
    with warnings.catch_warnings():
        # a short or very regular history converges loosely; the forecast is still its best
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        fitted = model.fit()
        residuals = np.asarray(values - fitted.fittedvalues)
        # the fit's parameters are estimated from these same residuals: their count widens sd
        freedom = max(1, len(residuals) - (period + (3 if trend else 2)))
        with np.errstate(over="ignore", invalid="ignore"):
            sd = float(np.sqrt(np.sum(residuals**2) / freedom))
        return float(np.asarray(fitted.forecast(1))[0]), sd


def _is_number(value: object) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an int beyond any float
        return False


def _check_int(name: str, value: object, least: int, most: int = MOST_POINTS) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not least <= value <= most:
        raise UsageError(
            f"{name} must be a whole number from {least} to {most}, got {value!r:.40}"
        )


def _check_positive(name: str, value: object) -> None:
    if not _is_number(value) or value <= 0:
        raise UsageError(f"{name} must be a positive number, got {value!r:.40}")
