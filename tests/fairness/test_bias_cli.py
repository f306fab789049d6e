"""``watchkeeper bias``: files written, a short table, one-line errors with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

from watchkeeper.cli.bias import bias_app

CLARIFY = Path(__file__).parents[1] / "data" / "sagemaker" / "pipeline" / "clarify_check_step"
runner = CliRunner()


@pytest.fixture
def scholarship(tmp_path) -> Path:
    """Applicants for a scholarship: fewer women (sex 0), approved less often."""
    rng = np.random.default_rng(7)
    rows = 1_000
    sex = (rng.uniform(size=rows) < 0.7).astype(int)
    math_score = rng.integers(40, 100, rows)
    science = rng.integers(40, 100, rows)
    approved = ((math_score + science) / 2 + 8 * sex + rng.normal(0, 8, rows) > 75).astype(int)
    frame = pd.DataFrame({"approved": approved, "sex": sex, "math": math_score, "science": science})
    model = LogisticRegression(max_iter=1_000).fit(frame[["sex", "math", "science"]], approved)
    frame["score"] = np.round(model.predict_proba(frame[["sex", "math", "science"]])[:, 1], 4)
    frame["predicted"] = (frame["score"] > 0.5).astype(int)
    path = tmp_path / "applicants.csv"
    frame.to_csv(path, index=False)
    joblib.dump(model, tmp_path / "model.joblib")
    return path


def _metrics(path: Path, section: str) -> dict[str, float | None]:
    document = json.loads((path / "analysis.json").read_text())
    facets = document[section]["facets"]
    (splits,) = facets.values()
    return {metric["name"]: metric["value"] for metric in splits[0]["metrics"]}


def test_pretraining_writes_analysis_and_prints_a_table(scholarship, tmp_path):
    out = tmp_path / "pre"
    result = runner.invoke(
        bias_app,
        [
            "pretraining",
            str(scholarship),
            "--label",
            "approved",
            "--label-values",
            "1",
            "--facet",
            "sex",
            "--facet-values",
            "0",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = _metrics(out, "pre_training_bias_metrics")
    assert list(metrics) == ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    assert metrics["CI"] > 0.3  # women are the smaller group
    assert metrics["DPL"] > 0  # and approved less often
    assert metrics["CDDL"] is None  # no group variable
    assert "DPL" in result.output and "analysis.json" in result.output


def test_golden_dataset_through_the_command(tmp_path):
    out = tmp_path / "golden"
    result = runner.invoke(
        bias_app,
        [
            "pretraining",
            str(CLARIFY / "dataset.csv"),
            "--column-names",
            "Label,F1,F2,F3,F4",
            "--label",
            "Label",
            "--label-values",
            "1",
            "--facet",
            "F1",
            "--facet-threshold",
            "0.5",
            "--group-variable",
            "F2",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    ours = json.loads((out / "analysis.json").read_text())
    expected = json.loads((CLARIFY / "data_bias" / "good_cases" / "analysis.json").read_text())
    section = ours["pre_training_bias_metrics"]
    assert section["facets"]["F1"][0]["value_or_threshold"] == "(0.5, 0.9936148802477393]"
    for mine, theirs in zip(
        section["facets"]["F1"][0]["metrics"],
        expected["pre_training_bias_metrics"]["facets"]["F1"][0]["metrics"],
        strict=True,
    ):
        assert mine["value"] == pytest.approx(theirs["value"], rel=1e-12)


@pytest.mark.parametrize(
    "answers",
    [
        ["--predicted-label", "predicted"],
        ["--probability", "score", "--probability-threshold", "0.5"],
        ["--model", "MODEL"],
    ],
    ids=["predicted-label", "probability", "model"],
)
def test_posttraining_from_each_kind_of_answer(scholarship, tmp_path, answers):
    # The model names its features, so it is given only those of the file's columns.
    answers = [str(scholarship.parent / "model.joblib") if a == "MODEL" else a for a in answers]
    out = tmp_path / "post"
    result = runner.invoke(
        bias_app,
        [
            "posttraining",
            str(scholarship),
            "--label",
            "approved",
            "--label-values",
            "1",
            "--facet",
            "sex",
            "--facet-values",
            "0",
            "--group-variable",
            "science",
            "--methods",
            "DPPL,DI,AD,FT",
            *answers,
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = _metrics(out, "post_training_bias_metrics")
    assert list(metrics) == ["AD", "DI", "DPPL", "FT"]
    assert metrics["DPPL"] > 0 and metrics["DI"] < 1


def test_the_three_kinds_of_answer_agree(scholarship, tmp_path):
    outputs = []
    for index, answers in enumerate(
        [["--predicted-label", "predicted"], ["--probability", "score"]]
    ):
        out = tmp_path / f"post{index}"
        result = runner.invoke(
            bias_app,
            [
                "posttraining",
                str(scholarship),
                "--label",
                "approved",
                "--label-values",
                "1",
                "--facet",
                "sex",
                "--facet-values",
                "0",
                "--methods",
                "DPPL,DI,RD,SD",
                *answers,
                "-o",
                str(out),
            ],
        )
        assert result.exit_code == 0, result.output
        outputs.append(_metrics(out, "post_training_bias_metrics"))
    assert outputs[0] == outputs[1]


BAD = [
    (["--label", "nope", "--label-values", "1", "--facet", "sex"], "'nope'"),
    (["--label", "approved", "--label-values", "7", "--facet", "sex"], "label values 7"),
    (["--label", "approved", "--label-values", "1", "--facet", "gender"], "'gender'"),
    (["--label", "approved", "--facet", "sex"], "label_values or label_threshold"),
    (
        [
            "--label",
            "approved",
            "--label-values",
            "1",
            "--label-threshold",
            "0.5",
            "--facet",
            "sex",
        ],
        "not both",
    ),
    (
        [
            "--label",
            "approved",
            "--label-values",
            "1",
            "--facet",
            "sex",
            "--facet-values",
            "0",
            "--facet-threshold",
            "0.5",
        ],
        "not both",
    ),
    (
        ["--label", "approved", "--label-values", "1", "--facet", "sex", "--facet-values", "9"],
        "facet values 9",
    ),
    (
        ["--label", "approved", "--label-values", "1", "--facet", "sex", "--methods", "CI,XYZ"],
        "XYZ",
    ),
    (["--label", "approved", "--label-threshold", "high", "--facet", "sex"], "'high'"),
    (
        [
            "--label",
            "approved",
            "--label-values",
            "1",
            "--facet",
            "sex",
            "--group-variable",
            "region",
        ],
        "'region'",
    ),
]


@pytest.mark.parametrize(("options", "named"), BAD, ids=[named for _, named in BAD])
def test_bad_input_is_one_line_exit_2_and_no_output(scholarship, tmp_path, options, named):
    out = tmp_path / "never"
    result = runner.invoke(bias_app, ["pretraining", str(scholarship), *options, "-o", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_posttraining_needs_exactly_one_kind_of_answer(scholarship, tmp_path):
    out = tmp_path / "never"
    result = runner.invoke(
        bias_app,
        [
            "posttraining",
            str(scholarship),
            "--label",
            "approved",
            "--label-values",
            "1",
            "--facet",
            "sex",
            "--predicted-label",
            "predicted",
            "--probability",
            "score",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "exactly one" in result.stderr and not out.exists()


def test_missing_data_file(tmp_path):
    out = tmp_path / "never"
    result = runner.invoke(
        bias_app,
        [
            "pretraining",
            str(tmp_path / "nope.csv"),
            "--label",
            "y",
            "--label-values",
            "1",
            "--facet",
            "f",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 2
    assert "nope.csv" in result.stderr and not out.exists()
