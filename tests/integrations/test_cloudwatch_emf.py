"""The S3-event Lambda handler's metric series as Embedded Metric Format lines on stdout,
each line checked against the EMF specification and its values against the check's
statistics.json."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import time

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv
import pytest

import watchkeeper
from watchkeeper.integrations import aws_lambda
from watchkeeper.integrations.cloudwatch import emf_lines, metric_data

RULES = b"defaults:\n  max_missing: 10%\n"
# the units CloudWatch accepts (PutMetricData's StandardUnit)
UNITS = {
    "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes",
    "Terabytes", "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
    "Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second",
    "Terabytes/Second", "Bits/Second", "Kilobits/Second", "Megabits/Second",
    "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
}  # fmt: skip


def table(rows: int, shift: float = 0.0, features: int = 4) -> pa.Table:
    rng = np.random.default_rng(int(shift * 10) + features)
    columns = {}
    for i in range(features):
        values = rng.normal(i + shift, 1.0, rows).round(3)
        if i == 1:
            values[rng.random(rows) < 0.2] = np.nan
        columns[f"feature_{i}"] = pa.array(values, from_pandas=True)
    columns["plan"] = pa.array(rng.choice(["basic", "premium"], rows))
    return pa.table(columns)


def csv_bytes(data: pa.Table) -> bytes:
    out = io.BytesIO()
    pv.write_csv(data, out)
    return out.getvalue()


def emf_documents(text: str) -> list[dict]:
    """Every line of ``text`` as an EMF document, validated against the specification."""
    documents = []
    for line in text.splitlines():
        document = json.loads(line)
        assert isinstance(document, dict)
        metadata = document["_aws"]
        timestamp = metadata["Timestamp"]
        assert isinstance(timestamp, int) and abs(timestamp / 1000 - time.time()) < 600
        directives = metadata["CloudWatchMetrics"]
        assert isinstance(directives, list) and directives
        for directive in directives:
            assert isinstance(directive["Namespace"], str)
            assert 0 < len(directive["Namespace"]) <= 255
            for dimension_set in directive["Dimensions"]:
                assert 0 < len(dimension_set) <= 30
                for key in dimension_set:
                    assert isinstance(document[key], str) and 0 < len(document[key]) <= 1024
            metrics = directive["Metrics"]
            assert 0 < len(metrics) <= 100
            for metric in metrics:
                assert 0 < len(metric["Name"]) <= 255 and metric["Unit"] in UNITS
                value = document[metric["Name"]]
                assert isinstance(value, int | float) and not isinstance(value, bool)
                assert math.isfinite(value)
        documents.append(document)
    return documents


def values_of(documents: list[dict]) -> dict[str, float]:
    found = {}
    for document in documents:
        for directive in document["_aws"]["CloudWatchMetrics"]:
            for metric in directive["Metrics"]:
                assert metric["Name"] not in found  # each series once
                found[metric["Name"]] = document[metric["Name"]]
    return found


@pytest.fixture
def lambda_function(s3_bucket, tmp_path, monkeypatch):
    """The environment of the S3-event function: a bucket, rules, a baseline, EMF on."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_bucket.endpoint_url)
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "landing-checker")
    monkeypatch.setenv("WATCHKEEPER_METRICS", "cloudwatch")
    monkeypatch.setenv("WATCHKEEPER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("WATCHKEEPER_RULES", s3_bucket.put("config/rules.yaml", RULES))
    watchkeeper.suggest_baseline(table(2000), tmp_path / "baseline")
    for name in ("statistics.json", "constraints.json"):
        s3_bucket.put(f"config/baseline/{name}", (tmp_path / "baseline" / name).read_bytes())
    monkeypatch.setenv("WATCHKEEPER_BASELINE", s3_bucket.url("config/baseline"))
    for variable in ("WATCHKEEPER_DATABASE_URL", "WATCHKEEPER_NOTIFY", "WATCHKEEPER_ISOLATE"):
        monkeypatch.delenv(variable, raising=False)
    return s3_bucket


def put_event(bucket: str, *keys: str) -> dict:
    return {"Records": [{"s3": {"bucket": {"name": bucket}, "object": {"key": k}}} for k in keys]}


def test_the_s3_event_handler_prints_its_series_as_emf(lambda_function, capfd):
    bucket = lambda_function
    bucket.put("landing/day-1.csv", csv_bytes(table(1000, shift=0.8)))
    capfd.readouterr()
    result = aws_lambda.handler(put_event(bucket.name, "landing/day-1.csv"))
    [entry] = result["objects"]
    assert entry["status"] == "done" and entry["error"] is None
    documents = emf_documents(capfd.readouterr().out)
    assert documents
    for document in documents:
        [directive] = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "watchkeeper/landing-files"
        assert directive["Dimensions"] == [["Source"]]
        assert document["Source"] == f"s3://{bucket.name}/"
    found = values_of(documents)
    statistics = json.loads(bucket.fs.cat(bucket.url("reports/landing/day-1.csv/statistics.json")))
    features = {feature["name"]: feature for feature in statistics["features"]}
    for name, feature in features.items():
        if "numerical_statistics" in feature:
            numbers = feature["numerical_statistics"]
            common = numbers["common"]
            assert found[f"feature_data_{name}_SampleCount"] == common["num_present"]
            assert found[f"feature_data_{name}_Sum"] == pytest.approx(numbers["sum"])
            assert found[f"feature_data_{name}_Minimum"] == numbers["min"]
            assert found[f"feature_data_{name}_Maximum"] == numbers["max"]
        else:
            common = feature["string_statistics"]["common"]
        completeness = common["num_present"] / (common["num_present"] + common["num_missing"])
        assert found[f"feature_non_null_{name}"] == pytest.approx(completeness)
    assert found["feature_non_null_feature_1"] < 0.9
    assert found["feature_data_feature_0_SampleCount"] == 1000
    # every feature shifted by 0.8 sd against the baseline: each has its drift figure
    assert {f"feature_baseline_drift_feature_{i}" for i in range(4)} <= set(found)
    assert found["feature_baseline_drift_feature_0"] > 0


def test_a_hundred_metrics_at_most_per_line():
    at = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    points = [(f"feature_non_null_f{i}", "Value", 1.0) for i in range(250)]
    points += [("feature_data_f0", s, 2.0) for s in ("SampleCount", "Sum", "Minimum", "Maximum")]
    lines = emf_lines(metric_data(points, {"Source": "s3://b/"}, at), "ns", at)
    documents = [json.loads(line) for line in lines]
    counts = [len(d["_aws"]["CloudWatchMetrics"][0]["Metrics"]) for d in documents]
    assert counts == [100, 100, 54]
    # 2026-12-01T00:00:00Z in milliseconds
    assert all(d["_aws"]["Timestamp"] == 1_796_083_200_000 for d in documents)
    names = {name for d in documents for name in d if name not in ("_aws", "Source")}
    assert sum(counts) == len(names) == 254


def test_emit_metrics_disabled_prints_no_emf(lambda_function, tmp_path, capfd):
    bucket = lambda_function
    document = json.loads((tmp_path / "baseline" / "constraints.json").read_text())
    document["monitoring_config"]["emit_metrics"] = "Disabled"
    bucket.put("config/baseline/constraints.json", json.dumps(document).encode())
    bucket.put("landing/day-2.csv", csv_bytes(table(500)))
    capfd.readouterr()
    [entry] = aws_lambda.handler(put_event(bucket.name, "landing/day-2.csv"))["objects"]
    assert entry["status"] == "done"
    assert capfd.readouterr().out == ""


def test_an_unknown_metrics_destination_is_a_configuration_error(lambda_function, monkeypatch):
    monkeypatch.setenv("WATCHKEEPER_METRICS", "statsd")
    result = aws_lambda.handler(put_event(lambda_function.name, "landing/any.csv"))
    assert result == {
        "status": "error",
        "error": "metrics destination 'statsd' is not known: use none, cloudwatch, emf",
    }
