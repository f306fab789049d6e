"""One entry point estimates a window of any model type from a labelled reference."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from watchkeeper.errors import InputError, UsageError
from watchkeeper.quality.estimation import ESTIMATED, estimate_window, probability_columns
from watchkeeper.quality.metrics import KIND


def regression_rows(rng, rows: int, shift: float = 0.0):
    x = rng.normal(shift, 1.0, (rows, 2))
    prediction = x[:, 0]
    target = prediction + rng.normal(0, 0.2 + np.abs(x[:, 0]), rows)
    return {"x0": x[:, 0], "x1": x[:, 1], "score": prediction, "label": target}


def test_every_problem_type_estimates_metrics_named_as_its_statistics():
    assert set(ESTIMATED) == set(KIND)
    assert ESTIMATED["Regression"] == ("mae", "mse", "rmse", "r2")
    assert "weighted_f1" in ESTIMATED["MulticlassClassification"]


def test_a_regression_reference_file_teaches_the_loss_from_its_labelled_rows(tmp_path):
    rng = np.random.default_rng(3)
    reference = regression_rows(rng, 6_000)
    # a third of the reference is not labelled yet: those rows are left out, not guessed
    labels = reference["label"].copy()
    unlabelled = np.arange(6_000) % 3 == 0
    table = pa.table({**reference, "label": pa.array(labels, mask=unlabelled)})
    pacsv.write_csv(table, tmp_path / "reference.csv")
    window_rows = regression_rows(rng, 3_000)
    truth = np.abs(window_rows["label"] - window_rows["score"]).mean()
    # an answer column the reference lacks, and the window's label-free columns
    window = pa.table({k: v for k, v in window_rows.items() if k != "label"}).append_column(
        "version", pa.array(np.ones(3_000))
    )
    found = estimate_window(
        str(tmp_path / "reference.csv"), window, problem_type="Regression", label="label",
        prediction="score", answers=["score", "version"],
    )  # fmt: skip
    assert found["mae"] == pytest.approx(truth, rel=0.06)
    assert found["records"] == 3_000
    # the features default to the numeric columns both share but the label and the answers
    named = estimate_window(table, window, problem_type="Regression", label="label",
                            prediction="score", features=["x0", "x1"])  # fmt: skip
    assert named == found


def test_multiclass_probabilities_are_found_by_their_prefix_or_listed():
    table = pa.table({"p_0": [0.2], "p_1": [0.8], "p_2": [0.0], "p_4": [1.0]})
    assert probability_columns(table, "p") == ["p_0", "p_1", "p_2"]
    assert probability_columns(table, ["p_2", "p_0"]) == ["p_2", "p_0"]
    with pytest.raises(InputError, match="no columns q_0, q_1"):
        probability_columns(table, "q")
    with pytest.raises(UsageError, match="needs its probabilities"):
        probability_columns(table, None)


def test_a_window_with_failed_answers_is_estimated_on_the_rest():
    rng = np.random.default_rng(4)
    chance = rng.dirichlet([1, 1, 1], 3_000)
    labels = (rng.random(3_000)[:, None] > chance.cumsum(axis=1)).sum(axis=1)
    reference = pa.table({"label": labels, **{f"p_{k}": chance[:, k] for k in range(3)}})
    window = {f"p_{k}": pa.array(chance[:100, k], mask=np.arange(100) < 10) for k in range(3)}
    found = estimate_window(reference, pa.table(window), problem_type="MulticlassClassification",
                            label="label", probability="p")  # fmt: skip
    assert found["records"] == 90


def test_bad_settings_are_refused_with_a_reason():
    rng = np.random.default_rng(5)
    rows = pa.table(regression_rows(rng, 500))
    with pytest.raises(UsageError, match="problem_type must be one of"):
        estimate_window(rows, rows, problem_type="Ranking", label="label")
    with pytest.raises(UsageError, match="needs its prediction column"):
        estimate_window(rows, rows, problem_type="Regression", label="label")
    with pytest.raises(UsageError, match="needs its probability column"):
        estimate_window(rows, rows, problem_type="BinaryClassification", label="label")
    with pytest.raises(InputError, match="the window: no column 'score'"):
        estimate_window(rows, rows.drop_columns(["score"]), problem_type="Regression",
                        label="label", prediction="score")  # fmt: skip
    with pytest.raises(InputError, match="share no numeric feature column"):
        estimate_window(rows, rows.select(["score"]), problem_type="Regression",
                        label="label", prediction="score")  # fmt: skip
    text = rows.set_column(0, "x0", pa.array(["a"] * 500))
    with pytest.raises(InputError, match="column 'x0' is not numeric"):
        estimate_window(text, rows, problem_type="Regression", label="label",
                        prediction="score", features=["x0"])  # fmt: skip
