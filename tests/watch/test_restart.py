"""Stopping the watcher mid-run and starting it again: nothing skipped, nothing repeated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from landing import wait_for_records, write_csv

from watchkeeper.catalog import Catalog

FILES = 40


def landing_with_files(tmp_path: Path) -> tuple[Path, set[str]]:
    landing = tmp_path / "landing"
    broken = set()
    for i in range(FILES):
        bad = i % 2 == 0
        write_csv(landing / f"batch-{i:03d}.csv", rows=300, seed=i, missing=0.4 if bad else 0.0)
        if bad:
            broken.add(f"batch-{i:03d}.csv")
    (tmp_path / "rules.yaml").write_text("defaults: {max_missing: 10%}\n")
    return landing, broken


def start(tmp_path: Path, landing: Path, address: str, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "watchkeeper", "watch", str(landing),
        "--rules", str(tmp_path / "rules.yaml"),
        "--notify", f"json://{address}/alerts",
        "--database", f"sqlite:///{tmp_path / 'catalog.db'}",
        "--settle", "0", "--interval", "0.2", *extra,
    ]  # fmt: skip
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def alerted_files(posts) -> Counter:
    return Counter(
        name
        for post in posts
        for name in (f"batch-{i:03d}.csv" for i in range(FILES))
        if name in post.json["message"]
    )


def test_kill_mid_run_then_restart(tmp_path, webhook_server):
    landing, broken = landing_with_files(tmp_path)
    first = start(tmp_path, landing, webhook_server.address)
    wait_for_records(f"sqlite:///{tmp_path / 'catalog.db'}", 5)
    first.send_signal(signal.SIGTERM)  # what `kill` sends
    first.wait(timeout=30)
    done_before = len(Catalog(f"sqlite:///{tmp_path / 'catalog.db'}").objects())
    assert 5 <= done_before < FILES  # stopped mid-run
    second = start(tmp_path, landing, webhook_server.address, "--once")
    second.wait(timeout=120)
    assert second.returncode == 1, second.stderr.read().decode()  # violations were found
    records = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}").objects()
    assert sorted(Counter(Path(r.key).name for r in records).values()) == [1] * FILES
    assert alerted_files(webhook_server.posts) == Counter(dict.fromkeys(broken, 1))
    for name in broken:
        assert (landing / "reports" / name / "report.html").exists()


def test_hard_kill_loses_nothing(tmp_path, webhook_server):
    """SIGKILL may land between a delivery and its record: that one message can go out
    twice (at-least-once); every file is still checked once and alerted. The file the
    killed watcher was checking is taken over once its claim expires."""
    landing, broken = landing_with_files(tmp_path)
    first = start(tmp_path, landing, webhook_server.address, "--lease", "3")
    wait_for_records(f"sqlite:///{tmp_path / 'catalog.db'}", 5)
    first.kill()
    first.wait(timeout=30)
    second = start(tmp_path, landing, webhook_server.address, "--once", "--lease", "3")
    second.wait(timeout=120)
    records = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}").objects()
    assert sorted(Counter(Path(r.key).name for r in records).values()) == [1] * FILES
    alerted = alerted_files(webhook_server.posts)
    assert set(alerted) == broken
    assert sum(alerted.values()) <= len(broken) + 1
