"""Alerts of datasets: one digest for what was found, a cooldown between digests, and
delivery to a real webhook on 127.0.0.1."""

from __future__ import annotations

import time

import numpy as np
import pytest
from dataset_samples import SHIFT, Clock, at, open_service, orders, profile_of

from watchkeeper.catalog.datasets import DAY
from watchkeeper.datasets.segments import segment_key
from watchkeeper.errors import UsageError
from watchkeeper.notify.notifier import TEST_TITLE


@pytest.fixture
def alerting(database_url, webhook_server):
    """Dataset ``shop`` with a baseline and a ``json://`` channel to the webhook server;
    the service's clock stands at 2026-11-23 09:00 UTC."""
    clock = Clock(at(23, 9))
    service = open_service(database_url, clock=clock)
    service.create("shop")
    rng = np.random.default_rng(77)
    service.set_baseline("shop", profile_of(orders(rng, 4000)), "training sample")
    service.store.add_channel("shop", f"json://{webhook_server.address}/alerts")
    return service, clock, rng


def receive_day(service, rng, day: int, *, shift: float = SHIFT, segment=None) -> None:
    for hour in (8, 16):
        table = orders(rng, 300, price_shift=shift)
        service.receive("shop", profile_of(table), timestamp=at(day, hour), segment=segment)


def test_three_violating_days_make_one_digest(alerting, webhook_server):
    service, _, rng = alerting
    for day in (20, 21, 22):
        receive_day(service, rng, day)
    service.refresh("shop")

    [post] = webhook_server.posts
    assert post.path == "/alerts"
    assert post.json["title"] == "watchkeeper: shop: 1 feature flagged (2026-11-20 to 2026-11-22)"
    lines = post.json["message"].splitlines()
    assert lines[0] == "Dataset **shop**, 3 batch(es) with violations:"
    assert [line.split(" `")[0] for line in lines[1:]] == [
        "- 2026-11-20",
        "- 2026-11-21",
        "- 2026-11-22",
    ]
    # each violation in the one line every alert writes
    assert all("`price` (baseline_drift_check): location moved " in line for line in lines[1:])
    assert all("(floor 0.10 sd), p = " in line for line in lines[1:])
    batches = service.store.batches("shop", granularity=DAY)
    assert all(batch.alerted and batch.violations for batch in batches)
    assert service.store.last_alert("shop") == at(23, 9)
    # nothing new: nothing sent
    service.refresh("shop")
    assert len(webhook_server.posts) == 1


def test_the_cooldown_holds_back_the_next_digest(alerting, webhook_server):
    service, clock, rng = alerting
    receive_day(service, rng, 22)
    service.refresh("shop")
    assert len(webhook_server.posts) == 1
    assert service.store.get("shop").cooldown_minutes == 24 * 60

    # a new violating day an hour later: held back
    clock.now = at(23, 10)
    receive_day(service, rng, 23)
    service.refresh("shop")
    assert len(webhook_server.posts) == 1
    [held] = service.store.unalerted_violations("shop")
    assert (held.start, held.alerted) == (at(23, 0), False)
    clock.now = at(24, 8, 59)  # still within the 24 hours
    service.refresh("shop")
    assert len(webhook_server.posts) == 1

    clock.now = at(24, 9)  # the cooldown has passed
    service.refresh("shop")
    assert len(webhook_server.posts) == 2
    title, body = webhook_server.posts[1].json["title"], webhook_server.posts[1].json["message"]
    assert title == "watchkeeper: shop: 1 feature flagged (2026-11-23)"
    assert "1 batch(es) with violations" in body and "2026-11-22" not in body
    assert service.store.unalerted_violations("shop") == []
    assert service.store.last_alert("shop") == at(24, 9)

    # a shorter cooldown, set on the dataset
    service.store.update("shop", cooldown_minutes=30)
    clock.now = at(24, 9, 20)
    receive_day(service, rng, 24)
    service.refresh("shop")
    assert len(webhook_server.posts) == 2
    clock.now = at(24, 9, 30)
    service.refresh("shop")
    assert len(webhook_server.posts) == 3


def test_the_digest_names_segments_and_every_feature(database_url, webhook_server):
    service = open_service(database_url, clock=Clock(at(23, 9)))
    service.create("shop", segment_columns=["country"])
    rng = np.random.default_rng(5)
    service.set_baseline("shop", profile_of(orders(rng, 4000)), "training sample")
    service.store.add_channel("shop", f"json://{webhook_server.address}/alerts")
    service.set_monitor("shop", {"null_fraction_threshold": 0.1}, feature="quantity")
    de = segment_key({"country": "DE"}, ["country"])
    table = orders(rng, 600, price_shift=SHIFT, quantity_missing=0.3)
    service.receive("shop", profile_of(table), timestamp=at(22, 9), segment=de)
    service.receive("shop", profile_of(orders(rng, 600)), timestamp=at(22, 9), segment="country=FR")
    service.refresh("shop")

    [post] = webhook_server.posts
    assert post.json["title"] == "watchkeeper: shop: 2 features flagged (2026-11-22)"
    lines = post.json["message"].splitlines()
    assert lines[0] == "Dataset **shop**, 2 batch(es) with violations:"
    whole = [line for line in lines[1:] if line.startswith("- 2026-11-22 `")]
    german = [line for line in lines[1:] if line.startswith("- 2026-11-22 [country=DE] `")]
    assert len(whole) + len(german) == len(lines) - 1
    for found in (whole, german):
        assert any("`price` (baseline_drift_check): location moved" in line for line in found)
    # the share of missing quantities: 30% in DE, half that over both countries
    missing = "`quantity` (missing_values_check): "
    assert any(missing + "3" in line and "the limit is 10%" in line for line in german)
    assert any(missing + "1" in line and "the limit is 10%" in line for line in whole)
    assert "country=FR" not in post.json["message"]


