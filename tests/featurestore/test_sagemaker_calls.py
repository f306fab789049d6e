"""SageMaker Feature Store code runs as written against our feature groups: ``create``
with ``s3_uri`` and ``role_arn``, ``ingest(..., wait=True)`` and ``athena_query()`` with
its ``run``, ``wait`` and ``as_dataframe``, on S3 (moto) and on local folders."""

from __future__ import annotations

import io
import logging

import numpy as np
import pandas as pd
import pytest
from featurestore_workspace import workspace  # noqa: F401  (autouse fixture)

from watchkeeper.errors import UsageError
from watchkeeper.featurestore import FeatureStore

ROLE = "arn:aws:iam::123456789012:role/service-role/AmazonSageMaker-ExecutionRole"


def scholarship(n: int = 1000) -> pd.DataFrame:
    """The notebook's synthetic applicants: ids 1..n, a label and the features."""
    rng = np.random.default_rng(7)
    start = pd.Timestamp("2024-05-01T08:00:00Z")
    times = [start + pd.Timedelta(milliseconds=250 * i) for i in range(n)]
    return pd.DataFrame(
        {
            "approved": rng.integers(0, 2, n),
            "sex": rng.integers(0, 2, n),
            "math": rng.uniform(0, 100, n).round(2),
            "science": rng.uniform(0, 100, n).round(2),
            "technology": rng.uniform(0, 100, n).round(2),
            "random1": rng.uniform(0, 100, n).round(2),
            "random2": rng.uniform(0, 100, n).round(2),
            "index": np.arange(1, n + 1),
            "event_time": [t.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z" for t in times],
        }
    )


COLUMNS = ["approved", "sex", "math", "science", "technology", "random1", "random2"]


def test_the_notebook_runs_as_written_on_s3(s3_bucket, tmp_path):
    all_df = scholarship()
    s3_bucket_name, prefix, role = s3_bucket.name, "chapter07", ROLE
    store = FeatureStore(
        s3_bucket.url("featurestore"),
        online=f"sqlite:///{tmp_path / 'online.db'}",
        storage_options=s3_bucket.storage_options,
    )
    feature_group = store.feature_group("cookbook-feature-group")

    feature_group.load_feature_definitions(data_frame=all_df)
    feature_group.create(
        s3_uri=f"s3://{s3_bucket_name}/{prefix}/input",
        record_identifier_name="index",
        event_time_feature_name="event_time",
        role_arn=role,
        enable_online_store=True,
    )
    assert feature_group.describe().get("FeatureGroupStatus") == "Created"
    report = feature_group.ingest(data_frame=all_df, max_workers=3, wait=True)
    assert (report.ingested, report.failed_rows) == (1000, [])
    record = feature_group.get_record(300)
    assert record["event_time"] == all_df["event_time"].iloc[299]
    assert record["math"] == all_df["math"].iloc[299]

    table = feature_group.athena_query().table_name
    s3_uri = feature_group.describe()["OfflineStoreConfig"]["S3StorageConfig"]["S3Uri"]
    assert s3_uri == f"s3://{s3_bucket_name}/{prefix}/input"
    parquet = s3_bucket.fs.find(f"{s3_bucket_name}/{prefix}/input")
    assert parquet and all(
        key.startswith(f"{s3_bucket_name}/{prefix}/input/cookbook-feature-group/event_date=")
        and key.endswith(".parquet")
        for key in parquet
    )
    assert not s3_bucket.fs.find(f"{s3_bucket_name}/featurestore/cookbook-feature-group")

    base = f"s3://{s3_bucket_name}/{prefix}"
    output_location = f"{base}/query_results/"

    def query_data(query_string):
        query = feature_group.athena_query()
        query_id = query.run(query_string=query_string, output_location=output_location)
        query.wait()
        execution = query.get_query_execution()["QueryExecution"]
        assert execution["ResultConfiguration"]["OutputLocation"] == (
            f"{base}/query_results/{query_id}.csv"
        )
        return query.as_dataframe()

    query = f"""SELECT approved, sex, math, science, technology, random1, random2 FROM "{table}" ORDER BY index ASC LIMIT 600"""  # noqa: E501
    training_df = query_data(query)
    query = f"""SELECT approved, sex, math, science, technology, random1, random2 FROM "{table}" WHERE index > 600 ORDER BY index ASC LIMIT 200"""  # noqa: E501
    validation_df = query_data(query)
    query = f"""SELECT approved, sex, math, science, technology, random1, random2 FROM "{table}" WHERE index > 800 ORDER BY index ASC LIMIT 200"""  # noqa: E501
    test_df = query_data(query)

    expected = all_df[COLUMNS]
    for got, rows in ((training_df, slice(0, 600)), (validation_df, slice(600, 800)),
                      (test_df, slice(800, 1000))):  # fmt: skip
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True), expected.iloc[rows].reset_index(drop=True)
        )
    results = sorted(s3_bucket.fs.find(f"{s3_bucket_name}/{prefix}/query_results"))
    assert len(results) == 3 and all(key.endswith(".csv") for key in results)
    sizes = sorted(len(pd.read_csv(io.BytesIO(s3_bucket.fs.cat(key)))) for key in results)
    assert sizes == [200, 200, 600]
    store.close()


