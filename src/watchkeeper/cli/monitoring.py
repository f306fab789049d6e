"""``watchkeeper schedule …``, ``scheduler``, ``monitor run`` and ``executions …``."""

from __future__ import annotations

import datetime as dt
import logging
import signal
from typing import Annotated

import typer

from watchkeeper.catalog.times import DEFAULT_LEASE
from watchkeeper.cli._common import (
    EXIT_OK,
    EXIT_VIOLATIONS,
    JsonOption,
    MetricsNamespaceOption,
    MetricsOption,
    MetricsRegionOption,
    console,
    handled,
    metrics_destination,
    print_json,
    say,
)
from watchkeeper.errors import UsageError

DatabaseOption = Annotated[
    str | None,
    typer.Option(help="Catalog database URL (default: SQLite in .watchkeeper/)."),
]
NotifyOption = Annotated[
    list[str] | None,
    typer.Option(help="Where to send alerts: an apprise URL; repeatable."),
]

schedule_app = typer.Typer(
    help="Create, list and delete monitoring schedules.", no_args_is_help=True
)
executions_app = typer.Typer(help="Look at monitoring executions.", no_args_is_help=True)
monitor_app = typer.Typer(help="Run monitoring jobs by hand.", no_args_is_help=True)


def _catalog(database: str | None):
    from watchkeeper.catalog import Catalog

    return Catalog(database)


