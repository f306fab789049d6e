"""The offline store on S3 (moto): layout, SQL and point-in-time joins."""

from __future__ import annotations

import pandas as pd
from featurestore_workspace import workspace  # noqa: F401  (autouse fixture)

from watchkeeper.featurestore import FeatureStore


def test_offline_store_on_s3(s3_bucket, tmp_path):
    fs = FeatureStore(
        s3_bucket.url("fs"),
        online=f"sqlite:///{tmp_path / 'online.db'}",
        storage_options=s3_bucket.storage_options,
    )
    frame = pd.DataFrame(
        {"id": [1, 2], "t": ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"], "x": [1.0, 2.0]}
    )
    fg = fs.feature_group("g")
    fg.load_feature_definitions(frame)
    fg.create("id", "t")
    report = fg.ingest(frame)
    assert all(uri.startswith(s3_bucket.url("fs/g/event_date=")) for uri in report.files)
    assert fs.list() == ["g"]
    assert fg.describe()["OfflineStoreConfig"]["S3StorageConfig"]["S3Uri"] == s3_bucket.url("fs/g")
    assert fs.query('SELECT sum(x) AS s FROM "g"')["s"].tolist() == [3.0]
    entity = pd.DataFrame(
        {"id": [2, 1], "t": pd.to_datetime(["2024-01-03", "2023-12-31"], utc=True)}
    )
    result = fs.point_in_time(entity, ["g"], event_time_column="t")
    assert result["x"].iloc[0] == 2.0 and pd.isna(result["x"].iloc[1])
    assert fg.get_record(1)["x"] == 1.0
    fg.delete()
    assert fs.list() == []
    fs.close()
