"""``watchkeeper baseline`` and ``check`` on a CSV with a free-text column."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv
import pytest
from typer.testing import CliRunner

from text_samples import texts
from watchkeeper.cli import app

runner = CliRunner()


def write(path, seed: int, **changes):
    rng = np.random.default_rng(seed)
    pv.write_csv(pa.table({"x": rng.normal(size=1500), "review": texts(1500, seed, **changes)}),
                 path)  # fmt: skip
    return str(path)


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    data = write(folder / "train.csv", 1)
    result = runner.invoke(app, ["baseline", data, "-o", str(folder / "b")])
    assert result.exit_code == 0, result.output
    statistics = json.loads((folder / "b" / "statistics.json").read_text())
    review = statistics["watchkeeper"]["features"]["review"]
    assert set(review["text"]) == {"descriptors", "vocabulary"}
    return folder


def check(folder, name: str, **changes):
    data = write(folder / f"{name}.csv", 7, **changes)
    return runner.invoke(app, ["check", data, "--baseline", str(folder / "b"), "--json"])


def test_the_check_is_quiet_on_unchanged_text(baseline):
    result = check(baseline, "same")
    assert result.exit_code == 0, result.output


def test_the_check_names_the_column_and_the_descriptor_that_moved(baseline):
    result = check(baseline, "new", unseen=0.2)
    assert result.exit_code == 1
    (violation,) = json.loads(result.stdout)["violations"]
    assert violation["feature_name"] == "review"
    assert violation["description"].startswith("out_of_vocabulary_share: ")


def test_text_and_not_text_cannot_name_the_same_column(tmp_path):
    data = write(tmp_path / "d.csv", 3)
    both = ["--text", "review", "--not-text", "review"]
    result = runner.invoke(app, ["baseline", data, "-o", str(tmp_path / "b"), *both])
    assert result.exit_code == 2
    assert "--text and --not-text both name review" in result.output
