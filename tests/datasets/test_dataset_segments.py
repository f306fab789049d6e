"""Segmented datasets: each segment's batches, and the whole dataset as their merge."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from dataset_samples import assert_matches, at, open_service, orders, profile_of

from watchkeeper.catalog.datasets import DAY, HOUR
from watchkeeper.datasets.segments import META_SEGMENT, WHOLE, segment_key
from watchkeeper.errors import UsageError
from watchkeeper.profile import profile_to_bytes

COUNTRIES = ("DE", "FR", "US")
MOMENTS = [at(20, 9, 10), at(20, 9, 50), at(20, 14, 5), at(21, 8, 0)]


def key(country: str) -> str:
    return segment_key({"country": country}, ["country"])


def test_each_segment_has_its_batches_and_the_whole_is_their_merge(database_url):
    service = open_service(database_url)
    service.create("shop", segment_columns=["country"])
    rng = np.random.default_rng(11)
    received: dict[str, list[tuple]] = {country: [] for country in COUNTRIES}
    for moment in MOMENTS:
        for country in COUNTRIES:
            table = orders(rng, int(rng.integers(30, 90)), price_missing=0.05)
            received[country].append((moment, table))
            if country == "US":  # the segment written in the profile by the logger
                blob = profile_to_bytes(profile_of(table, **{META_SEGMENT: key(country)}))
                service.receive("shop", blob, timestamp=moment)
            else:
                service.receive("shop", profile_of(table), timestamp=moment, segment=key(country))
    service.refresh("shop")

    assert service.store.segments("shop") == [WHOLE, *(key(c) for c in COUNTRIES)]
    for granularity, starts in (
        (HOUR, [at(20, 9), at(20, 14), at(21, 8)]),
        (DAY, [at(20, 0), at(21, 0)]),
    ):
        whole = service.store.batches("shop", segment=WHOLE, granularity=granularity)
        assert [batch.start for batch in whole] == starts
        for batch in whole:
            segments = [
                service.store.batch("shop", key(country), granularity, batch.start)
                for country in COUNTRIES
            ]
            for country, part in zip(COUNTRIES, segments, strict=True):
                tables = [t for m, t in received[country] if _within(m, batch)]
                assert_matches(service.profile(part), pa.concat_tables(tables))
            everything = [t for c in COUNTRIES for m, t in received[c] if _within(m, batch)]
            whole_profile = service.profile(batch)
            assert_matches(whole_profile, pa.concat_tables(everything))
            assert batch.rows == sum(part.rows for part in segments) == whole_profile.rows
            assert batch.parts == sum(part.parts for part in segments)
            for name, column in whole_profile.columns.items():
                counts = [service.profile(part).columns[name] for part in segments]
                assert column.count == sum(c.count for c in counts)
                assert column.null_count == sum(c.null_count for c in counts)
            # every segment batch is evaluated on its own
            assert all(part.metrics is not None and not part.verdict_stale for part in segments)


def test_segments_that_do_not_fit_the_dataset_are_refused(database_url):
    service = open_service(database_url)
    service.create("shop", segment_columns=["country"])
    profile = profile_of(orders(np.random.default_rng(2), 20))
    for wrong in ("region=EU", "country=DE&tier=gold", "tier=gold&country=DE"):
        with pytest.raises(UsageError) as refused:
            service.receive("shop", profile, timestamp=at(20, 9), segment=wrong)
        message = str(refused.value)
        assert f"segment {wrong!r} does not match dataset 'shop'" in message
        assert "segment columns (country)" in message
    with pytest.raises(UsageError, match="column=value"):
        service.receive("shop", profile, timestamp=at(20, 9), segment="country")
    # an unsegmented dataset refuses any segment
    service.create("plain")
    with pytest.raises(UsageError, match=r"segment columns \(none\)"):
        service.receive("plain", profile, timestamp=at(20, 9), segment=key("DE"))
    assert service.store.pending_parts() == 0
    # dataset options are checked too
    with pytest.raises(UsageError, match="distinct"):
        service.create("twice", segment_columns=["country", "country"])
    with pytest.raises(UsageError, match="exists already"):
        service.create("shop")


def test_a_new_dataset_takes_the_columns_of_its_first_segment(database_url):
    service = open_service(database_url)
    profile = profile_of(orders(np.random.default_rng(4), 25))
    two = segment_key({"country": "DE", "model_version": 2}, ["country", "model_version"])
    assert two == "country=DE&model_version=2"
    service.receive("web", profile, timestamp=at(20, 9), segment=two)
    assert service.store.get("web").segment_columns == ("country", "model_version")
    service.receive("web", profile, timestamp=at(20, 9), segment="country=FR&model_version=3")
    service.receive("web", profile, timestamp=at(20, 9), segment=WHOLE)  # the whole: accepted
    service.refresh("web")
    assert service.store.segments("web") == [
        WHOLE,
        "country=DE&model_version=2",
        "country=FR&model_version=3",
    ]
    [whole] = service.store.batches("web", granularity=DAY)
    assert whole.rows == 3 * 25  # the two segments and the whole-dataset profile


def test_whole_dataset_profiles_into_an_unsegmented_dataset(database_url):
    service = open_service(database_url)
    service.create("plain")
    rng = np.random.default_rng(5)
    tables = [orders(rng, 40 + 10 * i) for i in range(4)]
    for i, table in enumerate(tables):
        service.receive("plain", profile_of(table), timestamp=at(20, 9 + i % 2), segment=WHOLE)
    service.refresh("plain")
    assert service.store.segments("plain") == [WHOLE]
    hours = service.store.batches("plain", granularity=HOUR, with_profile=True)
    assert [(b.start, b.rows, b.parts) for b in hours] == [
        (at(20, 9), 40 + 60, 2),
        (at(20, 10), 50 + 70, 2),
    ]
    assert_matches(service.profile(hours[0]), pa.concat_tables([tables[0], tables[2]]))
    [day] = service.store.batches("plain", granularity=DAY)
    assert (day.rows, day.parts) == (220, 4)
    assert_matches(service.profile(day), pa.concat_tables(tables))


def _within(moment, batch) -> bool:
    return batch.start <= moment < batch.end