def test_without_a_channel_violations_are_not_kept_for_later(database_url, webhook_server):
    service = open_service(database_url, clock=Clock(at(23, 9)))
    rng = np.random.default_rng(9)
    service.set_baseline("shop", profile_of(orders(rng, 4000)), "training sample")
    receive_day(service, rng, 22)
    service.refresh("shop")
    [day] = service.store.batches("shop", granularity=DAY)
    assert day.violations and day.alerted
    with pytest.raises(UsageError, match="dataset 'shop' has no alert channel"):
        service.test_channels("shop")
    # a channel added later hears of the violations found from then on only
    service.store.add_channel("shop", f"json://{webhook_server.address}/alerts")
    service.refresh("shop")
    assert webhook_server.posts == []
    receive_day(service, rng, 23)
    service.refresh("shop")
    [post] = webhook_server.posts
    assert "(2026-11-23)" in post.json["title"]


def test_service_wide_channels_hear_every_dataset(database_url, webhook_server):
    url = f"json://{webhook_server.address}/everything"
    service = open_service(database_url, clock=Clock(at(23, 9)), notify=[url])
    rng = np.random.default_rng(10)
    for name in ("shop", "web"):
        service.set_baseline(name, profile_of(orders(rng, 4000)), "training sample")
        table = orders(rng, 500, price_shift=SHIFT)
        service.receive(name, profile_of(table), timestamp=at(22, 9))
    service.refresh()
    titles = sorted(post.json["title"] for post in webhook_server.posts)
    assert titles == [
        "watchkeeper: shop: 1 feature flagged (2026-11-22)",
        "watchkeeper: web: 1 feature flagged (2026-11-22)",
    ]
    assert {post.path for post in webhook_server.posts} == {"/everything"}


def test_a_refused_digest_is_delivered_once_the_channel_is_back(alerting, webhook_server):
    service, clock, rng = alerting
    webhook_server.fail(2)  # both attempts of the first delivery
    receive_day(service, rng, 22)
    service.refresh("shop")
    assert webhook_server.posts == [] and len(webhook_server.failures) == 2
    [waiting] = service.catalog.pending()
    assert waiting.title.startswith("watchkeeper: shop:")
    # no new violation: the digest still goes out once the channel accepts it again
    clock.now = at(23, 10)
    deadline = time.monotonic() + 10
    while not webhook_server.posts and time.monotonic() < deadline:
        service.refresh("shop")
        time.sleep(0.1)
    [post] = webhook_server.posts
    assert post.json["title"] == waiting.title
    assert service.catalog.pending() == []
    # a service started afterwards (a restarted server) has nothing left to send
    open_service(service.catalog.url, clock=clock).refresh("shop")
    assert len(webhook_server.posts) == 1


def test_a_restarted_service_delivers_what_was_refused(alerting, webhook_server):
    service, clock, rng = alerting
    webhook_server.fail(2)
    receive_day(service, rng, 22)
    service.refresh("shop")
    assert webhook_server.posts == []
    restarted = open_service(service.catalog.url, clock=clock)
    restarted.refresh("shop")
    [post] = webhook_server.posts
    assert post.json["title"] == "watchkeeper: shop: 1 feature flagged (2026-11-22)"


def test_channels_test_message(database_url, webhook_server):
    service = open_service(database_url)
    service.create("shop")
    service.store.add_channel("shop", f"json://alerts:s3cret-pass@{webhook_server.address}/hook")
    service.store.add_channel("shop", f"json://{webhook_server.address}/hook")  # added twice
    service.store.add_channel("shop", f"json://{webhook_server.address}/hook")
    assert len(service.store.channels("shop")) == 2
    results = service.test_channels("shop")
    assert results == {
        f"json://alerts:****@{webhook_server.address}/hook": True,
        f"json://{webhook_server.address}/hook": True,
    }
    assert [post.json["title"] for post in webhook_server.posts] == [TEST_TITLE, TEST_TITLE]
    assert service.catalog.pending() == []  # a test message does not go through the outbox
    webhook_server.down()
    results = service.test_channels("shop")
    assert list(results.values()) == [False, False]
