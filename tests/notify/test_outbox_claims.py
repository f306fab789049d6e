"""Several processes flushing one outbox (SQLite and PostgreSQL): each message is sent
once, by the process that claimed it; a claim whose process died is taken over."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from racing import race
from watchkeeper.catalog import Catalog
from watchkeeper.notify import Alert, Notifier


def queue(catalog: Catalog, url: str, count: int) -> None:
    notifier = Notifier([url], catalog)
    for number in range(count):
        alert = Alert(f"message {number}", f"body of message {number}", f"key-{number}")
        for row in notifier.rows(alert):
            catalog.enqueue(*row)


def test_processes_flushing_one_outbox_send_each_message_once(
    database_url, tmp_path, webhook_server
):
    count, go = 24, tmp_path / "go"
    url = f"json://{webhook_server.address}/alerts"
    queue(Catalog(database_url), url, count)
    webhook_server.delay(0.05)  # a delivery takes a moment: the flushes overlap
    script = Path(__file__).with_name("flush_race.py")
    statuses, outputs = race(script, database_url, str(go), url, go=go)
    assert statuses == [0] * 4, outputs
    titles = Counter(post.json["title"] for post in webhook_server.posts)
    assert titles == Counter({f"message {number}": 1 for number in range(count)})
    assert sum(int(stdout) for stdout, _ in outputs) == count
    assert Catalog(database_url).pending() == []


def test_a_message_claimed_by_a_process_that_died_is_sent_by_another(
    database_url, tmp_path, webhook_server
):
    url = f"json://{webhook_server.address}/alerts"
    catalog = Catalog(database_url)
    queue(catalog, url, 1)
    [message] = catalog.pending()
    claim_and_die = (
        "import os, sys\n"
        "from watchkeeper.catalog import Catalog\n"
        "catalog = Catalog(sys.argv[1], lease=5)\n"
        "assert catalog.claim_message(int(sys.argv[2]))\n"
        "os._exit(0)\n"
    )
    subprocess.run(
        [sys.executable, "-c", claim_and_die, database_url, str(message.id)],
        check=True,
        timeout=120,
    )
    notifier = Notifier([url], catalog)
    report = notifier.flush()
    assert (report.sent, report.elsewhere) == (0, 1)  # its claim is alive for a while
    deadline = time.monotonic() + 30
    while not webhook_server.posts and time.monotonic() < deadline:
        time.sleep(0.2)
        notifier.flush()
    [post] = webhook_server.posts
    assert post.json["title"] == "message 0"
    assert catalog.pending() == []
