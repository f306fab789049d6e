"""One of several schedulers running the same schedules on one catalog.

    python scheduler_race.py DATABASE_URL GO_FILE WEBHOOK_URL TIME [TIME ...]

Waits for GO_FILE, then runs what is due at each TIME (ISO 8601, UTC), delivers its
alerts, and prints how many executions it ran.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time

from watchkeeper.catalog import Catalog, MonitoringStore
from watchkeeper.monitor import Scheduler
from watchkeeper.notify import Notifier


def main() -> None:
    url, go, webhook, *times = sys.argv[1:]
    catalog = Catalog(url)
    notifier = Notifier([webhook], catalog, attempts=1)
    scheduler = Scheduler(MonitoringStore(catalog), notifier=notifier)
    while not os.path.exists(go):
        time.sleep(0.01)
    ran = 0
    for moment in times:
        ran += len(scheduler.run_pending(dt.datetime.fromisoformat(moment)))
    while catalog.pending():
        if not notifier.flush().sent:
            time.sleep(0.02)  # the rest is another scheduler's to send
    print(ran, flush=True)


if __name__ == "__main__":
    main()
