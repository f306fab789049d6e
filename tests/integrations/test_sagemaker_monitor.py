"""``watchkeeper sagemaker-monitor``: SageMaker Model Monitor's container contract, run on
real capture folders laid out as SageMaker copies them, configured only by environment."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from record_scripts import (
    END,
    ENDPOINT,
    POSITIONAL_PREPROCESSOR,
    POST_ANALYTICS,
    PREPROCESSOR,
    START,
    in_window,
    script,
    scripted_traffic,
    traffic,
    write_capture,
)
from watchkeeper.integrations.sagemaker_monitor import run_from_environment

SCHEDULE = "churn-hourly"
CAPTURE_FORMAT = json.dumps(
    {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
)
FEATURES = ["score", "tenure", "monthly_charge", "plan"]


def environment(tmp_path: Path, source: Path, output: Path, **more: str) -> dict[str, str]:
    return {
        "dataset_format": CAPTURE_FORMAT,
        "dataset_source": str(source),
        "output_path": str(output),
        "sagemaker_endpoint_name": ENDPOINT,
        "sagemaker_monitoring_schedule_name": SCHEDULE,
        "start_time": f"{START:%Y-%m-%dT%H:%M:%SZ}",
        "end_time": f"{END:%Y-%m-%dT%H:%M:%SZ}",
        "publish_cloudwatch_metrics": "Enabled",
        "WATCHKEEPER_SAGEMAKER_METRICS_DIR": str(tmp_path / "metrics"),
        "WATCHKEEPER_SAGEMAKER_MESSAGE": str(tmp_path / "message"),
        "WATCHKEEPER_SAGEMAKER_JOB_CONFIG": str(tmp_path / "processingjobconfig.json"),
        **more,
    }


def metric_records(tmp_path: Path) -> list[dict]:
    text = (tmp_path / "metrics" / "data-metrics.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


@pytest.fixture
def clean_run(tmp_path):
    """A clean window judged without a baseline: its statistics and constraints."""
    source = tmp_path / "clean"
    write_capture(source, START, in_window(traffic(200, seed=1)))
    output = tmp_path / "baseline"
    result = run_from_environment(environment(tmp_path, source, output))
    return tmp_path, output, result


def test_a_clean_window_without_a_baseline_writes_statistics_and_constraints(clean_run):
    tmp_path, output, result = clean_run
    assert result.status == 0, result.message
    assert sorted(os.listdir(output)) == ["constraints.json", "statistics.json"]
    statistics = json.loads((output / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 200
    assert [feature["name"] for feature in statistics["features"]] == FEATURES
    constraints = json.loads((output / "constraints.json").read_text())
    assert {f["name"]: f["inferred_type"] for f in constraints["features"]} == {
        "score": "Fractional", "tenure": "Integral", "monthly_charge": "Fractional",
        "plan": "String",
    }  # fmt: skip
    message = "Completed: Job completed successfully with no violations."
    assert result.message == message
    assert (tmp_path / "message").read_text() == message
    names = {record["MetricName"] for record in metric_records(tmp_path)}
    assert names == {f"feature_{kind}_{name}" for kind in ("data", "non_null")
                     for name in FEATURES if not (kind == "data" and name == "plan")}  # fmt: skip


def test_a_shifted_window_names_only_the_shifted_feature_through_the_command(clean_run):
    tmp_path, baseline, _ = clean_run
    source = tmp_path / "shifted"
    write_capture(source, START, in_window(traffic(200, seed=2, shift=40.0)))
    output = tmp_path / "output"
    env = environment(
        tmp_path, source, output,
        baseline_statistics=str(baseline / "statistics.json"),
        baseline_constraints=str(baseline / "constraints.json"),
    )  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "watchkeeper", "sagemaker-monitor"],
        env={**os.environ, **env, "NO_COLOR": "1"}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    message = "CompletedWithViolations: Job completed successfully with 1 violations."
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == message
    assert (tmp_path / "message").read_text() == message
    assert sorted(os.listdir(output)) == [
        "constraint_violations.json", "constraints.json", "statistics.json",
    ]  # fmt: skip
    [violation] = json.loads((output / "constraint_violations.json").read_text())["violations"]
    assert violation["feature_name"] == "monthly_charge"
    assert violation["constraint_check_type"] == "baseline_drift_check"
    records = metric_records(tmp_path)
    for record in records:
        assert record["Timestamp"] == "2026-11-20T10:00:00Z"
        assert record["Dimensions"] == [
            {"Name": "Endpoint", "Value": ENDPOINT},
            {"Name": "MonitoringSchedule", "Value": SCHEDULE},
        ]
        assert ("Value" in record) != ("StatisticValues" in record)
    by_name = {record["MetricName"]: record for record in records}
    prefix = "feature_baseline_drift_"
    drift = {name.removeprefix(prefix): record["Value"]
             for name, record in by_name.items() if name.startswith(prefix)}  # fmt: skip
    assert set(drift) == set(FEATURES)
    assert drift["monthly_charge"] > 0.5 and max(drift.values()) == drift["monthly_charge"]
    charges = by_name["feature_data_monthly_charge"]["StatisticValues"]
    assert charges["SampleCount"] == 200 and 95 < charges["Sum"] / 200 < 105
    assert by_name["feature_non_null_plan"]["Value"] == 1.0


def test_records_outside_the_window_are_ignored(tmp_path):
    source = tmp_path / "capture"
    inside = in_window(traffic(50, seed=3))
    outlier = ({"tenure": 1, "monthly_charge": 5000.0, "plan": "gold"}, 0.5)
    write_capture(source, START, inside)
    # the hour before (copied, as SageMaker may), a late writer's file, and the next hour
    write_capture(source, START - dt.timedelta(hours=1),
                  [(START - dt.timedelta(minutes=30), *outlier)])  # fmt: skip
    write_capture(source, START, [(END, *outlier), (END + dt.timedelta(minutes=5), *outlier)],
                  name="59-59-000-b.jsonl")  # fmt: skip
    write_capture(source, END, [(END + dt.timedelta(minutes=1), *outlier)])
    output = tmp_path / "output"
    result = run_from_environment(environment(tmp_path, source, output))
    assert result.status == 0, result.message
    statistics = json.loads((output / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 50
    by_name = {feature["name"]: feature for feature in statistics["features"]}
    assert by_name["monthly_charge"]["numerical_statistics"]["max"] < 200
    buckets = by_name["plan"]["string_statistics"]["distribution"]["categorical"]["buckets"]
    assert "gold" not in {bucket["value"] for bucket in buckets}


def test_an_empty_window_fails_with_its_reason(tmp_path):
    source = tmp_path / "capture"
    write_capture(source, START, [(END + dt.timedelta(minutes=5), {"tenure": 1}, 0.1)])
    result = run_from_environment(environment(tmp_path, source, tmp_path / "output"))
    assert result.status == 1
    expected = "no captured records for churn between 2026-11-20T09:00:00Z and 2026-11-20T10:00:00Z"
    assert result.message == expected
    assert (tmp_path / "message").read_text() == f"Failed: {expected}"
    assert not (tmp_path / "output").exists()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"dataset_format": "{csv"}, "environment variable dataset_format: not JSON"),
        ({"dataset_format": '{"avro": {}}'}, "environment variable dataset_format: 'avro'"),
        ({"output_path": ""}, "environment variable output_path is not set"),
        ({"start_time": "yesterday"}, "environment variable start_time: 'yesterday' is not a"),
        ({"publish_cloudwatch_metrics": "Yes"}, "environment variable publish_cloudwatch_metrics"),
        ({"baseline_statistics": "/nowhere/statistics.json"},
         "environment variable baseline_statistics: /nowhere/statistics.json is not a file"),
        ({"analysis_type": "MODEL_BIAS"}, "environment variable analysis_type: 'MODEL_BIAS'"),
        ({"analysis_type": "MODEL_QUALITY"}, "environment variable problem_type: ''"),
        ({"analysis_type": "MODEL_QUALITY", "problem_type": "Regression"},
         "environment variable ground_truth_attribute is not set"),
        ({"analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
          "ground_truth_attribute": "label", "probability_attribute": "p",
          "probability_threshold_attribute": "2"},
         "environment variable probability_threshold_attribute: '2'"),
    ],
)  # fmt: skip
def test_a_wrong_environment_is_one_line_naming_the_variable(tmp_path, change, named):
    (tmp_path / "capture").mkdir()
    env = {**environment(tmp_path, tmp_path / "capture", tmp_path / "output"), **change}
    result = run_from_environment(env)
    assert result.status == 2
    assert result.message.startswith(named), result.message
    assert "\n" not in result.message
    assert (tmp_path / "message").read_text() == f"Failed: {result.message}"


def test_the_processing_job_config_supplies_what_the_environment_does_not(tmp_path):
    source = tmp_path / "capture"
    write_capture(source, START, in_window(traffic(20, seed=4)))
    env = environment(tmp_path, source, tmp_path / "ignored")
    moved = {name: env.pop(name) for name in ("dataset_format", "output_path", "start_time")}
    moved["output_path"] = str(tmp_path / "output")
    config = {"ProcessingJobName": "job", "Environment": moved}
    (tmp_path / "processingjobconfig.json").write_text(json.dumps(config))
    env["output_path"] = str(tmp_path / "wins")  # the environment overrides the file
    result = run_from_environment(env)
    assert result.status == 0, result.message
    assert (tmp_path / "wins" / "statistics.json").is_file()
    (tmp_path / "processingjobconfig.json").write_text("{not json")
    broken = run_from_environment(env)
    assert broken.status == 2
    assert broken.message.startswith(f"{tmp_path / 'processingjobconfig.json'}: not a JSON")


def test_batch_transform_data_is_read_as_its_format_says(tmp_path):
    source = tmp_path / "batch"
    source.mkdir()
    (source / "part-0.csv").write_text("0.5,3,61.5\n0.25,7,58.0\n")
    (source / "part-1.csv").write_text("0.75,12,70.25\n")
    env = environment(tmp_path, source, tmp_path / "output",
                      dataset_format='{"csv": {"header": false}}')  # fmt: skip
    for name in ("sagemaker_endpoint_name", "start_time", "end_time"):
        env.pop(name)
    result = run_from_environment(env)
    assert result.status == 0, result.message
    statistics = json.loads((tmp_path / "output" / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == 3
    assert [feature["name"] for feature in statistics["features"]] == ["_c0", "_c1", "_c2"]
    assert metric_records(tmp_path)[0]["Dimensions"] == [
        {"Name": "MonitoringSchedule", "Value": SCHEDULE}
    ]


def test_the_scripts_drop_split_and_fail_records_and_write_beside_the_analysis(tmp_path):
    source = tmp_path / "capture"
    rows = scripted_traffic(source)
    output = tmp_path / "output"
    env = environment(
        tmp_path, source, output,
        record_preprocessor_script=script(tmp_path, "preprocessor.py", PREPROCESSOR),
        post_analytics_processor_script=script(tmp_path, "postprocessor.py", POST_ANALYTICS),
    )  # fmt: skip
    result = run_from_environment(env)
    assert result.status == 0, result.message
    statistics = json.loads((output / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == rows == 16
    assert [feature["name"] for feature in statistics["features"]] == FEATURES
    assert (output / "summary.txt").read_text() == f"{SCHEDULE}: 16 rows\n"
    [note] = result.notes
    assert note == (
        "the record preprocessor failed on 1 record(s): "
        "record 30-00-0: ValueError: cannot read this request"
    )


def test_positional_keys_are_matched_to_the_baseline_by_position(clean_run):
    tmp_path, baseline, _ = clean_run
    source = tmp_path / "positional"
    write_capture(source, START, in_window(traffic(100, seed=6)))
    output = tmp_path / "output"
    env = environment(
        tmp_path, source, output,
        baseline_statistics=str(baseline / "statistics.json"),
        baseline_constraints=str(baseline / "constraints.json"),
        record_preprocessor_script=script(tmp_path, "p.py", POSITIONAL_PREPROCESSOR),
    )  # fmt: skip
    result = run_from_environment(env)
    assert result.message == "Completed: Job completed successfully with no violations."
    statistics = json.loads((output / "statistics.json").read_text())
    assert [feature["name"] for feature in statistics["features"]] == FEATURES
    assert json.loads((output / "constraint_violations.json").read_text()) == {"violations": []}


@pytest.mark.parametrize(
    ("text", "variable", "reason"),
    [
        ("def preprocess_handler(record):\n    return (\n", "record_preprocessor_script",
         "cannot be loaded: SyntaxError"),
        ("def handler(record):\n    return {}\n", "record_preprocessor_script",
         "defines no function preprocess_handler()"),
        ("raise SystemExit(3)\n", "post_analytics_processor_script",
         "cannot be loaded: SystemExit: 3"),
    ],
)  # fmt: skip
def test_a_script_that_cannot_load_is_one_line_naming_it(tmp_path, text, variable, reason):
    source = tmp_path / "capture"
    write_capture(source, START, in_window(traffic(5, seed=7)))
    path = script(tmp_path, "user.py", text)
    result = run_from_environment(
        environment(tmp_path, source, tmp_path / "output", **{variable: path})
    )
    assert result.status == 2
    assert result.message.startswith(f"script {path} {reason}"), result.message
    assert not (tmp_path / "output").exists()


def test_a_post_analytics_script_that_raises_fails_the_job_after_the_files(tmp_path):
    source = tmp_path / "capture"
    write_capture(source, START, in_window(traffic(5, seed=8)))
    path = script(tmp_path, "post.py", "def postprocess_handler():\n    1 / 0\n")
    result = run_from_environment(environment(
        tmp_path, source, tmp_path / "output", post_analytics_processor_script=path
    ))  # fmt: skip
    assert result.status == 1
    assert result.message == (
        f"post-analytics script {path} failed: ZeroDivisionError: division by zero"
    )
    assert (tmp_path / "output" / "statistics.json").is_file()


def labelled(path: Path, truth: list[int], probability: list[float]) -> None:
    lines = ["label,prediction,probability"] + [
        f"{y},{int(p >= 0.5)},{p}" for y, p in zip(truth, probability, strict=True)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def test_model_quality_of_a_labelled_batch_against_its_baseline(tmp_path):
    rng = np.random.default_rng(9)
    truth = rng.integers(0, 2, 300).tolist()
    good = [round(0.8 * y + 0.2 * float(rng.uniform()), 3) for y in truth]
    quality = {"analysis_type": "MODEL_QUALITY", "problem_type": "BinaryClassification",
               "ground_truth_attribute": "label", "inference_attribute": "prediction",
               "probability_attribute": "probability", "dataset_format": '{"csv": {}}'}  # fmt: skip
    labelled(tmp_path / "good" / "part.csv", truth, good)
    env = environment(tmp_path, tmp_path / "good", tmp_path / "baseline", **quality)
    first = run_from_environment(env)
    assert first.message == "Completed: Job completed successfully with no violations."
    statistics = json.loads((tmp_path / "baseline" / "statistics.json").read_text())
    assert statistics["binary_classification_metrics"]["accuracy"]["value"] == 1.0
    # half the predictions turned around
    worse = [p if i % 2 else round(1 - p, 3) for i, p in enumerate(good)]
    labelled(tmp_path / "worse" / "part.csv", truth, worse)
    constraints = str(tmp_path / "baseline" / "constraints.json")
    env = environment(tmp_path, tmp_path / "worse", tmp_path / "output", **quality,
                      baseline_constraints=constraints)  # fmt: skip
    second = run_from_environment(env)
    assert second.status == 0, second.message
    violations = json.loads((tmp_path / "output" / "constraint_violations.json").read_text())
    names = {violation["metric_name"] for violation in violations["violations"]}
    assert {"accuracy", "f1", "auc"} <= names
    assert second.message == (
        f"CompletedWithViolations: Job completed successfully with {len(names)} violations."
    )
    accuracy = {r["MetricName"]: r for r in metric_records(tmp_path)}["accuracy"]
    assert accuracy["Value"] == 0.5
    assert accuracy["Dimensions"] == [
        {"Name": "Endpoint", "Value": ENDPOINT}, {"Name": "MonitoringSchedule", "Value": SCHEDULE}
    ]
