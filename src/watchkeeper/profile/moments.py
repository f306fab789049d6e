"""Count, sum, min, max and central moments of a numeric column, mergeable exactly.

Batches are combined with Chan's formulas (Pébay's for the third and fourth moments),
written in the order Spark's ``CentralMomentAgg`` uses, so merging never rereads data.

SageMaker's baselines come from Spark, which folds the values of a partition one at a
time (``n += 1; delta = x - mean; mean += delta / n; m2 += delta * (delta - delta / n)``)
and sums them left to right. A small batch (up to ``SEQUENTIAL_LIMIT`` values) replays
exactly that, so a baseline built from a small file agrees with SageMaker's to the last
bit; a larger batch uses the vectorised two-pass formulas, whose results differ from
the sequential ones only by rounding (about 1e-16 relative).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SEQUENTIAL_LIMIT = 2048
_new = object.__new__


@dataclass(frozen=True)
class Moments:
    """Moments of the numeric values of a column.

    ``m2``, ``m3``, ``m4`` are sums of the 2nd..4th powers of deviations from ``mean``.
    """

    n: int = 0
    total: float = 0.0
    mean: float = 0.0
    m2: float = 0.0
    m3: float = 0.0
    m4: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    @classmethod
    def stored(
        cls,
        n: int,
        total: float,
        mean: float,
        m2: float,
        m3: float,
        m4: float,
        low: float,
        high: float,
    ) -> Moments:
        """Moments as a profile file holds them, already checked by its reader; built in
        half the time of the frozen dataclass's ``__init__``, which sets each field
        through ``object.__setattr__`` (a reader builds one per column).

        >>> numbers = (2, 3.0, 1.5, 0.5, 0.0, 0.125, 1.0, 2.0)
        >>> Moments.stored(*numbers) == Moments(*numbers)
        True
        """
        moments = _new(cls)
        moments.__dict__.update(
            n=n, total=total, mean=mean, m2=m2, m3=m3, m4=m4, min=low, max=high
        )
        return moments

    @classmethod
    def of(cls, values: np.ndarray) -> Moments:
        """Moments of a float64 array without NaN."""
        n = len(values)
        if n == 0:
            return cls()
        if n <= SEQUENTIAL_LIMIT:
            total, mean, m2 = _sequential(values)
        else:
            total = float(values.sum())
            mean = total / n
            m2 = None
        # Values near the float limits overflow the higher powers to inf, as in NumPy.
        with np.errstate(over="ignore", invalid="ignore"):
            deviation = values - mean
            squared = deviation * deviation
            if m2 is None:
                m2 = float(squared.sum())
            m3 = float((squared * deviation).sum())
            m4 = float((squared * squared).sum())
        return cls(
            n=n,
            total=total,
            mean=mean,
            m2=m2,
            m3=m3,
            m4=m4,
            min=float(values.min()),
            max=float(values.max()),
        )

    def merge(self, other: Moments) -> Moments:
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        na, nb = float(self.n), float(other.n)
        n = na + nb
        delta = other.mean - self.mean
        delta_n = delta / n
        delta_n2 = delta_n * delta_n
        mean = self.mean + delta_n * nb
        m2 = self.m2 + other.m2 + delta * delta_n * na * nb
        m3 = (
            self.m3
            + other.m3
            + delta * delta_n2 * na * nb * (na - nb)
            + 3.0 * delta_n * (na * other.m2 - nb * self.m2)
        )
        m4 = (
            self.m4
            + other.m4
            + delta * delta_n2 * delta_n * na * nb * (na * na - na * nb + nb * nb)
            + 6.0 * delta_n2 * (na * na * other.m2 + nb * nb * self.m2)
            + 4.0 * delta_n * (na * other.m3 - nb * self.m3)
        )
        return Moments(
            n=self.n + other.n,
            total=self.total + other.total,
            mean=mean,
            m2=m2,
            m3=m3,
            m4=m4,
            min=min(self.min, other.min),
            max=max(self.max, other.max),
        )

    # Derived statistics, as SageMaker reports them (population, ddof=0).

    @property
    def average(self) -> float:
        """``sum / count``: how Deequ reports the mean."""
        return self.total / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        return self.m2 / self.n if self.n else math.nan

    @property
    def std_dev(self) -> float:
        return math.sqrt(self.m2 / self.n) if self.n else math.nan

    @property
    def skewness(self) -> float:
        if self.n == 0 or self.m2 == 0:
            return math.nan
        return math.sqrt(self.n) * self.m3 / self.m2**1.5

    @property
    def kurtosis(self) -> float:
        """Non-excess kurtosis (3 for a normal distribution)."""
        if self.n == 0 or self.m2 == 0:
            return math.nan
        return self.n * self.m4 / (self.m2 * self.m2)


def _sequential(values: np.ndarray) -> tuple[float, float, float]:
    """Sum, mean and m2 folded one value at a time, as Spark does within a partition."""
    mean = m2 = 0.0
    count = 0.0
    for x in values.tolist():
        count += 1.0
        delta = x - mean
        delta_n = delta / count
        mean += delta_n
        m2 += delta * (delta - delta_n)
    with np.errstate(over="ignore", invalid="ignore"):
        total = float(np.cumsum(values)[-1])  # left to right, unlike the pairwise ndarray.sum
    return total, mean, m2
