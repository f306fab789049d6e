"""``watchkeeper check DATA --baseline DIR -o DIR [--rules FILE]``."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from watchkeeper.cli._common import (
    EXIT_OK,
    EXIT_VIOLATIONS,
    SPARK_MASTER,
    TABLE_ROWS,
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
    handled,
    print_json,
    progress_bar,
    say,
)
from watchkeeper.errors import UsageError

if TYPE_CHECKING:
    from watchkeeper.checks.pipeline import CheckOutcome


class DriftMode(StrEnum):
    default = "default"
    sagemaker = "sagemaker"


class MultivariateMode(StrEnum):
    pca = "pca"
    classifier = "classifier"
    off = "off"


def command(
    data: Annotated[str, typer.Argument(help="Data to check: file, folder, glob or URI.")],
    baseline: Annotated[
        str | None,
        typer.Option(help="Baseline folder or URI (statistics.json, constraints.json)."),
    ] = None,
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Folder or URI for the results.")
    ] = None,
    rules: Annotated[str | None, typer.Option(help="Rules file (YAML).")] = None,
    drift: Annotated[
        DriftMode,
        typer.Option(
            help="default: watchkeeper's sample-size aware detector; sagemaker: Deequ's "
            "L-infinity distance against the constraints' comparison_threshold."
        ),
    ] = DriftMode.default,
    multivariate: Annotated[
        MultivariateMode,
        typer.Option(
            help="Drift across columns against the baseline's row sample. pca: "
            "reconstruction error against a calibrated band; classifier: a domain "
            "classifier's AUC and the columns that separate; off."
        ),
    ] = MultivariateMode.pca,
    format: FormatOption = None,
    header: HeaderOption = None,
    delimiter: DelimiterOption = ",",
    encoding: EncodingOption = "utf-8",
    json: JsonOption = False,
    engine: EngineOption = "local",
    spark_master: SparkMasterOption = SPARK_MASTER,
    spark_conf: SparkConfOption = None,
    mlflow: Annotated[
        bool,
        typer.Option(
            "--mlflow",
            help="Also log the report and the metric series to an MLflow run: the active "
            "one (MLFLOW_RUN_ID), else a new run in MLflow's configured experiment "
            "(MLFLOW_TRACKING_URI, MLFLOW_EXPERIMENT_NAME; needs the mlflow extra).",
        ),
    ] = False,
) -> None:
    """Check DATA against a baseline and/or rules. Exit status: 0 no violations,
    1 violations found, 2 bad input or arguments."""
    from watchkeeper.api import check

    with handled():
        if baseline is None and rules is None:
            raise UsageError("give --baseline, --rules, or both")
        if mlflow:  # a missing extra or an unusable store is said before the data is read
            from watchkeeper.logger.mlflow_runs import tracking_client

            tracking_client("watchkeeper check --mlflow")
        options = csv_options(header, delimiter, encoding)
        with (
            engine_data(data, engine, spark_master, spark_conf, format, options) as source,
            progress_bar(not json) as progress,
        ):
            outcome = check(
                source,
                baseline,
                source=data,
                rules=rules,
                output=output,
                drift=drift.value,
                multivariate=multivariate.value,
                format=format.value if format else None,
                csv=options,
                progress=progress,
            )
        if json:
            run_id = _log_to_mlflow(outcome) if mlflow else None
            print_json({**outcome.summary(), **({"mlflow_run": run_id} if run_id else {})})
        else:
            _print(outcome)  # shown even if MLflow cannot be reached after it
            if mlflow:
                say(f"MLflow run: {_log_to_mlflow(outcome)}")
    raise typer.Exit(EXIT_VIOLATIONS if outcome.violations else EXIT_OK)


def _log_to_mlflow(outcome: CheckOutcome) -> str:
    from watchkeeper.logger.mlflow_checks import log_check

    return log_check(outcome)


def _print(outcome: CheckOutcome) -> None:
    profile = outcome.profile
    say(f"{outcome.source}: {profile.rows} rows, {len(profile.columns)} columns")
    if outcome.violations:
        from rich.table import Table

        table = Table(title=f"{len(outcome.violations)} violations", title_justify="left")
        table.add_column("feature", style="bold")
        table.add_column("check")
        table.add_column("description")
        shown = outcome.violations[:TABLE_ROWS]
        if len(shown) < len(outcome.violations):
            table.caption = f"the first {len(shown)}; the report lists them all"
            table.caption_justify = "left"
        for violation in shown:
            table.add_row(
                violation.feature_name, violation.constraint_check_type, violation.description
            )
        console.print(table)
    else:
        say(("no violations", "green"))
    if outcome.multivariate is not None:
        say(f"multivariate: {outcome.multivariate.description}")
    for name, where in outcome.artifacts.items():
        say(f"{name}: {where}")
    console.print(outcome.exit_message)
