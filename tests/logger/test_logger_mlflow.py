"""Profiles and check outcomes logged to MLflow, read back from a real tracking store.

Every test has a file-based tracking store of its own in ``tmp_path``, named the way
users name theirs (``MLFLOW_TRACKING_URI``); what was logged is read back with MLflow's
own client, and compared with the figures watchkeeper computes for the same rows.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import sys
from pathlib import Path

import mlflow
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from mlflow.tracking import MlflowClient
from mlflow.utils.validation import path_not_unique, validate_param_and_metric_name
from typer.testing import CliRunner

import watchkeeper
from fuzzing import fuzz_settings
from watchkeeper.checks.metrics import metric_points
from watchkeeper.cli import app
from watchkeeper.datasets.segments import segment_key
from watchkeeper.errors import UsageError
from watchkeeper.logger import Logger, close_all
from watchkeeper.logger.mlflow_checks import log_check
from watchkeeper.logger.mlflow_runs import metric_key
from watchkeeper.profile import DatasetProfile, read_profile
from watchkeeper.report.table import feature_table

UTC = dt.UTC
ROWS = {
    "age": [31.0, 45.0, None, 27.0, 45.0],
    "income": [52_000, 61_000, 58_500, 49_000, 75_250],
    "country": ["DE", "FR", "DE", None, "IT"],
}
MISSING_EXTRA = "needs the 'mlflow' extra: pip install 'watchkeeper[mlflow]'"


@pytest.fixture
def store(tmp_path, monkeypatch) -> MlflowClient:
    """A tracking store in ``tmp_path``, configured as MLflow reads it; its client."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    # MLflow 3 asks for an explicit yes to a file store, which needs no server
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_NAME", raising=False)
    monkeypatch.delenv("MLFLOW_EXPERIMENT_ID", raising=False)
    yield MlflowClient()
    close_all()
    while mlflow.active_run() is not None:
        mlflow.end_run()


class Clock:
    def __init__(self, moment: dt.datetime) -> None:
        self.now = moment.timestamp()

    def __call__(self) -> float:
        return self.now


def expected_metrics(profile: DatasetProfile, prefix: str) -> dict[str, float]:
    """The summary figures as the feature table states them, by hand."""
    figures = {"count": "rows", "mean": "mean", "std": "std", "min": "min", "max": "max"}
    figures["distinct"] = "distinct"
    metrics = {}
    for row in feature_table(profile):
        for figure, field in figures.items():
            if row[field] is not None:
                metrics[f"{prefix}.{row['feature']}.{figure}"] = float(row[field])
        metrics[f"{prefix}.{row['feature']}.null_fraction"] = row["missing_pct"] / 100
    metrics[f"{prefix}.rows"] = float(profile.rows)
    return metrics


def downloaded(client: MlflowClient, run_id: str, folder: str, into: Path) -> dict[str, Path]:
    names = [entry.path for entry in client.list_artifacts(run_id, folder)]
    return {
        Path(name).suffix: Path(mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=name, dst_path=str(into)
        ))
        for name in names
    }  # fmt: skip


def test_a_profile_logged_in_the_active_run_reads_back_with_its_figures(store, tmp_path):
    frame = pd.DataFrame(ROWS)
    clock = Clock(dt.datetime(2024, 5, 1, 10, 2, tzinfo=UTC))
    with mlflow.start_run() as run:
        logger = watchkeeper.log(frame, "credit", to="mlflow", clock=clock)
        assert logger.flush()
    assert logger.shipped == 1 and logger.dropped == 0

    expected = DatasetProfile()
    expected.track(pa.Table.from_pandas(frame, preserve_index=False))
    logged = store.get_run(run.info.run_id)
    assert logged.data.metrics == pytest.approx(expected_metrics(expected, "watchkeeper.credit"))
    assert logged.data.metrics["watchkeeper.credit.age.null_fraction"] == 0.2
    assert logged.data.metrics["watchkeeper.credit.country.distinct"] == 3
    assert "watchkeeper.credit.country.mean" not in logged.data.metrics
    # stamped with the start of the profile's window, which the files are named after
    window = int(dt.datetime(2024, 5, 1, 10, 0, tzinfo=UTC).timestamp() * 1000)
    [point] = store.get_metric_history(run.info.run_id, "watchkeeper.credit.age.mean")
    assert point.timestamp == window

    files = downloaded(store, run.info.run_id, "watchkeeper/credit", tmp_path / "back")
    assert sorted(files) == [".json", ".wkp"]
    assert files[".wkp"].name.startswith("20240501T100000000Z-")
    for path in files.values():
        profile = read_profile(path)
        assert feature_table(profile) == feature_table(expected)
        assert profile.metadata["dataset"] == "credit"
    assert json.loads(files[".json"].read_text())["rows"] == 5


