"""Regenerate the demo's data: a month of training data and today's drifted file.

    python examples/churn/make_data.py

The files are committed; this script documents how they were made (seeded).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

HERE = Path(__file__).parent
PLANS = np.array(["basic", "standard", "premium"])
REGIONS = np.array(["north", "south", "east", "west"])


def customers(rows: int, seed: int, *, drifted: bool = False) -> pa.Table:
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, rows)
    plan = PLANS[rng.choice(3, rows, p=[0.5, 0.35, 0.15])]
    region = REGIONS[rng.choice(4, rows, p=[0.3, 0.3, 0.2, 0.2])]
    monthly = np.round(rng.normal(55, 12, rows) + (plan == "premium") * 30, 2)
    calls = rng.poisson(1.5, rows)
    usage = np.round(rng.gamma(2.0, 120.0, rows), 1)
    satisfaction = rng.integers(1, 6, rows).astype(object)
    if drifted:
        monthly = np.round(monthly * 1.25, 2)  # a price change nobody announced
        region = np.where(rng.random(rows) < 0.04, "central", region)  # a new region code
        calls = rng.poisson(3.0, rows)  # support calls doubled
        missing = rng.random(rows) < 0.3  # a broken join upstream
        usage = np.where(missing, np.nan, usage)
        satisfaction[:25] = "4.5"  # a survey tool started averaging
    return pa.table(
        {
            "customer_id": [f"C{seed}{i:06d}" for i in range(rows)],
            "tenure_months": tenure,
            "plan": plan,
            "region": region,
            "monthly_charge": monthly,
            "support_calls": calls,
            "usage_minutes": pa.array(usage, from_pandas=True),
            "satisfaction": pa.array([str(v) for v in satisfaction]),
        }
    )


if __name__ == "__main__":
    pv.write_csv(customers(5_000, seed=2024), HERE / "train.csv")
    pv.write_csv(customers(2_000, seed=7, drifted=True), HERE / "today.csv")
