"""History rules on a dataset's monitors page: added and removed over HTTP, judged on
every uploaded batch against the batches before it, alerted, and drawn with their band
on the feature page; on a real server on 127.0.0.1, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.profile import DatasetProfile, profile_to_bytes

PROFILE = {"Content-Type": "application/octet-stream"}
FIRST_DAY = dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC)
ANOMALY = "metric_history_check"


def upload_days(client, name: str, prices: list[np.ndarray]) -> None:
    for day, values in enumerate(prices):
        profile = DatasetProfile()
        profile.track(pa.table({"price": values}))
        when = FIRST_DAY + dt.timedelta(days=day)
        answer = client.post(
            f"/api/v1/datasets/{name}/profiles",
            content=profile_to_bytes(profile),
            params={"timestamp": when.isoformat()},
            headers=PROFILE,
        )
        assert answer.status_code == 201, answer.text


def add_rule(client, name: str, **fields: str):
    return client.post(f"/datasets/{name}/history", data=fields, follow_redirects=True)


def days_of(client, name: str) -> list[dict]:
    return client.get(f"/api/v1/datasets/{name}/batches").json()


def anomalies(day: dict) -> list[dict]:
    return [v for v in day["violations"] if v["constraint_check_type"] == ANOMALY]


def test_a_level_shift_is_an_anomaly_alerted_and_drawn_with_its_band(dashboard, webhook_server):
    client, _ = dashboard
    rng = np.random.default_rng(4)
    # the mean of 200 prices moves by about 0.7 a day; from day 6 it is 10 higher
    prices = [rng.normal(50.0 + (10.0 if day >= 6 else 0.0), 10.0, 200) for day in range(8)]
    upload_days(client, "orders", prices[:1])
    page = add_rule(client, "orders", feature="price", metric="mean", method="rolling",
                    window="5", k="6")  # fmt: skip
    assert page.status_code == 200
    assert 'id="message">added the history rule mean: rolling (window=5, k=6.0) for price' in (
        page.text
    )
    assert "mean: rolling (window=5, k=6.0)" in re.search(
        r'<table id="history-rules">.*?</table>', page.text, re.S
    ).group(0)
    upload_days(client, "orders", prices)

    assert client.get("/datasets/orders").status_code == 200  # merges and evaluates
    days = days_of(client, "orders")
    assert len(days) == 8
    flagged = [index for index, day in enumerate(days) if anomalies(day)]
    assert flagged and flagged[0] == 6, flagged
    [found] = anomalies(days[6])
    assert found["feature_name"] == "price"
    assert found["observed"] == pytest.approx(float(prices[6].mean()), rel=1e-9)
    assert found["observed"] > found["details"]["high"] == found["threshold"]
    assert found["details"]["method"] == "rolling" and found["details"]["metric"] == "mean"
    assert "mean of price is anomalous against its history (rolling)" in found["description"]

    bodies = [post.json["message"] for post in webhook_server.posts]
    assert any("mean of price is anomalous against its history" in body for body in bodies)

    feature = client.get("/datasets/orders/features/price")
    figures = json.loads(
        re.search(r'id="feature-figures">(.*?)</script>', feature.text, re.S).group(1)
    )
    [chart] = [f for f in figures if f["title"] == "mean against its history (rolling)"]
    band = next(trace for trace in chart["data"] if trace["name"] == "expected band")
    low = next(trace for trace in chart["data"] if trace["name"] == "band low")
    # days 5 to 7 are judged (5 earlier days each): a band per judged day
    assert len(band["y"]) == len(low["y"]) == 3
    assert all(lo < hi for lo, hi in zip(low["y"], band["y"], strict=True))
    marked = next(trace for trace in chart["data"] if trace["name"] == "anomalies")
    assert len(marked["y"]) == len(flagged)


def test_a_stable_seasonal_series_is_not_an_anomaly(dashboard):
    client, service = dashboard
    rng = np.random.default_rng(8)
    # a rhythm of counts every three days, a few rows either way: the fit needs 12 days
    counts = [(160 if day % 3 == 2 else 100) + int(rng.integers(-3, 4)) for day in range(14)]
    upload_days(client, "visits", [rng.normal(50.0, 10.0, count) for count in counts])
    page = add_rule(client, "visits", metric="count", method="seasonal", period="3")
    assert 'id="message">added the history rule count: seasonal (period=3' in page.text
    client.get("/datasets/visits")
    days = days_of(client, "visits")
    assert [anomalies(day) for day in days] == [[]] * 14
    judged = [entry for batch in service.batches("visits")
              for entry in batch.metrics["price"].get("history", [])]  # fmt: skip
    # the first 12 days are too few to fit a season on; the last 2 are judged
    assert [entry["expected"] is not None for entry in judged] == [False] * 12 + [True] * 2
    feature = client.get("/datasets/visits/features/price")
    assert "count against its history (seasonal)" in feature.text


BAD_RULES = [
    ({"metric": "mean", "method": "rolling", "window": "1"},
     "history rule (rolling): window must be a whole number from 2 to 10000, got 1"),
    ({"metric": "median", "method": "rolling"},
     "history rule: metric &#39;median&#39; is not a batch figure; use one of count,"),
    ({"metric": "mean", "method": "rate"},
     "history rule (rate): max_increase or max_decrease is needed"),
    ({"metric": "mean", "method": "rolling", "k": "three"}, "k &#39;three&#39; is not a number"),
    ({"metric": "mean", "method": "holt"}, "history rule: method &#39;holt&#39; is not known"),
]  # fmt: skip


def test_a_bad_rule_is_one_line_on_the_page_and_nothing_is_stored(dashboard):
    client, service = dashboard
    upload_days(client, "orders", [np.arange(10.0)])
    for fields, says in BAD_RULES:
        page = add_rule(client, "orders", feature="*", **fields)
        [error] = re.findall(r'<p class="notice bad" id="error">(.*?)</p>', page.text)
        assert says in error and "\n" not in error
    assert service.monitor_settings("orders") == {}


def test_a_rule_is_removed_and_the_settings_beside_it_stay(dashboard):
    client, service = dashboard
    upload_days(client, "orders", [np.arange(10.0)])
    add_rule(client, "orders", feature="price", metric="null_fraction", method="rate",
             max_increase="0.05")  # fmt: skip
    saved = client.post("/datasets/orders/monitors", data={"feature": "price", "enabled": "on",
                        "drift_threshold": "2"}, follow_redirects=True)  # fmt: skip
    assert "saved the setting for price" in saved.text
    stored = service.monitor_settings("orders")[("*", "price")]
    assert stored["drift_threshold"] == 2.0
    assert stored["history"] == [
        {"metric": "null_fraction", "method": "rate", "max_increase": 0.05, "relative": False}
    ]
    removed = add_rule(client, "orders", feature="price", action="remove", index="0")
    assert "removed the history rule null_fraction: rate" in removed.text
    assert "history" not in service.monitor_settings("orders")[("*", "price")]
    assert "No history rule." in removed.text
