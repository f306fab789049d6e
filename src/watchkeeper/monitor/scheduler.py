"""The scheduler: runs each schedule's due window, once, on time or after downtime.

At every tick, for every schedule, the latest firing at or before now is due unless
its window has an execution already (the catalog's unique key). So a scheduler that
was down for a day runs the missed window once, not 24 times, and several schedulers
sharing a catalog never run the same window twice. Firings before the schedule was
created are not due; a one-time schedule (``NOW``) is due once, at its creation.

Each window is a unit of failure: whatever its job raises ends that execution as Failed
with the reason (and its alert), and the next schedule and window go on. An execution
whose scheduler died mid-way keeps its claim until the lease expires; then another
scheduler marks it Failed ("interrupted") and alerts.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from watchkeeper.catalog import Execution, MonitoringStore, Schedule
from watchkeeper.catalog.times import utcnow
from watchkeeper.checks.metrics import MetricsDestination
from watchkeeper.monitor.job import alert, run_job
from watchkeeper.monitor.timing import due_firing, window_for
from watchkeeper.notify import Notifier
from watchkeeper.notify.messages import failure_reason

log = logging.getLogger("watchkeeper.monitor")

STALE_AFTER = dt.timedelta(hours=1)


class Scheduler:
    """Runs due monitoring jobs; ``clock`` returns the current time (UTC); ``metrics``
    receives each execution's metric series (see :func:`run_job`)."""

    def __init__(
        self,
        store: MonitoringStore,
        *,
        notifier: Notifier | None = None,
        clock: Callable[[], dt.datetime] = utcnow,
        tick: float = 30.0,
        storage_options: dict | None = None,
        metrics: MetricsDestination | None = None,
    ) -> None:
        self.store, self.notifier, self.clock = store, notifier, clock
        self.metrics = metrics
        self.tick, self.storage_options = tick, storage_options
        self.stopping = threading.Event()

    def due(self, now: dt.datetime | None = None) -> list[tuple[Schedule, dt.datetime]]:
        """(schedule, latest firing) pairs; a firing whose window ran already is skipped
        when run (the catalog refuses a second execution of a window)."""
        now = now or self.clock()
        found = []
        for schedule in self.store.schedules():
            try:
                fired = due_firing(schedule, now)
            except Exception as exc:  # one broken schedule must not hide the others
                log.error("%s: cron %r: %s", schedule.name, schedule.cron, failure_reason(exc))
                continue
            if fired is not None:
                found.append((schedule, fired))
        return found

    def run_pending(self, now: dt.datetime | None = None) -> list[Execution]:
        """Run every due window not run yet; returns the executions that ran.

        Executions whose scheduler died are failed (and alerted) first.
        """
        self.abandon_dead()
        ran = []
        for schedule, fired in self.due(now):
            try:
                window = window_for(
                    schedule.cron, fired, schedule.window_start, schedule.window_end
                )
                execution = run_job(
                    self.store,
                    schedule,
                    fired,
                    window,
                    notifier=self.notifier,
                    storage_options=self.storage_options,
                    metrics=self.metrics,
                )
            except Exception as exc:  # e.g. stored window offsets that give no window
                log.error(
                    "%s: the window of %s could not run: %s",
                    schedule.name, fired.isoformat(), failure_reason(exc),
                )  # fmt: skip
                continue
            if execution is not None:
                log.info("%s %s: %s", schedule.name, fired.isoformat(), execution.exit_message)
                ran.append(execution)
        return ran

    def abandon_dead(self) -> list[Execution]:
        """Fail the executions left InProgress by a scheduler that died; alert each."""
        # executions of an older catalog have no lease: an hour is far longer than a
        # job takes, so another live scheduler's job is left alone
        abandoned = self.store.abandon_stale(utcnow() - STALE_AFTER)
        for execution in abandoned:
            log.warning("%s: %s", execution.schedule, execution.exit_message)
            alert(self.notifier, execution, [])
        return abandoned

    def run_forever(self) -> None:
        """Tick until :meth:`stop`; a failing tick is logged, never fatal."""
        while not self.stopping.is_set():
            try:
                self.run_pending()
                if self.notifier is not None:
                    self.notifier.flush()
            except Exception as exc:  # the scheduler outlives any one bad tick
                log.error("this tick stopped early, the next one goes on: %s", exc)
            self.stopping.wait(self.tick)

    def stop(self) -> None:
        self.stopping.set()
