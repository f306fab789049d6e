"""``watchkeeper bias pretraining|posttraining DATA ... -o DIR``: Clarify's bias metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from watchkeeper.cli._common import (
    DelimiterOption,
    EncodingOption,
    FormatOption,
    HeaderOption,
    console,
    csv_options,
    handled,
    say,
)
from watchkeeper.errors import UsageError
from watchkeeper.io import CsvOptions

bias_app = typer.Typer(
    help="Bias metrics of a dataset (pre-training) or of a model's answers (post-training), "
    "written as SageMaker Clarify's analysis.json.",
    no_args_is_help=True,
    add_completion=False,
)

DataArgument = Annotated[str, typer.Argument(help="File, folder, glob or URI of the data.")]
LabelOption = Annotated[str, typer.Option("--label", help="The label column.")]
LabelValuesOption = Annotated[
    str | None,
    typer.Option("--label-values", help="Positive label values, comma-separated."),
]
LabelThresholdOption = Annotated[
    str | None,
    typer.Option("--label-threshold", help="Labels above this number are positive."),
]
FacetOption = Annotated[str, typer.Option("--facet", help="The column of the sensitive attribute.")]
FacetValuesOption = Annotated[
    str | None,
    typer.Option(
        "--facet-values",
        help="Values of the sensitive group, comma-separated (default: each value in turn).",
    ),
]
FacetThresholdOption = Annotated[
    str | None,
    typer.Option("--facet-threshold", help="Rows above this number form the sensitive group."),
]
GroupOption = Annotated[
    str | None,
    typer.Option("--group-variable", help="The column CDDL and CDDPL condition on."),
]
MethodsOption = Annotated[
    str, typer.Option("--methods", help="'all' or metric names, comma-separated (CI,DPL,...).")
]
OutputOption = Annotated[
    Path, typer.Option("--output", "-o", help="Folder to write analysis.json into.")
]
ColumnNamesOption = Annotated[
    str | None,
    typer.Option(
        "--column-names", help="Names for the columns of headerless CSV files, comma-separated."
    ),
]


def _values(text: str | None) -> list[str] | None:
    if text is None:
        return None
    values = [part.strip() for part in text.split(",")]
    if not any(values):
        raise UsageError(f"no values in {text!r}; give them comma-separated, e.g. 1 or a,b")
    return values


def _number(text: str | None, option: str) -> float | int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{option} must be a number, not {text!r}") from None


def _csv(header: bool | None, delimiter: str, encoding: str, names: str | None) -> CsvOptions:
    options = csv_options(header, delimiter, encoding)
    if names is None:
        return options
    return CsvOptions(
        header=options.header if options.header is not None else False,
        delimiter=options.delimiter,
        encoding=options.encoding,
        column_names=tuple(part.strip() for part in names.split(",")),
    )


def _common(
    label: str,
    label_values: str | None,
    label_threshold: str | None,
    facet: str,
    facet_values: str | None,
    facet_threshold: str | None,
) -> dict[str, Any]:
    if label_values is not None and label_threshold is not None:
        raise UsageError("give --label-values or --label-threshold, not both")
    if facet_values is not None and facet_threshold is not None:
        raise UsageError("give --facet-values or --facet-threshold, not both")
    return {
        "label": label,
        "label_values": _values(label_values),
        "label_threshold": _number(label_threshold, "--label-threshold"),
        "facet": facet,
        "facet_values": _values(facet_values),
        "facet_threshold": _number(facet_threshold, "--facet-threshold"),
    }


def _written(output, data, what: str, **section: dict[str, Any]) -> None:
    """Write analysis.json and its report, then show the metrics."""
    from watchkeeper.fairness import read_analysis, write_analysis
    from watchkeeper.report.bias_page import write_bias_report

    path = write_analysis(output, **section)
    report = write_bias_report(output, read_analysis(path), subtitle=str(data))
    [shown] = section.values()
    _show(shown, f"{data}: {what}")
    say(f"analysis written to {path}; report {report}")


def _show(section: dict[str, Any], title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left", header_style="bold")
    for heading in ("facet", "value or threshold", "metric", "value"):
        table.add_column(heading, justify="right" if heading == "value" else "left")
    for facet, splits in section["facets"].items():
        for split in splits:
            for metric in split["metrics"]:
                value = metric["value"]
                shown = f"{value:.6g}" if value is not None else f"failed: {metric['error']}"
                table.add_row(facet, split["value_or_threshold"], metric["name"], shown)
    console.print(table)


@bias_app.command("pretraining")
def pretraining(
    data: DataArgument,
    label: LabelOption,
    facet: FacetOption,
    output: OutputOption,
    label_values: LabelValuesOption = None,
    label_threshold: LabelThresholdOption = None,
    facet_values: FacetValuesOption = None,
    facet_threshold: FacetThresholdOption = None,
    group_variable: GroupOption = None,
    methods: MethodsOption = "all",
    format: FormatOption = None,
    header: HeaderOption = None,
    delimiter: DelimiterOption = ",",
    encoding: EncodingOption = "utf-8",
    column_names: ColumnNamesOption = None,
) -> None:
    """Pre-training bias of DATA's labels (CDDL, CI, DPL, JS, KL, KS, LP, TVD)."""
    from watchkeeper.fairness import pretraining_bias

    with handled():
        section = pretraining_bias(
            data,
            **_common(label, label_values, label_threshold, facet, facet_values, facet_threshold),
            group_variable=group_variable,
            methods=methods,
            format=format.value if format else None,
            csv=_csv(header, delimiter, encoding, column_names),
        )
        _written(output, data, f"pre-training bias of {label!r}", pre=section)


@bias_app.command("posttraining")
def posttraining(
    data: DataArgument,
    label: LabelOption,
    facet: FacetOption,
    output: OutputOption,
    label_values: LabelValuesOption = None,
    label_threshold: LabelThresholdOption = None,
    facet_values: FacetValuesOption = None,
    facet_threshold: FacetThresholdOption = None,
    model: Annotated[
        str | None,
        typer.Option("--model", help="Model file or module:attr to predict with."),
    ] = None,
    predicted_label: Annotated[
        str | None, typer.Option("--predicted-label", help="Column of predicted labels.")
    ] = None,
    probability: Annotated[
        str | None, typer.Option("--probability", help="Column of predicted scores.")
    ] = None,
    probability_threshold: Annotated[
        float, typer.Option("--probability-threshold", help="Scores above it are positive.")
    ] = 0.5,
    group_variable: GroupOption = None,
    methods: MethodsOption = "all",
    format: FormatOption = None,
    header: HeaderOption = None,
    delimiter: DelimiterOption = ",",
    encoding: EncodingOption = "utf-8",
    column_names: ColumnNamesOption = None,
) -> None:
    """Post-training bias of a model's answers on DATA (AD, CDDPL, DAR, ..., TE)."""
    from watchkeeper.fairness import posttraining_bias

    with handled():
        loaded = None
        if model is not None:
            from watchkeeper.model import load_model

            loaded = load_model(model)
        section = posttraining_bias(
            data,
            **_common(label, label_values, label_threshold, facet, facet_values, facet_threshold),
            predicted_label=predicted_label,
            probability=probability,
            probability_threshold=probability_threshold,
            model=loaded,
            group_variable=group_variable,
            methods=methods,
            format=format.value if format else None,
            csv=_csv(header, delimiter, encoding, column_names),
        )
        _written(output, data, f"post-training bias of {label!r}", post=section)
