"""Receiving and merging at once from several threads and several connections."""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
from dataset_samples import assert_matches, at, open_service, orders, profile_of

from watchkeeper.catalog.datasets import DAY, HOUR
from watchkeeper.datasets.segments import segment_key

PER_SENDER = 30
SENDERS = 3


def run_together(*targets) -> list[BaseException]:
    """Run the callables in threads started at the same moment; returns what they raised."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def run(target) -> None:
        barrier.wait()
        try:
            target()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_two_services_receiving_and_merging_at_once_count_every_row_once(database_url):
    """Each sender and each merger has its own connection to the catalog, as separate
    processes would; merges run while profiles keep arriving for the same hours."""
    senders = [open_service(database_url) for _ in range(SENDERS)]
    mergers = [open_service(database_url) for _ in range(2)]
    senders[0].create("shop", segment_columns=["country"])
    rng = np.random.default_rng(99)
    # every sender sends to the same two hours, so merges compete for the same batches
    work = [
        [
            (
                at(20, 9 + i % 2, i),
                segment_key({"country": ("DE", "FR")[(i + s) % 2]}, ["country"]),
                orders(rng, int(rng.integers(5, 40))),
            )
            for i in range(PER_SENDER)
        ]
        for s in range(SENDERS)
    ]
    done = threading.Event()

    def send(service, items):
        def target():
            for moment, segment, table in items:
                service.receive("shop", profile_of(table), timestamp=moment, segment=segment)

        return target

    def merge(service):
        def target():
            while not done.is_set():
                service.refresh("shop")

        return target

    sending = [send(service, items) for service, items in zip(senders, work, strict=True)]
    merging = [merge(service) for service in mergers]

    def senders_then_stop():
        errors = run_together(*sending)
        done.set()
        if errors:
            raise errors[0]

    errors = run_together(senders_then_stop, *merging)
    assert errors == []
    mergers[0].refresh("shop")

    service = mergers[1]
    assert service.store.pending_parts("shop") == 0
    items = [item for items in work for item in items]
    everything = pa.concat_tables([table for _, _, table in items])
    [day] = service.store.batches("shop", granularity=DAY, with_profile=True)
    assert (day.rows, day.parts) == (everything.num_rows, len(items))
    assert_matches(service.profile(day), everything)
    for segment in ("country=DE", "country=FR"):
        mine = [table for _, key, table in items if key == segment]
        [batch] = service.store.batches("shop", segment=segment, granularity=DAY)
        assert (batch.rows, batch.parts) == (sum(map(len, mine)), len(mine))
        assert_matches(service.profile(batch), pa.concat_tables(mine))
    hours = service.store.batches("shop", granularity=HOUR)
    assert [(b.start, b.parts) for b in hours] == [
        (at(20, 9), SENDERS * PER_SENDER // 2),
        (at(20, 10), SENDERS * PER_SENDER // 2),
    ]
    assert sum(b.rows for b in hours) == everything.num_rows


def test_threads_sharing_one_service(database_url):
    service = open_service(database_url)
    rng = np.random.default_rng(5)
    tables = [orders(rng, 10 + i) for i in range(40)]

    def send(start):
        def target():
            for i in range(start, len(tables), 4):
                service.receive("shop", profile_of(tables[i]), timestamp=at(20, 9, i))
                if i % 5 == 0:
                    service.refresh("shop")

        return target

    assert run_together(*(send(start) for start in range(4))) == []
    service.refresh("shop")
    [hour] = service.store.batches("shop", granularity=HOUR, with_profile=True)
    assert (hour.rows, hour.parts) == (sum(map(len, tables)), 40)
    assert_matches(service.profile(hour), pa.concat_tables(tables))
