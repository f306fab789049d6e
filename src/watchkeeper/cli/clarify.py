"""``watchkeeper clarify analysis_config.json DATA -o DIR``: a Clarify processing job."""

from __future__ import annotations

from typing import Annotated

import typer

from watchkeeper.cli._common import JsonOption, handled, print_json, say


def command(
    config: Annotated[
        str, typer.Argument(help="Clarify's analysis_config.json (its fields, a local model).")
    ],
    data: Annotated[str, typer.Argument(help="The dataset: file, folder, glob or URI.")],
    output: Annotated[
        str,
        typer.Option(
            "--output",
            "-o",
            help="Folder or URI for analysis.json, explanations_shap/out.csv and the report.",
        ),
    ],
    json: JsonOption = False,
) -> None:
    """Run the bias, SHAP and partial dependence analyses a Clarify analysis_config.json
    asks for on DATA, writing Clarify's files."""
    from watchkeeper.clarify import read_analysis_config, run_clarify

    with handled():
        result = run_clarify(read_analysis_config(config), data, output, subtitle=str(data))
        if json:
            print_json(result.files)
            return
        analysis = result.analysis
        done = [
            name
            for key, name in (
                ("pre_training_bias_metrics", "pre-training bias"),
                ("post_training_bias_metrics", "post-training bias"),
            )
            if key in analysis
        ]
        explanations = analysis.get("explanations", {})
        if "kernel_shap" in explanations:
            done.append("SHAP values")
        if "pdp" in explanations:
            done.append(f"partial dependence of {len(explanations['pdp'])} features")
        say(f"{data}: {', '.join(done)}")
        for name, uri in result.files.items():
            say(f"{name.replace('_', ' ')} written to {uri}")
