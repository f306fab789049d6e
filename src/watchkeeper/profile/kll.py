"""A KLL quantile sketch that behaves exactly like Deequ's ``QuantileNonSample``.

SageMaker Model Monitor writes Deequ's sketch into ``statistics.json`` (``sketch.data``:
one list of items per level, an item at level ``h`` weighing ``2**h``) and judges
numeric drift by comparing two such sketches. Reproducing its files and its distances
needs the same algorithm, not just any KLL:

* level ``h`` holds ``2 * (ceil(k * c**h / 2) + 1)`` items before it must compact
  (2050 at level 0 for the default k=2048, c=0.64), so inputs of up to 2050 values
  are kept whole, in input order;
* a compaction is triggered when the sketch as a whole overflows, and it compacts the
  lowest level that is full; it sorts that level (minus a trailing odd item, which
  stays) and keeps every second item starting at ``offset``;
* the offset flips before every compaction that follows an odd number of earlier ones
  (Deequ leaves its random choice switched off), so the sketch is deterministic.

Apache DataSketches' KLL differs in all three points and draws its random bits from a
clock-seeded generator that Python cannot seed, so it can neither reproduce SageMaker's
files nor give byte-identical profiles for identical input.

Updates take whole NumPy arrays: items are appended in slices that exactly fill the
sketch, so the Python work is one short step per compaction, not per value.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

DEFAULT_K = 2048
DEFAULT_C = 0.64


def level_capacity(k: int, c: float, height: int) -> int:
    """Items level ``height`` may hold before it is due for compaction."""
    return 2 * (math.ceil(k * c**height / 2) + 1)


@lru_cache(maxsize=256)
def capacities(k: int, c: float, levels: int) -> tuple[int, ...]:
    """:func:`level_capacity` of levels ``0 .. levels - 1``: the same few for every
    column of a profile, so kept rather than computed again for each sketch read."""
    return tuple(level_capacity(k, c, h) for h in range(levels))


@dataclass(eq=False)
class KLLSketch:
    """Deequ-compatible KLL sketch over float64 values.

    ``levels[h]`` holds the items of weight ``2**h``; ``compactions[h]`` counts the
    compactions of level ``h`` and ``offsets[h]`` is the parity the last one used.
    ``error_weight`` is the sum of ``2**h`` over every compaction ever made: no rank
    the sketch reports is off by more than that (each compaction of a sorted level
    moves any rank by at most the weight of one of its items).
    """

    k: int = DEFAULT_K
    c: float = DEFAULT_C
    levels: list[np.ndarray] = field(default_factory=lambda: [np.empty(0)])
    compactions: list[int] = field(default_factory=lambda: [0])
    offsets: list[int] = field(default_factory=lambda: [0])
    error_weight: int = 0

    def __post_init__(self) -> None:
        self._capacities = list(capacities(self.k, self.c, len(self.levels)))
        self._total_capacity = sum(self._capacities)
        self._size = sum(len(level) for level in self.levels)

    # -- building -------------------------------------------------------------------

    def update(self, values: np.ndarray) -> None:
        """Add ``values`` (float64, no NaN) in order, as repeated single updates would."""
        values = np.asarray(values, dtype=np.float64)
        pos, total = 0, len(values)
        while pos < total:
            # Deequ compacts as soon as the sketch holds one item more than its capacity.
            room = self._total_capacity - self._size + 1
            take = min(room, total - pos)
            self.levels[0] = np.concatenate((self.levels[0], values[pos : pos + take]))
            self._size += take
            pos += take
            if self._size > self._total_capacity:
                self._condense()

    def merge(self, other: KLLSketch) -> KLLSketch:
        """A new sketch holding both inputs (Deequ's merge: concatenate levels, then condense)."""
        if (self.k, self.c) != (other.k, other.c):
            raise ValueError(
                f"cannot merge KLL sketches with parameters k={self.k}, c={self.c} "
                f"and k={other.k}, c={other.c}"
            )
        merged = self.copy()
        while len(merged.levels) < len(other.levels):
            merged._expand()
        for h, items in enumerate(other.levels):
            merged.levels[h] = np.concatenate((merged.levels[h], items))
        merged.error_weight += other.error_weight
        merged._size = sum(len(level) for level in merged.levels)
        while merged._size >= merged._total_capacity:
            merged._condense()
        return merged

    def copy(self) -> KLLSketch:
        return KLLSketch(
            k=self.k,
            c=self.c,
            levels=[level.copy() for level in self.levels],
            compactions=list(self.compactions),
            offsets=list(self.offsets),
            error_weight=self.error_weight,
        )

    def _expand(self) -> None:
        self.levels.append(np.empty(0))
        self.compactions.append(0)
        self.offsets.append(0)
        self._capacities.append(level_capacity(self.k, self.c, len(self._capacities)))
        self._total_capacity += self._capacities[-1]

    def _condense(self) -> None:
        for height, items in enumerate(self.levels):
            if len(items) >= self._capacities[height]:
                if height + 1 >= len(self.levels):
                    self._expand()
                promoted = self._compact(height)
                self.levels[height + 1] = np.concatenate((self.levels[height + 1], promoted))
                self._size -= len(promoted)  # 2m items became m
                return

    def _compact(self, height: int) -> np.ndarray:
        items = self.levels[height]
        even = len(items) - len(items) % 2
        if self.compactions[height] % 2 == 1:
            self.offsets[height] = 1 - self.offsets[height]
        promoted = _sorted(items[:even], runs=height > 0)[self.offsets[height] :: 2]
        self.levels[height] = items[even:].copy()
        self.compactions[height] += 1
        self.error_weight += 1 << height
        return promoted

    # -- reading ----------------------------------------------------------------------

    @property
    def n(self) -> int:
        """Total weight of the sketch: the number of values it has seen."""
        return int(sum(len(level) << h for h, level in enumerate(self.levels)))

    @property
    def num_retained(self) -> int:
        return self._size

    def is_empty(self) -> bool:
        return self._size == 0

    def weighted_items(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted items and their weights (``2**level``)."""
        if self._size == 0:
            return np.empty(0), np.empty(0, dtype=np.int64)
        items = np.concatenate(self.levels)
        weights = np.concatenate(
            [np.full(len(level), 1 << h, dtype=np.int64) for h, level in enumerate(self.levels)]
        )
        order = np.argsort(items, kind="stable")
        return items[order], weights[order]

    def cdf_points(self) -> tuple[np.ndarray, np.ndarray]:
        """Distinct sketch values and the inclusive weight at or below each."""
        items, weights = self.weighted_items()
        if len(items) == 0:
            return items, weights
        cumulative = np.cumsum(weights)
        last_of_run = np.append(items[1:] != items[:-1], True)
        return items[last_of_run], cumulative[last_of_run]

    def rank(self, x: np.ndarray | float, inclusive: bool = True) -> np.ndarray:
        """Weight of items ``<= x`` (inclusive) or ``< x`` (exclusive), vectorised over ``x``."""
        items, weights = self.weighted_items()
        cumulative = np.concatenate(([0], np.cumsum(weights)))
        side = "right" if inclusive else "left"
        return cumulative[np.searchsorted(items, x, side=side)]

    def quantiles(self, fractions: np.ndarray | list[float]) -> np.ndarray:
        """Values at the given normalised ranks (0..1): the smallest item whose
        inclusive rank reaches ``fraction * n``."""
        fractions = np.asarray(fractions, dtype=np.float64)
        items, weights = self.weighted_items()
        if len(items) == 0:
            return np.full(fractions.shape, np.nan)
        cumulative = np.cumsum(weights)
        targets = np.clip(fractions, 0.0, 1.0) * cumulative[-1]
        index = np.searchsorted(cumulative, targets, side="left")
        return items[np.minimum(index, len(items) - 1)]

    def rank_error_bound(self) -> float:
        """Proven upper bound on the normalised rank error of any query."""
        n = self.n
        return self.error_weight / n if n else 0.0

    def deequ_buckets(
        self, lo: float, hi: float, count: int = 10
    ) -> list[tuple[float, float, float]]:
        """SageMaker's ``kll.buckets``: ``count`` equal-width buckets from ``lo`` to ``hi``.

        Bounds are computed as Deequ computes them (``lo + (hi - lo) * i / count``) so
        they print identically; buckets are half-open except the last, which is closed.
        """
        width = hi - lo
        bounds = [(lo + width * i / count, lo + width * (i + 1) / count) for i in range(count)]
        lowers = np.array([b[0] for b in bounds])
        uppers = np.array([b[1] for b in bounds])
        below_lower = self.rank(lowers, inclusive=False)
        below_upper = self.rank(uppers, inclusive=False)
        below_upper[-1] = self.rank(uppers[-1], inclusive=True)
        return [
            (float(lower), float(upper), float(end - start))
            for (lower, upper), start, end in zip(bounds, below_lower, below_upper, strict=True)
        ]

    # -- interchange ----------------------------------------------------------------

    def to_deequ_data(self) -> list[list[float]]:
        """``sketch.data`` as SageMaker writes it: one list of items per level."""
        return [level.tolist() for level in self.levels]

    @classmethod
    def from_deequ_data(
        cls, data: list[list[float]], k: int = DEFAULT_K, c: float = DEFAULT_C
    ) -> KLLSketch:
        """Rebuild a sketch from a SageMaker ``statistics.json`` ``sketch`` (items per level)."""
        levels = [np.asarray(level, dtype=np.float64) for level in data] or [np.empty(0)]
        return cls(
            k=k, c=c, levels=levels, compactions=[0] * len(levels), offsets=[0] * len(levels)
        )


def _sorted(items: np.ndarray, runs: bool) -> np.ndarray:
    """``np.sort(items)``, bit for bit, faster when ``runs``: a level above the lowest is
    a few sorted runs (each promoted by one compaction), which a merge sort joins in a
    third of a quicksort's time. Sorts differ only in how they order equal items, which
    matters only where equal items have different bits (0.0 and -0.0, NaNs): there the
    quicksort decides, as it always has."""
    if not runs:
        return np.sort(items)
    ordered = np.sort(items, kind="stable")
    if not len(ordered):
        return ordered
    low, high = ordered[0], ordered[-1]
    if high != high:  # NaNs sort last
        return np.sort(items)
    if low <= 0.0 <= high:  # (the methods: NumPy's function wrappers cost more than the search)
        zeros = ordered[ordered.searchsorted(0.0) : ordered.searchsorted(0.0, "right")]
        if len(zeros) > 1 and np.signbit(zeros).any():
            return np.sort(items)
    return ordered


class UnpackedLater(KLLSketch):
    """A :class:`KLLSketch` read from a file, its items unpacked when first used:
    ``unpack()`` gives the items of every sketch of the file at once (one array), and
    ``spans`` are where this one's levels are in it."""

    def __init__(
        self,
        k: int,
        c: float,
        unpack: Callable[[], np.ndarray],
        spans: list[int],
        compactions: list[int],
        offsets: list[int],
        error_weight: int,
    ) -> None:
        self.k, self.c, self.compactions, self.offsets = k, c, compactions, offsets
        self.error_weight, self._unpack, self._spans = error_weight, unpack, spans
        known = capacities(k, c, len(spans) - 1)
        self._capacities, self._total_capacity = list(known), sum(known)
        self._size = spans[-1] - spans[0]

    @property
    def levels(self) -> list[np.ndarray]:
        unpack = self._unpack  # read once: another thread may have unpacked them meanwhile
        if unpack is not None:
            items, spans = unpack(), self._spans
            self._levels = [items[spans[h] : spans[h + 1]] for h in range(len(spans) - 1)]
            self._unpack = None
        return self._levels

    @levels.setter
    def levels(self, value: list[np.ndarray]) -> None:
        self._levels, self._unpack = value, None
