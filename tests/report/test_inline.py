"""What a notebook shows: each object's rich output is its report page in a frame, with
the feature names, the figures and the charts' traces, the data's text escaped, plotly
shipped once and nothing loaded from the network; and a plain text that reads well."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import numpy as np
import pyarrow as pa
import pytest
from IPython.core.formatters import DisplayFormatter

import watchkeeper
from watchkeeper.drift import detect
from watchkeeper.errors import UsageError
from watchkeeper.explain import Explanation
from watchkeeper.fairness import bias_report, pretraining_bias
from watchkeeper.profile import DatasetProfile
from watchkeeper.quality import model_quality
from watchkeeper.report import inline
from watchkeeper.report.page import plotly_js

HOSTILE = "<img src=x onerror=alert(1)>"
ROWS = 600


def table(shift: float, seed: int, missing: float = 0.0) -> pa.Table:
    rng = np.random.default_rng(seed)
    amount = rng.normal(50.0 + shift, 10.0, ROWS)
    amount[rng.random(ROWS) < missing] = np.nan
    return pa.table(
        {
            "amount": pa.array(amount, from_pandas=True),
            HOSTILE: rng.choice(["a", "b", "c"], ROWS, p=[0.5, 0.3, 0.2]).tolist(),
            "visits": rng.poisson(3, ROWS),
        }
    )


@pytest.fixture(scope="module")
def reference() -> DatasetProfile:
    return watchkeeper.profile(table(0.0, seed=1))


@pytest.fixture(scope="module")
def current() -> DatasetProfile:
    return watchkeeper.profile(table(8.0, seed=2, missing=0.2))


@pytest.fixture(autouse=True)
def fresh_notebook():
    """Each test starts as a new notebook: the next rich output ships plotly."""
    inline.forget_plotly()
    yield
    inline.forget_plotly()


class Elements(HTMLParser):
    """Every element's tag and attributes, and the text of each script."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"
        if self._in_script:
            self.scripts.append("")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


def framed_page(output: str) -> tuple[Elements, Elements, str]:
    """The notebook fragment, the page in its frame, and the page's text."""
    bundle = plotly_js()
    outer = Elements(output.replace(bundle, "") if len(output) > len(bundle) else output)
    frames = [attrs for tag, attrs in outer.tags if tag == "iframe"]
    assert len(frames) == 1
    page = frames[0]["srcdoc"]
    return outer, Elements(page), page


def chart_specs(page: Elements) -> list[dict]:
    # the page's figures are the one JSON script (plotly's bundle is not JSON)
    for text in page.scripts:
        if text.startswith("[") or text.startswith("[{"):
            return json.loads(text)
    raise AssertionError("no charts in the page")


def assert_offline(*documents: Elements) -> None:
    for document in documents:
        for tag, attrs in document.tags:
            for name in ("src", "href"):
                value = attrs.get(name) or ""
                assert not re.match(r"(https?:)?//", value.strip()), (tag, name, value)
            assert not (tag == "script" and attrs.get("src")), "a script loads a file"


def assert_hostile_name_is_text(output: str, page: Elements, text: str) -> None:
    assert not any(tag == "img" for tag, _ in page.tags), "the feature name became markup"
    assert "<img" not in output and "<img" not in text
    assert html.escape(HOSTILE, quote=False) in text


def test_a_profile_shows_its_features_histograms_and_escaped_names(reference):
    output = watchkeeper.show(reference)._repr_html_()
    outer, page, text = framed_page(output)
    for name in ("amount", "visits"):
        assert f">{name}<" in text
    specs = chart_specs(page)
    assert len(specs) == 3
    amount = specs[0]["data"]
    assert [trace["type"] for trace in amount] == ["bar"]
    assert sum(amount[0]["y"]) == pytest.approx(1.0, abs=1e-4)
    categories = specs[1]["data"][0]
    assert categories["orientation"] == "h" and categories["text"] == ["a", "b", "c"]
    assert sum(categories["x"]) == pytest.approx(1.0, abs=1e-4)
    assert_hostile_name_is_text(output, page, text)
    assert_offline(outer, page)


