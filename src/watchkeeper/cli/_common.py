"""What every command shares: data options, error handling, progress, output."""

from __future__ import annotations

import gc
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from watchkeeper.errors import UsageError, WatchkeeperError
from watchkeeper.extras import install_command, missing_extra
from watchkeeper.io import CsvOptions
from watchkeeper.io.messages import encoding_hint

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

EXIT_OK, EXIT_VIOLATIONS, EXIT_ERROR = 0, 1, 2
PROGRESS_DELAY = 1.0

# Piped output (logs, CI, `| less`) is not cut to rich's default of 80 columns: tables
# of executions and features need more to keep statuses and names whole.
PIPED_WIDTH = 120


class LazyConsole:
    """A rich ``Console`` made on first use: a command printing JSON never prints
    through one, and importing rich takes 20-30 ms of every start otherwise."""

    def __init__(self, make: Callable[[], Console]) -> None:
        self._make = make
        self._made: Console | None = None

    @property
    def rich(self) -> Console:
        """The console itself, for rich's own classes that take one."""
        if self._made is None:
            self._made = self._make()
        return self._made

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich, name)


# Paths, column names and data values are printed as they are: with markup on, rich would
# read `landing/[archive]/day.csv` as a style tag and fail on a value such as `[/x]`.
# Styles are given explicitly, as (text, style) parts of `say`.
def _stdout_console() -> Console:
    from rich.console import Console

    return Console(
        width=PIPED_WIDTH if not sys.stdout.isatty() and "COLUMNS" not in os.environ else None,
        markup=False,
        highlight=False,
    )


def _stderr_console() -> Console:
    from rich.console import Console

    return Console(stderr=True, markup=False, highlight=False)


console = LazyConsole(_stdout_console)
errors = LazyConsole(_stderr_console)

# A terminal table of a wide profile or of many violations shows this many rows, then a note.
TABLE_ROWS = 50


def say(*parts: str | tuple[str, str], to: LazyConsole = console) -> None:
    """Print one message; a ``(text, style)`` part is styled, text is never markup."""
    from rich.text import Text

    to.print(Text.assemble(*parts), soft_wrap=True)


# The readers tell Python callers which CsvOptions field to set; on the command line the
# same advice is an option.
CLI_ENCODING_HINT = (
    "pass --encoding with the file's real encoding, e.g. --encoding latin-1 or --encoding cp1252"
)


def for_the_command_line(message: str) -> str:
    """A reader's message with its advice in the command line's words.

    >>> "--encoding latin-1" in for_the_command_line(f"d.csv: bad text; {encoding_hint()}")
    True
    """
    return message.replace(encoding_hint(), CLI_ENCODING_HINT)


def fail(message: str, status: int = 2) -> typer.Exit:
    """Print ``error: message`` on stderr; the exit to raise."""
    say(("error:", "bold red"), " ", message, to=errors)
    return typer.Exit(status)


class DataFormat(StrEnum):
    csv = "csv"
    tsv = "tsv"
    parquet = "parquet"
    jsonl = "jsonl"


FormatOption = Annotated[
    DataFormat | None,
    typer.Option("--format", help="Data format; by default each file's extension decides."),
]
HeaderOption = Annotated[
    bool | None,
    typer.Option(
        "--header/--no-header",
        help="Whether CSV files start with column names (default: detect; headerless "
        "columns are named _c0, _c1, ... as SageMaker names them).",
        show_default=False,
    ),
]
DelimiterOption = Annotated[str, typer.Option(help="CSV field delimiter.")]
EncodingOption = Annotated[str, typer.Option(help="Text encoding of CSV files.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print a JSON summary for machines.")]


class Engine(StrEnum):
    local = "local"
    spark = "spark"


EngineOption = Annotated[
    Engine,
    typer.Option(
        help="Where to profile: local (this process) or spark (a Spark cluster reads the "
        "files; needs watchkeeper[spark] and Java)."
    ),
]
SparkMasterOption = Annotated[
    str,
    typer.Option(
        "--spark-master", help="Spark master URL for --engine spark, e.g. spark://host:7077."
    ),
]
SparkConfOption = Annotated[
    list[str] | None,
    typer.Option(
        "--spark-conf",
        help="A Spark option KEY=VALUE for --engine spark (repeatable), e.g. "
        "spark.executor.memory=4g.",
        show_default=False,
    ),
]
SPARK_MASTER = "local[*]"

MetricsOption = Annotated[
    str,
    typer.Option(
        envvar="WATCHKEEPER_METRICS",
        help="Where metric series go besides the catalog: none, cloudwatch (PutMetricData; "
        "Embedded Metric Format lines on stdout inside AWS Lambda; needs the "
        "cloudwatch extra), emf (EMF lines on stdout) or mlflow (a run each in MLflow's "
        "configured experiment; needs the mlflow extra). Dimensions Endpoint and "
        "MonitoringSchedule for executions, Source for file checks.",
    ),
]
MetricsNamespaceOption = Annotated[
    str | None,
    typer.Option(
        envvar="WATCHKEEPER_METRICS_NAMESPACE",
        help="CloudWatch namespace for every series (default: SageMaker's, "
        "aws/sagemaker/Endpoints/data-metrics, …/model-metrics, …; "
        "watchkeeper/landing-files for file checks).",
        show_default=False,
    ),
]
MetricsRegionOption = Annotated[
    str | None,
    typer.Option(
        envvar="WATCHKEEPER_METRICS_REGION",
        help="AWS region of CloudWatch (default: AWS_REGION, else boto3's configuration).",
        show_default=False,
    ),
]


