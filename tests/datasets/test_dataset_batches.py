"""Received profiles merged into hourly and daily batches, checked against the rows."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from dataset_samples import assert_matches, at, open_service, orders, profile_of

from watchkeeper.catalog.datasets import DAY, HOUR
from watchkeeper.datasets.segments import META_TIMESTAMP
from watchkeeper.drift import hellinger
from watchkeeper.errors import UsageError
from watchkeeper.profile import DatasetProfile, profile_to_bytes

# (day of November 2026, hour): two days, both day boundaries inside
HOURS = [(20, 0), (20, 9), (20, 10), (20, 23), (21, 0), (21, 9)]


def hour_parts(rng: np.random.Generator):
    """Three parts per hour: (hour, moment, table); minutes 0 and 59 included."""
    parts = []
    for day, hour in HOURS:
        for minute in (0, int(rng.integers(1, 59)), 59):
            table = orders(rng, int(rng.integers(20, 120)), price_missing=0.1)
            parts.append(((day, hour), at(day, hour, minute), table))
    return parts


def profiles(service, name, granularity):
    return {
        batch.start: service.profile(batch)
        for batch in service.store.batches(name, granularity=granularity, with_profile=True)
    }


def test_parts_merge_into_hours_and_days_as_the_rows_say(database_url):
    service = open_service(database_url)
    rng = np.random.default_rng(20261120)
    parts = hour_parts(rng)
    order = rng.permutation(len(parts))
    for position, index in enumerate(order):
        _, moment, table = parts[index]
        if position == 0:  # the time written in the profile by the logger
            meta = {META_TIMESTAMP: moment.isoformat()}
            received = service.receive("shop", profile_to_bytes(profile_of(table, **meta)))
        elif position == 1:  # the same moment written with another offset
            text = moment.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()
            received = service.receive("shop", profile_of(table), timestamp=text)
        else:
            received = service.receive("shop", profile_of(table), timestamp=moment)
        assert (received.timestamp, received.rows, received.segment) == (moment, len(table), "")
    assert service.store.pending_parts("shop") == len(parts)
    assert service.store.batches("shop", granularity=HOUR) == []  # nothing merged yet

    service.refresh("shop")

    assert service.store.pending_parts("shop") == 0
    hours = profiles(service, "shop", HOUR)
    assert list(hours) == [at(day, hour) for day, hour in HOURS]
    for (day, hour), profile in zip(HOURS, hours.values(), strict=True):
        members = [table for key, _, table in parts if key == (day, hour)]
        assert_matches(profile, pa.concat_tables(members))
    days = profiles(service, "shop", DAY)
    assert list(days) == [at(20, 0), at(21, 0)]
    for start, profile in days.items():
        members = [table for key, _, table in parts if key[0] == start.day]
        assert_matches(profile, pa.concat_tables(members))
        merged = DatasetProfile()
        for hour_start, hourly in hours.items():
            if hour_start.day == start.day:
                merged = merged.merge(hourly)
        assert _figures(profile) == _figures(merged)
    batch_rows = {
        b.start: (b.rows, b.parts) for b in service.store.batches("shop", granularity=DAY)
    }
    assert batch_rows == {
        at(20, 0): (sum(len(t) for k, _, t in parts if k[0] == 20), 12),
        at(21, 0): (sum(len(t) for k, _, t in parts if k[0] == 21), 6),
    }


def test_a_late_part_updates_its_batches_and_their_successors(database_url):
    service = open_service(database_url)
    rng = np.random.default_rng(7)
    parts = hour_parts(rng)
    for _, moment, table in parts:
        service.receive("shop", profile_of(table), timestamp=moment)
    service.refresh("shop")
    before = {b.start: b for b in service.store.batches("shop", granularity=HOUR)}
    day_before = {b.start: b for b in service.store.batches("shop", granularity=DAY)}
    assert all(not b.metrics_stale and not b.verdict_stale for b in before.values())
    assert before[at(20, 9)].metrics["price"]["hellinger_previous"] is not None
    assert day_before[at(20, 0)].metrics["price"]["hellinger_previous"] is None  # first day

    # an hour's profile arriving after its batches were merged and evaluated: far off,
    # so that the next hour's and the next day's comparison with it changes
    late = orders(rng, 300, price_shift=40.0)
    service.receive("shop", profile_of(late), timestamp=at(20, 9, 30))
    service.refresh("shop")

    hours = profiles(service, "shop", HOUR)
    nine = [t for key, _, t in parts if key == (20, 9)]
    assert_matches(hours[at(20, 9)], pa.concat_tables([*nine, late]))
    nine_batch = service.store.batch("shop", "", HOUR, at(20, 9))
    assert (nine_batch.parts, nine_batch.rows) == (4, sum(map(len, nine)) + 300)
    days = profiles(service, "shop", DAY)
    first_day = [t for key, _, t in parts if key[0] == 20]
    assert_matches(days[at(20, 0)], pa.concat_tables([*first_day, late]))
    # the hour and the day after it are judged against the new profile
    ten = service.store.batch("shop", "", HOUR, at(20, 10))
    expected = hellinger(hours[at(20, 9)].columns["price"], hours[at(20, 10)].columns["price"])
    assert ten.metrics["price"]["hellinger_previous"] == pytest.approx(expected)
    assert expected > before[at(20, 10)].metrics["price"]["hellinger_previous"] + 0.2
    next_day = service.store.batch("shop", "", DAY, at(21, 0))
    expected = hellinger(days[at(20, 0)].columns["price"], days[at(21, 0)].columns["price"])
    assert next_day.metrics["price"]["hellinger_previous"] == pytest.approx(expected)
    # batches the late part did not touch were left as they were
    for start in (at(20, 0), at(20, 23), at(21, 0), at(21, 9)):
        assert service.store.batch("shop", "", HOUR, start).updated_at == before[start].updated_at

    # nothing pending: another refresh changes nothing at all
    everything = _all_batches(service)
    service.refresh("shop")
    service.refresh()
    assert _all_batches(service) == everything
    assert service.store.pending_parts() == 0


def test_receiving_refuses_bad_input_and_stores_nothing(database_url):
    service = open_service(database_url)
    table = orders(np.random.default_rng(3), 10)
    with pytest.raises(UsageError, match="not valid"):
        service.receive("no spaces", profile_of(table), timestamp=at(20, 9))
    with pytest.raises(UsageError, match=r"timestamp 'yesterday' is not an ISO-8601 time"):
        service.receive("shop", profile_of(table), timestamp="yesterday")
    assert service.store.pending_parts() == 0
    # without a timestamp anywhere, the profile belongs to the service clock's hour
    clocked = open_service(database_url, clock=lambda: at(22, 14, 45))
    assert clocked.receive("shop", profile_of(table)).timestamp == at(22, 14, 45)
    clocked.refresh("shop")
    [batch] = clocked.store.batches("shop", granularity=HOUR)
    assert (batch.start, batch.end, batch.rows) == (at(22, 14), at(22, 15), 10)


def _figures(profile: DatasetProfile) -> dict:
    figures: dict = {"rows": profile.rows}
    for name, column in profile.columns.items():
        numbers = column.moments.n
        figures[name] = (
            column.count,
            column.null_count,
            numbers,
            pytest.approx(column.mean, rel=1e-12) if numbers else None,
            (column.min, column.max) if numbers else None,
            column.categories.as_dict(),
        )
    return figures


def _all_batches(service) -> list:
    found = []
    for granularity in (HOUR, DAY):
        found += service.store.batches(
            "shop", segment=None, granularity=granularity, with_profile=True
        )
    return found