def test_plotly_ships_with_the_first_output_only(reference, current):
    bundle = plotly_js()
    first = watchkeeper.show(reference)._repr_html_()
    second = watchkeeper.compare(reference, current)._repr_html_()
    assert first.count(bundle) == 1 and bundle not in second
    for output in (first, second):
        # the frame alone: parsing plotly's bundle as HTML takes seconds
        _, page, _ = framed_page(output[output.index("<iframe") :])
        # the page runs the notebook's plotly instead of loading or embedding one
        assert any(inline.PLOTLY_HOLDER in script for script in page.scripts)
        assert all(len(script) < len(bundle) / 10 for script in page.scripts)
    inline.forget_plotly()
    assert watchkeeper.show(reference)._repr_html_().count(bundle) == 1


def test_a_check_outcome_shows_its_status_and_violations_first(tmp_path):
    baseline = watchkeeper.suggest_baseline(table(0.0, seed=1))
    outcome = watchkeeper.check(table(8.0, seed=2, missing=0.2), baseline)
    text = repr(outcome)
    assert text.startswith("CheckOutcome CompletedWithViolations")
    violated = {v.feature_name for v in outcome.violations}
    assert {"amount"} <= violated
    lines = text.splitlines()
    first_profile_line = next(i for i, line in enumerate(lines) if line.startswith("Dataset"))
    assert len([line for line in lines[:first_profile_line] if ": " in line]) == len(
        outcome.violations
    ) + 1
    output = outcome._repr_html_()
    outer, page, body = framed_page(output)
    assert "CompletedWithViolations" in text and "watchkeeper check" in body
    assert body.index('id="violations"') < body.index("feature-0")
    for violation in outcome.violations:
        assert html.escape(violation.description, quote=False) in body
    specs = chart_specs(page)
    # baseline and current overlaid in each chart
    assert {len(spec["data"]) for spec in specs} == {2}
    assert [trace["name"] for trace in specs[0]["data"]] == ["baseline", "current"]
    assert_hostile_name_is_text(output, page, body)
    assert_offline(outer, page)


def test_compare_gives_the_drift_detectors_verdicts_and_overlaid_distributions(
    reference, current
):
    comparison = watchkeeper.compare(reference, current)
    assert comparison.verdicts == detect(reference, current)
    assert comparison.drifted == ["amount"]
    from_data = watchkeeper.compare(table(0.0, seed=1), table(8.0, seed=2, missing=0.2))
    assert from_data.drifted == comparison.drifted
    assert repr(comparison).splitlines()[0].endswith("1 of 3 features drifted")
    assert repr(comparison).splitlines()[1].startswith("  drift  amount: drift:")
    output = comparison._repr_html_()
    outer, page, text = framed_page(output)
    assert "1 of 3 features drifted" in text
    specs = chart_specs(page)
    amount = specs[0]["data"]
    assert [trace["name"] for trace in amount] == ["baseline", "current"]
    # the current data's mean moved 8 to the right: its histogram's centre too
    centre = [np.average(t["x"], weights=t["y"]) for t in amount]
    assert centre[1] - centre[0] == pytest.approx(8.0, abs=2.0)
    assert_hostile_name_is_text(output, page, text)
    assert_offline(outer, page)


def test_compare_refuses_what_is_not_data():
    with pytest.raises(UsageError, match="reference must be a DatasetProfile"):
        from watchkeeper.checks.comparison import compare_profiles

        compare_profiles(42, DatasetProfile())


