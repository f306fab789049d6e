"""watchkeeper's key in statistics.json: a baseline read back holds what the judge reads.

SageMaker's fields stay as SageMaker writes them; the key carries the rest (exact and
higher moments, counts by type, the sketches' error), checked like every other field.
"""

from __future__ import annotations

import copy
import json
import math
import re

import numpy as np
import pyarrow as pa
import pytest

import watchkeeper
from sagemaker_fields import sagemaker_fields
from watchkeeper.baseline import (
    profile_from_statistics,
    statistics_document,
    statistics_json,
    write_statistics,
)
from watchkeeper.errors import FormatError
from watchkeeper.profile import ColumnProfile, DatasetProfile

ROWS = 5_000


def every_kind(rows: int = ROWS, seed: int = 3) -> pa.Table:
    rng = np.random.default_rng(seed)
    gaps = rng.random(rows) < 0.05
    return pa.table(
        {
            "amount": pa.array(rng.normal(100, 15, rows), mask=gaps),
            "heavy": rng.standard_t(3, rows),
            # whole numbers and halves in a float column: integral_valued counts them
            "halves": rng.integers(0, 5, rows) + (rng.random(rows) < 0.2) * 0.5,
            "count": rng.poisson(3, rows),
            "colour": pa.array(rng.choice(["red", "green", "blue"], rows), mask=gaps),
            # past 1,000 distinct values the counts are a frequent-items sketch
            "code": np.char.add("c", rng.integers(0, 4000, rows).astype(str)),
            "flag": rng.random(rows) < 0.3,
            "numeric_text": rng.integers(0, 50, rows).astype(str),
            "empty": pa.nulls(rows, pa.string()),
        }
    )


def read_back(profile: DatasetProfile) -> DatasetProfile:
    return profile_from_statistics(json.loads(statistics_json(profile)))


def judged_state(column: ColumnProfile) -> dict:
    """Everything the drift detector and the constraint checks read of a baseline column."""
    categories = column.categories
    return {
        "counts": (column.count, column.null_count, column.present, column.inferred_type),
        "types": (dict(column.type_counts), column.integral_valued),
        "moments": repr(column.moments),  # repr: exact, NaN included
        "kll": (
            [level.tolist() for level in column.kll.levels],
            column.kll.compactions,
            column.kll.offsets,
            column.kll.error_weight,
            column.kll.rank_error_bound(),
        )
        if column.is_numeric
        else None,
        "categories": (
            categories.items(),
            categories.is_exact,
            categories.total,
            categories.max_error,
        )
        if column.inferred_type in ("String", "Boolean")
        else None,
    }


@pytest.fixture(scope="module")
def profile() -> DatasetProfile:
    return watchkeeper.profile(every_kind())


def test_a_baseline_read_back_holds_what_the_judge_reads(profile):
    assert not profile.columns["code"].categories.is_exact
    assert profile.columns["amount"].kll.error_weight > 0  # compacted
    assert profile.columns["halves"].integral_valued > 0
    back = read_back(profile)
    assert list(back.columns) == list(profile.columns)
    for name, column in profile.columns.items():
        assert judged_state(back.columns[name]) == judged_state(column), name


def test_without_the_key_a_file_reads_as_sagemakers_fields_say(profile):
    back = profile_from_statistics(statistics_document(profile, sagemaker_only=True))
    assert math.isnan(back.columns["amount"].moments.m4)
    assert back.columns["amount"].kll.error_weight == 0
    assert back.columns["code"].categories.is_exact  # the 1,000 buckets listed
    assert back.columns["code"].categories.total < profile.columns["code"].categories.total


def test_the_key_leaves_sagemakers_fields_as_they_were(profile, tmp_path):
    ours = statistics_json(profile)
    alone = statistics_json(profile, sagemaker_only=True)
    assert sagemaker_fields(ours) == alone
    document = json.loads(ours)
    assert list(document) == ["version", "dataset", "features", "watchkeeper"]
    assert document["watchkeeper"]["version"] == 1
    assert list(document["watchkeeper"]["features"]) == list(profile.columns)
    path = tmp_path / "statistics.json"
    write_statistics(profile, path, sagemaker_only=True)
    assert path.read_text() == alone


def test_a_read_back_baseline_merges_as_the_profile_did(profile):
    later = watchkeeper.profile(every_kind(3_000, seed=4))
    merged, merged_back = profile.merge(later), read_back(profile).merge(later)
    for name in ("amount", "heavy", "count", "colour", "code"):
        assert judged_state(merged_back.columns[name]) == judged_state(merged.columns[name])


def test_a_profile_read_from_sagemakers_file_is_written_and_read_again_alike():
    back = profile_from_statistics(
        statistics_document(watchkeeper.profile(every_kind(500)), sagemaker_only=True)
    )
    again = read_back(back)
    for name, column in back.columns.items():
        assert judged_state(again.columns[name]) == judged_state(column), name