@schedule_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="The schedule's name.")],
    endpoint: Annotated[str, typer.Option(help="The endpoint whose captured traffic is judged.")],
    baseline: Annotated[str, typer.Option(help="Baseline folder or URI.")],
    cron: Annotated[
        str,
        typer.Option(
            help="When: 5-field cron ('0 * * * *'), SageMaker's cron(0 * ? * * *), or NOW to "
            "run once, over the window --start/--end give from now."
        ),
    ] = "0 * * * *",
    report: Annotated[str, typer.Option(help="Where results go (folder or URI).")] = "",
    capture: Annotated[str, typer.Option(help="Where the endpoint's captures are.")] = "",
    variant: Annotated[str | None, typer.Option(help="Only this variant's captures.")] = None,
    window_start: Annotated[
        str | None,
        typer.Option(
            "--window-start",
            "--start",
            help="Window start offset, e.g. -PT1H (default: previous firing).",
        ),
    ] = None,
    window_end: Annotated[
        str | None,
        typer.Option("--window-end", "--end", help="Window end offset, e.g. -PT0H."),
    ] = None,
    kind: Annotated[
        str,
        typer.Option(
            help="What is judged: data-quality, model-quality, model-bias or "
            "model-explainability."
        ),
    ] = "data-quality",
    problem_type: Annotated[
        str | None,
        typer.Option(help="model-quality: BinaryClassification, MulticlassClassification or "
                     "Regression."),
    ] = None,
    inference_attribute: Annotated[
        str | None, typer.Option(help="model-quality: the captured column of predictions.")
    ] = None,
    probability_attribute: Annotated[
        str | None, typer.Option(help="model-quality: the captured column of probabilities.")
    ] = None,
    probability_threshold: Annotated[
        float | None, typer.Option(help="model-quality: probability of a positive prediction.")
    ] = None,
    ground_truth: Annotated[
        str | None, typer.Option(help="model-quality: where ground-truth labels are uploaded.")
    ] = None,
    reference: Annotated[
        str | None,
        typer.Option(help="model-quality: a labelled file to estimate performance before "
                     "labels arrive (classifiers from their probabilities, regression from "
                     "the inputs: --option features=[...]; multiclass classes in column "
                     "order: --option classes=[...])."),
    ] = None,
    reference_label: Annotated[
        str | None, typer.Option(help="model-quality: the label column of --reference.")
    ] = None,
    record_preprocessor: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="A Python file defining SageMaker's preprocess_handler(inference_record): "
            "each captured record becomes the rows it returns (a dict, a list of dicts, or "
            "None to leave the record out).",
        ),
    ] = None,
    post_analytics: Annotated[
        str | None,
        typer.Option(
            metavar="FILE",
            help="A Python file defining SageMaker's postprocess_handler(), run after each "
            "window's analysis with output_path set to the window's result folder.",
        ),
    ] = None,
    option: Annotated[
        list[str] | None,
        typer.Option(
            "--option",
            help="Any option of the kind as KEY=VALUE, the value read as JSON when it is "
            "(0.5, [1], true), e.g. --option facet=sex --option label_values=[0]; repeatable.",
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Create a schedule (the cron, the baseline and the options are checked now)."""
    from watchkeeper.catalog import workspace
    from watchkeeper.monitor import create_schedule, next_firing
    from watchkeeper.monitor.timing import is_one_off

    with handled():
        schedule = create_schedule(
            _catalog(database),
            name=name,
            endpoint=endpoint,
            capture=capture or str(workspace() / "capture"),
            baseline=baseline,
            report=report or str(workspace() / "monitoring"),
            cron=cron,
            variant=variant,
            window_start=window_start,
            window_end=window_end,
            kind=kind,
            options={
                key: value
                for key, value in {
                    "problem_type": problem_type,
                    "inference_attribute": inference_attribute,
                    "probability_attribute": probability_attribute,
                    "probability_threshold": probability_threshold,
                    "ground_truth": ground_truth,
                    "reference": reference,
                    "reference_label": reference_label,
                    "record_preprocessor": _script_path(record_preprocessor),
                    "post_analytics": _script_path(post_analytics),
                }.items()
                if value is not None
            }
            | _key_values(option or []),
        )
        if is_one_off(schedule.cron):
            when = "once, when the scheduler next looks"
        else:
            following = next_firing(schedule.cron, dt.datetime.now(dt.UTC))
            when = f"next run {following:%Y-%m-%d %H:%M} UTC"
        console.print(
            f"schedule {schedule.name}: {schedule.endpoint} at '{schedule.cron}' ({when})"
        )


def _script_path(path: str | None) -> str | None:
    """A script's absolute path: the scheduler that runs it may start elsewhere."""
    import os

    return os.path.abspath(path) if path else None


def _key_values(pairs: list[str]) -> dict:
    """``KEY=VALUE`` options; a value that parses as JSON is taken as such."""
    import json as json_module

    options = {}
    for pair in pairs:
        key, equals, text = pair.partition("=")
        if not equals or not key.strip():
            raise UsageError(f"--option {pair!r}: write it as KEY=VALUE")
        try:
            options[key.strip()] = json_module.loads(text)
        except ValueError:
            options[key.strip()] = text
    return options


@schedule_app.command("list")
def list_schedules(database: DatabaseOption = None, json: JsonOption = False) -> None:
    """List the schedules."""
    from watchkeeper.catalog import MonitoringStore
    from watchkeeper.monitor.rest import schedule_dict

    with handled():
        schedules = MonitoringStore(_catalog(database)).schedules()
        if json:
            print_json([schedule_dict(schedule) for schedule in schedules])
            return
        from rich.table import Table

        table = Table("name", "endpoint", "cron", "baseline", "report", header_style="bold")
        for schedule in schedules:
            table.add_row(
                schedule.name, schedule.endpoint, schedule.cron, schedule.baseline, schedule.report
            )
        console.print(table)


@schedule_app.command("delete")
def delete(name: str, database: DatabaseOption = None) -> None:
    """Delete a schedule (its executions stay)."""
    from watchkeeper.catalog import MonitoringStore

    with handled():
        MonitoringStore(_catalog(database)).delete_schedule(name)
        say(f"deleted schedule {name}")


@monitor_app.command("run")
def run(
    schedule: Annotated[str, typer.Option(help="The schedule to run.")],
    window: Annotated[
        str | None,
        typer.Option(help="START/END in ISO 8601 (default: the schedule's latest window)."),
    ] = None,
    notify: NotifyOption = None,
    database: DatabaseOption = None,
    json: JsonOption = False,
    metrics: MetricsOption = "none",
    metrics_namespace: MetricsNamespaceOption = None,
    metrics_region: MetricsRegionOption = None,
) -> None:
    """Run one monitoring job now. Exit status: 0 completed, 1 violations or failed.

    With --metrics cloudwatch the execution's series also go to CloudWatch; if they
    cannot, the execution keeps its status and says why (metrics_error)."""
    from watchkeeper.catalog import COMPLETED, MonitoringStore
    from watchkeeper.monitor.job import run_job
    from watchkeeper.monitor.timing import window_to_run
    from watchkeeper.notify import Notifier

    with handled():
        destination = metrics_destination(metrics, metrics_namespace, metrics_region)
        catalog = _catalog(database)
        store = MonitoringStore(catalog)
        chosen = store.schedule(schedule)
        span, fired = window_to_run(chosen, window)
        notifier = Notifier(notify or [], catalog)
        execution = run_job(store, chosen, fired, span, notifier=notifier, metrics=destination)
        if execution is None:
            raise UsageError(
                f"the window {span[0]:%Y-%m-%d %H:%M} to {span[1]:%Y-%m-%d %H:%M} UTC has an "
                "execution already (see `watchkeeper executions list`)"
            )
        if json:
            print_json(execution.to_dict())
        else:
            _print_execution(execution)
    raise typer.Exit(EXIT_OK if execution.status == COMPLETED else EXIT_VIOLATIONS)


@executions_app.command("list")
def list_executions(
    schedule: Annotated[str | None, typer.Option(help="Only this schedule's.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 20,
    database: DatabaseOption = None,
    json: JsonOption = False,
) -> None:
    """List executions, newest first."""
    from watchkeeper.catalog import MonitoringStore

    with handled():
        executions = MonitoringStore(_catalog(database)).executions(schedule, limit)
        if json:
            print_json([execution.to_dict() for execution in executions])
            return
        from rich.table import Table

        table = Table(header_style="bold")
        for label in ("id", "schedule", "window (UTC)", "status", "records", "violations"):
            # the window stays on one line; a long schedule name or status wraps
            table.add_column(label, no_wrap=label == "window (UTC)")
        for execution in executions:
            table.add_row(
                str(execution.id),
                execution.schedule,
                _window_text(execution.window_start, execution.window_end),
                execution.status,
                str(execution.records),
                str(execution.violations),
            )
        console.print(table)


def _window_text(start: dt.datetime, end: dt.datetime) -> str:
    """``2026-11-20 09:00–10:00``, with seconds when the window has them."""
    clock = "%H:%M:%S" if start.second or end.second else "%H:%M"
    if start.date() == end.date() or end == start.replace(hour=0, minute=0) + dt.timedelta(1):
        return f"{start:%Y-%m-%d} {start.strftime(clock)}–{end.strftime(clock)}"
    return f"{start:%Y-%m-%d} {start.strftime(clock)}–{end:%Y-%m-%d} {end.strftime(clock)}"


@executions_app.command("describe")
def describe(execution_id: int, database: DatabaseOption = None, json: JsonOption = False) -> None:
    """One execution: status, window, counts, artefacts."""
    from watchkeeper.catalog import MonitoringStore

    with handled():
        store = MonitoringStore(_catalog(database))
        execution = store.execution(execution_id)
        points = store.metrics_of(execution_id)
        if json:
            document = execution.to_dict()
            document["metrics"] = [
                {"name": p.name, "statistic": p.statistic, "value": p.value} for p in points
            ]
            print_json(document)
        else:
            _print_execution(execution)
            _print_estimates(points)


def _print_execution(execution) -> None:
    console.print(
        f"execution {execution.id} of {execution.schedule} ({execution.endpoint}), window "
        f"{execution.window_start:%Y-%m-%d %H:%M:%S} to {execution.window_end:%Y-%m-%d %H:%M:%S}"
        " UTC: "
        f"{execution.records} records, {execution.corrupt_lines} corrupt lines",
    )
    console.print(execution.exit_message)
    if execution.metrics_error:
        console.print(f"metrics not published: {execution.metrics_error}", soft_wrap=True)
    for name, where in sorted(execution.artifacts.items()):
        say(f"  {name}: {where}")


def _print_estimates(points) -> None:
    """Model quality estimated from the scores beside the realized figures, when the job
    estimated it."""
    values = {p.name: p.value for p in points if p.statistic == "Value"}
    prefix = "estimated_"
    estimated = sorted(name[len(prefix) :] for name in values if name.startswith(prefix))
    if not estimated:
        return
    from rich.table import Table

    table = Table(
        "metric", "realized (with labels)", "estimated (from scores)", header_style="bold"
    )
    for name in estimated:
        realized = values.get(name)
        table.add_row(
            name,
            "—" if realized is None else f"{realized:.4f}",
            f"{values[f'estimated_{name}']:.4f}",
        )
    console.print(table)


def scheduler(
    notify: NotifyOption = None,
    tick: Annotated[float, typer.Option(help="Seconds between looks at the schedules.")] = 30.0,
    host: Annotated[str, typer.Option(help="Address of the REST API and /metrics.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="Port of the REST API and /metrics (0: none).")
    ] = 8081,
    database: DatabaseOption = None,
    lease: Annotated[
        float,
        typer.Option(
            help="Seconds this scheduler's claim on a running window outlives it: if it "
            "dies, another scheduler sharing the catalog fails that execution after this."
        ),
    ] = DEFAULT_LEASE,
    metrics: MetricsOption = "none",
    metrics_namespace: MetricsNamespaceOption = None,
    metrics_region: MetricsRegionOption = None,
) -> None:
    """Run due monitoring jobs on time, until stopped; serve the REST API and /metrics.

    Several schedulers may share one catalog: each window runs once, on one of them, and
    each alert is sent once. A window whose job fails, however it fails, is recorded as
    a Failed execution with its reason and alerted; the other windows go on. With
    --metrics cloudwatch each execution's series go to CloudWatch too; a publish that
    fails is recorded on its execution and alerted, and the scheduler goes on.
    """
    import threading

    import uvicorn

    from watchkeeper.catalog import MonitoringStore
    from watchkeeper.cli.listening import check_port_free, warn_if_exposed
    from watchkeeper.monitor import Scheduler
    from watchkeeper.monitor.rest import create_monitor_app
    from watchkeeper.notify import Notifier

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    with handled():
        from watchkeeper.catalog import Catalog

        destination = metrics_destination(metrics, metrics_namespace, metrics_region)
        check_port_free(host, port)
        catalog = Catalog(database, lease=lease)
        running = Scheduler(
            MonitoringStore(catalog),
            notifier=Notifier(notify or [], catalog),
            tick=tick,
            metrics=destination,
        )
        server = None
        if port:
            config = uvicorn.Config(
                create_monitor_app(catalog, destination),
                host=host,
                port=port,
                log_level="warning",
            )
            server = uvicorn.Server(config)
            server.install_signal_handlers = lambda: None  # the scheduler owns the signals
            threading.Thread(target=server.run, daemon=True).start()
            warn_if_exposed(host, "the monitoring API", "create schedules and run jobs",
                            "put it behind a proxy that authenticates")  # fmt: skip
            say(f"monitoring API and /metrics on http://{host}:{port}")

        def stop(*_: object) -> None:
            running.stop()
            if server is not None:
                server.should_exit = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        running.run_forever()