def test_without_an_active_run_each_profile_gets_a_finished_run_of_its_own(store, monkeypatch):
    # the experiment as MLflow's environment names it (set_experiment would outlive the test)
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", store.create_experiment("scoring"))
    clock = Clock(dt.datetime(2024, 5, 1, 10, 2, tzinfo=UTC))
    with Logger("scoring", to="mlflow", rotation="5m", clock=clock) as logger:
        logger.log({"score": [0.25, 0.75]})
        clock.now += 300  # the next window
        logger.log({"score": [0.5]})
    assert logger.shipped == 2

    experiment = store.get_experiment_by_name("scoring")
    runs = store.search_runs([experiment.experiment_id], order_by=["attributes.start_time"])
    assert [run.info.run_name for run in runs] == [
        "scoring 2024-05-01T10:00:00.000Z",
        "scoring 2024-05-01T10:05:00.000Z",
    ]
    assert {run.info.status for run in runs} == {"FINISHED"}
    assert {run.data.tags["watchkeeper.dataset"] for run in runs} == {"scoring"}
    assert [run.data.metrics["watchkeeper.scoring.score.mean"] for run in runs] == [0.5, 0.5]
    assert [run.data.metrics["watchkeeper.scoring.rows"] for run in runs] == [2.0, 1.0]


def test_a_new_active_run_gets_a_logger_of_its_own(store):
    with mlflow.start_run() as first:
        one = watchkeeper.log({"x": [1.0, 2.0]}, "features", to="mlflow")
    with mlflow.start_run() as second:
        two = watchkeeper.log({"x": [10.0]}, "features", to="mlflow")
    assert one is not two
    assert one.to == f"mlflow run {first.info.run_id}"
    close_all()  # ships both, after their runs ended: MLflow keeps ended runs open to metrics
    means = [
        store.get_run(run.info.run_id).data.metrics["watchkeeper.features.x.mean"]
        for run in (first, second)
    ]
    assert means == [1.5, 10.0]


def test_watchkeeper_url_may_name_mlflow(store, monkeypatch):
    monkeypatch.setenv("WATCHKEEPER_URL", "mlflow")
    with mlflow.start_run() as run:
        logger = watchkeeper.log({"x": [2.0, 4.0]}, "configured")
        assert logger.flush()
    assert logger.to == f"mlflow run {run.info.run_id}"
    assert store.get_run(run.info.run_id).data.metrics["watchkeeper.configured.x.mean"] == 3.0


def test_segments_and_names_mlflow_refuses_become_distinct_legal_metrics(store):
    rows = {"region": ["eu/west", "eu/west", "us"], "a b": [1.0, 2.0, 3.0], "a_b": [4.0, 5, 6]}
    with mlflow.start_run() as run:
        logger = watchkeeper.log(rows, "m", to="mlflow", segment_columns=["region"])
        assert logger.flush()
    metrics = store.get_run(run.info.run_id).data.metrics
    west = metric_key(segment_key({"region": "eu/west"}, ["region"]))
    us = metric_key(segment_key({"region": "us"}, ["region"]))
    assert west.startswith("region_eu_2Fwest-")  # "=" and "%" are not MLflow's
    spaced = metric_key("a b")
    assert spaced.startswith("a_b-")  # not the metric of the feature named a_b
    assert metrics[f"watchkeeper.m.{west}.{spaced}.mean"] == 1.5
    assert metrics[f"watchkeeper.m.{west}.a_b.mean"] == 4.5
    assert metrics[f"watchkeeper.m.{us}.{spaced}.mean"] == 3.0
    assert metrics[f"watchkeeper.m.{us}.a_b.mean"] == 6.0
    folders = {entry.path for entry in store.list_artifacts(run.info.run_id, "watchkeeper/m")}
    assert folders == {f"watchkeeper/m/{west}", f"watchkeeper/m/{us}"}


