"""One of several processes flushing one catalog's outbox at the same time.

    python flush_race.py DATABASE_URL GO_FILE WEBHOOK_URL

Waits for GO_FILE, then flushes until nothing is pending, and prints how many messages
it sent.
"""

from __future__ import annotations

import os
import sys
import time

from watchkeeper.catalog import Catalog
from watchkeeper.notify import Notifier


def main() -> None:
    url, go, webhook = sys.argv[1:4]
    catalog = Catalog(url)
    notifier = Notifier([webhook], catalog, attempts=1)
    while not os.path.exists(go):
        time.sleep(0.01)
    sent = 0
    while catalog.pending():
        report = notifier.flush()
        sent += report.sent
        if not report.sent:
            time.sleep(0.02)  # the rest is another process's to send
    print(sent, flush=True)


if __name__ == "__main__":
    main()
