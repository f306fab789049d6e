"""The watcher: list what landed, check each new (key, version) once, keep going.

Correctness comes from listing and the catalog: each pass lists the location, drops
what the catalog has already processed, and checks the rest, so a restart neither
skips nor repeats a file. Local folders also get filesystem events (watchdog), which
only wake the next pass early. A local file is checked once it has been quiet for
``settle`` seconds, so one still being written is not read half-way.

Several watchers (or overlapping ``--once`` runs) may share one catalog: each object
version is claimed by one of them before it is checked, and the others pass over it;
a watcher that dies leaves its claim to expire, and another checks that object. One
object that fails, however it fails, is recorded as failed and not checked again until
its version changes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from watchkeeper.catalog import Catalog, ProcessedObject
from watchkeeper.errors import InputError
from watchkeeper.notify import Notifier
from watchkeeper.watch.objects import Filters, LandedObject, Location, settled
from watchkeeper.watch.process import FileChecker

log = logging.getLogger("watchkeeper.watch")


class Watcher:
    """Watches one location; see the module documentation."""

    def __init__(
        self,
        location: Location,
        checker: FileChecker,
        catalog: Catalog,
        notifier: Notifier,
        filters: Filters,
        *,
        interval: float = 5.0,
        settle: float = 2.0,
        on_processed: Callable[[ProcessedObject], None] | None = None,
    ) -> None:
        self.location, self.checker, self.catalog = location, checker, catalog
        self.notifier, self.filters = notifier, filters
        self.interval, self.settle = interval, settle
        self.on_processed = on_processed
        self.stopping = threading.Event()
        self._wake = threading.Event()
        self._busy = 0

    # -- one pass -------------------------------------------------------------------

    def new_objects(self) -> tuple[list[LandedObject], list[LandedObject], list[LandedObject]]:
        """Among the objects not processed yet: (ready to check, still being written,
        being checked by another process sharing the catalog)."""
        listed = self.location.objects(self.filters)
        keys = [item.uri for item in listed]
        done = self.catalog.processed_versions(keys)
        elsewhere = self.catalog.claimed_versions(keys)
        fresh = [item for item in listed if (item.uri, item.version) not in done]
        others = [item for item in fresh if (item.uri, item.version) in elsewhere]
        fresh = [item for item in fresh if (item.uri, item.version) not in elsewhere]
        if not self.location.is_local:
            return fresh, [], others
        now = time.time()
        ready = [item for item in fresh if settled(item, self.settle, now)]
        return ready, [item for item in fresh if not settled(item, self.settle, now)], others

    def run_once(self, wait_for_writers: bool = True) -> list[ProcessedObject]:
        """Check everything new; returns the records this process made.

        With ``wait_for_writers``, also waits for files still being written to settle
        (as long as they keep growing, up to a minute of quiet) and for files and
        messages other processes sharing the catalog are busy with (until they finish
        or, if they died, their claims expire and this process takes over).
        """
        processed = []
        deadline = time.monotonic() + max(60.0, 10 * self.settle) + self.catalog.leases.seconds
        while not self.stopping.is_set():
            ready, busy, others = self.new_objects()
            for item in ready:
                if self.stopping.is_set():
                    break
                record = self._process(item)
                if record is not None:
                    processed.append(record)
                self.notifier.flush()  # alerts go out as files are checked, not per pass
            delivery = self.notifier.flush()  # and what an earlier run left pending
            self._busy = len(busy)
            waiting = busy or others or delivery.elsewhere
            if not waiting or not wait_for_writers or time.monotonic() > deadline:
                for item in busy:
                    log.warning("%s is still being written; it will be checked later", item.uri)
                for item in others:
                    log.info("%s is being checked by another watcher", item.uri)
                return processed
            self.stopping.wait(min(max(self.settle, 0.2), 1.0))
        return processed

    def _process(self, item: LandedObject) -> ProcessedObject | None:
        record = self.checker.process(item)
        if record is not None and self.on_processed is not None:
            self.on_processed(record)
        return record

    # -- forever --------------------------------------------------------------------

    def run_forever(self) -> None:
        """Pass after pass until :meth:`stop`; a failing pass is logged, never fatal."""
        observer = self._observe() if self.location.is_local else None
        try:
            while not self.stopping.is_set():
                try:
                    self.run_once(wait_for_writers=False)
                except InputError as exc:  # e.g. the bucket is unreachable for a moment
                    log.error("%s", exc)
                except Exception as exc:  # e.g. the catalog's database is down for a moment
                    log.error("this pass stopped early, the next one goes on: %s", exc)
                # files still being written are looked at again once they may have settled
                self._wake.wait(min(self.settle, self.interval) if self._busy else self.interval)
                if self._wake.is_set():
                    self.stopping.wait(0.25)  # one pass for a burst of events, not one each
                self._wake.clear()
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)

    def stop(self) -> None:
        self.stopping.set()
        self._wake.set()

    def _observe(self):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer

        wake = self._wake

        class Wake(FileSystemEventHandler):
            def on_any_event(self, event) -> None:
                wake.set()

        observer = Observer()
        observer.schedule(Wake(), self.location.root, recursive=True)
        observer.daemon = True
        observer.start()
        return observer
