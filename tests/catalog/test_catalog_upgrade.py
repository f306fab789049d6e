"""A catalog made by an older watchkeeper gains the columns a newer one defines."""

from __future__ import annotations

import sqlite3

from watchkeeper.catalog import Catalog, MonitoringStore, Schedule
from watchkeeper.catalog.monitoring import DATA_QUALITY

OLD_SCHEDULES = """
CREATE TABLE schedules (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(256) NOT NULL UNIQUE,
    endpoint VARCHAR(256) NOT NULL,
    variant VARCHAR(256),
    capture VARCHAR(2048) NOT NULL,
    baseline VARCHAR(2048) NOT NULL,
    report VARCHAR(2048) NOT NULL,
    cron VARCHAR(256) NOT NULL,
    window_start VARCHAR(64),
    window_end VARCHAR(64),
    created_at DATETIME NOT NULL
)
"""


def test_an_older_schedules_table_gains_kind_and_options(tmp_path):
    path = tmp_path / "catalog.db"
    with sqlite3.connect(path) as database:
        database.execute(OLD_SCHEDULES)
        database.execute(
            "INSERT INTO schedules (name, endpoint, capture, baseline, report, cron, created_at)"
            " VALUES ('hourly', 'churn', 'cap', 'base', 'rep', '0 * * * *',"
            " '2026-11-01 00:00:00')"
        )
    store = MonitoringStore(Catalog(f"sqlite:///{path}"))
    old = store.schedule("hourly")
    assert (old.kind, old.options, old.endpoint) == (DATA_QUALITY, {}, "churn")
    options = {"problem_type": "BinaryClassification"}
    schedule = Schedule("quality", "churn", "cap", "base", "rep", "0 * * * *")
    new = store.create_schedule(
        Schedule(**{**schedule.__dict__, "kind": "model-quality", "options": options})
    )
    assert (new.kind, new.options) == ("model-quality", {"problem_type": "BinaryClassification"})
    # opening it again (another process) finds everything in place
    assert MonitoringStore(Catalog(f"sqlite:///{path}")).schedule("quality") == new
