"""Three weeks of daily profiles for the dashboard's tests, pushed over real HTTP.

Dataset ``shop``, segmented by ``country`` (DE, FR, US), 300 rows per country and day
from 2026-11-01 to 2026-11-21, features ``price``, ``age``, ``clicks`` (numeric) and
``device``, ``plan`` (text). Two changes are planted:

* ``DRIFT_DAY``: ``price`` moves up by 3 standard deviations in every country;
* ``SEGMENT_DAY``: ``device`` turns mostly ``web`` in FR only.

The baseline is a training sample of the unchanged distribution. With the default seed,
the default drift detector flags the planted changes and nothing else.
"""

from __future__ import annotations

import datetime as dt

import httpx
import numpy as np
import pyarrow as pa

from watchkeeper.profile import DatasetProfile, profile_to_bytes

DATASET = "shop"
COUNTRIES = ("DE", "FR", "US")
FIRST_DAY = dt.date(2026, 11, 1)
DAYS = 21
DRIFT_DAY = dt.date(2026, 11, 12)
SEGMENT_DAY = dt.date(2026, 11, 16)
ROWS = 300
DEVICES = np.array(["ios", "android", "web"])
PLANS = np.array(["free", "pro", "team"])


def sample(rng: np.random.Generator, rows: int, *, price_shift=0.0, web_heavy=False) -> pa.Table:
    device_p = [0.05, 0.05, 0.9] if web_heavy else [0.45, 0.4, 0.15]
    return pa.table(
        {
            "price": rng.normal(100.0 + price_shift, 10.0, rows),
            "age": rng.normal(40.0, 8.0, rows),
            "clicks": rng.poisson(3.0, rows).astype(np.int64),
            "device": rng.choice(DEVICES, rows, p=device_p),
            "plan": rng.choice(PLANS, rows, p=[0.6, 0.3, 0.1]),
        }
    )


def profile_of(table: pa.Table) -> bytes:
    profile = DatasetProfile()
    profile.track(table)
    return profile_to_bytes(profile)


def day_profiles(seed: int = 1):
    """(day, country, profile bytes) for every day and country."""
    rng = np.random.default_rng(seed)
    for offset in range(DAYS):
        day = FIRST_DAY + dt.timedelta(days=offset)
        for country in COUNTRIES:
            table = sample(
                rng,
                ROWS,
                price_shift=30.0 if day == DRIFT_DAY else 0.0,
                web_heavy=(day == SEGMENT_DAY and country == "FR"),
            )
            yield day, country, profile_of(table)


def load(client: httpx.Client, seed: int = 1) -> None:
    """Create the dataset, upload the baseline and push every day's profiles."""
    created = client.post(
        "/api/v1/datasets", json={"name": DATASET, "segment_columns": ["country"]}
    )
    assert created.status_code == 201, created.text
    baseline = profile_of(sample(np.random.default_rng(seed + 1000), 3000))
    answer = client.put(
        f"/api/v1/datasets/{DATASET}/baseline",
        content=baseline,
        headers={"content-type": "application/octet-stream"},
    )
    assert answer.status_code == 200, answer.text
    for day, country, body in day_profiles(seed):
        answer = client.post(
            f"/api/v1/datasets/{DATASET}/profiles",
            params={"timestamp": f"{day}T12:00:00Z", "segment": f"country={country}"},
            content=body,
            headers={"content-type": "application/octet-stream"},
        )
        assert answer.status_code == 201, answer.text
    answer = client.post(f"/api/v1/datasets/{DATASET}/evaluate")
    assert answer.json() == {"pending": 0}
