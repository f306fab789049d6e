"""``watchkeeper watch SOURCE --rules FILE [--baseline DIR] [--notify URL ...] ...``."""

from __future__ import annotations

import logging
import signal
from typing import Annotated

import typer

from watchkeeper.catalog.times import DEFAULT_LEASE
from watchkeeper.cli._common import (
    EXIT_OK,
    EXIT_VIOLATIONS,
    MetricsNamespaceOption,
    MetricsOption,
    MetricsRegionOption,
    console,
    handled,
    metrics_destination,
    say,
)
from watchkeeper.errors import UsageError

# The name of the watcher's logger of each file's outcome (watchkeeper.watch.process.OUTCOMES):
# this command prints a line per file itself.
OUTCOMES_LOGGER = "watchkeeper.watch.outcomes"
# The library's default (watchkeeper.watch.isolation.DEFAULT_TIME_LIMIT), written out:
# importing the watch package here would slow every command's start by most of a second.
DEFAULT_TIME_LIMIT = 600.0


def command(
    source: Annotated[str, typer.Argument(help="Folder or URI to watch (s3://bucket/prefix/).")],
    rules: Annotated[str | None, typer.Option(help="Rules file (YAML).")] = None,
    baseline: Annotated[
        str | None, typer.Option(help="Baseline folder or URI (statistics.json, constraints.json).")
    ] = None,
    notify: Annotated[
        list[str] | None,
        typer.Option(
            help="Where to send alerts: an apprise URL (slack://…, mailto://…, json://…);"
            " repeatable."
        ),
    ] = None,
    prefix: Annotated[
        str, typer.Option(help="Only keys starting with this (as S3 triggers).")
    ] = "",
    suffix: Annotated[
        str | None,
        typer.Option(help="Only keys ending with this, e.g. .csv (default: data files)."),
    ] = None,
    reports: Annotated[
        str, typer.Option(help="Where reports go: a prefix below SOURCE, or a folder or URI.")
    ] = "reports",
    report_url: Annotated[
        str | None, typer.Option(help="Web address of the reports folder, for links in alerts.")
    ] = None,
    once: Annotated[
        bool, typer.Option(help="Check what is there now and exit (for cron).")
    ] = False,
    interval: Annotated[float, typer.Option(help="Seconds between passes.")] = 5.0,
    settle: Annotated[
        float, typer.Option(help="Seconds a local file must be unchanged before it is read.")
    ] = 2.0,
    database: Annotated[
        str | None,
        typer.Option(
            help="Catalog database URL (default: SQLite in .watchkeeper/). Several watchers "
            "may share one: each file is checked, and each alert sent, by one of them."
        ),
    ] = None,
    isolate: Annotated[
        bool,
        typer.Option(
            "--isolate/--in-process",
            help="Check each file in a child process (the default), so that a file that "
            "crashes its reader, or runs past --time-limit, is recorded as failed and "
            "alerted while the watcher goes on. --in-process checks in the watcher's own "
            "process: errors are still caught per file, but a native crash stops it.",
        ),
    ] = True,
    time_limit: Annotated[
        float,
        typer.Option(
            help="Seconds one file's check may take; a file that takes longer is "
            "recorded as failed (with --isolate)."
        ),
    ] = DEFAULT_TIME_LIMIT,
    memory_limit: Annotated[
        int | None,
        typer.Option(
            help="MiB of memory one file's check may use; a file that needs more is "
            "recorded as failed (with --isolate; default: no limit)."
        ),
    ] = None,
    lease: Annotated[
        float,
        typer.Option(
            help="Seconds this watcher's claim on a file or an alert outlives it: if it "
            "dies, other watchers sharing the catalog take its work over after this."
        ),
    ] = DEFAULT_LEASE,
    metrics: MetricsOption = "none",
    metrics_namespace: MetricsNamespaceOption = None,
    metrics_region: MetricsRegionOption = None,
) -> None:
    """Check every file that lands in SOURCE; report beside it; alert on broken rules.

    Each file is a unit of failure: a file that cannot be read or checked, however it
    fails, is recorded as failed with a one-line reason and alerted, and is not read
    again until it changes.

    With --once the exit status is 0 when every file passed, 1 when a file broke a rule
    or could not be read, 2 for bad arguments. Files another watcher sharing the catalog
    is checking are waited for, not checked twice.
    """
    from watchkeeper.watch import watcher

    # a line per file is printed below; the log adds warnings (retries, unreadable files)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    logging.getLogger(OUTCOMES_LOGGER).setLevel(logging.ERROR)
    found = {"problems": 0}

    def show(record) -> None:
        if record.status == "failed":
            found["problems"] += 1
            say(("could not read", "red"), f" {record.key}: {record.error}")
        elif record.violations:
            found["problems"] += 1
            say(
                (f"{record.violations} violations", "red"),
                f" {record.key} ({record.rows} rows) report: {record.report}",
            )
        else:
            say(("ok", "green"), f" {record.key} ({record.rows} rows)")
        if record.status != "failed" and record.error:
            say(("warning", "yellow"), f" {record.key}: {record.error}")

    with handled():
        if rules is None and baseline is None:
            raise UsageError("give --rules, --baseline, or both")
        destination = metrics_destination(metrics, metrics_namespace, metrics_region)
        running = watcher(
            source,
            rules=rules,
            baseline=baseline,
            notify=notify or [],
            prefix=prefix,
            suffix=suffix,
            reports=reports,
            report_url=report_url,
            interval=interval,
            settle=settle,
            database=database,
            on_processed=show,
            isolate=isolate,
            time_limit=time_limit,
            memory_limit=memory_limit,
            lease=lease,
            metrics=destination,
        )
        _stop_gracefully(running)
        if once:
            running.run_once()
        else:
            running.run_forever()
    raise typer.Exit(EXIT_VIOLATIONS if once and found["problems"] else EXIT_OK)


def _stop_gracefully(running) -> None:
    """SIGTERM (kill, systemd, docker stop) and Ctrl-C finish the file at hand, its
    report and its messages, then stop: a restart goes on from the next file and sends
    nothing twice. A second signal stops at once (that file is checked again next time).
    """

    def stop(signum: int, _frame: object) -> None:
        if running.stopping.is_set():
            raise KeyboardInterrupt
        console.print("stopping after the current file (signal again to stop now)")
        running.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
