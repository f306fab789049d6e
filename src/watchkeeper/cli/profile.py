"""``watchkeeper profile DATA -o FILE``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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


def command(
    data: Annotated[str, typer.Argument(help="File, folder, glob or URI (s3://...) to profile.")],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Where to write the profile: compact binary, or JSON if the name ends in .json.",
        ),
    ],
    format: FormatOption = None,
    header: HeaderOption = None,
    delimiter: DelimiterOption = ",",
    encoding: EncodingOption = "utf-8",
    json: JsonOption = False,
    engine: EngineOption = "local",
    spark_master: SparkMasterOption = SPARK_MASTER,
    spark_conf: SparkConfOption = None,
) -> None:
    """Profile DATA and write the profile (a mergeable summary) to a file.

    The file is compact binary (say profile.wkp), or JSON when its name ends in .json.
    """
    from watchkeeper.api import profile as build
    from watchkeeper.profile import write_profile
    from watchkeeper.report.table import feature_table as table_rows

    with handled():
        options = csv_options(header, delimiter, encoding)
        with (
            engine_data(data, engine, spark_master, spark_conf, format, options) as source,
            progress_bar(not json) as progress,
        ):
            profile = build(
                source, format=format.value if format else None, csv=options, progress=progress
            )
        write_profile(profile, output)
        rows = table_rows(profile)
        if json:
            print_json(
                {"source": data, "rows": profile.rows, "profile": str(output), "features": rows}
            )
            return
        console.print(feature_table(rows, f"{data}: {profile.rows} rows"))
        say(f"profile written to {output}")
