"""One dataset's bad data never fails another's pages, merges or alerts.

Bad profiles are put straight into the catalog, behind the API's back (as an older
server, a bug or a hand-edited database could leave them), beside good datasets; the
dashboard runs on a real server on 127.0.0.1, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
from sqlalchemy import text

from watchkeeper.profile import DatasetProfile, profile_to_bytes, profile_to_json

PROFILE = {"Content-Type": "application/octet-stream"}
MOMENT = dt.datetime(2026, 11, 20, 9, 15, tzinfo=dt.UTC)
GOOD, BAD_PARTS, BAD_BASELINE = ("a-good", "c-good"), "b-bad-parts", "d-bad-baseline"


SHIFT = 15.0  # 1.5 standard deviations of the price: the drift detector flags it


def orders(rng: np.random.Generator, rows: int, price_shift: float = 0.0) -> pa.Table:
    return pa.table(
        {
            "price": rng.normal(50.0 + price_shift, 10.0, rows),
            "channel": rng.choice(["web", "app", "store"], rows),
        }
    )


def profile_of(table: pa.Table) -> DatasetProfile:
    profile = DatasetProfile()
    profile.track(table)
    return profile


def absurd(blob: bytes) -> bytes:
    """The profile with its price sketch's ``c`` set to 1e308."""
    document = json.loads(blob)
    next(c for c in document["columns"] if c["name"] == "price")["kll"]["c"] = 1e308
    return json.dumps(document).encode()


def upload(client, name: str, blob: bytes, timestamp: dt.datetime = MOMENT):
    return client.post(
        f"/api/v1/datasets/{name}/profiles",
        content=blob,
        params={"timestamp": timestamp.isoformat()},
        headers=PROFILE,
    )


