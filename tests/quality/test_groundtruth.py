"""Ground-truth upload, reading and the merge with captured traffic, on real files."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from watchkeeper.capture import read_capture
from watchkeeper.errors import InputError, UsageError
from watchkeeper.quality import (
    merge_with_captures,
    model_quality,
    read_ground_truth,
    upload_ground_truth,
)

MONITOR = Path(__file__).parents[1] / "data/sagemaker/monitor"
TEN = datetime(2024, 5, 1, 10, 15, tzinfo=UTC)


def test_jsonl_upload_lands_in_the_hour_folder_as_sagemaker_records(tmp_path):
    done = upload_ground_truth(MONITOR / "actuals.jsonl", "churn", tmp_path, collected_at=TEN)
    path = Path(done.uri)
    assert path.parent == tmp_path / "churn/2024/05/01/10"
    assert done.records == 44 and done.bad_lines == []
    first = json.loads(path.read_text().splitlines()[0])
    assert first == {
        "groundTruthData": {"data": "1", "encoding": "CSV"},
        "eventMetadata": {"eventId": "74b0dd56-e7c8-368e-94b1-14a138a96000"},
        "eventVersion": "0",
    }
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary left


def test_csv_upload_and_read_back_within_the_window(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("inference_id,label,note\na,1,x\nb,0,y\n")
    upload_ground_truth(labels, "churn", tmp_path / "gt", collected_at=TEN)
    upload_ground_truth(labels, "churn", tmp_path / "gt",
                        collected_at=datetime(2024, 5, 1, 13, tzinfo=UTC))  # fmt: skip
    table = read_ground_truth(
        tmp_path / "gt", "churn", datetime(2024, 5, 1, 10, tzinfo=UTC),
        datetime(2024, 5, 1, 11, tzinfo=UTC),
    )  # fmt: skip
    assert table.schema.names == ["eventId", "label"]
    assert sorted(table.to_pylist(), key=str) == [
        {"eventId": "a", "label": "1"},
        {"eventId": "b", "label": "0"},
    ]
    outside = read_ground_truth(
        tmp_path / "gt", "churn", datetime(2024, 5, 2, tzinfo=UTC), datetime(2024, 5, 3, tzinfo=UTC)
    )
    assert outside.num_rows == 0


def test_a_relabelled_event_keeps_its_latest_label(tmp_path):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("eventId,label\ne1,0\ne2,1\n")
    second.write_text("eventId,label\ne1,1\n")
    upload_ground_truth(first, "ep", tmp_path / "gt", collected_at=TEN)
    upload_ground_truth(second, "ep", tmp_path / "gt",
                        collected_at=datetime(2024, 5, 1, 11, tzinfo=UTC))  # fmt: skip
    table = read_ground_truth(tmp_path / "gt", "ep", TEN, datetime(2024, 5, 1, 12, tzinfo=UTC))
    assert dict(zip(*table.to_pydict().values(), strict=True)) == {"e1": "1", "e2": "1"}


def test_bad_lines_are_reported_and_nothing_is_written(tmp_path):
    bad = tmp_path / "labels.jsonl"
    lines = (MONITOR / "actuals.jsonl").read_text().splitlines()[:3]
    bad.write_text("\n".join([lines[0], "{not json", lines[1], '{"groundTruthData":{}}']) + "\n")
    with pytest.raises(InputError, match="line 2 is not a ground-truth record"):
        upload_ground_truth(bad, "churn", tmp_path / "gt", collected_at=TEN)
    assert not (tmp_path / "gt").exists()
    done = upload_ground_truth(bad, "churn", tmp_path / "gt", collected_at=TEN,
                               skip_bad_lines=True)  # fmt: skip
    assert done.records == 2 and done.bad_lines == [2, 4]


def test_bad_csv_is_named(tmp_path):
    labels = tmp_path / "labels.csv"
    labels.write_text("id,target\na,1\n")
    with pytest.raises(InputError, match="needs an id column"):
        upload_ground_truth(labels, "churn", tmp_path / "gt")
    labels.write_text("eventId,label\na,1\n,0\n")
    with pytest.raises(InputError, match="line 3 has no eventId"):
        upload_ground_truth(labels, "churn", tmp_path / "gt")
    with pytest.raises(InputError, match=r"missing\.csv"):
        upload_ground_truth(tmp_path / "missing.csv", "churn", tmp_path / "gt")
    with pytest.raises(UsageError):
        upload_ground_truth(labels, "bad/name", tmp_path / "gt")


def capture_folder(tmp_path: Path) -> Path:
    """The SDK's capture sample as captured at 10:15, in the capture layout."""
    text = (MONITOR / "capture.jsonl").read_text().replace("{%s}", "2024-05-01T10:15:00Z")
    folder = tmp_path / "capture/churn/AllTraffic/2024/05/01/10"
    folder.mkdir(parents=True)
    (folder / "capture.jsonl").write_text(text)
    return tmp_path / "capture"


def test_merge_the_sdk_captures_with_their_actuals(tmp_path):
    window = read_capture(capture_folder(tmp_path), "churn", start=TEN,
                          end=datetime(2024, 5, 1, 11, tzinfo=UTC))  # fmt: skip
    upload_ground_truth(MONITOR / "actuals.jsonl", "churn", tmp_path / "gt", collected_at=TEN)
    labels = read_ground_truth(tmp_path / "gt", "churn", TEN, datetime(2024, 5, 1, 11, tzinfo=UTC))
    merged = merge_with_captures(window.table, labels)
    assert merged.table.num_rows == 44
    assert merged.unmatched_captures == 0 and merged.unmatched_ground_truth == 0
    output = window.table.column_names[0]
    doc = model_quality(
        merged.table,
        problem_type="BinaryClassification",
        inference_attribute=None,
        probability_attribute=output,
        ground_truth_attribute="groundTruth",
    )
    assert doc["dataset"]["item_count"] == 44


def test_merge_prefers_inference_id_and_counts_both_sides():
    captures = pa.table({
        "out": ["0.1", "0.8", "0.4", "0.6"],
        "__event_id": ["e1", "e2", "e3", "e4"],
        "__inference_id": ["i1", None, None, "i4"],
        "__inference_time": ["t"] * 4,
    })  # fmt: skip
    labels = pa.table({"eventId": ["i1", "e2", "e4", "zz"], "label": ["0", "1", "1", "0"]})
    merged = merge_with_captures(captures, labels, label_column="actual")
    rows = {r["out"]: r["actual"] for r in merged.table.to_pylist()}
    assert rows == {"0.1": "0", "0.8": "1"}  # e4 has inference id i4, so its eventId is unused
    assert merged.unmatched_captures == 2 and merged.unmatched_ground_truth == 2
    with pytest.raises(UsageError, match="already a capture column"):
        merge_with_captures(captures, labels, label_column="out")
    with pytest.raises(UsageError, match="__event_id"):
        merge_with_captures(captures.drop_columns(["__event_id"]), labels)