def metrics_destination(destination: str, namespace: str | None, region: str | None):
    """The destination the --metrics options name, or None; a UsageError for a bad one."""
    from watchkeeper.integrations.cloudwatch import DESTINATIONS, metrics_from_settings

    chosen = destination.strip().lower()
    if chosen == "mlflow":
        from watchkeeper.logger.mlflow_checks import MlflowMetrics

        return MlflowMetrics()
    if chosen and chosen not in DESTINATIONS:  # CloudWatch's names, and MLflow beside them
        known = ", ".join([*DESTINATIONS, "mlflow"])
        raise UsageError(f"metrics destination {chosen!r} is not known: use {known}")
    return metrics_from_settings(destination, namespace=namespace, region=region)


@contextmanager
def engine_data(
    data: str,
    engine: Engine,
    master: str,
    confs: list[str] | None,
    format: DataFormat | None,
    csv: CsvOptions,
) -> Iterator[object]:
    """What the verbs profile: ``data`` itself, or on Spark a DataFrame of its files
    (the session is stopped when the verb is done)."""
    from watchkeeper.engines import parse_confs, spark_engine

    if engine == Engine.local:
        if master != SPARK_MASTER or confs:
            raise UsageError("--spark-master and --spark-conf need --engine spark")
        yield data
        return
    settings = parse_confs(confs or [])
    spark = spark_engine()
    session = spark.spark_session(master, settings)
    try:
        yield spark.read_spark(session, data, format=format.value if format else None, csv=csv)
    finally:
        session.stop()


def csv_options(header: bool | None, delimiter: str, encoding: str) -> CsvOptions:
    return CsvOptions(header=header, delimiter=_unescape(delimiter), encoding=encoding)


def _unescape(delimiter: str) -> str:
    return "\t" if delimiter in ("\\t", "tab") else delimiter


@contextmanager
def handled() -> Iterator[None]:
    """Turn every failure into one line on stderr and exit status 2, never a traceback."""
    if not gc.isenabled():  # turned off by `main` for the imports, which are done now
        gc.freeze()  # what the imports made is never garbage: no collection walks it again
        gc.enable()
    try:
        yield
    except WatchkeeperError as exc:
        message = for_the_command_line(str(exc))
        extra = missing_extra(exc)
        # e.g. an s3:// address read without s3fs installed; unless the message names it
        if extra is not None and f"watchkeeper[{extra}]" not in message:
            message += f"; the {extra!r} extra installs it: {install_command(extra)}"
        raise fail(message, EXIT_ERROR) from None
    except KeyboardInterrupt:
        errors.print("interrupted")
        raise typer.Exit(130) from None
    except typer.Exit:
        raise
    except Exception as exc:  # a bug, not bad input: still one line, with a way to see more
        if missing_extra(exc) is not None:
            raise  # the command tree names the command and the extra to install
        if os.environ.get("WATCHKEEPER_DEBUG"):
            raise
        raise fail(
            f"unexpected {type(exc).__name__}: {exc} "
            "(set WATCHKEEPER_DEBUG=1 to see the traceback)",
            EXIT_ERROR,
        ) from None


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A progress callback that shows a bar once reading has taken longer than a second."""
    if not enabled or not errors.is_terminal:
        yield None
        return
    started = time.monotonic()
    display: dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        if "bar" not in display:
            if time.monotonic() - started < PROGRESS_DELAY:
                return
            from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

            bar = Progress(
                "reading",
                BarColumn(),
                DownloadColumn(),
                TimeRemainingColumn(),
                console=errors.rich,
                transient=True,
            )
            bar.start()
            display["bar"], display["task"] = bar, bar.add_task("read", total=total or None)
        display["bar"].update(display["task"], completed=done, total=total or None)

    try:
        yield update
    finally:
        if "bar" in display:
            display["bar"].stop()


def print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return None
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def feature_table(rows: list[dict[str, Any]], title: str) -> Table:
    """The per-feature summary (seed report columns) as a terminal table: the first
    :data:`TABLE_ROWS` features, and a note below when there are more."""
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    if len(rows) > TABLE_ROWS:
        table.caption = f"the first {TABLE_ROWS} of {len(rows):,} features; --json lists them all"
        table.caption_justify = "left"
    columns = [
        ("feature", "feature"),
        ("type", "type"),
        ("missing_pct", "missing %"),
        ("mean", "mean"),
        ("std", "std"),
        ("min", "min"),
        ("max", "max"),
        ("distinct", "distinct"),
    ]
    for key, label in columns:
        table.add_column(label, justify="left" if key in ("feature", "type") else "right")
    for row in rows[:TABLE_ROWS]:
        table.add_row(*(_cell(row.get(key)) for key, _ in columns))
    return table
