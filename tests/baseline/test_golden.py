"""SageMaker's real baselining output, reproduced from the same input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import watchkeeper
from sagemaker_fields import sagemaker_fields
from watchkeeper.baseline import (
    constraints_json,
    profile_from_statistics,
    read_statistics,
    statistics_json,
    suggest_constraints,
)

GOLDEN = Path(__file__).parents[1] / "data" / "sagemaker"
DATA_QUALITY = GOLDEN / "pipeline" / "quality_check_step" / "data_quality"


@pytest.fixture(scope="module")
def profile():
    return watchkeeper.profile(DATA_QUALITY / "baseline_dataset.csv")


def test_statistics_reproduced_byte_for_byte(profile):
    expected = (DATA_QUALITY / "statistics.json").read_text()
    assert sagemaker_fields(statistics_json(profile)) == expected
    assert statistics_json(profile, sagemaker_only=True) == expected


def test_every_number_of_the_statistics(profile):
    expected = json.loads((DATA_QUALITY / "statistics.json").read_text())
    ours = json.loads(statistics_json(profile))
    assert set(ours) - set(expected) == {"watchkeeper"}
    del ours["watchkeeper"]
    assert ours == expected  # exact float equality, field for field


def test_suggested_constraints_reproduced(profile):
    expected = (DATA_QUALITY / "good_cases" / "constraints.json").read_text()
    assert constraints_json(suggest_constraints(profile)) == expected


def test_cli_baseline_writes_the_same_files(tmp_path):
    baseline = watchkeeper.suggest_baseline(DATA_QUALITY / "baseline_dataset.csv", tmp_path)
    assert sagemaker_fields((tmp_path / "statistics.json").read_text()) == (
        DATA_QUALITY / "statistics.json"
    ).read_text()
    assert (tmp_path / "constraints.json").read_text() == (
        DATA_QUALITY / "good_cases" / "constraints.json"
    ).read_text()
    assert (tmp_path / "report.html").stat().st_size > 0
    assert baseline.location == str(tmp_path)


def test_sagemaker_statistics_read_back_as_a_profile(profile):
    back = read_statistics(DATA_QUALITY / "statistics.json")
    assert back.rows == 100
    assert list(back.columns) == [f"_c{i}" for i in range(6)]
    for name, column in back.columns.items():
        ours = profile.columns[name]
        assert column.inferred_type == "Fractional"
        assert column.moments.std_dev == ours.moments.std_dev
        assert column.moments.average == ours.moments.average
        assert column.kll.to_deequ_data() == ours.kll.to_deequ_data()
    # and written again, unchanged
    expected = (DATA_QUALITY / "statistics.json").read_text()
    assert statistics_json(back, sagemaker_only=True) == expected
    assert sagemaker_fields(statistics_json(back)) == expected


def test_string_statistics_read_back():
    back = read_statistics(GOLDEN / "monitor" / "statistics.json")
    column = back.columns["message"]
    assert column.inferred_type == "String"
    assert column.present == 418
    assert column.categories.as_dict() == {"preproc-not-YET-supported-for-csv-json": 418}


def test_model_quality_file_is_not_data_statistics():
    document = json.loads(
        (
            GOLDEN / "pipeline" / "quality_check_step" / "model_quality" / "statistics.json"
        ).read_text()
    )
    with pytest.raises(watchkeeper.WatchkeeperError, match='no "features" list'):
        profile_from_statistics(document, "model_quality/statistics.json")
