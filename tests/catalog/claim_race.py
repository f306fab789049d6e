"""One of several processes racing for the same object versions on one catalog.

    python claim_race.py DATABASE_URL GO_FILE COUNT

Waits for GO_FILE, then tries to claim each of COUNT versions; records the ones it got
(with one message each) and prints their numbers, one a line.
"""

from __future__ import annotations

import os
import sys
import time

from watchkeeper.catalog import Catalog, ProcessedObject


def main() -> None:
    url, go, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    catalog = Catalog(url)
    while not os.path.exists(go):
        time.sleep(0.01)
    for number in range(count):
        key = f"s3://bucket/part-{number:03d}.csv"
        if not catalog.claim(key, "v1", "s3://bucket/"):
            continue
        record = ProcessedObject("s3://bucket/", key, "v1", "done", rows=number)
        message = (f"alert-{number}", "channel", f"title {number}", "body")
        if catalog.record(record, [message]):
            print(number, flush=True)


if __name__ == "__main__":
    main()
