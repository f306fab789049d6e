"""A process that writes to a feature group, for the tests that kill writers.

    python ingest_worker.py STORE ONLINE LOG loop [CALLS]
    python ingest_worker.py STORE ONLINE LOG die-at POINT

``loop`` ingests call after call (each call ``ROWS`` rows over ``DAYS`` event dates,
record ids reused, event times growing with the call), writing ``start N`` and
``done N`` lines to LOG around each. ``die-at`` makes one call, then another during
which it kills its own process with SIGKILL at POINT: ``staging`` (one file staged),
``sealed`` (manifest written, in place of the online write), ``placing`` (committed,
nothing renamed yet), ``renaming`` (committed, one file renamed), ``forgetting`` (all in
place, the online note of the commit not yet dropped), ``deleting`` (a record's
deletion committed, its file not yet in place) or ``creating`` (another group's
description half written).
"""

from __future__ import annotations

import os
import signal
import sys

import pandas as pd

from watchkeeper.featurestore import FeatureStore
from watchkeeper.featurestore import commit as commit_module

GROUP = "kills"
ROWS = 120
DAYS = 12
ORIGIN = pd.Timestamp("2024-01-01", tz="UTC")


def frame(call: int) -> pd.DataFrame:
    ids = list(range(ROWS))
    times = [ORIGIN + pd.Timedelta(days=i % DAYS, seconds=call) for i in ids]
    values = [call + i / 1000 for i in ids]
    return pd.DataFrame({"id": ids, "t": [t.isoformat() for t in times], "call": call, "x": values})


def open_store(path: str, online: str) -> FeatureStore:
    return FeatureStore(path, online=None if online == "-" else online, monitor=False)


def create(path: str, online: str, with_online_store: bool = True) -> None:
    store = open_store(path, online)
    group = store.feature_group(GROUP)
    group.load_feature_definitions(frame(0))
    group.create("id", "t", enable_online_store=with_online_store)
    store.close()


def _log(handle: int, text: str) -> None:
    os.write(handle, f"{text}\n".encode())


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def loop(path: str, online: str, log: str, calls: int) -> None:
    store = open_store(path, online)
    group = store.feature_group(GROUP)
    handle = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    for call in range(calls):
        _log(handle, f"start {call}")
        group.ingest(frame(call), max_workers=1 + call % 2)
        _log(handle, f"done {call}")
    store.close()


def die_at(path: str, online: str, log: str, point: str) -> None:
    store = open_store(path, online)
    group = store.feature_group(GROUP)
    handle = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    _log(handle, "start 0")
    group.ingest(frame(0))
    _log(handle, "done 0")
    if point == "staging":
        stage = commit_module.Call.stage

        def stage_then_die(self, folder, data):
            stage(self, folder, data)
            _die()

        commit_module.Call.stage = stage_then_die
    elif point == "sealed":
        commit_module.Call.commit_online = lambda *args: _die()
    elif point in ("placing", "deleting"):
        commit_module.Staging.move_into_place = lambda *args: _die()
    elif point == "renaming":
        replace = os.replace

        def replace_then_die(source, target):
            replace(source, target)
            if "_staging" not in os.fspath(target):  # not the manifest's own temp file
                _die()

        os.replace = replace_then_die
    elif point == "creating":
        replace = os.replace

        def die_instead(source, target):
            if os.fspath(target).endswith("other.json"):
                _die()
            replace(source, target)

        os.replace = die_instead
    elif point == "forgetting":
        store.online_store.forget = lambda *args: _die()
    else:
        raise SystemExit(f"unknown point {point}")
    if point == "deleting":
        _log(handle, "start delete")
        group.delete_record(5, ORIGIN + pd.Timedelta(days=30))
    elif point == "creating":
        _log(handle, "start 1")
        other = store.feature_group("other")
        other.load_feature_definitions(frame(1))
        other.create("id", "t")
    else:
        _log(handle, "start 1")
        group.ingest(frame(1))
    raise SystemExit("the process was meant to die")


if __name__ == "__main__":
    store_path, online_spec, log_path, mode, *rest = sys.argv[1:]
    if mode == "loop":
        loop(store_path, online_spec, log_path, int(rest[0]) if rest else 10**6)
    else:
        die_at(store_path, online_spec, log_path, rest[0])