def test_wide_profiles_show_the_first_features_and_say_how_to_see_all():
    wide = watchkeeper.profile(pa.table({f"f{i}": [float(i), 1.0, 2.0] for i in range(45)}))
    _, page, text = framed_page(watchkeeper.show(wide)._repr_html_())
    assert "f29<" in text and "f30<" not in text
    assert "showing 30 of 45 features" in text and "all=True" in text
    assert len(chart_specs(page)) == 30
    _, page, text = framed_page(watchkeeper.show(wide, all=True)._repr_html_())
    assert "f44<" in text and "showing" not in text
    plain = inline.profile_text(wide)
    assert len(plain.splitlines()) == 1 + 1 + 30 + 1 and "showing 30 of 45" in plain


def test_the_plain_text_of_a_profile_has_a_row_per_feature(reference):
    lines = inline.profile_text(reference).splitlines()
    assert lines[0] == f"DatasetProfile: {ROWS} rows, 3 features"
    amount = next(line for line in lines if line.strip().startswith("amount"))
    assert "Fractional" in amount and re.search(r"mean 49\.\d+ ± 9\.\d+", amount)
    assert re.search("[▁▂▃▄▅▆▇█]{8}$", amount)
    hostile = next(line for line in lines if line.strip().startswith("<img"))
    assert hostile.endswith("String      600    0        a 51%, b 30%, c 19%")


def test_ipython_shows_profiles_and_explanations_as_pages(reference):
    formatter = DisplayFormatter()
    original = watchkeeper.__dict__["_register_with_ipython"]

    class Shell:
        display_formatter = formatter

    import IPython

    real = IPython.get_ipython
    IPython.get_ipython = lambda: Shell()
    try:
        original()
    finally:
        IPython.get_ipython = real
    bundle, _ = formatter.format(reference)
    assert bundle["text/plain"].startswith("DatasetProfile: 600 rows, 3 features")
    framed_page(bundle["text/html"])
    explained = Explanation(
        features=["amount", HOSTILE],
        labels=["label0"],
        local_values={"label0": np.array([[1.0, -0.5], [2.0, 0.25], [3.0, 0.0]])},
        expected_values={"label0": 0.5},
    )
    bundle, _ = formatter.format(explained)
    output = bundle["text/html"]
    outer, page, text = framed_page(output)
    bars = chart_specs(page)[0]["data"][0]
    assert bars["x"] == pytest.approx([2.0, 0.25])
    assert_hostile_name_is_text(output, page, text)
    assert_offline(outer, page)


def test_model_quality_and_bias_documents_show_their_pages():
    rng = np.random.default_rng(4)
    truth = rng.integers(0, 2, 200)
    scores = np.clip(truth * 0.5 + rng.random(200) * 0.8, 0.0, 1.0)
    statistics = model_quality(
        pa.table({"label": truth, "score": scores}),
        problem_type="BinaryClassification",
        inference_attribute=None,
        ground_truth_attribute="label",
        probability_attribute="score",
    )
    output = watchkeeper.show(statistics)._repr_html_()
    outer, page, text = framed_page(output)
    assert "auc" in text
    traces = [trace for spec in chart_specs(page) for trace in spec["data"]]
    assert len(traces) >= 2 and all(trace["type"] == "scatter" for trace in traces)
    assert_offline(outer, page)
    group = rng.choice([HOSTILE, "b"], 200)
    applicants = pa.table({"group": group.tolist(), "label": truth})
    pre = pretraining_bias(applicants, label="label", label_values=[1], facet="group",
                           facet_values=[HOSTILE], methods=["CI", "DPL"])
    output = watchkeeper.show(bias_report(pre=pre))._repr_html_()
    outer, page, text = framed_page(output)
    assert "Class Imbalance (CI)" in text
    bars = chart_specs(page)[0]["data"]
    assert sum(len(trace["x"]) for trace in bars) == 2
    assert_hostile_name_is_text(output, page, text)
    assert_offline(outer, page)
    with pytest.raises(UsageError, match="show\\(\\) takes a DatasetProfile"):
        watchkeeper.show(42)
