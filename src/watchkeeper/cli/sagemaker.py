"""``watchkeeper sagemaker-monitor``: run as a SageMaker Model Monitor container."""

from __future__ import annotations

import typer

from watchkeeper.cli._common import console, errors, fail, handled, say


def command() -> None:
    """Run one Model Monitor job as SageMaker's bring-your-own-container contract says:
    configured by the processing job's environment (dataset_format, dataset_source,
    output_path, baseline_statistics, baseline_constraints, start_time, end_time,
    publish_cloudwatch_metrics, record_preprocessor_script, ...), writing statistics.json,
    constraints.json, constraint_violations.json, CloudWatch metric records and the
    ExitMessage. Exit status: 0 completed (with violations or not), 1 the analysis failed,
    2 the configuration is wrong."""
    from watchkeeper.integrations.sagemaker_monitor import run_from_environment

    with handled():
        result = run_from_environment()
    for note in result.notes:
        say(("warning:", "bold yellow"), " ", note, to=errors)
    if result.status:
        raise fail(result.message, result.status)
    console.print(result.message, soft_wrap=True)
    for name, where in sorted(result.files.items()):
        console.print(f"  {name}: {where}", soft_wrap=True)
    raise typer.Exit(0)