# -- a key that cannot be trusted is refused, in one line --------------------------------


@pytest.fixture(scope="module")
def small() -> dict:
    table = every_kind(300)
    return json.loads(statistics_json(watchkeeper.profile(table)))


def changed(document: dict, change) -> dict:
    document = copy.deepcopy(document)
    change(document)
    return document


def feature(document: dict, name: str) -> dict:
    return next(entry for entry in document["features"] if entry["name"] == name)


def own(document: dict, name: str) -> dict:
    return document["watchkeeper"]["features"][name]


def refused(document: dict, message: str) -> None:
    with pytest.raises(FormatError, match=re.escape(message)):
        profile_from_statistics(document, "base/statistics.json")


@pytest.mark.parametrize(
    ("field", "value"),
    [("mean", 101.5), ("std_dev", 20.0), ("sum", 1.0), ("max", 500.0)],
)
def test_sagemaker_fields_changed_after_writing_are_refused(small, field, value):
    def edit(document):
        feature(document, "amount")["numerical_statistics"][field] = value

    document = changed(small, edit)
    refused(
        document,
        "base/statistics.json: watchkeeper.features['amount'].moments disagrees with the "
        f"feature's {field} in SageMaker's fields: the file was changed after watchkeeper "
        'wrote it; remove the "watchkeeper" key to judge from SageMaker\'s fields alone',
    )
    del document["watchkeeper"]  # as the message says: SageMaker's fields alone
    assert profile_from_statistics(document).columns["amount"].moments.n > 0


def test_changed_categories_are_refused():
    document = json.loads(statistics_json(watchkeeper.profile(every_kind(3_000))))
    buckets = feature(document, "code")["string_statistics"]["distribution"]["categorical"]
    buckets["buckets"][0]["count"] += 1
    refused(document, "watchkeeper.features['code'].categories disagrees with the feature's "
            "distribution.categorical.buckets")  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["watchkeeper"].update(version=2),
         "watchkeeper.version 2 was written by a newer watchkeeper (this one reads version 1); "
         'upgrade watchkeeper, or remove the "watchkeeper" key'),
        (lambda d: d["watchkeeper"].update(version="1"), "watchkeeper.version is '1'; expected 1"),
        (lambda d: d["watchkeeper"].update(features=[]),
         "watchkeeper.features is a list; expected an object"),
        (lambda d: d["watchkeeper"]["features"].update(ghost={}),
         "watchkeeper.features['ghost']: no feature of this name in the file's features"),
        (lambda d: own(d, "amount")["moments"].update(m2=-1.0),
         "watchkeeper.features['amount'].moments.m2: must not be negative"),
        (lambda d: own(d, "amount")["moments"].update(n=10**6),
         "watchkeeper.features['amount'].moments.n: 1000000 is more than the"),
        (lambda d: own(d, "amount")["type_counts"].update(String=5),
         "watchkeeper.features['amount'].type_counts: add up to"),
        (lambda d: own(d, "count")["type_counts"].update(Integral=0, Fractional=1),
         "watchkeeper.features['count'].type_counts disagrees with the feature's inferred_type"),
        (lambda d: own(d, "halves").update(integral_valued=10**6),
         "watchkeeper.features['halves'].integral_valued is more than the Fractional values"),
        (lambda d: own(d, "amount")["kll"].update(compactions=[0, 0]),
         "watchkeeper.features['amount'].kll.compactions has 2 entries; the feature's sketch "
         "has 1 levels"),
        (lambda d: own(d, "amount")["kll"].update(offsets=[2]),
         "watchkeeper.features['amount'].kll.offsets must be 0 or 1"),
        (lambda d: own(d, "amount")["kll"].update(error_weight=10**6),
         "watchkeeper.features['amount'].kll.error_weight is more than the"),
        (lambda d: own(d, "colour").update(categories={"cap": 1000}),
         "watchkeeper.features['colour'].categories: missing field"),
    ],
)  # fmt: skip
def test_a_bad_key_is_one_clear_error(small, change, message):
    refused(changed(small, change), message)


def test_a_bad_key_stops_the_cli_with_one_line(tmp_path, small):
    from typer.testing import CliRunner

    from watchkeeper.cli import app

    folder = tmp_path / "baseline"
    folder.mkdir()
    document = changed(small, lambda d: own(d, "amount")["kll"].update(offsets=[2]))
    (folder / "statistics.json").write_text(json.dumps(document))
    data = tmp_path / "current.csv"
    data.write_text("amount\n1.0\n2.0\n")
    result = CliRunner().invoke(app, ["check", str(data), "--baseline", str(folder)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {folder / 'statistics.json'}: watchkeeper.features['amount'].kll.offsets "
        "must be 0 or 1"
    ]
