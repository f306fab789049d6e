"""``watchkeeper baseline DATA -o DIR``."""

from __future__ import annotations

from typing import Annotated

import typer

from watchkeeper.artifacts import CONSTRAINTS, REPORT_FILES, SAMPLE, STATISTICS
from watchkeeper.cli._common import (
    SPARK_MASTER,
    DelimiterOption,
    EncodingOption,
    EngineOption,
    FormatOption,
    HeaderOption,
    JsonOption,
    SparkConfOption,
    SparkMasterOption,
    console,
    csv_options,
    engine_data,
    feature_table,
    handled,
    print_json,
    progress_bar,
    say,
)
from watchkeeper.errors import UsageError


def command(
    data: Annotated[str, typer.Argument(help="Training data: file, folder, glob or URI.")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Folder or URI for the baseline files.")
    ],
    format: FormatOption = None,
    header: HeaderOption = None,
    delimiter: DelimiterOption = ",",
    encoding: EncodingOption = "utf-8",
    json: JsonOption = False,
    engine: EngineOption = "local",
    spark_master: SparkMasterOption = SPARK_MASTER,
    spark_conf: SparkConfOption = None,
    text: Annotated[
        list[str] | None,
        typer.Option(help="A column to judge as free text (repeatable); by default "
        "String columns of long, mostly distinct values are."),
    ] = None,
    not_text: Annotated[
        list[str] | None,
        typer.Option(help="A column never to judge as free text (repeatable)."),
    ] = None,
) -> None:
    """Build a baseline from DATA: statistics.json, constraints.json and the report
    (report.html, report.csv, report.json)."""
    from watchkeeper.api import suggest_baseline
    from watchkeeper.io.storage import join
    from watchkeeper.report.table import feature_table as table_rows

    with handled():
        options = csv_options(header, delimiter, encoding)
        both = set(text or ()) & set(not_text or ())
        if both:
            raise UsageError(f"--text and --not-text both name {', '.join(sorted(both))}")
        forced = {name: True for name in text or ()} | {name: False for name in not_text or ()}
        with (
            engine_data(data, engine, spark_master, spark_conf, format, options) as source,
            progress_bar(not json) as progress,
        ):
            baseline = suggest_baseline(
                source,
                output,
                source=data,
                format=format.value if format else None,
                csv=options,
                progress=progress,
                text_columns=forced,
            )
        rows = table_rows(baseline.statistics)
        if json:
            print_json(
                {
                    "source": data,
                    "rows": baseline.statistics.rows,
                    "baseline": output,
                    "features": rows,
                }
            )
            return
        console.print(feature_table(rows, f"{data}: {baseline.statistics.rows} rows"))
        sampled = (SAMPLE,) if baseline.sample is not None else ()
        for name in (STATISTICS, CONSTRAINTS, *REPORT_FILES.values(), *sampled):
            say(f"wrote {join(output, name)}")
