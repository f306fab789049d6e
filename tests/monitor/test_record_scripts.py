"""SageMaker's record preprocessor and post-analytics scripts on a schedule: stored with
it, checked when it is created, run by `watchkeeper monitor run` on each window."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from test_rest_cli import server  # noqa: F401  (fixture, used by name)
from typer.testing import CliRunner

import watchkeeper
from record_scripts import (
    END,
    ENDPOINT,
    POST_ANALYTICS,
    PREPROCESSOR,
    START,
    script,
    scripted_traffic,
    traffic,
)
from watchkeeper.catalog import COMPLETED, FAILED, Catalog, MonitoringStore
from watchkeeper.cli import app
from watchkeeper.errors import UsageError
from watchkeeper.monitor import create_schedule, run_job

WINDOW = f"{START:%Y-%m-%dT%H:%M}/{END:%Y-%m-%dT%H:%M}"


@pytest.fixture
def places(tmp_path):
    """A baseline of the endpoint's traffic, its captures and the scripts."""
    rows = [{"score": score, **request} for request, score in traffic(300, seed=1)]
    watchkeeper.suggest_baseline(pa.Table.from_pylist(rows), tmp_path / "baseline")
    return {
        "baseline": str(tmp_path / "baseline"),
        "capture": str(tmp_path / "capture"),
        "report": str(tmp_path / "monitoring"),
        "preprocessor": script(tmp_path, "preprocessor.py", PREPROCESSOR),
        "post": script(tmp_path, "postprocessor.py", POST_ANALYTICS),
    }


def test_monitor_run_applies_the_schedules_scripts(tmp_path, places, database_url):
    rows = scripted_traffic(tmp_path / "capture")
    runner = CliRunner()
    made = runner.invoke(app, [
        "schedule", "create", "--name", "scripted", "--endpoint", ENDPOINT,
        "--baseline", places["baseline"], "--capture", places["capture"],
        "--report", places["report"], "--record-preprocessor", places["preprocessor"],
        "--post-analytics", places["post"], "--database", database_url,
    ])  # fmt: skip
    assert made.exit_code == 0, made.output
    schedule = MonitoringStore(Catalog(database_url)).schedule("scripted")
    assert schedule.options == {
        "record_preprocessor": places["preprocessor"], "post_analytics": places["post"]
    }
    ran = runner.invoke(app, ["monitor", "run", "--schedule", "scripted", "--window", WINDOW,
                              "--database", database_url, "--json"])  # fmt: skip
    assert ran.exit_code == 0, ran.output
    execution = json.loads(ran.stdout)
    assert execution["status"] == COMPLETED
    # the broken request is the one record that failed; the load tests were left out
    assert (execution["records"], execution["corrupt_lines"]) == (10 + 2, 1)
    folder = tmp_path / "monitoring" / ENDPOINT / "scripted" / "2026" / "11" / "20" / "10"
    statistics = json.loads((folder / "statistics.json").read_text())
    assert statistics["dataset"]["item_count"] == rows == 16
    assert (folder / "summary.txt").read_text() == "scripted: 16 rows\n"


def test_a_window_the_preprocessor_leaves_empty_fails_saying_so(tmp_path, places):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    drop_all = script(tmp_path, "drop.py", "def preprocess_handler(record):\n    return []\n")
    scripted_traffic(tmp_path / "capture")
    schedule = create_schedule(
        catalog, name="dropping", endpoint=ENDPOINT, capture=places["capture"],
        baseline=places["baseline"], report=places["report"],
        options={"record_preprocessor": drop_all, "post_analytics": places["post"]},
    )  # fmt: skip
    execution = run_job(MonitoringStore(catalog), schedule, END, (START, END))
    assert execution.status == FAILED
    assert execution.failure_reason == (
        "no captured records for churn between 2026-11-20T09:00Z and 2026-11-20T10:00Z "
        "(the record preprocessor left out 16 record(s))"
    )
    assert not (tmp_path / "monitoring").exists(), "no post-analytics after a failed window"


