def test_distinct_unknown_for_statistics_baselines():
    from pathlib import Path

    from watchkeeper.baseline import read_statistics
    from watchkeeper.report import feature_table

    golden = Path(__file__).parents[1] / "data" / "sagemaker"
    path = golden / "pipeline" / "quality_check_step" / "data_quality" / "statistics.json"
    rows = feature_table(read_statistics(path))
    assert [row["distinct"] for row in rows] == [None] * 6
    assert rows[0]["mean"] == 2.31
