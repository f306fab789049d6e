"""A column of unique ids: statistics.json as SageMaker writes it, reports that say so."""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow as pa
import pyarrow.csv
import pytest

import watchkeeper
from watchkeeper.report import feature_table

ROWS = 5_000


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ids")
    table = pa.table(
        {
            "order_id": [f"ord-{i:06d}" for i in range(ROWS)],
            "customer": np.arange(100_000, 100_000 + ROWS),
            "channel": ["web", "store", "web", "phone"] * (ROWS // 4),
        }
    )
    pa.csv.write_csv(table, folder / "orders.csv")
    watchkeeper.suggest_baseline(folder / "orders.csv", folder / "baseline")
    return folder / "baseline"


def test_statistics_count_each_id_once(baseline):
    statistics = json.loads((baseline / "statistics.json").read_text())
    order_id = statistics["features"][0]["string_statistics"]
    buckets = order_id["distribution"]["categorical"]["buckets"]
    # SageMaker's categorical counts are exact: every id was seen once
    assert len(buckets) == 1000 and {bucket["count"] for bucket in buckets} == {1}
    # its distinct_count is an approximate count, as SageMaker's is
    assert order_id["distinct_count"] == pytest.approx(ROWS, rel=0.03)


def test_the_table_never_counts_more_distinct_values_than_values(baseline):
    profile = watchkeeper.profile(baseline.parent / "orders.csv")
    rows = {row["feature"]: row for row in feature_table(profile)}
    assert rows["order_id"]["distinct"] == ROWS and rows["order_id"]["top_value"] is None
    assert rows["customer"]["distinct"] == ROWS
    assert rows["channel"]["distinct"] == 3 and rows["channel"]["top_value"] == "web"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_report_marks_estimates_and_unique_columns(baseline):
    text = _text((baseline / "report.html").read_text())
    assert text.count("≈ 5,000; all values unique") == 2 * 2  # table and section, 2 columns
    assert "none: all values unique" in text
    assert not re.search(r"\b5,0[1-9]\d\b", text)  # no more distinct values than values
    assert "ord-000001" not in text  # no "most frequent" id
    assert "≈ 3" not in text  # a counted figure is shown as it is


def test_a_baseline_that_lists_the_sketchs_estimates_still_reads(baseline, tmp_path):
    """Files written before the buckets held the counts seen listed the estimates."""
    import shutil

    older = tmp_path / "older"
    shutil.copytree(baseline, older)
    document = json.loads((older / "statistics.json").read_text())
    profile = watchkeeper.profile(baseline.parent / "orders.csv")
    estimates = profile.columns["order_id"].categories.items(1000)
    document["features"][0]["string_statistics"]["distribution"]["categorical"]["buckets"] = [
        {"value": value, "count": count} for value, count in estimates
    ]
    assert {count for _, count in estimates} == {2}
    (older / "statistics.json").write_text(json.dumps(document))
    read = watchkeeper.load_baseline(older).statistics
    assert read.columns["order_id"].categories.total == ROWS
