"""Processes sharing one catalog: each object version is claimed by one of them, claims
live as long as their process does, and recording twice is not an error."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

from racing import race
from watchkeeper.catalog import Catalog, ProcessedObject

KEY, VERSION = "s3://bucket/day.csv", "etag-1"
DONE = ProcessedObject("s3://bucket/", KEY, VERSION, "done", rows=10)


def eventually(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_one_process_claims_a_version_and_recording_twice_is_no_error(database_url):
    first, second = Catalog(database_url), Catalog(database_url)
    assert first.claim(KEY, VERSION, "s3://bucket/")
    assert not second.claim(KEY, VERSION, "s3://bucket/")
    assert second.claimed_versions([KEY]) == {(KEY, VERSION): first.owner}
    assert first.claimed_versions([KEY]) == {}  # its own claim is not another's
    assert second.objects() == [] and not second.is_processed(KEY, VERSION)
    assert first.record(DONE, [("alert", "channel", "title", "body")])
    assert not second.claim(KEY, VERSION, "s3://bucket/")  # recorded: nothing to claim
    assert not second.record(DONE, [("another", "channel", "title", "body")])
    assert second.objects() == [DONE]
    assert [message.dedup_key for message in second.messages()] == ["alert"]
    assert second.claim(KEY, "etag-2", "s3://bucket/")  # a new version is new work


def test_a_released_claim_can_be_taken(database_url):
    first, second = Catalog(database_url), Catalog(database_url)
    assert first.claim(KEY, VERSION, "s3://bucket/")
    first.release(KEY, VERSION)
    assert second.claim(KEY, VERSION, "s3://bucket/")


def test_a_claim_lives_while_its_process_renews_it_and_is_taken_over_after(database_url):
    holder, other = Catalog(database_url, lease=3), Catalog(database_url)
    assert holder.claim(KEY, VERSION, "s3://bucket/")
    time.sleep(7)  # over two leases: renewed meanwhile
    assert not other.claim(KEY, VERSION, "s3://bucket/")
    holder.close()  # no more renewals, as when its process dies
    assert eventually(lambda: other.claim(KEY, VERSION, "s3://bucket/"))
    assert not holder.record(DONE, [("late", "channel", "title", "body")])  # lost it
    assert other.record(DONE, [])
    assert other.objects() == [DONE] and other.messages() == []


def test_processes_racing_for_the_same_versions(database_url, tmp_path):
    count, go = 40, tmp_path / "go"
    script = Path(__file__).with_name("claim_race.py")
    Catalog(database_url).close()  # tables made before the race
    statuses, outputs = race(script, database_url, str(go), str(count), go=go)
    assert statuses == [0] * 4, outputs
    assert [stderr for _, stderr in outputs] == [""] * 4
    claimed = Counter(int(line) for stdout, _ in outputs for line in stdout.split())
    assert claimed == Counter(range(count))  # every version once, by one process
    catalog = Catalog(database_url)
    assert sorted(record.rows for record in catalog.objects()) == list(range(count))
    assert len(catalog.messages()) == count
