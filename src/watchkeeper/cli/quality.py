"""``watchkeeper quality baseline`` and ``watchkeeper groundtruth upload``."""

from __future__ import annotations

from typing import Annotated

import typer

from watchkeeper.cli._common import (
    DelimiterOption,
    EncodingOption,
    FormatOption,
    HeaderOption,
    JsonOption,
    console,
    csv_options,
    handled,
    print_json,
    say,
)
from watchkeeper.errors import UsageError

quality_app = typer.Typer(help="Model quality against ground truth.", no_args_is_help=True)
groundtruth_app = typer.Typer(help="Ground-truth labels of captured traffic.", no_args_is_help=True)


# A callback keeps each app a group of commands, so `baseline` and `upload` stay
# subcommands (typer runs a lone command directly otherwise).
@quality_app.callback()
def quality() -> None:
    """Model quality against ground truth."""


@groundtruth_app.callback()
def groundtruth() -> None:
    """Ground-truth labels of captured traffic."""


@quality_app.command("baseline")
def baseline(
    data: Annotated[str, typer.Argument(help="Predictions with labels: file, folder or URI.")],
    problem_type: Annotated[
        str,
        typer.Option(help="BinaryClassification, MulticlassClassification or Regression."),
    ],
    ground_truth_attribute: Annotated[str, typer.Option(help="Column of actual labels.")],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Folder or URI for the baseline files.")
    ],
    inference_attribute: Annotated[
        str | None, typer.Option(help="Column of predicted labels or values.")
    ] = None,
    probability_attribute: Annotated[
        str | None, typer.Option(help="Column of positive-class probabilities (binary).")
    ] = None,
    probability_threshold: Annotated[
        float, typer.Option(help="Probability from which a row is predicted positive.")
    ] = 0.5,
    positive_label: Annotated[str, typer.Option(help="Positive class (binary).")] = "1",
    r2: Annotated[
        str,
        typer.Option(
            help="'standard' r2, or 'sagemaker' (divides by the spread of the predictions)."
        ),
    ] = "standard",
    seed: Annotated[int, typer.Option(help="Seed of the standard-deviation subsamples.")] = 0,
    format: FormatOption = None,
    header: HeaderOption = None,
    delimiter: DelimiterOption = ",",
    encoding: EncodingOption = "utf-8",
    json: JsonOption = False,
) -> None:
    """Model-quality baseline of DATA: statistics.json and constraints.json."""
    from watchkeeper.quality import PROBLEM_TYPES, suggest_quality_baseline

    with handled():
        if problem_type not in PROBLEM_TYPES:
            raise UsageError(
                f"--problem-type must be one of {', '.join(PROBLEM_TYPES)}, not {problem_type!r}"
            )
        made = suggest_quality_baseline(
            data,
            output,
            problem_type=problem_type,
            inference_attribute=inference_attribute,
            ground_truth_attribute=ground_truth_attribute,
            probability_attribute=probability_attribute,
            probability_threshold=probability_threshold,
            positive_label=positive_label,
            r2=r2,
            seed=seed,
            format=format.value if format else None,
            csv=csv_options(header, delimiter, encoding),
        )
        rows = made.statistics["dataset"]["item_count"]
        paths = list(made.files.values())
        if json:
            print_json({"source": data, "rows": rows, "files": paths})
            return
        say(f"{data}: {rows} rows")
        for path in paths:
            say(f"wrote {path}")


@groundtruth_app.command("upload")
def upload(
    file: Annotated[
        str, typer.Argument(help="Ground-truth JSONL, or CSV of inference id and label.")
    ],
    endpoint: Annotated[str, typer.Option(help="Endpoint the labels belong to.")],
    root: Annotated[
        str | None,
        typer.Option(
            help="Folder or URI of the ground-truth store [default: WORKSPACE/ground-truth]."
        ),
    ] = None,
    skip_bad_lines: Annotated[
        bool, typer.Option(help="Leave out lines that are not records instead of failing.")
    ] = False,
    json: JsonOption = False,
) -> None:
    """Store the labels of FILE as SageMaker's ground-truth JSONL for ENDPOINT."""
    from watchkeeper.catalog import workspace
    from watchkeeper.quality import upload_ground_truth

    with handled():
        store = root or str(workspace() / "ground-truth")
        done = upload_ground_truth(file, endpoint, store, skip_bad_lines=skip_bad_lines)
        if json:
            print_json({"uri": done.uri, "records": done.records, "bad_lines": done.bad_lines})
            return
        say(f"wrote {done.records} labels to {done.uri}")
        if done.bad_lines:
            console.print(
                f"skipped {len(done.bad_lines)} bad lines (first: line {done.bad_lines[0]})",
            )
