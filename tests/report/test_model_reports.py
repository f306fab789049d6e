"""The model pages: quality, bias and explanations, from the documents watchkeeper writes.

The documents are computed from seeded data with watchkeeper's own functions (model
quality, Clarify's bias metrics) or written by hand (an explainability analysis.json),
so the pages are checked against what a user would really feed them.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.errors import UsageError
from watchkeeper.explain import Explanation, analysis_document
from watchkeeper.explain.output import local_values_csv
from watchkeeper.fairness import bias_report, posttraining_bias, pretraining_bias
from watchkeeper.fairness.analysis import dumps
from watchkeeper.quality import check_quality, model_quality, suggest_quality_constraints
from watchkeeper.report import (
    render_bias_html,
    render_explanations_html,
    render_quality_html,
    write_bias_report,
    write_explanations_report,
    write_quality_report,
)
from watchkeeper.report.model_pages import value_text

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
ROWS = 400


def figures(page: str) -> list[dict]:
    """The plotly figures a page draws."""
    found = re.search(
        r'<script type="application/json" id="watchkeeper-charts">(.*?)</script>', page, re.S
    )
    assert found is not None
    return json.loads(found.group(1))


def assert_no_hostile_markup(page: str) -> None:
    assert HOSTILE not in page
    assert "alert(1)</script" not in page


# -- documents ---------------------------------------------------------------------------


def binary_statistics(noise: float, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 2, ROWS)
    scores = np.clip(truth * 0.5 + rng.random(ROWS) * noise, 0.0, 1.0)
    return model_quality(
        pa.table({"label": truth, "score": scores}),
        problem_type="BinaryClassification",
        inference_attribute=None,
        ground_truth_attribute="label",
        probability_attribute="score",
    )


@pytest.fixture(scope="module")
def binary() -> dict:
    """A good baseline, a worse model now, and the violations between them."""
    baseline = binary_statistics(0.6, seed=1)
    current = binary_statistics(1.4, seed=2)
    violations = check_quality(current, suggest_quality_constraints(baseline))
    assert violations, "the worse model must break some constraints"
    return {"baseline": baseline, "current": current, "violations": violations}


def multiclass_statistics() -> dict:
    rng = np.random.default_rng(5)
    classes = np.array(["cat", "dog", HOSTILE])
    truth = rng.integers(0, 3, ROWS)
    guess = np.where(rng.random(ROWS) < 0.7, truth, rng.integers(0, 3, ROWS))
    return model_quality(
        pa.table({"label": classes[truth].tolist(), "guess": classes[guess].tolist()}),
        problem_type="MulticlassClassification",
        inference_attribute="guess",
        ground_truth_attribute="label",
    )


def regression_statistics(rows: int = 50) -> dict:
    rng = np.random.default_rng(7)
    truth = rng.normal(10.0, 2.0, rows)
    return model_quality(
        pa.table({"y": truth, "p": truth + rng.normal(0.0, 1.0, rows)}),
        problem_type="Regression",
        inference_attribute="p",
        ground_truth_attribute="y",
    )


@pytest.fixture(scope="module")
def bias_analysis() -> dict:
    """Pre- and post-training metrics where group a is never predicted positive (so DI
    and DCA are infinite, TE minus infinite) and CDDL/CDDPL fail without a group."""
    rng = np.random.default_rng(3)
    group = rng.choice([HOSTILE, "b"], ROWS)
    label = rng.integers(0, 2, ROWS)
    predicted = np.where(group == "b", 0, rng.integers(0, 2, ROWS))
    table = pa.table({"group": group.tolist(), "label": label, "predicted": predicted})
    pre = pretraining_bias(table, label="label", label_values=[1], facet="group")
    post = posttraining_bias(
        table,
        label="label",
        label_values=[1],
        facet="group",
        facet_values=[HOSTILE],
        predicted_label="predicted",
    )
    return bias_report(pre=pre, post=post)


FEATURES = ["income", HOSTILE, "age", "tenure"]


@pytest.fixture(scope="module")
def explanation() -> Explanation:
    rng = np.random.default_rng(9)
    spread = np.array([3.0, 1.5, 0.5, 0.1])
    return Explanation(
        features=FEATURES,
        labels=["label0"],
        local_values={"label0": rng.normal(0.0, 1.0, (120, 4)) * spread},
        expected_values={"label0": 0.375},
    )


EXPLAINABILITY = {
    "version": "1.0",
    "explanations": {
        "kernel_shap": {
            "approved": {
                "global_shap_values": {"income": 0.25, HOSTILE: -0.75, "age": 0.5, "zip": None},
                "expected_value": 0.4321,
            },
            "refused": {
                "global_shap_values": {"income": 0.125, HOSTILE: 0.0625, "age": -1.5},
                "expected_value": 0.5679,
            },
        }
    },
}


# -- model quality -----------------------------------------------------------------------


def test_quality_binary_shows_metrics_baseline_and_violations(binary):
    current, baseline = binary["current"], binary["baseline"]
    page = render_quality_html(
        current, baseline=baseline, violations=binary["violations"], title="churn model"
    )
    metrics = current["binary_classification_metrics"]
    for name in ("accuracy", "auc", "f1", "f0_5", "precision", "recall", "false_positive_rate"):
        row = re.search(rf'<tr id="metric-{name}"[^>]*>(.*?)</tr>', page, re.S)
        assert row is not None, name
        assert value_text(metrics[name]["value"]) in row.group(1)
        assert value_text(metrics[name]["standard_deviation"]) in row.group(1)
        before = baseline["binary_classification_metrics"][name]["value"]
        assert value_text(before) in row.group(1)
    # the best constant classifier is a column beside its metric, not a row of its own
    assert 'id="metric-f1_best_constant_classifier"' not in page
    violated = {item.feature_name for item in binary["violations"]}
    assert page.count('<span class="badge bad"') == len(binary["violations"])
    for name in violated:
        assert re.search(rf'<tr id="metric-{name}" class="flagged">', page), name
    assert f"{len(binary['violations'])} violations" in page
    for item in binary["violations"]:
        assert item.description in page
    # the confusion matrix: actual rows, predicted columns
    matrix = metrics["confusion_matrix"]
    for row in matrix.values():
        for count in row.values():
            assert f">{count:,}<" in page
    assert "actual ╲ predicted" in page
    drawn = figures(page)
    assert len(drawn) == 2  # ROC and precision-recall; no heatmap for binary
    roc, pr = drawn
    assert [trace["name"] for trace in roc["data"]] == ["chance", "baseline", "current"]
    assert roc["data"][2]["x"] == pytest.approx(
        metrics["receiver_operating_characteristic_curve"]["false_positive_rates"], abs=1e-6
    )
    assert [trace["name"] for trace in pr["data"]] == ["always positive", "baseline", "current"]
    assert pr["data"][2]["y"] == pytest.approx(
        metrics["precision_recall_curve"]["precisions"], abs=1e-6
    )


def test_quality_without_baseline_or_violations(binary):
    page = render_quality_html(binary["current"])
    assert "No violations" in page
    assert '<th class="num">Baseline</th>' not in page
    assert [trace["name"] for trace in figures(page)[0]["data"]] == ["chance", "current"]


def test_quality_multiclass_draws_the_confusion_matrix_as_a_heatmap():
    statistics = multiclass_statistics()
    page = render_quality_html(statistics)
    assert_no_hostile_markup(page)
    assert ESCAPED in page
    for name in ("accuracy", "weighted_f1", "weighted_precision", "weighted_recall"):
        assert f'id="metric-{name}"' in page
    (heatmap,) = figures(page)
    trace = heatmap["data"][0]
    assert trace["type"] == "heatmap"
    matrix = statistics["multiclass_classification_metrics"]["confusion_matrix"]
    labels = list(matrix)
    assert trace["z"] == [[matrix[a][p] for p in labels] for a in labels]
    # class names reach plotly escaped: it renders a subset of HTML in labels
    ticks = heatmap["layout"]["xaxis"]["ticktext"]
    assert ticks[0].startswith("&lt;script&gt;alert(1)") and ticks[1:] == ["cat", "dog"]
    assert not any("<" in tick for tick in ticks)


def test_quality_regression_shows_its_four_metrics():
    statistics = regression_statistics()
    page = render_quality_html(statistics)
    metrics = statistics["regression_metrics"]
    for name in ("mae", "mse", "rmse", "r2"):
        assert f'<td class="name">{name}</td>' in page
        assert value_text(metrics[name]["value"]) in page
        assert f"<dt>{name}</dt>" in page  # a summary card each
    # fewer than 200 rows: SageMaker writes "NaN" deviations, the page says why
    assert "only from 200 rows up" in page
    assert figures(page) == []
    assert 'id="confusion"' not in page and 'id="curves"' not in page


def test_quality_violations_without_metric_names_and_kind_mismatch(binary):
    violation = {
        "constraint_check_type": "LessThanThreshold",
        "description": "Metric auc with 0.5 was LessThanThreshold 0.9",
    }
    page = render_quality_html(binary["current"], violations=[violation])
    assert re.search(r'<tr id="metric-auc" class="flagged">', page)
    with pytest.raises(UsageError, match="regression"):
        render_quality_html(binary["current"], baseline=regression_statistics())
    with pytest.raises(UsageError, match="not model-quality statistics"):
        render_quality_html({"version": 0.0})


# -- bias --------------------------------------------------------------------------------


def test_bias_page_shows_values_beside_neutral_values(bias_analysis):
    page = render_bias_html(bias_analysis, title="loan approvals")
    assert_no_hostile_markup(page)
    assert f"group = {ESCAPED}" in page and "group = b" in page
    post = bias_analysis["post_training_bias_metrics"]["facets"]["group"][0]["metrics"]
    pre = bias_analysis["pre_training_bias_metrics"]["facets"]["group"][0]["metrics"]
    for metric in pre + post:
        assert metric["description"] in page
        assert value_text(metric["value"]) in page
    # DI is neutral at 1, every other metric at 0
    rows = re.findall(
        r'<td class="name">(\w+)<div.*?</td>\s*<td class="num[^"]*">([^<]*)</td>'
        r'\s*<td class="num">([^<]*)</td>',
        page,
        re.S,
    )
    neutral = {name: value for name, _, value in rows}
    assert neutral["DI"] == "1"
    assert {value for name, value in neutral.items() if name != "DI"} == {"0"}
    shown = {name: value for name, value, _ in rows}
    assert shown["DI"] == "Infinity" and shown["DCA"] == "Infinity"
    assert shown["TE"] == "-Infinity"
    assert shown["CDDL"] == "—" and shown["CDDPL"] == "—"
    assert page.count("Group variable is empty or not provided") >= 3  # pre twice, post once
    assert '<td class="num infinite">Infinity</td>' in page


def test_bias_charts_draw_each_metrics_distance_from_its_neutral_value(bias_analysis):
    page = render_bias_html(bias_analysis)
    drawn = figures(page)
    # pre-training for both facet values, post-training for the one asked for
    assert len(drawn) == 3
    post = drawn[2]  # figures in the order of the document: pre-training first
    metrics = bias_analysis["post_training_bias_metrics"]["facets"]["group"][0]["metrics"]
    names = [metric["name"] for metric in metrics]
    assert post["layout"]["yaxis"]["ticktext"] == names
    bars = post["data"][0]
    finite = [
        metric for metric in metrics if metric["value"] is not None and np.isfinite(metric["value"])
    ]
    assert len(bars["y"]) == len(finite)
    # one scale for all: every bar starts at 0 and is the value's distance from neutral
    assert "base" not in bars
    for position, length in zip(bars["y"], bars["x"], strict=True):
        metric = metrics[position]
        neutral = 1.0 if metric["name"] == "DI" else 0.0
        assert length == pytest.approx(metric["value"] - neutral)
    assert "distance from neutral" in post["layout"]["title"]["text"]
    # what cannot be drawn is written where its bar would start
    notes = {names[note["y"]]: note["text"] for note in post["layout"]["annotations"]}
    missing = {metric["name"]: "no value" for metric in metrics if metric["value"] is None}
    assert {"CDDPL", "FT"} <= set(missing)  # no group variable, no features for the flip test
    assert notes == {"DCA": "Infinity", "DI": "Infinity", "TE": "-Infinity", **missing}


def test_bias_page_reads_clarify_strings_for_infinities(bias_analysis):
    # Clarify writes infinities as strings; read without read_analysis they stay so
    as_written = json.loads(dumps(bias_analysis))
    assert render_bias_html(as_written) == render_bias_html(bias_analysis)


# -- explanations ------------------------------------------------------------------------


def test_explanations_rank_features_by_absolute_global_value():
    page = render_explanations_html(EXPLAINABILITY)
    assert_no_hostile_markup(page)
    first, second = re.findall(r'<section id="label-\d">(.*?)</section>', page, re.S)
    names = re.findall(r'<td class="name">(.*?)</td>', first)
    assert names == [ESCAPED, "age", "income", "zip"]  # |-0.75| > 0.5 > 0.25, unknown last
    assert re.findall(r'<td class="name">(.*?)</td>', second) == ["age", "income", ESCAPED]
    assert "expected value 0.4321" in first and "expected value 0.5679" in second
    assert "-0.75" in first and "-1.5" in second
    global_first, global_second = figures(page)
    assert global_first["data"][0]["x"] == [-0.75, 0.5, 0.25]
    assert global_first["layout"]["yaxis"]["ticktext"] == [ESCAPED, "age", "income"]
    assert global_second["data"][0]["x"] == [-1.5, 0.125, 0.0625]


def test_explanations_with_local_values(explanation):
    analysis = analysis_document(explanation)
    from_object = render_explanations_html(analysis, local=explanation)
    from_csv = render_explanations_html(analysis, local=local_values_csv(explanation))
    assert from_object == from_csv
    assert_no_hostile_markup(from_object)
    assert "Rows explained" in from_object and ">120<" in from_object
    global_figure, local_figure = figures(from_object)
    box = local_figure["data"][0]
    assert box["type"] == "box"
    order = [FEATURES.index(name) for name in ("income", HOSTILE, "age", "tenure")]
    values = explanation.local_values["label0"]
    assert box["median"] == pytest.approx([np.median(values[:, i]) for i in order], abs=1e-8)
    assert box["lowerfence"] == pytest.approx([values[:, i].min() for i in order], abs=1e-8)
    assert box["upperfence"] == pytest.approx([values[:, i].max() for i in order], abs=1e-8)
    assert (
        local_figure["layout"]["yaxis"]["ticktext"] == global_figure["layout"]["yaxis"]["ticktext"]
    )
    assert value_text(float(values[:, 0].max())) in from_object


def test_explanations_local_csv_of_several_labels():
    header = ["approved_income", f"approved_{HOSTILE}", "approved_age"]
    header += ["refused_income", f"refused_{HOSTILE}", "refused_age"]
    rows = ["1.0,2.0,3.0,4.0,5.0,6.0", "3.0,,5.0,6.0,7.0,8.0"]
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(header)
    text = out.getvalue() + "\n".join(rows) + "\n"
    page = render_explanations_html(EXPLAINABILITY, local=text)
    approved_box, refused_box = figures(page)[1], figures(page)[3]
    # approved ranks HOSTILE, age, income; the blank cell is left out
    assert approved_box["data"][0]["median"] == [2.0, 4.0, 2.0]
    assert refused_box["data"][0]["median"] == [7.0, 5.0, 6.0]


def test_explanations_need_kernel_shap():
    with pytest.raises(UsageError, match="kernel_shap"):
        render_explanations_html({"version": "1.0"})
    with pytest.raises(UsageError, match="local must be"):
        render_explanations_html(EXPLAINABILITY, local=[1, 2])


# -- files -------------------------------------------------------------------------------


def test_writers_write_report_html(tmp_path, binary, bias_analysis, explanation):
    written = {
        "quality": write_quality_report(
            tmp_path / "quality", binary["current"], violations=binary["violations"]
        ),
        "bias": write_bias_report(tmp_path / "bias", bias_analysis, plotly_src="../plotly.js"),
        "explanations": write_explanations_report(
            tmp_path / "explanations", analysis_document(explanation), local=explanation
        ),
    }
    for name, uri in written.items():
        assert uri == str(tmp_path / name / "report.html")
        assert sorted(path.name for path in (tmp_path / name).iterdir()) == ["report.html"]
    text = (tmp_path / "bias" / "report.html").read_text(encoding="utf-8")
    assert text == render_bias_html(bias_analysis, plotly_src="../plotly.js")
    assert '<script src="../plotly.js"></script>' in text
    # embedded plotly otherwise: the page opens offline
    quality = (tmp_path / "quality" / "report.html").read_text(encoding="utf-8")
    assert len(quality) > 1_000_000 and "<script src=" not in quality


def test_pages_without_charts_still_read():
    failed = {
        "post_training_bias_metrics": {
            "label": "y",
            "label_value_or_threshold": "1",
            "facets": {
                "f": [
                    {
                        "value_or_threshold": "1",
                        "metrics": [
                            {
                                "name": "DI",
                                "description": "Disparate Impact (DI)",
                                "value": None,
                                "error": HOSTILE,
                            }
                        ],
                    }
                ]
            },
        }
    }
    page = render_bias_html(failed, plotly_src="plotly.js")
    assert_no_hostile_markup(page)
    assert f'<td class="error">{ESCAPED}</td>' in page
    assert "No finite values to chart." in page and figures(page) == []
    assert "holds no bias metrics" in render_bias_html({"version": "1.0"})
    unknown = {"explanations": {"kernel_shap": {"l": {"global_shap_values": {"a": None}}}}}
    page = render_explanations_html(unknown, plotly_src="plotly.js")
    assert figures(page) == [] and '<td class="name">a</td>' in page


def test_each_bias_metric_gets_one_plain_sentence_and_a_bar_from_zero():
    analysis = {"version": "1.0", "post_training_bias_metrics": {
        "label": "approved", "label_value_or_threshold": "1", "facets": {"sex": [
            {"value_or_threshold": "0", "metrics": [
                {"name": "DI", "description": "Disparate Impact (DI)", "value": 0.6},
                {"name": "DPPL", "description": "Difference in Positive Proportions in "
                 "Predicted Labels (DPPL)", "value": 0.2},
                {"name": "AD", "description": "Accuracy Difference (AD)", "value": -0.05},
            ]}]}}}  # fmt: skip
    page = render_bias_html(analysis, plotly_src="plotly.js")
    sentences = re.findall(r'<td class="sentence">([^<]*)</td>', page)
    assert sentences == [
        "sex = 0 gets the positive outcome 0.6 times as often as the others "
        "(1 would be as often).",
        "The positive prediction is 20 percentage points less common for sex = 0 than for "
        "the others.",
        "0.05 below neutral (0): the further, the more sex = 0 differs.",
    ]
    [figure] = figures(page)
    assert figure["data"][0]["x"] == pytest.approx([-0.4, 0.2, -0.05])
    low, high = figure["layout"]["xaxis"]["range"]
    assert low < -0.4 and 0.2 < high < 1  # one scale around 0, DI's 1 not on it
