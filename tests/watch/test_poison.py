"""Files that crash, hang or trip a reader never stop the watcher: each is recorded and
named in a message once, every good file beside it is checked, and nothing is retried
until it changes."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from landing import write_csv
from poison import POISON, RULES, write_good, write_poison

from watchkeeper.catalog import Catalog
from watchkeeper.watch import watch


def run_watch(tmp_path: Path, address: str, *extra: str) -> subprocess.CompletedProcess:
    (tmp_path / "rules.yaml").write_text(RULES)
    command = [
        sys.executable, "-m", "watchkeeper", "watch", str(tmp_path / "landing"),
        "--rules", str(tmp_path / "rules.yaml"),
        "--notify", f"json://{address}/alerts",
        "--database", f"sqlite:///{tmp_path / 'catalog.db'}",
        "--settle", "0", "--once", *extra,
    ]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)


def plain(result: subprocess.CompletedProcess) -> str:
    text = result.stdout + result.stderr
    assert "unexpected" not in text.lower(), text
    assert "Traceback" not in text, text
    return text


def messages(webhook_server) -> list[str]:
    return [post.json["message"] for post in webhook_server.posts]


def assert_recorded_or_named(name: str, records: dict, landing: Path, bodies: list[str]) -> None:
    """Checked normally with its report, or failed with a message naming it."""
    record = records[name]
    if record.status == "done":
        assert (landing / "reports" / name / "report.html").exists()
    else:
        assert record.status == "failed" and record.error
        named = [body for body in bodies if f"could not read {landing / name}" in body]
        assert len(named) == 1, bodies


def test_poison_files_beside_good_ones(tmp_path, webhook_server):
    landing = tmp_path / "landing"
    poison = write_poison(landing)
    clean, broken = write_good(landing, 6)
    first = run_watch(tmp_path, webhook_server.address)
    output = plain(first)
    assert first.returncode == 1, output
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    counted = Counter(Path(record.key).name for record in catalog.objects())
    assert counted == Counter(dict.fromkeys(poison + clean + broken, 1))
    records = {Path(record.key).name: record for record in catalog.objects()}
    bodies = messages(webhook_server)
    for name in clean + broken:
        assert records[name].status == "done", records[name]
        assert (landing / "reports" / name / "report.html").exists()
        alerts = [body for body in bodies if name in body]
        assert len(alerts) == (1 if name in broken else 0), bodies
    for name in poison:
        assert_recorded_or_named(name, records, landing, bodies)
        assert name in first.stdout
        assert sum(str(landing / name) in body for body in bodies) == 1, bodies
    # read where the data means something, refused in one line where it cannot be read
    assert [records[name].status for name in POISON] == ["failed", "done", "done", "failed"]
    assert records["null.jsonl"].error == (
        "line 1 is not a JSON object (it is null); write one object per line"
    )
    assert records["badutf8.parquet"].error.startswith(
        "column 's' holds text that is not valid UTF-8 (row 1)"
    )
    sent = len(webhook_server.posts)
    second = run_watch(tmp_path, webhook_server.address)
    assert second.returncode == 0, plain(second)
    assert not any(name in second.stdout for name in POISON)
    assert len(webhook_server.posts) == sent  # nothing new, nothing sent again
    assert len(catalog.objects()) == len(records)


def test_a_failed_file_is_retried_only_when_it_changes(tmp_path, webhook_server):
    landing = tmp_path / "landing"
    landing.mkdir()
    # the crash of null.jsonl, and a PNG named .csv: both fail wherever they are read
    (landing / "null.jsonl").write_text('null\n{"a":1}\n')
    (landing / "picture.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    write_csv(landing / "good.csv", rows=50)
    first = run_watch(tmp_path, webhook_server.address)
    plain(first)
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    before = {Path(record.key).name: record for record in catalog.objects()}
    assert before["picture.csv"].status == "failed"
    sent = len(webhook_server.posts)
    again = run_watch(tmp_path, webhook_server.address)
    assert again.returncode == 0 and again.stdout == "", plain(again)  # not retried
    assert len(webhook_server.posts) == sent
    time.sleep(0.01)
    rows = "".join(f"{i},{30 + i}\n" for i in range(5))
    (landing / "picture.csv").write_text("id,age\n" + rows)  # a new version: checked
    changed = run_watch(tmp_path, webhook_server.address)
    assert changed.returncode == 0, plain(changed)
    assert "picture.csv" in changed.stdout and "null.jsonl" not in changed.stdout
    versions = [r for r in catalog.objects() if Path(r.key).name == "picture.csv"]
    assert [r.status for r in versions] == ["failed", "done"]
    assert len([r for r in catalog.objects() if Path(r.key).name == "null.jsonl"]) == 1


def slow_csv_gz(path: Path) -> None:
    """A gzip file of about 1 GB of CSV, compressed 4,000 to 1: reading it takes far
    longer than the time limit given below, however fast the machine."""
    member = gzip.compress(b"1,2\n" * 12_500_000, compresslevel=1)
    with path.open("wb") as out:
        out.write(gzip.compress(b"a,b\n"))
        for _ in range(20):
            out.write(member)


def test_a_file_past_the_time_limit_is_failed_and_the_watcher_goes_on(tmp_path, webhook_server):
    landing = tmp_path / "landing"
    landing.mkdir()
    slow_csv_gz(landing / "huge.csv.gz")
    write_csv(landing / "z-after.csv", rows=50, missing=0.5)
    first = run_watch(tmp_path, webhook_server.address, "--time-limit", "2")
    assert first.returncode == 1, plain(first)
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    records = {Path(record.key).name: record for record in catalog.objects()}
    assert (records["huge.csv.gz"].status, records["huge.csv.gz"].error) == (
        "failed",
        "took longer than 2 s (the time limit)",
    )
    assert records["z-after.csv"].status == "done"
    bodies = messages(webhook_server)
    assert f"could not read {landing / 'huge.csv.gz'}: took longer than 2 s" in "\n".join(bodies)
    assert any("z-after.csv" in body for body in bodies)
    again = run_watch(tmp_path, webhook_server.address, "--time-limit", "2")
    assert (again.returncode, again.stdout) == (0, "")
    assert len(webhook_server.posts) == len(bodies)


def test_in_process_every_exception_is_one_files_failure(tmp_path, webhook_server):
    """Without child processes (library use), the Python-level failures are still each
    file's own: the watcher records them and goes on."""
    landing = tmp_path / "landing"
    poison = [name for name in write_poison(landing) if name != "null.jsonl"]
    (landing / "null.jsonl").unlink()  # a native crash needs a child process
    clean, broken = write_good(landing, 2)
    (tmp_path / "rules.yaml").write_text(RULES)
    records = {
        Path(record.key).name: record
        for record in watch(
            landing,
            rules=str(tmp_path / "rules.yaml"),
            notify=[f"json://{webhook_server.address}/alerts"],
            database=f"sqlite:///{tmp_path / 'catalog.db'}",
            settle=0.0,
            once=True,
        )
    }
    assert set(records) == set(poison + clean + broken)
    for name in poison:
        assert_recorded_or_named(name, records, landing, messages(webhook_server))
        assert "unexpected" not in (records[name].error or "")
    assert [records[name].status for name in clean + broken] == ["done"] * 2


