"""The iris demo end to end, read on every face: day 2's drift is one figure, one text.

The demo serves a model with capture, runs a monitoring job per day against a baseline
read from files, and logs the same traffic to the dashboard with the training data as
the dataset's baseline (held in memory). The report, ``report.json``, the execution's
metric series, the dashboard and the alerts must all show the same judgement of
``sepal_width`` on day 2.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
from pathlib import Path

from live import LiveServer
from watchkeeper.catalog import Catalog, MonitoringStore
from watchkeeper.ui import create_ui_app

DEMO = Path(__file__).parents[2] / "examples" / "iris" / "demo.py"


def test_day_two_reads_the_same_on_every_face(tmp_path, webhook_server):
    env = {**os.environ, "WATCHKEEPER_NOTIFY": f"json://{webhook_server.address}/alerts"}
    run = subprocess.run(
        [sys.executable, str(DEMO), str(tmp_path / "iris")],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    catalog = Catalog(f"sqlite:///{tmp_path}/iris/workspace/catalog.db")
    store = MonitoringStore(catalog)
    [day2] = [e for e in store.executions("iris-daily") if e.violations]
    # the spread of one feature, and with it the rows as a whole
    assert day2.status == "CompletedWithViolations" and day2.violations == 2

    # report.json: the feature's drift verdict, its words and the figure judged
    rows = {row["feature"]: row for row in json.loads(Path(day2.artifacts["json"]).read_text())}
    text, figure = rows["sepal_width"]["drift"], rows["sepal_width"]["drift_figure"]
    assert rows["sepal_width"]["drifted"] is True
    assert [name for name, row in rows.items() if row["drifted"]] == ["sepal_width"]
    assert text.startswith("spread grew to ") and ", p = " in text and "150 vs 150 values" in text
    assert "(floor 1.10 either way)" in text and figure > 1.1

    # constraint_violations.json (what the demo prints) and the report page
    violation, across = json.loads(Path(day2.artifacts["violations"]).read_text())["violations"]
    assert across["constraint_check_type"] == "multivariate_drift_check"
    assert violation == {
        "feature_name": "sepal_width",
        "constraint_check_type": "baseline_drift_check",
        "description": text,
    }
    assert f"sepal_width (baseline_drift_check): {text}" in run.stdout
    page = Path(day2.artifacts["html"]).read_text()
    assert html.escape(text) in page

    # the execution's metric series carries the figure that was judged
    series = {(p.name, p.statistic): p.value for p in store.metrics_of(day2.id)}
    assert series[("feature_baseline_drift_sepal_width", "Value")] == figure

    # the dashboard: the same violation on the logged day 2, against the training data
    server = LiveServer(create_ui_app(catalog, refresh_seconds=None, tokens=[])).start()
    try:
        with server.client() as client:
            page = client.get("/datasets/iris-traffic/features/sepal_width")
            assert page.status_code == 200
            assert html.escape(text) in page.text
            days = client.get("/api/v1/datasets/iris-traffic/batches").json()
    finally:
        server.stop()
    flagged = [v for day in days for v in day["violations"]]
    assert [(v["feature_name"], v["observed"], v["description"]) for v in flagged] == [
        ("sepal_width", figure, text)
    ]

    # the alerts: the job's and the dashboard's digest, in the one line every alert writes
    line = f"`sepal_width` (baseline_drift_check): {text}"
    messages = [post.json["message"] for post in webhook_server.posts]
    assert len(messages) == 2 and all(line in message for message in messages)
