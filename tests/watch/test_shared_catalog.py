"""Several watchers on one catalog (SQLite and PostgreSQL): each file is checked and
recorded by one of them, each alert sent by one of them, and none dies of the others."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from landing import wait_for_records
from poison import RULES, write_good, write_poison

from watchkeeper.catalog import Catalog


def watcher_process(
    tmp_path: Path, address: str, database: str, *extra: str
) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "watchkeeper", "watch", str(tmp_path / "landing"),
        "--rules", str(tmp_path / "rules.yaml"),
        "--notify", f"json://{address}/alerts",
        "--database", database,
        "--settle", "0", "--interval", "0.2", "--lease", "10", *extra,
    ]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def finished(process: subprocess.Popen) -> tuple[int, str]:
    stdout, stderr = process.communicate(timeout=600)
    text = stdout + stderr
    for word in ("unexpected", "integrityerror", "traceback"):
        assert word not in text.lower(), text
    return process.returncode, stdout


def alerts_per_file(posts, landing: Path, names: list[str]) -> Counter:
    return Counter(
        name for post in posts for name in names if str(landing / name) in post.json["message"]
    )


def check_shared_work(tmp_path: Path, database: str, webhook_server, expected: dict) -> None:
    """Every file recorded once; every broken or unreadable file alerted once."""
    landing = tmp_path / "landing"
    records = Catalog(database).objects()
    assert Counter(Path(record.key).name for record in records) == Counter(
        dict.fromkeys(expected, 1)
    )
    # a poison file is either unreadable (failed) or read and judged: alerted if it broke
    # a rule, as every broken file is
    alerted = [Path(r.key).name for r in records if r.status == "failed" or r.violations]
    assert {name for name, broken in expected.items() if broken} <= set(alerted)
    assert alerts_per_file(webhook_server.posts, landing, list(expected)) == Counter(
        dict.fromkeys(alerted, 1)
    )
    assert len(webhook_server.posts) == len(alerted)


def test_overlapping_once_runs(tmp_path, webhook_server, database_url):
    landing = tmp_path / "landing"
    poison = write_poison(landing)
    clean, broken = write_good(landing, 10)
    (tmp_path / "rules.yaml").write_text(RULES)
    webhook_server.delay(0.05)  # deliveries take a moment: flushes overlap
    runs = [
        watcher_process(tmp_path, webhook_server.address, database_url, "--once")
        for _ in range(3)
    ]
    results = [finished(run) for run in runs]
    assert {code for code, _ in results} <= {0, 1}
    names = poison + clean + broken
    printed = Counter(
        name
        for _, stdout in results
        for line in stdout.splitlines()
        for name in names
        if f"{landing / name} " in line or f"{landing / name}:" in line
    )
    assert printed == Counter(dict.fromkeys(names, 1))  # each told once, by one of them
    expected = dict.fromkeys(poison + clean, False) | dict.fromkeys(broken, True)
    check_shared_work(tmp_path, database_url, webhook_server, expected)


def test_running_watchers_share_arriving_files(tmp_path, webhook_server, database_url):
    """Two watchers running side by side while files land: each file is checked once,
    and when one of them is killed its file is taken over by the other."""
    landing = tmp_path / "landing"
    landing.mkdir()
    (tmp_path / "rules.yaml").write_text(RULES)
    watchers = [
        watcher_process(tmp_path, webhook_server.address, database_url, "--lease", "3")
        for _ in range(2)
    ]
    try:
        clean, broken = write_good(landing, 16)
        old = time.time() - 10
        for name in clean + broken:
            os.utime(landing / name, (old, old))
        wait_for_records(database_url, 4)
        watchers[0].kill()  # mid-run: its current claim expires and is taken over
        wait_for_records(database_url, len(clean + broken))
        # the killed watcher's alert, if it held one, goes out once its claim expires
        outbox = Catalog(database_url)
        deadline = time.monotonic() + 60
        while outbox.pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        outbox.close()
    finally:
        for process in watchers:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            process.communicate(timeout=120)
    assert watchers[1].returncode == 0
    records = Catalog(database_url).objects()
    assert sorted(Counter(Path(record.key).name for record in records).values()) == [1] * 16
    alerted = alerts_per_file(webhook_server.posts, landing, clean + broken)
    assert set(alerted) == set(broken)
    # at-least-once: a kill between a delivery and its record may repeat that one message
    assert sum(alerted.values()) <= len(broken) + 1
