"""Column profiles of generated data for the drift tests, built the way users build them."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile


def column(values) -> ColumnProfile:
    """The profile of one column holding ``values`` (an array, list or Arrow array)."""
    profile = DatasetProfile()
    profile.track(pa.table({"x": values}))
    return profile.columns["x"]


def categorical(rng: np.random.Generator, shares: np.ndarray, n: int) -> pa.Array:
    """``n`` draws of categories ``c0, c1, ...`` with the given shares, dictionary-encoded
    (no per-row Python strings)."""
    names = pa.array([f"c{i}" for i in range(len(shares))])
    codes = rng.choice(len(shares), size=n, p=shares / shares.sum())
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), names)


def zipf_shares(categories: int, exponent: float = 1.1) -> np.ndarray:
    """Shares falling like ``1 / rank**exponent``: a few common categories, many rare."""
    shares = 1.0 / np.arange(1, categories + 1) ** exponent
    return shares / shares.sum()


def with_nulls(rng: np.random.Generator, values: np.ndarray, share: float) -> pa.Array:
    """``values`` with about ``share`` of them missing."""
    return pa.array(values, mask=rng.random(len(values)) < share)


# Same-distribution generators: each draws a fresh independent sample of size n.
SAME_DISTRIBUTION = {
    "normal": lambda rng, n: rng.normal(10, 2, n),
    "lognormal": lambda rng, n: rng.lognormal(0, 1, n),
    "exponential": lambda rng, n: rng.exponential(1, n),
    "uniform": lambda rng, n: rng.uniform(0, 1, n),
    "student_t3": lambda rng, n: rng.standard_t(3, n),
    "poisson": lambda rng, n: rng.poisson(3, n),
    "binary": lambda rng, n: rng.binomial(1, 0.3, n),
    "normal_10pct_null": lambda rng, n: with_nulls(rng, rng.normal(0, 1, n), 0.1),
    "boolean": lambda rng, n: pa.array(rng.random(n) < 0.3),
    "categorical_5": lambda rng, n: categorical(rng, np.array([40, 25, 20, 10, 5.0]), n),
    "categorical_300": lambda rng, n: categorical(rng, zipf_shares(300), n),
}
