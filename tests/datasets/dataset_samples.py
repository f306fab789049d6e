"""Seeded sample tables and profiles for the dataset tests.

Tables of a shop's orders: ``price`` (float, normal around 50 with standard deviation
10; a share of it can be missing), ``quantity`` (integer, Poisson 3) and ``channel``
(text: web, app or store). ``price_shift`` moves the price's mean, which the default
drift detector must flag at a few hundred rows when it is 1.5 standard deviations.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.catalog import Catalog
from watchkeeper.datasets.service import DatasetService
from watchkeeper.profile import DatasetProfile

UTC = dt.UTC
CHANNELS = np.array(["web", "app", "store"])
SHIFT = 15.0  # 1.5 standard deviations of the price


def orders(
    rng: np.random.Generator,
    rows: int,
    *,
    price_shift: float = 0.0,
    price_missing: float = 0.0,
    quantity_missing: float = 0.0,
) -> pa.Table:
    """``rows`` orders; ``*_missing`` is the share of nulls planted in that column."""
    price = rng.normal(50.0 + price_shift, 10.0, rows)
    quantity = rng.poisson(3.0, rows).astype(np.int64)
    return pa.table(
        {
            "price": pa.array(price, mask=rng.random(rows) < price_missing),
            "quantity": pa.array(quantity, mask=rng.random(rows) < quantity_missing),
            "channel": rng.choice(CHANNELS, rows, p=[0.5, 0.3, 0.2]),
        }
    )


def profile_of(table: pa.Table, **metadata: str) -> DatasetProfile:
    profile = DatasetProfile(metadata)
    profile.track(table)
    return profile


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of November 2026 (UTC)."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def expected(table: pa.Table) -> dict:
    """What a profile of ``table`` must say, computed from the rows with NumPy."""
    price = table["price"].to_numpy(zero_copy_only=False).astype(float)
    quantity = table["quantity"].to_numpy(zero_copy_only=False).astype(float)
    return {
        "rows": table.num_rows,
        "price_nulls": int(np.isnan(price).sum()),
        "price_mean": float(np.nanmean(price)),
        "price_min": float(np.nanmin(price)),
        "price_max": float(np.nanmax(price)),
        "quantity_nulls": int(np.isnan(quantity).sum()),
        "quantity_mean": float(np.nanmean(quantity)),
        "channels": dict(Counter(table["channel"].to_pylist())),
    }


def observed(profile: DatasetProfile) -> dict:
    """The same figures read from a profile."""
    price, quantity = profile.columns["price"], profile.columns["quantity"]
    assert price.count == quantity.count == profile.columns["channel"].count == profile.rows
    return {
        "rows": profile.rows,
        "price_nulls": price.null_count,
        "price_mean": price.mean,
        "price_min": price.min,
        "price_max": price.max,
        "quantity_nulls": quantity.null_count,
        "quantity_mean": quantity.mean,
        "channels": profile.columns["channel"].categories.as_dict(),
    }


def assert_matches(profile: DatasetProfile, table: pa.Table) -> None:
    """Counts and categories exactly, means, minimum and maximum to rounding."""
    want, got = expected(table), observed(profile)
    for key in ("price_mean", "quantity_mean", "price_min", "price_max"):
        assert got.pop(key) == pytest.approx(want.pop(key), rel=1e-12), key
    assert got == want


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def open_service(url: str, **options) -> DatasetService:
    """A service on its own catalog connection (as another process would have)."""
    return DatasetService(Catalog(url), **options)