def test_the_latest_version_before_a_time_as_the_notebook_asks_for_it(tmp_path):
    store = FeatureStore(tmp_path / "store", online=None)
    group = store.feature_group("cookbook-feature-group")
    first = scholarship(4)
    group.load_feature_definitions(first)
    group.create("index", "event_time", enable_online_store=False, s3_uri=tmp_path / "bucket")
    group.ingest(first)
    group.ingest(first.iloc[:2].assign(math=[-1.0, -2.0], event_time="2024-06-01T00:00:00.5Z"))
    group.delete_record(3, "2024-05-02T00:00:00Z")
    query = group.athena_query()
    query.run(
        f"""SELECT * FROM
    (SELECT *, row_number() OVER (PARTITION BY index
        ORDER BY event_time desc) AS row_num
        FROM "{query.table_name}"
        where event_time <= timestamp '2024-05-15 00:00:00')
WHERE row_num = 1 and
NOT is_deleted ORDER BY index""",
        output_location=tmp_path / "results",
    )
    latest = query.as_dataframe()
    assert latest["index"].tolist() == [1, 2, 4]
    assert latest["math"].tolist() == first["math"].iloc[[0, 1, 3]].tolist()
    execution = query.get_query_execution()["QueryExecution"]
    assert execution["Status"]["State"] == "SUCCEEDED"
    csv = tmp_path / "results" / f"{execution['QueryExecutionId']}.csv"
    assert execution["ResultConfiguration"]["OutputLocation"] == str(csv)
    written = pd.read_csv(csv)
    assert written["index"].tolist() == [1, 2, 4]
    # times in the CSV name the instant to the microsecond
    assert written["event_time"].tolist() == [
        "2024-05-01T08:00:00Z",
        "2024-05-01T08:00:00.250Z",
        "2024-05-01T08:00:00.750Z",
    ]
    assert (tmp_path / "bucket" / "cookbook-feature-group").is_dir()
    assert not (tmp_path / "store" / "cookbook-feature-group").exists()


def test_s3_uri_places_the_offline_files_and_outlives_the_store_object(tmp_path, caplog):
    store = FeatureStore(tmp_path / "store")
    group = store.feature_group("scores")
    frame = scholarship(10)
    group.load_feature_definitions(frame)
    with caplog.at_level(logging.INFO, logger="watchkeeper.featurestore"):
        group.create("index", "event_time", s3_uri=str(tmp_path / "offline"), role_arn=ROLE)
    assert any("role_arn ignored" in r.getMessage() for r in caplog.records)
    report = group.ingest(frame)
    assert all(f.startswith(str(tmp_path / "offline" / "scores")) for f in report.files)
    store.close()

    reopened = FeatureStore(tmp_path / "store")
    again = reopened.feature_group("scores")
    assert again.offline_uri == str(tmp_path / "offline" / "scores")
    assert reopened.query('SELECT count(*) AS n FROM "scores"')["n"].tolist() == [10]
    again.ingest(frame.iloc[:1].assign(event_time="2024-07-01T00:00:00Z"))
    assert reopened.query('SELECT count(*) AS n FROM "scores"')["n"].tolist() == [11]
    again.delete()
    assert not (tmp_path / "offline" / "scores").exists()
    assert (tmp_path / "offline").is_dir()  # the folder given is the user's: kept
    reopened.close()


def test_an_s3_uri_the_store_cannot_write_to_is_refused_before_anything_is_stored(tmp_path):
    store = FeatureStore(tmp_path / "store")
    group = store.feature_group("scores")
    group.load_feature_definitions(scholarship(2))
    with pytest.raises(UsageError, match=r"^s3_uri 's3://bucket/input' is on another filesystem"):
        group.create("index", "event_time", s3_uri="s3://bucket/input")
    assert not group.exists() and store.list() == []
    with pytest.raises(UsageError, match="s3_uri must be a folder"):
        group.create("index", "event_time", s3_uri="")


def test_ingest_is_done_when_it_returns_whatever_wait_says(tmp_path):
    store = FeatureStore(tmp_path / "store")
    group = store.feature_group("scores")
    frame = scholarship(5)
    group.load_feature_definitions(frame)
    group.create("index", "event_time")
    bad = frame.assign(math=frame["math"].astype(object))
    bad.loc[2, "math"] = "n/a"
    report = group.ingest(bad, max_workers=2, max_processes=4, wait=False, timeout=30)
    assert report.wait() is None
    assert (report.ingested, report.failed_rows) == (4, [2])
    assert group.get_record(5)["math"] == frame["math"].iloc[4]
    store.close()


def test_a_query_that_cannot_run_says_so_and_writes_nothing(tmp_path):
    store = FeatureStore(tmp_path / "store", online=None)
    group = store.feature_group("scores")
    group.load_feature_definitions(scholarship(2))
    group.create("index", "event_time", enable_online_store=False)
    query = group.athena_query()
    with pytest.raises(UsageError, match=r"call run\(query_string, output_location\)"):
        query.wait()
    with pytest.raises(UsageError, match="query refused"):
        query.run("SELECT * FROM read_csv('/etc/passwd')", output_location=tmp_path / "out")
    with pytest.raises(UsageError, match="output_location"):
        query.run(f'SELECT * FROM "{query.table_name}"', output_location="")
    assert not (tmp_path / "out").exists()
    with pytest.raises(UsageError, match="no query has run yet"):
        query.as_dataframe()
    query.run(f'SELECT count(*) AS n FROM "{query.table_name}"', output_location=tmp_path / "out")
    assert query.as_dataframe()["n"].tolist() == [0]
    assert len(list((tmp_path / "out").glob("*.csv"))) == 1
