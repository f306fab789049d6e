"""``watchkeeper explain`` end to end on files."""

from __future__ import annotations

import json

import joblib
import pytest
import typer
from explain_samples import SCHOLARSHIP_FEATURES, scholarship, scholarship_model
from typer.testing import CliRunner

from watchkeeper.cli.explain import command

app = typer.Typer()
app.command("explain")(command)
# a second command keeps typer from collapsing the app into its only command
app.command("other")(lambda: None)
runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explain")
    frame = scholarship()
    joblib.dump(scholarship_model(frame), folder / "model.joblib")
    frame.iloc[:10].to_csv(folder / "data.csv", index=False)
    frame.iloc[100:103].to_csv(folder / "baseline.csv", index=False)
    return folder


def run(*args: str):
    return runner.invoke(app, ["explain", *args])


def test_explain_with_baseline_writes_clarify_files(files, tmp_path):
    out = tmp_path / "report"
    result = run(
        "--model", str(files / "model.joblib"),
        "--data", str(files / "data.csv"),
        "--baseline", str(files / "baseline.csv"),
        "--num-samples", "30",
        "--label-headers", "approved",
        "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = json.loads((out / "analysis.json").read_text())
    entry = document["explanations"]["kernel_shap"]["approved"]
    assert list(entry["global_shap_values"]) == SCHOLARSHIP_FEATURES
    header = (out / "explanations_shap" / "out.csv").read_text().splitlines()[0]
    assert header == ",".join(SCHOLARSHIP_FEATURES)
    assert "analysis written to" in result.stdout and "math" in result.stdout


def test_explain_with_clusters_and_json_summary(files, tmp_path):
    args = [
        "--model", str(files / "model.joblib"),
        "--data", str(files / "data.csv"),
        "--num-clusters", "3",
        "--num-samples", "20",
        "--agg-method", "median",
        "--seed", "4",
        "--json",
    ]  # fmt: skip
    first = run(*args, "-o", str(tmp_path / "a"))
    second = run(*args, "-o", str(tmp_path / "b"))
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    summary = json.loads(first.stdout)
    assert summary["rows"] == 10 and set(summary["global_shap_values"]) == {"label0"}
    assert (tmp_path / "a" / "analysis.json").read_bytes() == (
        tmp_path / "b" / "analysis.json"
    ).read_bytes()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--baseline", "BASELINE", "--num-clusters", "2"], "cannot be used together"),
        (["--num-samples", "0"], "num_samples must be a positive whole number"),
        (["--label-headers", "a,b"], "label_headers must name the 1 explained output"),
        (["--label-headers", "a,,b"], "--label-headers must be comma-separated"),
        (["--features", "math,grade"], "not the features the model takes"),
        (["--num-clusters", "50"], "has only 10 rows"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(files, tmp_path, extra, message):
    extra = [str(files / "baseline.csv") if arg == "BASELINE" else arg for arg in extra]
    out = tmp_path / "never"
    result = run(
        "--model", str(files / "model.joblib"), "--data", str(files / "data.csv"),
        *extra, "-o", str(out),
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_missing_files_and_bad_choices(files, tmp_path):
    missing = run("--model", str(tmp_path / "nope.joblib"), "--data", str(files / "data.csv"),
                  "-o", str(tmp_path / "o"))  # fmt: skip
    assert missing.exit_code == 2 and "nope.joblib" in missing.stderr
    no_data = run("--model", str(files / "model.joblib"), "--data", str(tmp_path / "no.csv"),
                  "-o", str(tmp_path / "o"))  # fmt: skip
    assert no_data.exit_code == 2 and "no.csv" in no_data.stderr
    bad_method = run("--model", str(files / "model.joblib"), "--data", str(files / "data.csv"),
                     "--agg-method", "mean", "-o", str(tmp_path / "o"))  # fmt: skip
    assert bad_method.exit_code == 2 and "mean_abs" in bad_method.stderr
    assert not (tmp_path / "o").exists()
