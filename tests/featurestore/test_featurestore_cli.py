"""``watchkeeper featurestore`` through typer's runner."""

from __future__ import annotations

import json

import pandas as pd
from featurestore_workspace import workspace  # noqa: F401  (autouse fixture)
from typer.testing import CliRunner

from watchkeeper.cli.featurestore import fs_app

runner = CliRunner()


def test_create_ingest_query_get_delete(tmp_path):
    source = tmp_path / "scores.csv"
    pd.DataFrame(
        {
            "index": [1, 2, 3],
            "event_time": ["2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", "later"],
            "math": [0.5, 0.75, 0.25],
        }
    ).to_csv(source, index=False)
    uri = ["--uri", str(tmp_path / "store")]
    created = runner.invoke(
        fs_app,
        [
            "create",
            "scores",
            str(source),
            "--record-identifier",
            "index",
            "--event-time",
            "event_time",
            *uri,
        ],
    )
    assert created.exit_code == 0, created.output
    ingested = runner.invoke(fs_app, ["ingest", "scores", str(source), *uri])
    assert ingested.exit_code == 1
    assert "ingested 2 rows, rejected 1" in ingested.output
    assert "row 2: event time 'event_time': 'later' is not a time" in ingested.output
    listed = runner.invoke(fs_app, ["list", "--json", *uri])
    assert json.loads(listed.output) == ["scores"]
    described = runner.invoke(fs_app, ["describe", "scores", *uri])
    assert json.loads(described.output)["RecordIdentifierFeatureName"] == "index"
    queried = runner.invoke(
        fs_app, ["query", 'SELECT sum(math) AS s FROM "scores"', "--json", *uri]
    )
    assert json.loads(queried.output) == [{"s": 1.25}]
    got = runner.invoke(fs_app, ["get", "scores", "2", *uri])
    assert json.loads(got.output)["math"] == 0.75
    missing = runner.invoke(fs_app, ["describe", "nope", *uri])
    assert missing.exit_code == 2
    assert runner.invoke(fs_app, ["delete", "scores", *uri]).exit_code == 0
    assert json.loads(runner.invoke(fs_app, ["list", "--json", *uri]).output) == []
