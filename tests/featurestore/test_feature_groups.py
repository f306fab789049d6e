"""Feature groups: definitions, registry, ingest validation and atomicity, offline layout,
SQL, online/offline consistency."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from featurestore_fakes import MemoryOnlineStore
from featurestore_workspace import workspace  # noqa: F401  (autouse fixture)
from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.errors import InputError, SchemaError, UsageError
from watchkeeper.featurestore import FeatureStore, infer_definitions
from watchkeeper.featurestore.definitions import check_group_name


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "index": [1, 2, 3],
            "event_time": ["2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", "2024-03-02T09:30:00Z"],
            "math": [0.5, 0.75, 0.25],
            "gender": [0, 1, 1],
            "name": ["a", "b", "c"],
        }
    )


@pytest.fixture
def fs(tmp_path):
    store = FeatureStore(tmp_path / "store")
    yield store
    store.close()


def _create(fs, name="scholarship", frame=None, **options):
    fg = fs.feature_group(name)
    fg.load_feature_definitions(_frame() if frame is None else frame)
    fg.create(record_identifier_name="index", event_time_feature_name="event_time", **options)
    return fg


def _types(definitions):
    return {d["FeatureName"]: d["FeatureType"] for d in definitions}


@pytest.mark.parametrize("kind", ["pandas", "polars", "arrow"])
def test_definitions_are_inferred_as_sagemaker_does(kind):
    frame = pd.DataFrame(
        {
            "i": np.array([1, 2], dtype="int32"),
            "f": [0.5, 1.0],
            "s": ["a", "b"],
            "b": [True, False],
            "t": pd.to_datetime(["2024-01-01", "2024-01-02"]),
        }
    )
    source = {"pandas": frame, "polars": pl.from_pandas(frame), "arrow": pa.table(frame)}[kind]
    assert _types(infer_definitions(source)) == {
        "i": "Integral",
        "f": "Fractional",
        "s": "String",
        "b": "String",
        "t": "String",
    }


def test_create_describe_list_delete(fs, tmp_path):
    fg = _create(fs, description="scores", tags={"team": "ml"})
    description = fg.describe()
    assert description["FeatureGroupName"] == "scholarship"
    assert description["RecordIdentifierFeatureName"] == "index"
    assert description["EventTimeFeatureName"] == "event_time"
    assert description["OnlineStoreConfig"] == {"EnableOnlineStore": True}
    assert description["OfflineStoreConfig"]["S3StorageConfig"]["S3Uri"] == str(
        tmp_path / "store" / "scholarship"
    )
    assert description["Description"] == "scores"
    assert description["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert "CreationTime" in description
    registry = tmp_path / "store" / "_groups" / "scholarship.json"
    assert (
        json.loads(registry.read_text())["FeatureDefinitions"] == description["FeatureDefinitions"]
    )
    # a fresh store reads the registry
    assert FeatureStore(tmp_path / "store").feature_group("scholarship").describe() == description
    _create(fs, "other")
    assert fs.list() == ["other", "scholarship"]
    fg.ingest(_frame())
    assert fg.get_record(1) is not None
    fg.delete()
    assert fs.list() == ["other"]
    assert not (tmp_path / "store" / "scholarship").exists()
    assert fs.online_store.get("scholarship", "1") is None
    with pytest.raises(UsageError, match="does not exist"):
        fg.describe()


def test_create_checks_its_arguments(fs):
    fg = fs.feature_group("g")
    with pytest.raises(UsageError, match="no feature definitions"):
        fg.create("index", "event_time")
    fg.load_feature_definitions(_frame())
    with pytest.raises(UsageError, match="'idx' is not among"):
        fg.create("idx", "event_time")
    with pytest.raises(UsageError, match="'gender' must be String"):
        fg.create("index", "gender")
    fg.create("index", "event_time")
    with pytest.raises(UsageError, match="already exists"):
        fg.create("index", "event_time")
    with pytest.raises(UsageError, match="not allowed"):
        fs.feature_group("bad name")


def test_ingest_rejects_each_bad_row_with_its_reason(fs):
    fg = _create(fs)
    frame = pd.DataFrame(
        {
            "index": [1, None, 3, 4, 5],
            "event_time": [
                "2024-03-01T10:00:00Z",
                "2024-03-01T10:00:00Z",
                "yesterday",
                "2024-03-01T10:00:00Z",
                "2024-03-01T10:00:00Z",
            ],
            "math": [0.5, 0.5, 0.5, "high", 0.5],
            "gender": [0, 1, 1, 1, 1],
            "name": ["a", "b", "c", "d", "e"],
            "extra": [None, None, None, None, "x"],
        }
    )
    report = fg.ingest(frame)
    assert report.ingested == 1
    assert report.n_rejected == 4
    assert report.n_rows == 5
    reasons = dict(report.rejected)
    assert sorted(reasons) == [1, 2, 3, 4]
    assert "record identifier 'index' is missing" in reasons[1]
    assert "event time 'event_time': 'yesterday' is not a time" in reasons[2]
    assert "column 'math': 'high' is not Fractional" in reasons[3]
    assert "unknown column 'extra'" in reasons[4]
    assert fg.get_record(1)["math"] == 0.5
    assert fg.get_record(5) is None
    assert len(fs.query('SELECT * FROM "scholarship"')) == 1


def test_ingest_rejects_fractions_in_integral_columns_and_needs_the_key_columns(fs):
    fg = _create(fs)
    frame = _frame()
    frame["gender"] = [0.0, 1.5, 1.0]
    report = fg.ingest(frame)
    assert report.rejected == [(1, "column 'gender': 1.5 is not Integral")]
    with pytest.raises(SchemaError, match="'event_time' is missing"):
        fg.ingest(frame.drop(columns=["event_time"]))


def test_a_failing_online_write_leaves_no_offline_file(tmp_path):
    online = MemoryOnlineStore()
    fs = FeatureStore(tmp_path / "store", online=online)
    fg = _create(fs)
    online.fail_writes = True
    with pytest.raises(RuntimeError):
        fg.ingest(_frame())
    assert list((tmp_path / "store").rglob("*.parquet")) == []
    assert online.groups.get("scholarship", {}) == {}
    online.fail_writes = False
    assert fg.ingest(_frame()).ingested == 3


def test_offline_layout_and_extra_columns(fs, tmp_path):
    fg = _create(fs)
    before = pd.Timestamp.now(tz="UTC")
    report = fg.ingest(_frame())
    files = sorted(Path(p) for p in report.files)
    assert [f.parent.name for f in files] == ["event_date=2024-03-01", "event_date=2024-03-02"]
    for f in files:
        assert f.parent.parent == tmp_path / "store" / "scholarship"
        assert f.name.startswith("part-") and f.suffix == ".parquet"
    table = pq.read_table(files[0])
    assert table.column_names == [
        "index",
        "event_time",
        "math",
        "gender",
        "name",
        "write_time",
        "api_invocation_time",
        "is_deleted",
    ]
    assert table.num_rows == 2
    assert table.column("is_deleted").to_pylist() == [False, False]
    written = table.column("write_time").to_pandas()
    assert (written >= before).all()
    assert (table.column("api_invocation_time").to_pandas() <= written).all()


def test_query_and_the_latest_row_per_id(fs):
    fg = _create(fs)
    fg.ingest(_frame())
    newer = (
        _frame()
        .iloc[:2]
        .assign(event_time=["2024-04-01T00:00:00Z", "2024-02-01T00:00:00Z"], math=[0.9, 0.1])
    )
    fg.ingest(newer)
    result = fs.query(
        'SELECT "index", math FROM (SELECT *, row_number() OVER '
        '(PARTITION BY "index" ORDER BY event_time DESC) AS row_number FROM "scholarship") '
        'WHERE row_number = 1 ORDER BY "index"'
    )
    assert result.to_dict("list") == {"index": [1, 2, 3], "math": [0.9, 0.75, 0.25]}
    counts = fs.query('SELECT event_date, count(*) AS n FROM "scholarship" GROUP BY 1 ORDER BY 1')
    assert counts["n"].tolist() == [1, 2, 1, 1]
    with pytest.raises(UsageError, match="query failed"):
        fs.query('SELECT * FROM "missing"')


def test_query_sees_a_created_group_without_rows(fs):
    _create(fs)
    assert fs.query('SELECT count(*) AS n FROM "scholarship"')["n"].tolist() == [0]


def test_late_older_events_do_not_overwrite_online(fs):
    fg = _create(fs)
    fg.ingest(_frame())
    late = _frame().iloc[:1].assign(event_time="2024-01-01T00:00:00Z", math=0.0)
    fg.ingest(late)
    assert fg.get_record(1)["math"] == 0.5
    assert fg.batch_get_record([1, 9, 3], ["math"]) == [
        {"index": 1, "math": 0.5},
        None,
        {"index": 3, "math": 0.25},
    ]
    with pytest.raises(UsageError, match="'nope' is not in"):
        fg.get_record(1, ["nope"])


def test_put_and_delete_records(fs):
    fg = _create(fs)
    fg.put_record({"index": 7, "event_time": "2024-05-01T00:00:00Z", "math": 0.3})
    assert fg.get_record(7)["math"] == 0.3
    with pytest.raises(InputError, match="'x' is not Fractional"):
        fg.put_record({"index": 8, "event_time": "2024-05-01T00:00:00Z", "math": "x"})
    assert fg.delete_record(7, "2024-05-02T00:00:00Z")
    assert fg.get_record(7) is None
    rows = fs.query('SELECT "index", is_deleted FROM "scholarship" ORDER BY event_time')
    assert rows.to_dict("list") == {"index": [7, 7], "is_deleted": [False, True]}


def test_online_and_offline_agree_after_interleaved_ingests_and_deletes(fs):
    rng = np.random.default_rng(7)
    fg = _create(fs)
    times = pd.date_range("2024-01-01", periods=400, freq="37min", tz="UTC")
    for step in range(8):
        n = 40
        frame = pd.DataFrame(
            {
                "index": rng.integers(0, 15, n),
                "event_time": rng.choice(times, n, replace=False),
                "math": rng.random(n),
                "gender": rng.integers(0, 2, n),
                "name": [f"n{step}"] * n,
            }
        ).drop_duplicates(["index", "event_time"])
        fg.ingest(frame, max_workers=3)
        for key in rng.integers(0, 15, 2).tolist():
            fg.delete_record(key, rng.choice(times))
    latest = fs.query(
        'SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY "index" '
        "ORDER BY event_time DESC, is_deleted DESC, write_time DESC) AS rn "
        'FROM "scholarship") WHERE rn = 1'
    )
    expected = {
        row["index"]: None if row["is_deleted"] else row["math"]
        for row in latest.to_dict("records")
    }
    for key in range(15):
        record = fg.get_record(key)
        assert (record["math"] if record else None) == expected.get(key), key


def test_each_ingested_batch_is_profiled_into_the_group_dataset(fs, tmp_path):
    from watchkeeper.catalog import Catalog
    from watchkeeper.datasets.service import DatasetService

    fg = _create(fs)
    frame = _frame()
    report = fg.ingest(frame)
    assert report.ingested == len(frame)
    # the workspace fixture made tmp_path/workspace the default catalog's home
    service = DatasetService(Catalog(f"sqlite:///{tmp_path / 'workspace' / 'catalog.db'}"))
    service.refresh("scholarship")
    [day] = service.store.batches("scholarship")
    assert day.rows == len(frame)
    assert {"math", "gender", "name"} <= set(day.metrics)
    quiet = FeatureStore(fs.uri, monitor=False)
    quiet.feature_group("scholarship").ingest(frame)
    service.refresh("scholarship")
    assert service.store.batches("scholarship")[0].rows == len(frame)  # not profiled again
    quiet.close()


@pytest.mark.parametrize(
    "name", ["scores\n", "scores\r\n", "bad.name", " scores", "sc/ores", "-scores", "", "a" * 65]
)
def test_group_names_are_checked_whole(fs, name):
    with pytest.raises(UsageError, match=r"feature group name .* is not allowed: use 1 to 64"):
        fs.feature_group(name)


def test_a_group_that_does_not_exist_is_named_in_the_error(fs):
    group = fs.feature_group("nothing")
    for read in (lambda: group.get_record(1), lambda: group.ingest(_frame()), group.describe):
        with pytest.raises(UsageError, match=r"^feature group 'nothing' does not exist$"):
            read()


def test_online_records_carry_the_event_time_in_iso_8601(fs):
    fg = _create(fs)
    fg.ingest(_frame())
    assert fg.get_record(3)["event_time"] == "2024-03-02T09:30:00Z"


@settings(max_examples=200, deadline=None, derandomize=True)
@given(name=st.text(max_size=70))
def test_a_name_is_either_kept_whole_or_refused(name):
    try:
        checked = check_group_name(name)
    except UsageError as exc:
        assert repr(name) in str(exc)
        assert not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", name)
    else:
        assert checked == name and name.isascii() and name.strip() == name
