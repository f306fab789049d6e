"""The Python face: validation up front, Clarify's edge cases, the ways to give answers."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sklearn.tree import DecisionTreeClassifier

from watchkeeper.errors import UsageError
from watchkeeper.fairness import (
    POSTTRAINING,
    PRETRAINING,
    posttraining_bias,
    pretraining_bias,
    read_analysis,
    write_analysis,
)


@pytest.fixture
def applicants() -> pa.Table:
    rng = np.random.default_rng(3)
    rows = 2_000
    sex = rng.choice(np.array(["female", "male"]), size=rows, p=[0.3, 0.7])
    score = rng.normal(70, 10, rows)
    approved = score + np.where(sex == "male", 5, 0) + rng.normal(0, 5, rows) > 75
    predicted = np.where(rng.uniform(size=rows) < 0.8, approved, ~approved)
    return pa.table(
        {
            "sex": sex,
            "age": rng.integers(18, 60, rows),
            "score": score,
            "school": rng.integers(0, 12, rows),
            "approved": approved.astype(np.int64),
            "predicted": predicted.astype(np.int64),
            "probability": np.where(predicted, 0.8, 0.2),
        }
    )


def _values(section: dict, index: int = 0) -> dict:
    (splits,) = section["facets"].values()
    return {metric["name"]: metric["value"] for metric in splits[index]["metrics"]}


def test_all_metrics_sorted_with_descriptions(applicants):
    pre = pretraining_bias(
        applicants,
        label="approved",
        label_values=[1],
        facet="sex",
        facet_values=["female"],
        group_variable="school",
    )
    post = posttraining_bias(
        applicants,
        label="approved",
        label_values=[1],
        facet="sex",
        facet_values=["female"],
        group_variable="school",
        predicted_label="predicted",
    )
    assert list(_values(pre)) == sorted(PRETRAINING) == list(PRETRAINING)
    assert list(_values(post)) == sorted(POSTTRAINING) == list(POSTTRAINING)
    metrics = post["facets"]["sex"][0]["metrics"]
    assert metrics[0]["description"] == "Accuracy Difference (AD)"
    assert all(m["value"] is not None for m in metrics)
    assert list(pre) == ["label", "facets", "label_value_or_threshold"]
    assert pre["label_value_or_threshold"] == "1"


def test_one_value_against_the_rest_when_no_values(applicants):
    pre = pretraining_bias(
        applicants, label="approved", label_values=[1], facet="sex", methods=["CI"]
    )
    splits = pre["facets"]["sex"]
    texts = [split["value_or_threshold"] for split in splits]
    assert sorted(texts) == ["female", "male"]
    ci = [split["metrics"][0]["value"] for split in splits]
    assert ci[0] == pytest.approx(-ci[1])


def test_threshold_texts_as_clarify_prints_them(applicants):
    whole = pretraining_bias(
        applicants,
        label="approved",
        label_values=[1],
        facet="age",
        facet_threshold=40,
        methods=["CI"],
    )
    assert whole["facets"]["age"][0]["value_or_threshold"] == "(40, 59]"
    fraction = pretraining_bias(
        applicants,
        label="score",
        label_threshold=75.5,
        facet="age",
        facet_threshold=40.0,
        methods=["CI"],
    )
    top = max(applicants.column("score").to_pylist())
    assert fraction["label_value_or_threshold"] == f"(75.5, {top!r}]"
    assert fraction["facets"]["age"][0]["value_or_threshold"] == "(40.0, 59.0]"


def test_empty_group_gives_null_values_with_errors(applicants):
    pre = pretraining_bias(
        applicants, label="approved", label_values=[1], facet="age", facet_threshold=100
    )
    for metric in pre["facets"]["age"][0]["metrics"]:
        assert metric["value"] is None
        assert metric["error"]


def test_infinity_written_as_clarify_writes_it(tmp_path):
    # Group a has no positive predictions, so DI divides by 0; a has a false negative and
    # no false positive, so its FN/FP ratio in TE is +inf too.
    table = pa.table({"f": ["a", "a", "b", "b"], "y": [1, 0, 1, 0], "p": [1, 1, 0, 0]})
    post = posttraining_bias(
        table,
        label="y",
        label_values=[1],
        facet="f",
        facet_values=["a"],
        predicted_label="p",
        methods=["DI", "TE"],
    )
    assert _values(post) == {"DI": math.inf, "TE": -math.inf}
    path = write_analysis(tmp_path, post=post)
    text = path.read_text()
    assert '"value": "Infinity"' in text and '"value": "-Infinity"' in text
    assert json.loads(text)["version"] == "1.0"
    assert _values(read_analysis(path)["post_training_bias_metrics"])["DI"] == math.inf


def test_all_positive_labels(applicants):
    table = applicants.set_column(4, "approved", pa.array(np.ones(applicants.num_rows, int)))
    pre = pretraining_bias(
        table,
        label="approved",
        label_values=[1],
        facet="sex",
        facet_values=["female"],
        group_variable="school",
    )
    values = _values(pre)
    assert values["DPL"] == 0 and values["KL"] == 0 and values["KS"] == 0
    assert values["CDDL"] is None


def test_model_probability_and_predicted_label_agree(applicants):
    features = applicants.select(["age", "score", "school"]).to_pandas()
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(
        features, applicants.column("approved").to_numpy()
    )
    table = applicants.append_column("tree", pa.array(model.predict(features)))
    common = dict(
        label="approved",
        label_values=[1],
        facet="sex",
        facet_values=["female"],
        methods=["DPPL", "DI", "AD", "RD", "GE"],
    )
    by_model = posttraining_bias(table.drop_columns(["tree"]), model=model, **common)
    by_column = posttraining_bias(table, predicted_label="tree", **common)
    assert _values(by_model) == _values(by_column)
    by_score = posttraining_bias(applicants, probability="probability", **common)
    by_label = posttraining_bias(applicants, predicted_label="predicted", **common)
    assert _values(by_score) == _values(by_label)


def test_sources_agree(applicants, tmp_path):
    path = tmp_path / "applicants.csv"
    applicants.to_pandas().to_csv(path, index=False)
    common = dict(label="approved", label_values=["1"], facet="sex", facet_values=["female"])
    from_file = pretraining_bias(path, **common)
    from_frame = pretraining_bias(applicants.to_pandas(), **common)
    assert from_file == from_frame


@pytest.mark.parametrize(
    ("arguments", "named"),
    [
        (dict(label="nope", label_values=[1], facet="sex"), "label column 'nope'"),
        (dict(label="approved", label_values=[1], facet="gender"), "facet column 'gender'"),
        (dict(label="approved", label_values=[5], facet="sex"), "label values 5"),
        (dict(label="approved", facet="sex"), "label_values or label_threshold"),
        (dict(label="approved", label_values=[1], label_threshold=0.5, facet="sex"), "exactly one"),
        (
            dict(label="approved", label_values=[1], facet="sex", facet_values=["x"]),
            "facet values x",
        ),
        (
            dict(
                label="approved",
                label_values=[1],
                facet="sex",
                facet_values=["male"],
                facet_threshold=1,
            ),
            "not both",
        ),
        (dict(label="approved", label_values=[1], facet="sex", facet_threshold=1), "column 'sex'"),
        (dict(label="approved", label_values=["yes"], facet="sex"), "'yes' is not a number"),
        (dict(label="approved", label_values=[1], facet="sex", group_variable="town"), "'town'"),
        (dict(label="approved", label_values=[1], facet="sex", methods=["CI", "FT"]), "FT"),
        (dict(label="approved", label_values=[1], facet="sex", facet_values=[]), "empty list"),
    ],
)
def test_bad_arguments_name_the_problem(applicants, arguments, named):
    with pytest.raises(UsageError, match=None) as caught:
        pretraining_bias(applicants, **arguments)
    assert named in str(caught.value)


def test_posttraining_needs_one_source_of_answers(applicants):
    common = dict(label="approved", label_values=[1], facet="sex")
    with pytest.raises(UsageError, match="exactly one"):
        posttraining_bias(applicants, **common)
    with pytest.raises(UsageError, match="exactly one"):
        posttraining_bias(
            applicants, predicted_label="predicted", probability="probability", **common
        )
    with pytest.raises(UsageError, match="predict"):
        posttraining_bias(applicants, model=object(), **common)


def test_flip_test_needs_numeric_features(applicants):
    table = applicants.append_column("town", pa.array(["x"] * applicants.num_rows))
    post = posttraining_bias(
        table,
        label="approved",
        label_values=[1],
        facet="sex",
        facet_values=["female"],
        predicted_label="predicted",
        methods=["FT"],
    )
    (metric,) = post["facets"]["sex"][0]["metrics"]
    assert metric["value"] is None and "non-numeric" in metric["error"]


def test_pandas_frame_with_categories():
    frame = pd.DataFrame(
        {"f": pd.Categorical(["a", "b", "a", "b"]), "y": [True, False, True, True]}
    )
    pre = pretraining_bias(
        frame, label="y", label_values=[True], facet="f", facet_values=["a"], methods=["DPL"]
    )
    assert _values(pre) == {"DPL": pytest.approx(0.5 - 1.0)}