def test_a_post_analytics_failure_leaves_the_execution_standing(tmp_path, places, caplog):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    failing = script(tmp_path, "post.py", "def postprocess_handler():\n    raise OSError('full')\n")
    scripted_traffic(tmp_path / "capture")
    schedule = create_schedule(
        catalog, name="post", endpoint=ENDPOINT, capture=places["capture"],
        baseline=places["baseline"], report=places["report"],
        options={"record_preprocessor": places["preprocessor"], "post_analytics": failing},
    )  # fmt: skip
    execution = run_job(MonitoringStore(catalog), schedule, END, (START, END))
    assert execution.status == COMPLETED
    assert f"post-analytics script {failing} failed: OSError: full" in caplog.text


@pytest.mark.parametrize(
    ("option", "text", "reason"),
    [
        ("record_preprocessor", "import not_a_module_anywhere\n",
         "cannot be loaded: ModuleNotFoundError"),
        ("record_preprocessor", "def preprocess_handler(a, b, c):\n    pass\n",
         "preprocess_handler must take (inference_record) or (inference_record, logger)"),
        ("post_analytics", "def other():\n    pass\n", "defines no function postprocess_handler()"),
    ],
)  # fmt: skip
def test_a_script_that_does_not_load_is_refused_at_creation(tmp_path, places, option, text,
                                                           reason):  # fmt: skip
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    path = script(tmp_path, "user.py", text)
    with pytest.raises(UsageError) as refused:
        create_schedule(
            catalog, name="bad", endpoint=ENDPOINT, capture=places["capture"],
            baseline=places["baseline"], report=places["report"], options={option: path},
        )  # fmt: skip
    assert reason in str(refused.value) and path in str(refused.value)
    assert not MonitoringStore(catalog).schedules()


def test_the_command_line_names_a_script_that_is_not_there(tmp_path, places):
    missing = str(tmp_path / "nowhere.py")
    made = CliRunner().invoke(app, [
        "schedule", "create", "--name", "x", "--endpoint", ENDPOINT,
        "--baseline", places["baseline"], "--record-preprocessor", missing,
        "--database", f"sqlite:///{tmp_path / 'catalog.db'}",
    ])  # fmt: skip
    assert made.exit_code == 2
    assert f"script {missing}: no such file" in made.output


def test_a_preprocessor_needs_the_local_engine(tmp_path, places):
    with pytest.raises(UsageError, match="engine=local only"):
        create_schedule(
            Catalog(f"sqlite:///{tmp_path / 'catalog.db'}"), name="spark", endpoint=ENDPOINT,
            capture=places["capture"], baseline=places["baseline"], report=places["report"],
            options={"record_preprocessor": places["preprocessor"], "engine": "spark"},
        )  # fmt: skip


def test_the_window_is_judged_as_the_scripts_rows(tmp_path, places):
    """The preprocessed rows meet the baseline's features: a clean window passes."""
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    scripted_traffic(tmp_path / "capture")
    schedule = create_schedule(
        catalog, name="clean", endpoint=ENDPOINT, capture=places["capture"],
        baseline=places["baseline"], report=places["report"],
        options={"record_preprocessor": places["preprocessor"]},
    )  # fmt: skip
    execution = run_job(MonitoringStore(catalog), schedule, END, (START, END))
    assert execution.exit_message == "Completed: Job completed successfully with no violations."
    assert execution.records == 12


def test_the_rest_api_takes_no_script(server, places, database_url):  # noqa: F811
    import httpx

    body = {"name": "remote", "endpoint": ENDPOINT, "baseline": places["baseline"],
            "report": places["report"], "capture": places["capture"],
            "options": {"post_analytics": places["post"]}}  # fmt: skip
    refused = httpx.post(f"{server}/api/v1/schedules", json=body, timeout=30)
    assert refused.status_code == 422
    assert "post_analytics name Python files the scheduler runs" in refused.json()["detail"]
    assert not MonitoringStore(Catalog(database_url)).schedules()
