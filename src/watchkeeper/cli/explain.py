"""``watchkeeper explain --model MODEL --data DATA (--baseline FILE | --num-clusters K) -o DIR``."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from watchkeeper.cli._common import (
    DelimiterOption,
    EncodingOption,
    HeaderOption,
    JsonOption,
    console,
    csv_options,
    handled,
    print_json,
    say,
)
from watchkeeper.errors import UsageError

if TYPE_CHECKING:
    from rich.table import Table


class AggMethod(StrEnum):
    mean_abs = "mean_abs"
    median = "median"
    mean_sq = "mean_sq"


def command(
    model: Annotated[
        str,
        typer.Option(
            "--model", "-m", help="Model file (.joblib, .pkl, .json, .onnx ...) or module:attr."
        ),
    ],
    data: Annotated[
        str, typer.Option("--data", "-d", help="Rows to explain: file, folder or URI.")
    ],
    output: Annotated[
        str,
        typer.Option(
            "--output", "-o", help="Folder or URI for analysis.json and explanations_shap/out.csv."
        ),
    ],
    baseline: Annotated[
        str | None,
        typer.Option(help="Reference rows (file or URI) that features are replaced with."),
    ] = None,
    num_clusters: Annotated[
        int | None,
        typer.Option(
            help="Make the baseline from this many k-means centres of the data "
            "(the default when no --baseline is given: 10)."
        ),
    ] = None,
    num_samples: Annotated[
        int | None,
        typer.Option(help="Feature coalitions evaluated per row (default: shap's choice)."),
    ] = None,
    agg_method: Annotated[
        AggMethod, typer.Option(help="How per-row values become global ones.")
    ] = AggMethod.mean_abs,
    seed: Annotated[int, typer.Option(help="Seed of the coalition sampling.")] = 0,
    label_headers: Annotated[
        str | None,
        typer.Option(help="Comma-separated names of the explained outputs (default label0, ...)."),
    ] = None,
    features: Annotated[
        str | None,
        typer.Option(help="Comma-separated feature columns (default: the model's, else all)."),
    ] = None,
    use_logit: Annotated[
        bool, typer.Option("--use-logit", help="Explain probabilities in log-odds.")
    ] = False,
    header: HeaderOption = None,
    delimiter: DelimiterOption = ",",
    encoding: EncodingOption = "utf-8",
    json: JsonOption = False,
) -> None:
    """Explain a model's output on DATA with Kernel SHAP, as SageMaker Clarify does."""
    from watchkeeper.explain import explain, write_explanations
    from watchkeeper.explain.output import analysis_document
    from watchkeeper.report.explanations_page import write_explanations_report

    with handled():
        if baseline is not None and num_clusters is not None:
            raise UsageError(
                "--baseline and --num-clusters cannot be used together: --num-clusters makes "
                "a baseline by clustering the data"
            )
        explanation = explain(
            model,
            data,
            baseline=baseline,
            num_clusters=num_clusters,
            num_samples=num_samples,
            agg_method=agg_method.value,
            seed=seed,
            label_headers=_names(label_headers, "--label-headers"),
            features=_names(features, "--features"),
            use_logit=use_logit,
            csv=csv_options(header, delimiter, encoding),
        )
        written = write_explanations(explanation, output)
        written["report"] = write_explanations_report(
            output, analysis_document(explanation), local=explanation, subtitle=str(data)
        )
        if json:
            print_json(
                {
                    "analysis": written["analysis"],
                    "local_values": written["local_values"],
                    "rows": len(next(iter(explanation.local_values.values()))),
                    "global_shap_values": explanation.global_values,
                    "expected_values": explanation.expected_values,
                }
            )
            return
        console.print(_table(explanation.global_values, explanation.expected_values, agg_method))
        say(f"analysis written to {written['analysis']}")


def _names(text: str | None, option: str) -> list[str] | None:
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise UsageError(f"{option} must be comma-separated non-empty names, not {text!r}")
    return names


def _table(
    global_values: dict[str, dict[str, float]],
    expected: dict[str, float],
    agg_method: AggMethod,
) -> Table:
    labels = list(global_values)
    from rich.table import Table

    table = Table(title=f"global SHAP values ({agg_method.value})", title_justify="left")
    table.add_column("feature")
    for label in labels:
        table.add_column(label, justify="right")
    features = list(global_values[labels[0]])
    # the most influential feature first, as judged on the first label
    features.sort(key=lambda feature: -global_values[labels[0]][feature])
    for feature in features:
        table.add_row(feature, *(f"{global_values[label][feature]:.6g}" for label in labels))
    table.add_row("(expected value)", *(f"{expected[label]:.6g}" for label in labels))
    return table
