"""Watching a local folder: each file checked once, reports beside the data, alerts sent."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv
import pyarrow.parquet as pq
import pytest
from landing import write_csv

from watchkeeper.catalog import Catalog
from watchkeeper.watch import watch

RULES = """
defaults:
  max_missing: 10%
columns:
  age: {min: 0, max: 120}
"""


@pytest.fixture
def setup(tmp_path, webhook_server):
    landing = tmp_path / "landing"
    landing.mkdir()
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    options = {
        "rules": str(rules),
        "notify": [f"json://{webhook_server.address}/alerts"],
        "database": f"sqlite:///{tmp_path / 'catalog.db'}",
        "settle": 0.0,
        "once": True,
    }
    return landing, options


def test_each_file_checked_once_with_report_beside_it(setup, webhook_server):
    landing, options = setup
    write_csv(landing / "good.csv", seed=1)
    write_csv(landing / "project" / "bad.csv", seed=2, missing=0.4)
    (landing / "broken.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    (landing / "notes.txt").write_text("not data")
    records = {Path(r.key).name: r for r in watch(landing, **options)}
    assert set(records) == {"good.csv", "bad.csv", "broken.csv"}
    assert (records["good.csv"].status, records["good.csv"].violations) == ("done", 0)
    assert (records["bad.csv"].status, records["bad.csv"].violations) == ("done", 1)
    assert records["broken.csv"].status == "failed"
    assert "PNG" in records["broken.csv"].error
    report = landing / "reports" / "project" / "bad.csv" / "report.html"
    assert records["bad.csv"].report == str(report)
    assert report.exists() and (report.parent / "report.json").exists()
    html = report.read_text()
    assert '<script src="../../_assets/plotly-' in html and len(html) < 1_000_000
    assert any(p.name.startswith("plotly-") for p in (landing / "reports" / "_assets").iterdir())
    # one message for the broken rule, one for the unreadable file
    bodies = [post.json["message"] for post in webhook_server.posts]
    assert len(bodies) == 2
    assert any("bad.csv" in body and "age" in body and "missing" in body for body in bodies)
    assert any("could not read" in body and "broken.csv" in body for body in bodies)
    # a second pass: nothing new, nothing sent, reports not rechecked
    assert watch(landing, **options) == []
    assert len(webhook_server.posts) == 2


def test_a_replaced_file_is_checked_again_and_alerts_only_on_news(setup, webhook_server):
    landing, options = setup
    target = write_csv(landing / "daily.csv", seed=3, missing=0.4)
    watch(landing, **options)
    assert len(webhook_server.posts) == 1
    time.sleep(0.01)
    write_csv(target, seed=4, missing=0.45)  # same problem, new content
    [again] = watch(landing, **options)
    assert again.violations == 1
    assert len(webhook_server.posts) == 1  # the same finding is not sent twice
    ages = np.full(200, 500.0)
    pv.write_csv(pa.table({"id": np.arange(200), "age": ages, "plan": ["a"] * 200}), target)
    [third] = watch(landing, **options)
    assert third.violations == 3  # age out of range and single-valued, plan single-valued
    assert len(webhook_server.posts) == 2


def test_prefix_and_suffix_filters(setup):
    landing, options = setup
    write_csv(landing / "in" / "a.csv")
    write_csv(landing / "in" / "b.tsv.csv")
    write_csv(landing / "out" / "c.csv")
    pq.write_table(pa.table({"age": [30.0]}), landing / "in" / "d.parquet")
    found = watch(landing, prefix="in/", suffix=".csv", **options)
    assert sorted(Path(r.key).name for r in found) == ["a.csv", "b.tsv.csv"]


def test_a_file_being_written_is_not_read_half_way(tmp_path, webhook_server):
    landing = tmp_path / "landing"
    landing.mkdir()
    rules = tmp_path / "rules.yaml"
    rules.write_text("rows: {min: 3000}\n")
    path = landing / "growing.csv"
    done = threading.Event()

    def writer() -> None:
        with path.open("w") as out:
            out.write("id,value\n")
            for i in range(3000):
                out.write(f"{i},{i * 2}\n")
                if i % 300 == 0:
                    out.flush()
                    time.sleep(0.1)
        done.set()

    thread = threading.Thread(target=writer)
    thread.start()
    time.sleep(0.05)
    records = watch(
        landing,
        rules=str(rules),
        notify=[f"json://{webhook_server.address}/"],
        database=f"sqlite:///{tmp_path / 'c.db'}",
        settle=0.5,
        once=True,
    )
    thread.join()
    assert done.is_set()
    [record] = records
    assert (record.rows, record.violations) == (3000, 0)  # read whole, after the writer
    assert webhook_server.posts == []


def test_records_live_in_the_catalog(setup):
    landing, options = setup
    write_csv(landing / "a.csv")
    watch(landing, **options)
    catalog = Catalog(options["database"])
    [record] = catalog.objects()
    assert record.key == str(landing / "a.csv")
    assert (
        record.version
        == f"{os.stat(landing / 'a.csv').st_mtime_ns}:{os.stat(landing / 'a.csv').st_size}"
    )


def test_alert_by_email(tmp_path, smtp_server):
    landing = tmp_path / "landing"
    write_csv(landing / "bad.csv", missing=0.5)
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    address = smtp_server.address
    [record] = watch(
        landing,
        rules=str(rules),
        notify=[f"mailto://{address}?from=watchkeeper@example.com&to=data-team@example.com"],
        database=f"sqlite:///{tmp_path / 'c.db'}",
        settle=0.0,
        once=True,
    )
    assert record.violations == 1
    [mail] = smtp_server.messages
    assert mail.recipients == ["data-team@example.com"]
    assert "bad.csv" in mail.subject
    assert "age" in mail.body and "missing" in mail.body.lower()


def test_a_channel_that_is_down_never_stops_the_watcher(setup, webhook_server):
    landing, options = setup
    write_csv(landing / "bad.csv", missing=0.5)
    (landing / "empty.csv").write_bytes(b"")
    webhook_server.down()
    records = {Path(r.key).name: r for r in watch(landing, **options)}
    assert records["bad.csv"].status == "done"
    assert (records["empty.csv"].status, records["empty.csv"].error) == (
        "failed",
        "the file is empty (0 bytes)",
    )
    assert (landing / "reports" / "bad.csv" / "report.html").exists()
    assert len(Catalog(options["database"]).pending()) == 2  # kept for later
    webhook_server.up()
    assert watch(landing, **options) == []  # nothing new to check ...
    assert len(webhook_server.posts) == 2  # ... but what waited is delivered, once
    assert Catalog(options["database"]).pending() == []


def test_with_a_baseline_drift_is_checked_too(setup, tmp_path, webhook_server):
    import watchkeeper

    landing, options = setup
    baseline = tmp_path / "baseline"
    watchkeeper.suggest_baseline(write_csv(tmp_path / "train.csv", rows=3000, seed=9), baseline)
    rng = np.random.default_rng(10)
    table = pa.table(
        {
            "id": rng.permutation(3000)[:2000],  # ids as in training
            "age": rng.integers(60, 120, 2000).astype(float),  # much older than in training
            "plan": rng.choice(["a", "b", "c"], 2000),
        }
    )
    pv.write_csv(table, landing / "today.csv")
    [record] = watch(landing, baseline=str(baseline), **options)
    found = json.loads(
        (landing / "reports" / "today.csv" / "constraint_violations.json").read_text()
    )
    # so far from training the rows leave the baseline's components too
    assert {(v["feature_name"], v["constraint_check_type"]) for v in found["violations"]} == {
        ("age", "baseline_drift_check"),
        ("id, age, plan", "multivariate_drift_check"),
    }
    assert record.violations == 2
    assert "baseline_drift_check" in webhook_server.posts[0].json["message"]
