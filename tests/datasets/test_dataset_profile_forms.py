"""Profiles arrive as JSON or in the binary form; the catalog keeps the binary form."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from dataset_samples import at, open_service, orders, profile_of

from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.catalog.datasets import HOUR
from watchkeeper.profile import profile_from_bytes, profile_to_bytes, profile_to_json
from watchkeeper.profile.binary import MAGIC
from watchkeeper.ui import create_ui_app

PROFILE = {"Content-Type": "application/octet-stream"}


def test_a_json_profile_is_stored_and_merged_in_the_binary_form(database_url):
    service = open_service(database_url)
    rng = np.random.default_rng(8)
    first, second = orders(rng, 300), orders(rng, 200)
    service.receive("shop", profile_to_json(profile_of(first)), timestamp=at(20, 9, 1))
    service.receive("shop", profile_to_bytes(profile_of(second)), timestamp=at(20, 9, 2))
    parts = service.store.claim_parts("shop", "test", 10)
    assert len(parts) == 2 and all(part.profile.startswith(MAGIC) for part in parts)


def test_batches_are_kept_in_the_binary_form(database_url):
    service = open_service(database_url)
    rng = np.random.default_rng(9)
    tables = [orders(rng, 250) for _ in range(3)]
    service.receive("shop", profile_to_json(profile_of(tables[0])), timestamp=at(20, 9, 1))
    service.receive("shop", profile_to_bytes(profile_of(tables[1])), timestamp=at(20, 9, 2))
    service.receive("shop", profile_of(tables[2]), timestamp=at(20, 9, 3))
    service.refresh("shop")
    [batch] = service.store.batches("shop", granularity=HOUR, with_profile=True)
    assert batch.profile.startswith(MAGIC)
    assert profile_from_bytes(batch.profile).rows == 750


@pytest.fixture
def api(database_url) -> Iterator:
    app = create_ui_app(Catalog(database_url), tokens=[], refresh_seconds=None)
    server = LiveServer(app).start()
    with server.client() as client:
        yield client
    server.stop()


@pytest.mark.parametrize("form", [profile_to_bytes, profile_to_json])
def test_the_rest_api_takes_both_forms(api, form):
    rng = np.random.default_rng(10)
    reference = form(profile_of(orders(rng, 500)))
    answer = api.put("/api/v1/datasets/shop/baseline", content=reference, headers=PROFILE)
    assert answer.status_code == 200, answer.text
    posted = api.post(
        "/api/v1/datasets/shop/profiles",
        content=form(profile_of(orders(rng, 120))),
        params={"timestamp": "2026-11-20T09:00:00Z"},
        headers=PROFILE,
    )
    assert posted.status_code == 201, posted.text
    assert posted.json()["rows"] == 120
    broken = api.post(
        "/api/v1/datasets/shop/profiles", content=reference[: len(reference) // 2], headers=PROFILE
    )
    assert broken.status_code == 422 and "request body" in broken.json()["detail"]
