"""The watcher: list what landed, check each new (key, version) once, keep going.

Correctness comes from listing and the catalog: each pass lists the location, drops
what the catalog has already processed, and checks the rest, so a restart neither
skips nor repeats a file. Local folders also get filesystem events (watchdog), which
only wake the next pass early. A local file is checked once it has been quiet for
``settle`` seconds, so one still being written is not read half-way.
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

    def new_objects(self) -> tuple[list[LandedObject], list[LandedObject]]:
        """(ready to check, still being written) among the objects not processed yet."""
        listed = self.location.objects(self.filters)
        done = self.catalog.processed_versions([item.uri for item in listed])
        fresh = [item for item in listed if (item.uri, item.version) not in done]
        if not self.location.is_local:
            return fresh, []
        now = time.time()
        ready = [item for item in fresh if settled(item, self.settle, now)]
        return ready, [item for item in fresh if not settled(item, self.settle, now)]

    def run_once(self, wait_for_writers: bool = True) -> list[ProcessedObject]:
        """Check everything new; with ``wait_for_writers``, wait for files still being
        written to settle (as long as they keep growing, up to a minute of quiet)."""
        processed = []
        deadline = time.monotonic() + max(60.0, 10 * self.settle)
        while not self.stopping.is_set():
            ready, busy = self.new_objects()
            for item in ready:
                if self.stopping.is_set():
                    break
                processed.append(self._process(item))
                self.notifier.flush()  # alerts go out as files are checked, not per pass
            self.notifier.flush()  # and what an earlier run left pending
            self._busy = len(busy)
            if not busy or not wait_for_writers or time.monotonic() > deadline:
                for item in busy:
                    log.warning("%s is still being written; it will be checked later", item.uri)
                return processed
            self.stopping.wait(min(self.settle, 1.0))
        return processed

    def _process(self, item: LandedObject) -> ProcessedObject:
        record = self.checker.process(item)
        if self.on_processed is not None:
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
