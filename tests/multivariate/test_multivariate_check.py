"""Multivariate drift through `watchkeeper baseline` and `watchkeeper check`: the stored
sample, the violation and exit status, the report section, old baselines, bad samples."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from multivariate_data import correlated

import watchkeeper
from watchkeeper.checks.pipeline import run_check

SAMPLE = "watchkeeper-sample.parquet"


def run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "watchkeeper", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        timeout=300,
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A baseline of 25,000 rows made by the command, and data to check against it."""
    where = tmp_path_factory.mktemp("multivariate")
    pacsv.write_csv(correlated(25_000, 0.8, 1), where / "train.csv")
    pacsv.write_csv(correlated(5_000, 0.8, 2), where / "same.csv")
    pacsv.write_csv(correlated(5_000, -0.8, 3), where / "flipped.csv")
    done = run("baseline", "train.csv", "-o", "baseline", cwd=where)
    assert done.returncode == 0, done.stderr
    assert f"wrote baseline/{SAMPLE}" in done.stdout
    return where


def test_the_baseline_stores_a_bounded_sample_of_numbers_and_categories(folder):
    sample = pq.read_table(folder / "baseline" / SAMPLE)
    assert sample.num_rows == 10_000
    # the identifier column (a value per row) is not a category
    assert sample.column_names == ["x", "y", "z", "plan"]
    assert sample.schema.field("plan").type == pa.string()
    # rows of the file as they were: their correlation is there
    assert np.corrcoef(sample["x"].to_numpy(), sample["y"].to_numpy())[0, 1] > 0.75


def test_check_flags_a_flipped_correlation_with_exit_one(folder):
    done = run("check", "flipped.csv", "--baseline", "baseline", "-o", "flipped", "--json",
               cwd=folder)  # fmt: skip
    assert done.returncode == 1, done.stderr
    summary = json.loads(done.stdout)
    [violation] = summary["violations"]
    assert violation["feature_name"] == "x, y, z, plan"
    assert violation["constraint_check_type"] == "multivariate_drift_check"
    assert violation["description"].startswith("PCA reconstruction error")
    low, high = summary["multivariate"]["band"]
    assert violation["observed"] > high == violation["threshold"] > low
    written = json.loads((folder / "flipped" / "constraint_violations.json").read_text())
    assert written["violations"] == [
        {
            "feature_name": "x, y, z, plan",
            "constraint_check_type": "multivariate_drift_check",
            "description": violation["description"],
        }
    ]
    page = (folder / "flipped" / "report.html").read_text()
    assert '<section id="multivariate">' in page
    assert "Drift: PCA reconstruction error" in page


def test_check_of_unchanged_data_passes_and_reports_the_band(folder):
    done = run("check", "same.csv", "--baseline", "baseline", "-o", "same", cwd=folder)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "multivariate: PCA reconstruction error" in done.stdout
    assert "within the baseline band" in done.stdout
    page = (folder / "same" / "report.html").read_text()
    assert "No drift: PCA reconstruction error" in page


def test_multivariate_off_and_the_classifier(folder):
    done = run("check", "flipped.csv", "--baseline", "baseline", "--multivariate", "off",
               "--json", cwd=folder)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["multivariate"] is None
    done = run("check", "flipped.csv", "--baseline", "baseline", "--multivariate", "classifier",
               "--json", cwd=folder)  # fmt: skip
    assert done.returncode == 1, done.stderr
    [violation] = json.loads(done.stdout)["violations"]
    assert violation["constraint_check_type"] == "multivariate_drift_check"
    assert violation["observed"] > 0.8  # the AUC: the two samples are told apart
    assert violation["details"]["separating"][:2] in (["x", "y"], ["y", "x"])
    done = run("check", "flipped.csv", "--baseline", "baseline", "--multivariate", "all",
               cwd=folder)  # fmt: skip
    assert done.returncode == 2
    assert "Traceback" not in done.stderr


def test_an_old_baseline_without_a_sample_is_judged_with_a_note_once(folder, tmp_path, caplog):
    old = tmp_path / "old"
    old.mkdir()
    for name in ("statistics.json", "constraints.json"):
        (old / name).write_bytes((folder / "baseline" / name).read_bytes())
    data = folder / "flipped.csv"
    with caplog.at_level(logging.WARNING, logger="watchkeeper.checks"):
        first = run_check(data, baseline=old, output=tmp_path / "checked")
        second = run_check(data, baseline=old)
    for outcome in (first, second):
        assert outcome.violations == []  # the columns alone did not change
        assert outcome.multivariate.note.startswith("the baseline has no row sample")
    noted = [record for record in caplog.records if "no row sample" in record.getMessage()]
    assert len(noted) == 1
    page = (tmp_path / "checked" / "report.html").read_text()
    assert "multivariate drift not judged: the baseline has no row sample" in page
    done = run("check", str(data), "--baseline", str(old), cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "multivariate drift not judged: the baseline has no row sample" in done.stdout


def test_a_damaged_sample_is_one_line_and_exit_two(folder, tmp_path):
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    for name in ("statistics.json", "constraints.json"):
        (damaged / name).write_bytes((folder / "baseline" / name).read_bytes())
    (damaged / SAMPLE).write_bytes(b"PAR1 cut short")
    done = run("check", "same.csv", "--baseline", str(damaged), cwd=folder)
    assert done.returncode == 2
    assert f"{SAMPLE}: not a readable Parquet sample" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_in_memory_baseline_carries_its_sample():
    baseline = watchkeeper.suggest_baseline(correlated(3_000, 0.8, 4))
    assert baseline.sample.num_rows == 3_000
    outcome = watchkeeper.check(correlated(2_000, -0.8, 5), baseline)
    assert [v.constraint_check_type for v in outcome.violations] == ["multivariate_drift_check"]
    # a profile keeps no rows: the check says so rather than judging
    profile = watchkeeper.profile(correlated(2_000, -0.8, 5))
    outcome = watchkeeper.check(profile, baseline)
    assert outcome.violations == []
    assert outcome.multivariate.note == "a profile keeps no rows to compare"


def test_data_without_the_samples_columns_gets_a_note():
    baseline = watchkeeper.suggest_baseline(correlated(1_000, 0.8, 6))
    other = pa.Table.from_pydict({"price": [1.0, 2.0, 3.0]})
    outcome = watchkeeper.check(other, baseline)
    assert outcome.multivariate.note == (
        "the data has none of the columns of the baseline's row sample"
    )
    assert "multivariate_drift_check" not in {v.constraint_check_type for v in outcome.violations}


def test_data_of_no_readable_column_keeps_no_sample(tmp_path):
    only_text = pa.Table.from_pydict({"note": [f"free text {i}" for i in range(500)]})
    baseline = watchkeeper.suggest_baseline(only_text, tmp_path / "baseline")
    assert baseline.sample is None
    assert not (tmp_path / "baseline" / SAMPLE).exists()
    outcome = watchkeeper.check(only_text, tmp_path / "baseline")
    assert outcome.multivariate.note.startswith("the baseline has no row sample")
