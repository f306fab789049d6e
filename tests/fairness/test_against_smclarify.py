"""Every metric against smclarify (the open-source code of Clarify's bias metrics) on
generated datasets, edge cases included."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pytest

from watchkeeper.fairness import posttraining_bias, pretraining_bias

smclarify_report = pytest.importorskip("smclarify.bias.report")

# smclarify's own deprecation warnings under pandas 3, not ours.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")


@dataclass
class Case:
    name: str
    frame: pd.DataFrame
    facet_values: list[Any] | None = None
    facet_threshold: float | None = None
    label_values: list[Any] | None = None
    label_threshold: float | None = None
    group: str | None = "g"
    options: dict[str, Any] = field(default_factory=dict)


def _frame(
    seed: int,
    rows: int,
    *,
    facet: str = "text",
    labels: str = "int",
    groups: int = 4,
    positive_rate: float = 0.4,
    predicted_rate: float | None = None,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=rows)
    x2 = rng.uniform(size=rows)
    facet_values = {
        "text": rng.choice(np.array(["f", "m", "x"]), size=rows, p=[0.3, 0.6, 0.1]),
        "multi": rng.choice(np.array(["a", "b", "c", "d", "e"]), size=rows),
        "float": rng.uniform(size=rows),
        "int": rng.choice(np.array([0, 1, 2]), size=rows),
    }[facet]
    # Labels depend on the facet and x1, so that groups differ.
    shift = np.where(
        np.asarray(facet_values).astype(str) == np.asarray(facet_values)[0].astype(str), 0.15, 0.0
    )
    label = rng.uniform(size=rows) < positive_rate + shift + 0.1 * np.tanh(x1)
    predicted = rng.uniform(size=rows) < (predicted_rate if predicted_rate is not None else 0.5)
    predicted = np.where(rng.uniform(size=rows) < 0.6, label, predicted)
    frame = pd.DataFrame(
        {"x1": x1, "x2": x2, "g": rng.integers(0, groups, size=rows), "facet": facet_values}
    )
    if labels == "int":
        frame["label"], frame["predicted"] = label.astype(np.int64), predicted.astype(np.int64)
    elif labels == "text":
        frame["label"] = np.where(label, "yes", "no")
        frame["predicted"] = np.where(predicted, "yes", "no")
    else:  # a continuous score as label, positive above a threshold
        frame["label"] = np.round(label * 0.5 + rng.uniform(size=rows) * 0.5, 6)
        frame["predicted"] = np.round(predicted * 0.5 + rng.uniform(size=rows) * 0.5, 6)
    return frame


def _cases() -> list[Case]:
    cases = [
        Case("categorical", _frame(1, 400), ["f"], label_values=[1]),
        Case("categorical-multi", _frame(2, 500, facet="multi"), ["a", "c"], label_values=[1]),
        Case("one-vs-rest", _frame(3, 300, facet="multi"), label_values=[1]),
        Case("one-vs-rest-int", _frame(4, 600, facet="int"), label_values=[1]),
        Case(
            "continuous-facet", _frame(5, 400, facet="float"), facet_threshold=0.5, label_values=[1]
        ),
        Case(
            "continuous-facet-high",
            _frame(6, 400, facet="float"),
            facet_threshold=0.9,
            label_values=[1],
        ),
        Case("continuous-label", _frame(7, 400, labels="float"), ["m"], label_threshold=0.5),
        Case("text-labels", _frame(8, 300, labels="text"), ["f"], label_values=["yes"]),
        Case("all-positive", _frame(9, 200, positive_rate=2.0), ["f"], label_values=[1]),
        Case("empty-group", _frame(10, 200, facet="float"), facet_threshold=1.5, label_values=[1]),
        Case("no-other-group", _frame(11, 200), ["f", "m", "x"], label_values=[1]),
        Case("tiny", _frame(12, 14, labels="text"), ["x"], label_values=["yes"]),
        Case("tiny-one-vs-rest", _frame(13, 11, labels="text"), label_values=["yes"]),
        Case("many-groups", _frame(14, 800, groups=60), ["m"], label_values=[1]),
        Case("no-group-variable", _frame(15, 300), ["f"], label_values=[1], group=None),
        Case("few-positives", _frame(16, 300, positive_rate=-0.1), ["f"], label_values=[1]),
        Case(
            "mostly-predicted-positive",
            _frame(17, 300, predicted_rate=0.98),
            ["m"],
            label_values=[1],
        ),
        Case(
            "rarely-predicted-positive",
            _frame(18, 300, predicted_rate=0.01),
            ["m"],
            label_values=[1],
        ),
        Case("large", _frame(19, 5000, facet="multi"), ["b"], label_values=[1]),
        Case(
            "continuous-both",
            _frame(20, 500, facet="float", labels="float"),
            facet_threshold=0.3,
            label_threshold=0.6,
        ),
        Case("one-group", _frame(21, 300, groups=1), ["x"], label_values=[1]),
    ]
    exact = _frame(22, 300)
    exact["predicted"] = exact["label"]
    cases.append(Case("perfect-predictions", exact, ["f"], label_values=[1]))
    return cases


CASES = _cases()


def _smclarify(case: Case, stage: str) -> list[dict]:
    # smclarify predates pandas' string dtype: it reads text columns of object dtype.
    frame = case.frame.copy()
    for name in frame.columns:
        if pd.api.types.is_string_dtype(frame[name]) and frame[name].dtype != object:
            frame[name] = frame[name].astype(object)
    positive = case.label_values if case.label_values is not None else [case.label_threshold]
    facet = (
        case.facet_values
        if case.facet_values is not None
        else ([case.facet_threshold] if case.facet_threshold is not None else None)
    )
    label = smclarify_report.LabelColumn("label", frame["label"], list(positive))
    kwargs: dict[str, Any] = {}
    if stage == "post":
        kwargs["predicted_label_column"] = smclarify_report.LabelColumn(
            "predicted", frame["predicted"], list(positive)
        )
        features = frame
        stage_type = smclarify_report.StageType.POST_TRAINING
    else:
        features = frame.drop(columns=["predicted"])
        stage_type = smclarify_report.StageType.PRE_TRAINING
    return smclarify_report.bias_report(
        features,
        smclarify_report.FacetColumn("facet", facet),
        label,
        stage_type,
        group_variable=frame[case.group] if case.group else None,
        **kwargs,
    )


def _ours(case: Case, stage: str) -> dict:
    arguments: dict[str, Any] = dict(
        label="label",
        label_values=case.label_values,
        label_threshold=case.label_threshold,
        facet="facet",
        facet_values=case.facet_values,
        facet_threshold=case.facet_threshold,
        group_variable=case.group,
    )
    if stage == "post":
        return posttraining_bias(case.frame, predicted_label="predicted", **arguments)
    return pretraining_bias(case.frame.drop(columns=["predicted"]), **arguments)


def _value(value: Any) -> Any:
    if value in ("Infinity", "-Infinity"):
        return float(value.replace("Infinity", "inf"))
    return value


def _same(ours: Any, theirs: Any) -> bool:
    theirs = _value(theirs)
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if math.isnan(theirs) or math.isinf(theirs):
        return (math.isnan(ours) and math.isnan(theirs)) or ours == theirs
    return math.isclose(ours, theirs, rel_tol=1e-9, abs_tol=1e-12)


@pytest.mark.parametrize("stage", ["pre", "post"])
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_every_metric_as_smclarify(case: Case, stage: str) -> None:
    theirs = _smclarify(case, stage)
    ours = _ours(case, stage)["facets"]["facet"]
    assert [facet["value_or_threshold"] for facet in ours] == [
        facet["value_or_threshold"] for facet in theirs
    ]
    for our_facet, their_facet in zip(ours, theirs, strict=True):
        assert [m["name"] for m in our_facet["metrics"]] == [
            m["name"] for m in their_facet["metrics"]
        ]
        for mine, other in zip(our_facet["metrics"], their_facet["metrics"], strict=True):
            assert mine["description"] == other["description"]
            where = f"{case.name} {stage} {our_facet['value_or_threshold']} {mine['name']}"
            assert _same(mine["value"], other["value"]), (where, mine, other)
            assert ("error" in mine) == ("error" in other), (where, mine, other)


def test_the_cases_reach_the_edges() -> None:
    """The generated datasets do produce the edge cases they are named for."""
    errors, infinities = set(), 0
    for case in CASES:
        for stage in ("pre", "post"):
            for facet in _ours(case, stage)["facets"]["facet"]:
                for metric in facet["metrics"]:
                    if "error" in metric:
                        errors.add(metric["name"])
                    elif math.isinf(metric["value"]):
                        infinities += 1
    assert {"CI", "DPL", "KL", "CDDL", "DI", "FT", "CDDPL"} <= errors
    assert infinities > 0


def test_label_text_as_smclarify() -> None:
    frame = _frame(7, 100, labels="float")
    ours = pretraining_bias(
        frame, label="label", label_threshold=0.5, facet="facet", facet_values=["m"], methods=["CI"]
    )
    theirs = smclarify_report.label_value_or_threshold(frame["label"], [0.5])
    assert ours["label_value_or_threshold"] == theirs
