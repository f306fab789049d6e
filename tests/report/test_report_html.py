"""The HTML report: self-contained, escaped, ordered, bounded in size."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pytest
from plotly.graph_objects import Figure
from plotly.offline import get_plotlyjs

from watchkeeper.errors import UsageError
from watchkeeper.profile import DatasetProfile
from watchkeeper.report import render_html

EVIL = "<script>alert(1)</script>"
BUNDLE = get_plotlyjs()


def profile_of(columns: dict) -> DatasetProfile:
    profile = DatasetProfile()
    profile.track(pa.table(columns))
    return profile


def without_bundle(page: str) -> str:
    assert page.count(BUNDLE) == 1
    return page.replace(BUNDLE, "")


def chart_specs(page: str) -> list[dict]:
    found = re.search(
        r'<script type="application/json" id="watchkeeper-charts">(.*?)</script>', page, re.S
    )
    return json.loads(found.group(1))


@dataclass
class Verdict:
    drifted: bool
    score: float
    test: str | None
    effect: float
    threshold: float
    p_value: float


@pytest.fixture(scope="module")
def pair():
    rng = np.random.default_rng(5)
    baseline = profile_of(
        {
            "amount": rng.normal(100, 10, 800),
            EVIL: rng.choice(["a", "b", EVIL], 800).tolist(),
            "city": rng.choice(["Utrecht", "Lyon", "Köln"], 800).tolist(),
        }
    )
    current = profile_of(
        {
            "amount": rng.normal(120, 10, 600),
            EVIL: rng.choice(["a", EVIL], 600).tolist(),
            "city": rng.choice(["Utrecht", "Lyon", None], 600).tolist(),
        }
    )
    return baseline, current


VIOLATIONS = [
    {
        "feature_name": "city",
        "constraint_check_type": "completeness_check",
        "description": "Data completeness 0.66 is below 0.9",
        "observed": 0.66,
        "threshold": 0.9,
        "details": {},
    },
    {
        "feature_name": "(dataset)",
        "constraint_check_type": "row_count_check",
        "description": "600 rows, fewer than 700",
        "observed": 600,
        "threshold": 700,
        "details": {},
    },
]


@pytest.fixture(scope="module")
def page(pair):
    baseline, current = pair
    drift = {"amount": Verdict(True, 4.2, "mean_shift", 2.0, 0.1, 1e-30), "city": 0.21}
    return render_html(
        current,
        baseline=baseline,
        violations=VIOLATIONS,
        drift=drift,
        title="orders",
        subtitle="s3://bucket/orders.csv",
    )


def test_plotly_is_embedded_once_and_nothing_is_fetched(page):
    rest = without_bundle(page)
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", rest, re.I)
    assert "<link" not in rest.lower() and "@import" not in rest and "url(" not in rest
    assert "cdn" not in rest.lower()


def test_only_the_pages_own_scripts_run(page):
    # the class switch, the bundle, the chart data and the renderer
    assert without_bundle(page).count("<script") == 4


def test_sections_come_violations_first(page):
    order = [page.index(f'id="{name}"') for name in ("violations", "features", "distributions")]
    assert order == sorted(order)


def test_header_says_what_was_judged(page):
    head = page[: page.index('id="violations"')]
    assert "orders" in head and "s3://bucket/orders.csv" in head
    assert "2 violations" in head and "600" in head and "800" in head
    assert "1 of 1 features drifted" in head


def test_data_text_is_escaped_everywhere(page):
    rest = without_bundle(page)
    assert EVIL not in rest
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rest
    labels = [
        text for spec in chart_specs(page) for text in spec["layout"]["yaxis"].get("ticktext", [])
    ]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in labels


def test_titles_and_violations_are_escaped_too():
    finding = {"feature_name": EVIL, "constraint_check_type": EVIL, "description": EVIL}
    page = render_html(
        profile_of({EVIL: [1]}), violations=[finding], title=EVIL, subtitle=f'"{EVIL}'
    )
    assert EVIL not in without_bundle(page)


def test_features_with_violations_are_linked_and_listed_first(page):
    violations = page[page.index('id="violations"') : page.index('id="features"')]
    anchor = re.search(r'<a href="#(feature-\d+)">city</a>', violations).group(1)
    sections = page[page.index('id="distributions"') :]
    first = re.search(r'<article class="feature flagged" id="([^"]+)"', sections).group(1)
    assert first == anchor
    assert sections.index(f'id="{anchor}"') < sections.index("<h3>amount")
    assert "(dataset)" in violations  # table-level rules are listed, with no link


def test_drift_verdicts_and_distances_are_shown(page):
    amount = page[page.index("<h3>amount") :]
    amount = amount[: amount.index("</article>")]
    assert "badge drift" in amount and "mean_shift" in amount
    assert "distance 0.21" in page


def test_every_chart_is_a_valid_plotly_figure(page):
    specs = chart_specs(page)
    assert len(specs) == 3
    for spec in specs:
        Figure(spec)  # validates every property name and value
        assert [trace["name"] for trace in spec["data"]] == ["baseline", "current"]
        for trace in spec["data"]:
            shares = trace["x"] if trace.get("orientation") == "h" else trace["y"]
            assert sum(shares) == pytest.approx(1.0, abs=1e-5)


def test_a_vanished_category_is_still_charted(page):
    spec = next(s for s in chart_specs(page) if "Köln" in s["layout"]["yaxis"].get("ticktext", []))
    labels = spec["layout"]["yaxis"]["ticktext"]
    baseline, current = (trace["x"] for trace in spec["data"])
    at = labels.index("Köln")
    assert baseline[at] > 0.2 and current[at] == 0


def test_no_violations_says_so():
    page = render_html(profile_of({"x": [1, 2, 3]}))
    assert "No violations" in page
    assert [trace["name"] for trace in chart_specs(page)[0]["data"]] == ["current"]


def test_the_report_is_reproducible_unless_given_a_time(pair):
    baseline, current = pair
    first = render_html(current, baseline=baseline, violations=VIOLATIONS)
    assert first == render_html(current, baseline=baseline, violations=VIOLATIONS)
    stamped = render_html(current, generated_at="2024-06-11 08:00:00 UTC")
    assert "2024-06-11 08:00:00 UTC" in stamped and "<dt>Generated</dt>" not in first
    when = dt.datetime(2024, 6, 11, 8, 0, 0, 123, tzinfo=dt.UTC)
    assert "2024-06-11 08:00:00+00:00" in render_html(current, generated_at=when)


def test_violation_objects_with_to_dict_are_accepted():
    class Finding:
        def to_dict(self):
            return dict(VIOLATIONS[0], feature_name="x")

    page = render_html(profile_of({"x": [1, 2]}), violations=[Finding()])
    assert "1 violation" in page and "completeness_check" in page


@pytest.mark.parametrize(
    "arguments",
    [
        {"current": {"x": 1}},
        {"baseline": "baseline/"},
        {"drift": [0.1]},
        {"max_charts": -1},
        {"max_categories": 2.5},
        {"violations": ["bad"]},
    ],
)
def test_bad_arguments_are_refused_with_a_message(arguments):
    call = {"current": profile_of({"x": [1]}), **arguments}
    with pytest.raises(UsageError):
        render_html(**call)


def test_an_empty_profile_renders():
    page = render_html(DatasetProfile(), baseline=DatasetProfile())
    assert "The data has no columns." in page and chart_specs(page) == []


def test_empty_and_all_null_columns_render():
    current = DatasetProfile()
    current.track(
        pa.record_batch(
            {"x": pa.array([], pa.float64()), "s": pa.array([], pa.string()), "n": pa.nulls(0)}
        )
    )
    nulls = profile_of({"x": pa.nulls(5, pa.float64()), "s": pa.nulls(5, pa.string())})
    for page in (render_html(current), render_html(nulls, baseline=nulls)):
        assert page.count("No values to chart.") >= 2 and chart_specs(page) == []


def test_an_all_null_current_column_shows_the_baseline():
    baseline = profile_of({"x": [1.0, 2.0, 3.0]})
    current = profile_of({"x": pa.nulls(3, pa.float64())})
    specs = chart_specs(render_html(current, baseline=baseline))
    assert [trace["name"] for trace in specs[0]["data"]] == ["baseline"]


def test_many_distinct_long_values_stay_small():
    values = [f"{i % 5000:06d}" + "x" * 500 for i in range(15_000)]
    page = render_html(profile_of({"text": values}))
    assert len(without_bundle(page)) < 100_000
    labels = chart_specs(page)[0]["layout"]["yaxis"]["ticktext"]
    assert len(labels) == 21 and labels[-1] == "(all other values)"
    assert all(len(label) <= 40 for label in labels)


def test_identifiers_are_not_charted_unless_they_repeat():
    ids = [f"C{i:07d}" for i in range(1000)]
    page = render_html(profile_of({"id": ids}), baseline=profile_of({"id": ids[:500] * 2}))
    assert len(chart_specs(page)) == 1  # the baseline repeats its values: worth a chart
    page = render_html(profile_of({"id": ids}), baseline=profile_of({"id": ids[::-1]}))
    assert chart_specs(page) == [] and "nearly every value is distinct" in page


def test_free_text_renders_without_a_chart():
    page = render_html(profile_of({"note": [f"{i} " + "y" * 5000 for i in range(50)]}))
    assert chart_specs(page) == [] and "free text" in page
    assert len(without_bundle(page)) < 50_000


@pytest.mark.slow
def test_a_thousand_columns_give_a_bounded_report_quickly():
    rng = np.random.default_rng(11)
    words = [f"category {i}" for i in range(50)]
    columns = {
        f"f{i:04d}": rng.normal(i, 3, 300) if i % 4 else rng.choice(words, 300).tolist()
        for i in range(1000)
    }
    current = profile_of(columns)
    baseline = current.copy()
    late = {**VIOLATIONS[0], "feature_name": "f0999"}
    started = time.perf_counter()
    page = render_html(current, baseline=baseline, violations=[late])
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0
    assert len(without_bundle(page).encode()) < 3_000_000
    assert page.count('data-chart="') == 201  # the first 200 and the one with a violation
    assert 'id="feature-999"' in page and "201 of 1,000 features" in page


def test_the_chart_cap_keeps_violations_then_drift_then_column_order():
    current = profile_of({f"c{i}": [float(i), i + 1.0] for i in range(10)})
    drift = {"c8": Verdict(True, 2.0, "ks", 0.2, 0.05, 1e-6), "c1": 0.4}
    finding = {**VIOLATIONS[0], "feature_name": "c9"}
    page = render_html(current, violations=[finding], drift=drift, max_charts=3)
    shown = re.findall(r'<article class="feature[^"]*" id="feature-\d+">\s*<h3>(c\d)', page)
    assert shown == ["c9", "c0", "c1", "c8"]  # violations first, then column order
    assert "4 of 10 features" in page
    page = render_html(current, violations=[finding], max_charts=0)
    assert page.count("<article") == 1


def test_a_column_of_only_infinities_is_a_numeric_section_without_chart():
    profile = profile_of({"x": [float("inf")] * 3, "y": [1.0, 2.0, 3.0]})
    page = render_html(profile)
    assert "No chart: every value is infinite, so none can be placed on an axis." in page
    assert page.count("No chart:") == 1  # y still has its histogram