@fuzz_settings(ci=40, long=20_000)
@given(st.lists(st.text(max_size=300), min_size=2, max_size=2, unique=True))
@example(["x" * 300, "x" * 301])  # cut to MLflow's length, still apart
@example(["a b", "a_b"])
def test_every_feature_name_becomes_a_legal_metric_name_of_its_own(names):
    keys = [metric_key("watchkeeper", "dataset", name, "mean") for name in names]
    for key in keys:
        assert validate_param_and_metric_name(key) and not path_not_unique(key)
        assert len(key) <= 250
    assert keys[0] != keys[1]


def test_a_deleted_run_refuses_the_profile_for_good(store):
    with mlflow.start_run() as run:
        pass
    store.delete_run(run.info.run_id)
    logger = Logger("gone", to=f"mlflow:{run.info.run_id}")
    logger.log({"x": [1.0]})
    assert logger.flush()  # nothing is left waiting: the profile was refused, not kept
    assert (logger.shipped, logger.dropped) == (0, 1)
    logger.close()


def test_an_unreachable_tracking_server_keeps_the_profile_for_the_next_try(monkeypatch):
    with socket.socket() as spare:  # a port nothing listens on
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    logger = Logger("offline", to="mlflow")
    logger.log({"x": [1.0, 2.0]})
    assert not logger.flush()
    assert (logger.shipped, logger.pending, logger.failed_attempts) == (0, 1, 1)
    logger.close()  # still unreachable: counted as lost, with a warning
    assert logger.dropped == 1


def test_options_that_do_not_apply_to_mlflow_are_refused(store):
    with pytest.raises(UsageError, match="token is only sent to a watchkeeper server"):
        Logger("x", to="mlflow", token="secret")
    with pytest.raises(UsageError, match="storage_options apply to a storage location"):
        Logger("x", to="mlflow", storage_options={"anon": True})


def test_check_with_mlflow_logs_the_report_and_the_metric_series(store, iris, iris_baseline):
    data = iris.assign(petal_length=iris["petal_length"] * 3).head(60)
    path = Path(mlflow.get_tracking_uri().removeprefix("file://")).parent / "today.csv"
    data[["species", *data.columns.drop("species")]].to_csv(path, index=False)
    result = CliRunner().invoke(
        app, ["check", str(path), "--baseline", str(iris_baseline), "--mlflow", "--json"]
    )
    assert result.exit_code == 1, result.output
    summary = json.loads(result.output)
    run = store.get_run(summary["mlflow_run"])
    assert run.info.status == "FINISHED"
    assert run.data.tags["watchkeeper.status"] == "CompletedWithViolations"

    outcome = watchkeeper.check(str(path), str(iris_baseline))
    points = metric_points(outcome, outcome.baseline.constraints)
    assert any(name.startswith("feature_baseline_drift_") for name, _, _ in points)
    expected = {
        ".".join(["watchkeeper", name, *([] if statistic == "Value" else [statistic])]): value
        for name, statistic, value in points
    }
    expected["watchkeeper.violations"] = float(len(outcome.violations))
    assert run.data.metrics == pytest.approx(expected)
    files = {entry.path for entry in store.list_artifacts(run.info.run_id, "watchkeeper/check")}
    assert {
        "watchkeeper/check/report.html",
        "watchkeeper/check/statistics.json",
        "watchkeeper/check/constraint_violations.json",
    } <= files


