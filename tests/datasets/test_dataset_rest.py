"""The datasets' REST API over a real server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pytest
from dataset_samples import SHIFT, orders, profile_of

from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.profile import profile_to_bytes
from watchkeeper.ui import create_ui_app

MAX_BODY = 256_000
DATA_QUALITY = (
    Path(__file__).parents[1] / "data" / "sagemaker" / "pipeline" / "quality_check_step"
) / "data_quality"
PROFILE = {"Content-Type": "application/octet-stream"}
TOKEN = "a-long-test-token"


@pytest.fixture
def api(database_url) -> Iterator:
    app = create_ui_app(Catalog(database_url), tokens=[], refresh_seconds=None, max_body=MAX_BODY)
    server = LiveServer(app).start()
    with server.client() as client:
        yield client
    server.stop()


def post_profile(client, name: str, table: pa.Table, **params):
    blob = profile_to_bytes(profile_of(table))
    return client.post(
        f"/api/v1/datasets/{name}/profiles", content=blob, params=params, headers=PROFILE
    )


def test_datasets_are_created_fed_and_read(api):
    created = api.post(
        "/api/v1/datasets",
        json={"name": "shop", "segment_columns": ["country"], "description": "orders"},
    )
    assert created.status_code == 201
    body = created.json()
    assert {k: body[k] for k in ("name", "segment_columns", "description", "baseline")} == {
        "name": "shop",
        "segment_columns": ["country"],
        "description": "orders",
        "baseline": None,
    }
    again = api.post("/api/v1/datasets", json={"name": "shop"})
    assert again.status_code == 409 and "exists already" in again.json()["detail"]
    bad = api.post("/api/v1/datasets", json={"name": "no spaces"})
    assert bad.status_code == 422 and "dataset id 'no spaces' is not valid" in bad.json()["detail"]
    assert api.post("/api/v1/datasets", json={"segment_columns": []}).status_code == 422
    assert [d["name"] for d in api.get("/api/v1/datasets").json()] == ["shop"]
    assert api.get("/api/v1/datasets/shop").json()["segment_columns"] == ["country"]
    missing = api.get("/api/v1/datasets/nowhere")
    assert (missing.status_code, missing.json()) == (404, {"detail": "no dataset named 'nowhere'"})
    for path in ("batches", "monitors"):
        assert api.get(f"/api/v1/datasets/nowhere/{path}").status_code == 404

    rng = np.random.default_rng(41)
    sent = []
    for hour in ("09", "10"):
        for country in ("DE", "FR"):
            table = orders(rng, int(rng.integers(100, 200)))
            moment = f"2026-11-20T{hour}:15:00Z"
            answer = post_profile(
                api, "shop", table, timestamp=moment, segment=f"country={country}"
            )
            assert answer.status_code == 201
            assert answer.json() == {
                "dataset": "shop",
                "segment": f"country={country}",
                "timestamp": moment,
                "rows": len(table),
                "duplicate": False,
            }
            sent.append((hour, country, table))

    hours = api.get("/api/v1/datasets/shop/batches", params={"granularity": "hour"})
    assert hours.status_code == 200
    listed = hours.json()
    assert [(b["start"], b["end"], b["profiles"]) for b in listed] == [
        ("2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z", 2),
        ("2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z", 2),
    ]
    for batch, hour in zip(listed, ("09", "10"), strict=True):
        tables = pa.concat_tables([t for h, _, t in sent if h == hour])
        assert batch["rows"] == len(tables) and batch["segment"] == ""
        price = batch["metrics"]["price"]
        assert price["count"] == len(tables)
        assert price["mean"] == pytest.approx(pc.mean(tables["price"]).as_py(), rel=1e-12)
        assert batch["violations"] == []  # no baseline, no change between the hours
    germany = api.get(
        "/api/v1/datasets/shop/batches", params={"granularity": "day", "segment": "country=DE"}
    ).json()
    [day] = germany
    assert (day["start"], day["segment"], day["profiles"]) == (
        "2026-11-20T00:00:00Z",
        "country=DE",
        2,
    )
    assert day["rows"] == sum(len(t) for _, c, t in sent if c == "DE")
    window = api.get(
        "/api/v1/datasets/shop/batches",
        params={
            "granularity": "hour",
            "start": "2026-11-20T10:00:00Z",
            "end": "2026-11-20T11:00:00Z",
        },
    ).json()
    assert [b["start"] for b in window] == ["2026-11-20T10:00:00Z"]
    week = api.get("/api/v1/datasets/shop/batches", params={"granularity": "week"})
    assert (
        week.status_code == 422 and "granularity must be 'hour' or 'day'" in week.json()["detail"]
    )
    assert api.post("/api/v1/datasets/shop/evaluate").json() == {"pending": 0}

    assert api.delete("/api/v1/datasets/shop").status_code == 204
    assert api.get("/api/v1/datasets/shop").status_code == 404
    assert api.delete("/api/v1/datasets/shop").status_code == 404


def test_bad_bodies_are_refused(api):
    table = orders(np.random.default_rng(1), 50)
    blob = profile_to_bytes(profile_of(table))
    url = "/api/v1/datasets/shop/profiles"
    wrong = api.post(url, content=blob, headers={"Content-Type": "text/csv"})
    assert wrong.status_code == 415
    assert "content type 'text/csv'" in wrong.json()["detail"]
    empty = api.post(url, content=b"", headers=PROFILE)
    assert (empty.status_code, empty.json()["detail"]) == (422, "the body is empty: send a profile")
    garbage = api.post(url, content=b"\x00\x01 not a profile", headers=PROFILE)
    assert garbage.status_code == 422
    assert garbage.json()["detail"].startswith("request body: not a watchkeeper profile")
    other_json = api.post(url, json={"rows": 3})
    assert other_json.status_code == 422 and "request body" in other_json.json()["detail"]
    too_big = api.post(url, content=b" " * (MAX_BODY + 1), headers=PROFILE)
    assert too_big.status_code == 413
    assert too_big.json()["detail"] == (
        f"body of {MAX_BODY + 1} bytes is over the limit of {MAX_BODY} bytes"
    )

    def chunks():  # no Content-Length: the limit is enforced while reading
        for _ in range(10):
            yield b" " * (MAX_BODY // 8)

    streamed = api.post(url, content=chunks(), headers=PROFILE)
    assert streamed.status_code == 413
    assert streamed.json()["detail"] == f"body is over the limit of {MAX_BODY} bytes"
    late = api.post(url, content=blob, headers=PROFILE, params={"timestamp": "soon"})
    assert late.status_code == 422 and "timestamp 'soon'" in late.json()["detail"]
    # nothing was stored (nor was the dataset created) by any of these
    assert api.get("/api/v1/datasets").json() == []
    # a profile with neither timestamp nor segment is received now, for the whole dataset
    plain = api.post(url, content=blob)
    assert plain.status_code == 201
    assert (plain.json()["segment"], plain.json()["rows"]) == ("", 50)
    mismatch = api.post(url, content=blob, headers=PROFILE, params={"segment": "country=DE"})
    assert mismatch.status_code == 422
    assert "does not match dataset 'shop'" in mismatch.json()["detail"]


def test_baselines_from_a_profile_and_from_a_sagemaker_statistics_file(api):
    rng = np.random.default_rng(3)
    reference = profile_to_bytes(profile_of(orders(rng, 3000)))
    answer = api.put("/api/v1/datasets/shop/baseline", content=reference, headers=PROFILE)
    assert answer.status_code == 200
    assert (answer.json()["name"], answer.json()["baseline"]) == ("shop", "uploaded")
    assert answer.json()["baseline_updated_at"].endswith("Z")
    post_profile(api, "shop", orders(rng, 400), timestamp="2026-11-20T09:00:00Z")
    post_profile(api, "shop", orders(rng, 400, price_shift=SHIFT), timestamp="2026-11-21T09:00:00Z")
    days = api.get("/api/v1/datasets/shop/batches").json()
    assert [[v["feature_name"] for v in day["violations"]] for day in days] == [[], ["price"]]
    assert days[1]["max_drift"] == pytest.approx(days[1]["metrics"]["price"]["hellinger_baseline"])

    # SageMaker's statistics.json of the baseline dataset beside it
    statistics = (DATA_QUALITY / "statistics.json").read_bytes()
    answer = api.put(
        "/api/v1/datasets/quality/baseline",
        content=statistics,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200 and answer.json()["baseline"] == "uploaded"
    rows = pcsv.read_csv(
        DATA_QUALITY / "baseline_dataset.csv",
        read_options=pcsv.ReadOptions(column_names=[f"_c{i}" for i in range(6)]),
    )
    moved = rows.set_column(0, "_c0", pc.add(rows["_c0"], 3.0))
    post_profile(api, "quality", rows, timestamp="2026-11-20T09:00:00Z")
    post_profile(api, "quality", moved, timestamp="2026-11-21T09:00:00Z")
    same, shifted = api.get("/api/v1/datasets/quality/batches").json()
    assert same["violations"] == []
    assert same["metrics"]["_c0"]["hellinger_baseline"] == pytest.approx(0.0, abs=0.05)
    assert [v["feature_name"] for v in shifted["violations"]] == ["_c0"]
    assert shifted["metrics"]["_c0"]["mean"] == pytest.approx(2.31 + 3.0)

    garbage = api.put("/api/v1/datasets/shop/baseline", content=b"%PDF-1.7", headers=PROFILE)
    assert garbage.status_code == 422
    assert garbage.json()["detail"] == "request body: neither a profile nor a statistics.json"
    assert api.get("/api/v1/datasets/shop").json()["baseline"] == "uploaded"


def test_monitor_settings_round_trip(api):
    rng = np.random.default_rng(4)
    for day in ("20", "21"):
        post_profile(api, "shop", orders(rng, 300), timestamp=f"2026-11-{day}T09:00:00Z")
    assert api.get("/api/v1/datasets/shop/monitors").json() == []
    setting = {
        "segment": "*",
        "feature": "price",
        "settings": {"drift_method": "hellinger", "drift_threshold": 0.01},
    }
    answer = api.put("/api/v1/datasets/shop/monitors", json=setting)
    assert (answer.status_code, answer.json()) == (200, setting)
    everything = {"settings": {"null_fraction_threshold": 0.5}}
    assert api.put("/api/v1/datasets/shop/monitors", json=everything).status_code == 200
    assert api.get("/api/v1/datasets/shop/monitors").json() == [
        {"segment": "*", "feature": "*", "settings": {"null_fraction_threshold": 0.5}},
        setting,
    ]
    # the tiny threshold flags the second day's price against the first
    days = api.get("/api/v1/datasets/shop/batches").json()
    assert [[v["feature_name"] for v in day["violations"]] for day in days] == [[], ["price"]]
    assert days[1]["violations"][0]["constraint_check_type"] == "previous_batch_drift_check"

    bad = api.put(
        "/api/v1/datasets/shop/monitors",
        json={"feature": "price", "settings": {"drift_threshold": -1}},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"] == "drift_threshold must be a positive number, got -1"
    unknown = api.put("/api/v1/datasets/shop/monitors", json={"settings": {"treshold": 1}})
    assert unknown.status_code == 422 and "treshold" in unknown.json()["detail"]
    removed = api.put("/api/v1/datasets/shop/monitors", json={"feature": "price", "settings": None})
    assert removed.status_code == 200
    assert api.get("/api/v1/datasets/shop/monitors").json() == [
        {"segment": "*", "feature": "*", "settings": {"null_fraction_threshold": 0.5}}
    ]
    days = api.get("/api/v1/datasets/shop/batches").json()
    assert [day["violations"] for day in days] == [[], []]
    nowhere = api.put("/api/v1/datasets/nowhere/monitors", json={"settings": None})
    assert nowhere.status_code == 404


def test_tokens_guard_the_api(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    app = create_ui_app(catalog, tokens=[TOKEN], refresh_seconds=None)
    server = LiveServer(app).start()
    try:
        with server.client() as client:
            assert client.get("/api/v1/health").json() == {"status": "ok"}
            assert client.get("/api/v1/datasets").status_code == 401
            wrong = {"Authorization": "Bearer a-wrong-test-token"}
            assert client.get("/api/v1/datasets", headers=wrong).status_code == 401
            blob = profile_to_bytes(profile_of(orders(np.random.default_rng(6), 20)))
            refused = client.post("/api/v1/datasets/shop/profiles", content=blob, headers=wrong)
            assert refused.status_code == 401
            right = {"Authorization": f"Bearer {TOKEN}"}
            assert client.get("/api/v1/datasets", headers=right).json() == []
            accepted = client.post(
                "/api/v1/datasets/shop/profiles", content=blob, headers={**right, **PROFILE}
            )
            assert accepted.status_code == 201
            assert [d["name"] for d in client.get("/api/v1/datasets", headers=right).json()] == [
                "shop"
            ]
    finally:
        server.stop()


def test_a_profile_sent_again_with_its_id_is_counted_once(api):
    profile = profile_of(orders(np.random.default_rng(5), 120))
    profile.metadata["profile_id"] = "3f1c0d9a5b7e4f0c8a2d6e1b9c4f7a20"
    blob = profile_to_bytes(profile)
    params = {"timestamp": "2026-11-20T09:15:00Z"}
    first = api.post("/api/v1/datasets/shop/profiles", content=blob, params=params, headers=PROFILE)
    again = api.post("/api/v1/datasets/shop/profiles", content=blob, params=params, headers=PROFILE)
    assert (first.status_code, first.json()["duplicate"]) == (201, False)
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    other = profile_of(orders(np.random.default_rng(6), 80))
    other.metadata["profile_id"] = "0b9e1c7d3a5f4e2c8d6a1f0e9b7c5d31"
    post = api.post(
        "/api/v1/datasets/shop/profiles",
        content=profile_to_bytes(other),
        params=params,
        headers=PROFILE,
    )
    assert post.status_code == 201
    hours = api.get("/api/v1/datasets/shop/batches", params={"granularity": "hour"}).json()
    assert [(b["rows"], b["profiles"]) for b in hours] == [(200, 2)]