def test_bad_profiles_in_the_catalog_fail_only_their_own_dataset(dashboard, webhook_server):
    client, service = dashboard
    rng = np.random.default_rng(3)
    names = [*GOOD, BAD_PARTS, BAD_BASELINE]
    for name in names:
        baseline = profile_to_bytes(profile_of(orders(rng, 3000)))
        answer = client.put(f"/api/v1/datasets/{name}/baseline", content=baseline, headers=PROFILE)
        assert answer.status_code == 200
        shifted = profile_to_bytes(profile_of(orders(rng, 800, price_shift=SHIFT)))
        assert upload(client, name, shifted).status_code == 201

    # the same absurd profile through the API is refused, naming the field
    tampered = absurd(profile_to_json(profile_of(orders(rng, 300))))
    refused = upload(client, BAD_PARTS, tampered)
    assert refused.status_code == 422
    assert refused.json()["detail"] == (
        "request body: columns.price.kll.c: must be in (0, 1], got 1e+308"
    )
    # ... and stored behind its back, with bytes that are no profile at all
    store = service.store
    absurd_part = store.add_part(BAD_PARTS, "", MOMENT, 300, tampered)
    garbage_part = store.add_part(BAD_PARTS, "", MOMENT, 10, b"\x00 not a profile")
    store.set_baseline(BAD_BASELINE, b"{broken", "tampered")

    overview = client.get("/")
    assert overview.status_code == 200
    for name in names:
        assert f'href="/datasets/{name}"' in overview.text
    assert overview.text.count('class="badge bad problem"') == 2

    # the good datasets were merged, evaluated and alerted
    for name in GOOD:
        [day] = client.get(f"/api/v1/datasets/{name}/batches").json()
        assert (day["rows"], day["profiles"], day["error"]) == (800, 1, None)
        assert [v["feature_name"] for v in day["violations"]] == ["price"]
        assert client.get(f"/datasets/{name}").status_code == 200
        assert client.get(f"/datasets/{name}/features/price").status_code == 200
    titles = sorted(post.json["title"] for post in webhook_server.posts)
    assert "watchkeeper: a-good: 1 feature flagged (2026-11-20)" in titles
    assert "watchkeeper: c-good: 1 feature flagged (2026-11-20)" in titles

    # the bad parts were set aside with their reasons; the good one beside them merged
    [day] = client.get(f"/api/v1/datasets/{BAD_PARTS}/batches").json()
    assert (day["rows"], day["profiles"]) == (800, 1)
    failures = client.get(f"/api/v1/datasets/{BAD_PARTS}/failures").json()
    assert failures["count"] == 2
    reasons = {item["id"]: item["error"] for item in failures["profiles"]}
    assert reasons[absurd_part] == (
        f"stored profile {absurd_part}: columns.price.kll.c: must be in (0, 1], got 1e+308"
    )
    assert reasons[garbage_part].startswith(f"stored profile {garbage_part}: not a watchkeeper")
    assert (
        f"watchkeeper: {BAD_PARTS}: received profile {absurd_part} (and 1 more) could not be "
        "merged"
    ) in titles
    page = client.get(f"/datasets/{BAD_PARTS}")
    assert page.status_code == 200
    assert "2 received profile(s) could not be merged and were set aside" in page.text
    assert "columns.price.kll.c: must be in (0, 1], got 1e+308" in page.text

    # the dataset whose baseline is broken: merged, not evaluated, and says why
    [day] = client.get(f"/api/v1/datasets/{BAD_BASELINE}/batches").json()
    assert (day["rows"], day["violations"]) == (800, [])
    dataset = client.get(f"/api/v1/datasets/{BAD_BASELINE}").json()
    assert dataset["error"].startswith("baseline of d-bad-baseline: not a watchkeeper profile")
    page = client.get(f"/datasets/{BAD_BASELINE}")
    assert page.status_code == 200 and 'id="dataset-error"' in page.text
    assert f"watchkeeper: {BAD_BASELINE}: could not be merged and evaluated" in titles

    # failures are told once: later rounds neither retry the parts nor repeat the alerts
    sent = len(webhook_server.posts)
    for _ in range(2):
        assert client.post(f"/api/v1/datasets/{BAD_PARTS}/evaluate").json() == {"pending": 0}
        assert client.get("/").status_code == 200
    assert len(webhook_server.posts) == sent
    assert client.get(f"/api/v1/datasets/{BAD_PARTS}/failures").json()["count"] == 2

    # a repaired baseline clears the error
    baseline = profile_to_bytes(profile_of(orders(rng, 3000)))
    client.put(f"/api/v1/datasets/{BAD_BASELINE}/baseline", content=baseline, headers=PROFILE)
    assert client.get("/").status_code == 200
    assert client.get(f"/api/v1/datasets/{BAD_BASELINE}").json()["error"] is None
    [day] = client.get(f"/api/v1/datasets/{BAD_BASELINE}/batches").json()
    assert [v["feature_name"] for v in day["violations"]] == ["price"]


def test_a_corrupt_batch_shows_an_error_state_not_a_server_error(dashboard):
    client, service = dashboard
    rng = np.random.default_rng(4)
    for name in GOOD:
        blob = profile_to_bytes(profile_of(orders(rng, 500)))
        assert upload(client, name, blob).status_code == 201
    assert client.get("/").status_code == 200
    # a merged batch overwritten behind the API's back
    with service.catalog.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE profile_batches SET profile = :garbage, metrics_stale = :stale "
                "WHERE dataset = 'a-good'"
            ),
            {"garbage": b"garbage", "stale": True},
        )
    assert client.get("/").status_code == 200
    page = client.get("/datasets/a-good")
    assert page.status_code == 200
    assert 'id="batch-error"' in page.text and "not a watchkeeper profile" in page.text
    compare = client.get("/compare", params={"dataset": ["a-good", "c-good"]})
    assert compare.status_code == 200 and "a-good cannot be compared" in compare.text
    assert client.get("/datasets/c-good/features/price").status_code == 200
    [other] = client.get("/api/v1/datasets/c-good/batches").json()
    assert other["error"] is None and other["rows"] == 500