def test_check_with_mlflow_and_an_output_logs_the_files_it_wrote_to_the_active_run(
    store, iris, iris_baseline, tmp_path
):
    path = tmp_path / "same.csv"
    iris[["species", *iris.columns.drop("species")]].to_csv(path, index=False)
    with mlflow.start_run() as run:
        outcome = watchkeeper.check(str(path), str(iris_baseline), output=str(tmp_path / "out"))
        assert log_check(outcome) == run.info.run_id
    written = (tmp_path / "out" / "constraint_violations.json").read_bytes()
    back = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id,
        artifact_path="watchkeeper/check/constraint_violations.json",
        dst_path=str(tmp_path / "back"),
    )
    assert Path(back).read_bytes() == written
    assert store.get_run(run.info.run_id).data.metrics["watchkeeper.violations"] == 0


def test_without_the_mlflow_extra_one_line_names_it(store, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    with pytest.raises(UsageError) as raised:
        watchkeeper.log({"x": [1.0]}, "d", to="mlflow")
    assert str(raised.value) == f"watchkeeper.log(to='mlflow') {MISSING_EXTRA}"
    path = tmp_path / "x.csv"
    path.write_text("x\n1\n")
    result = CliRunner().invoke(app, ["check", str(path), "--rules", "none.yaml", "--mlflow"])
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"error: watchkeeper check --mlflow {MISSING_EXTRA}"]


def test_metrics_mlflow_gives_each_landed_file_a_run_with_its_series(
    store, monkeypatch, iris, iris_baseline, tmp_path, database_url
):
    experiment = store.create_experiment("landing")
    monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", experiment)
    landing = tmp_path / "landing"
    landing.mkdir()
    columns = ["species", *iris.columns.drop("species")]
    iris[columns].head(40).to_csv(landing / "monday.csv", index=False)
    result = CliRunner().invoke(
        app,
        ["watch", str(landing), "--baseline", str(iris_baseline), "--once", "--settle", "0",
         "--in-process", "--database", database_url, "--metrics", "mlflow"],
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    [run] = store.search_runs([experiment])
    assert run.info.status == "FINISHED"
    assert run.data.tags["watchkeeper.kind"] == "landing-files"
    assert run.data.tags["watchkeeper.Source"] == str(landing)
    outcome = watchkeeper.check(str(landing / "monday.csv"), str(iris_baseline))
    expected = metric_points(outcome, outcome.baseline.constraints)
    assert run.data.metrics["watchkeeper.feature_data_sepal_length.SampleCount"] == 40
    assert {key: run.data.metrics[key] for key in run.data.metrics} == pytest.approx(
        {
            ".".join(["watchkeeper", name, *([] if statistic == "Value" else [statistic])]): value
            for name, statistic, value in expected
        }
    )


def test_metrics_mlflow_without_the_extra_names_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "mlflow", None)
    result = CliRunner().invoke(
        app, ["watch", str(tmp_path), "--rules", "r.yaml", "--once", "--metrics", "mlflow"]
    )
    assert result.exit_code == 2
    assert result.output.splitlines() == [f"error: --metrics mlflow {MISSING_EXTRA}"]


def test_check_with_mlflow_unreachable_says_so_in_one_line(
    monkeypatch, iris, iris_baseline, tmp_path
):
    with socket.socket() as spare:  # a port nothing listens on
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.delenv("MLFLOW_RUN_ID", raising=False)
    path = tmp_path / "today.csv"
    iris[["species", *iris.columns.drop("species")]].head(30).to_csv(path, index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["check", str(path), "--baseline", str(iris_baseline), "-o", str(out), "--mlflow"]
    )
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: {path}: the check could not be logged to MLflow (a new run): ")
    assert "Connection refused" in line
    assert "30 rows, 5 columns" in result.stdout  # the verdict was shown before
    assert (out / "report.html").is_file()  # what the check wrote stays