def test_the_commands_defaults_are_the_librarys():
    from watchkeeper.catalog.times import DEFAULT_LEASE
    from watchkeeper.cli import watch as command
    from watchkeeper.watch.isolation import DEFAULT_TIME_LIMIT

    assert command.DEFAULT_TIME_LIMIT == DEFAULT_TIME_LIMIT
    assert command.DEFAULT_LEASE == DEFAULT_LEASE


def test_a_column_named_with_nul_is_alerted_on_every_database(tmp_path, webhook_server,
                                                              database_url):  # fmt: skip
    import pyarrow as pa
    import pyarrow.parquet as pq

    landing = tmp_path / "landing"
    landing.mkdir()
    pq.write_table(pa.table({"a\0b": [None, None, 1.0]}), landing / "nul.parquet")
    write_csv(landing / "z-after.csv", rows=50, missing=0.5)
    (tmp_path / "rules.yaml").write_text(RULES)
    records = watch(
        landing,
        rules=str(tmp_path / "rules.yaml"),
        notify=[f"json://{webhook_server.address}/alerts"],
        database=database_url,
        settle=0.0,
        once=True,
    )
    assert [(Path(r.key).name, r.status) for r in records] == [
        ("nul.parquet", "done"),
        ("z-after.csv", "done"),
    ]
    bodies = messages(webhook_server)
    assert len(bodies) == 2 and "a\\0b" in bodies[0]
