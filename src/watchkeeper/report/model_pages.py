"""Offline HTML pages on a model: its quality, its bias and its explanations.

Each page reads a document watchkeeper (or SageMaker) already writes and looks like the
data-quality report of :func:`~watchkeeper.report.render_html`: one file that opens
offline, plain tables readable without JavaScript, plotly charts drawn as they scroll
into view.

- :func:`render_quality_html`: model-quality ``statistics.json`` (and optionally the
  baseline's and the ``constraint_violations.json`` list): metric table, confusion
  matrix, ROC and precision-recall curves.
- :func:`render_bias_html`: Clarify's bias ``analysis.json``: every metric per facet
  value beside its neutral value, a bar chart per stage.
- :func:`render_explanations_html`: the explainability ``analysis.json`` and optionally
  the local SHAP values: features ranked by global SHAP value, the spread of local values.

Every text from the documents is escaped, in the tables by the template and in the
charts before it reaches plotly (which renders a subset of HTML in labels).
"""

from __future__ import annotations

import csv
import html
import io
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from markupsafe import Markup

from watchkeeper.errors import UsageError
from watchkeeper.io.storage import join, write_text
from watchkeeper.report import charts, formatting
from watchkeeper.report.page import plotly_js, template_environment

CURRENT_COLOUR = charts.CURRENT_COLOUR
BASELINE_COLOUR = charts.BASELINE_COLOUR
NEUTRAL_COLOUR = "#616e7c"
MAX_FEATURES_CHARTED = 30
LABEL_LENGTH = 40
KINDS = {
    "binary_classification_metrics": "binary classification",
    "multiclass_classification_metrics": "multiclass classification",
    "regression_metrics": "regression",
}
CURVES = ("receiver_operating_characteristic_curve", "precision_recall_curve")
CONSTANT_SUFFIX = "_best_constant_classifier"
HEADLINE = {
    "binary_classification_metrics": ("accuracy", "auc", "f1"),
    "multiclass_classification_metrics": ("accuracy", "weighted_f1"),
    "regression_metrics": ("mae", "mse", "rmse", "r2"),
}
STAGES = (
    ("pre_training_bias_metrics", "Pre-training"),
    ("post_training_bias_metrics", "Post-training"),
)
# every bias metric is neutral at 0 but disparate impact, a ratio, neutral at 1
NEUTRAL = {"DI": 1.0}
_METRIC_IN_DESCRIPTION = re.compile(r"^Metric (\S+) with ")


# -- numbers -----------------------------------------------------------------------------


def as_number(value: Any) -> float | None:
    """A number from a document's value: floats, ints and the strings Java and Clarify
    write (``"NaN"``, ``"Infinity"``, ``"-Infinity"``); None for anything else.

    >>> as_number("Infinity"), as_number(2), as_number(None), as_number("n/a")
    (inf, 2.0, None, None)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def value_text(value: Any) -> str:
    """A document's value for people; infinities written out as ``Infinity``.

    >>> value_text(float("-inf")), value_text("Infinity"), value_text(0.123456), value_text("NaN")
    ('-Infinity', 'Infinity', '0.1235', '—')
    """
    number = as_number(value)
    if number is None or math.isnan(number):
        return formatting.MISSING
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return formatting.number(number)


def _finite(value: Any) -> float | None:
    number = as_number(value)
    return number if number is not None and math.isfinite(number) else None


def _label(text: Any, length: int = LABEL_LENGTH) -> str:
    """Text from the data as a plotly label: shortened, then escaped."""
    return html.escape(formatting.shorten(str(text), length))


# -- the page ----------------------------------------------------------------------------


def _page(template: str, context: dict[str, Any], figures: list, plotly_src: str | None) -> str:
    context = {
        **context,
        "plotly_src": plotly_src,
        "plotly_js": Markup(plotly_js()) if plotly_src is None else "",
        "charts_json": Markup(charts.script_json(figures)),
    }
    environment = template_environment("watchkeeper.report")
    return environment.get_template(template).render(**context)


def _card(label: str, value: Any, detail: str | None = None, status: str | None = None) -> dict:
    return {"label": label, "value": value, "detail": detail, "status": status}


def _layout(**extra: Any) -> dict[str, Any]:
    return {
        "margin": {"l": 10, "r": 10, "t": 40, "b": 40},
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        **extra,
    }


def _add(figures: list, figure: dict[str, Any] | None) -> int | None:
    """Append ``figure`` and return its index (None stays None)."""
    if figure is None:
        return None
    figures.append(figure)
    return len(figures) - 1


def _document(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise UsageError(f"{what} must be a dict (the parsed JSON), got {type(value).__name__}")
    return value


def _write(directory: str | os.PathLike[str], text: str, storage_options: dict | None) -> str:
    return write_text(join(os.fspath(directory), "report.html"), text, storage_options)


# -- model quality -----------------------------------------------------------------------


def render_quality_html(
    statistics: Mapping[str, Any],
    *,
    baseline: Mapping[str, Any] | None = None,
    violations: Iterable[Any] = (),
    title: str = "watchkeeper model quality report",
    subtitle: str | None = None,
    plotly_src: str | None = None,
) -> str:
    """The model-quality ``statistics.json`` document ``statistics`` as one HTML page.

    Shows every scalar metric with its standard deviation, the best constant
    classifier's value, the ``baseline`` statistics' value and a badge for each of
    ``violations`` (the ``violations`` list of a model-quality
    ``constraint_violations.json``: dicts with ``metric_name`` or a description
    ``Metric <name> with …``); the confusion matrix of a classifier (a heatmap too for
    multiclass); the ROC and precision-recall curves of a binary classifier, with the
    baseline's beside them. plotly's JavaScript is embedded unless ``plotly_src`` gives
    the address of a shared copy, as for :func:`~watchkeeper.report.render_html`.

    >>> statistics = {"version": 0.0, "dataset": {"item_count": 4},
    ...               "regression_metrics": {"mae": {"value": 0.5, "standard_deviation": "NaN"}}}
    >>> page = render_quality_html(statistics, plotly_src="plotly.js")
    >>> page.startswith("<!DOCTYPE html>"), "mae" in page
    (True, True)
    """
    statistics = _document(statistics, "statistics")
    key, metrics = _metrics_section(statistics, "statistics")
    before: Mapping[str, Any] = {}
    if baseline is not None:
        base_key, before = _metrics_section(_document(baseline, "baseline"), "baseline")
        if base_key != key:
            raise UsageError(
                f"the baseline holds {KINDS[base_key]} metrics, the statistics {KINDS[key]}"
            )
    found = [_quality_violation(item) for item in violations]
    rows = _metric_rows(metrics, before, found, baseline is not None)
    known = {row["name"] for row in rows}
    for item in found:
        item["anchor"] = f"metric-{item['metric']}" if item["metric"] in known else None
    figures: list[dict[str, Any]] = []
    matrix = _matrix(metrics.get("confusion_matrix"), key, figures)
    curves = []
    if key == "binary_classification_metrics":
        for name, build in (("ROC curve", _roc_figure), ("precision-recall curve", _pr_figure)):
            index = _add(figures, build(metrics, before))
            if index is not None:
                curves.append({"label": name, "chart": index})
    context = {
        "kind": "model quality report",
        "title": title,
        "subtitle": subtitle,
        "cards": _quality_cards(statistics, baseline, key, metrics, found),
        "toc": _quality_toc(matrix, curves),
        "violations": found,
        "metrics": rows,
        "has_baseline": baseline is not None,
        "has_constant": any(row["constant"] != formatting.MISSING for row in rows),
        "deviation_note": _deviation_note(rows),
        "matrix": matrix,
        "curves": curves,
        "footer": "Generated by watchkeeper from model-quality statistics.",
    }
    return _page("quality_report.html", context, figures, plotly_src)


def _metrics_section(document: Mapping[str, Any], what: str) -> tuple[str, Mapping[str, Any]]:
    for key in KINDS:
        if isinstance(document.get(key), Mapping):
            return key, document[key]
    raise UsageError(f"{what} holds no {', '.join(KINDS)} section: not model-quality statistics")


def _quality_violation(item: Any) -> dict[str, Any]:
    if not isinstance(item, Mapping) and callable(getattr(item, "to_dict", None)):
        item = item.to_dict()
    if not isinstance(item, Mapping):
        raise UsageError(f"a violation must be a dict, got {type(item).__name__}")
    description = str(item.get("description", ""))
    metric = item.get("metric_name")
    if metric is None:
        match = _METRIC_IN_DESCRIPTION.match(description)
        metric = match.group(1) if match else item.get("feature_name", "(model)")
    return {
        "metric": str(metric),
        "check": str(item.get("constraint_check_type", "")),
        "description": description,
    }


def _scalar(entry: Any) -> bool:
    return isinstance(entry, Mapping) and "value" in entry


def _metric_rows(metrics, before, found, has_baseline) -> list[dict[str, Any]]:
    rows = []
    for name, entry in metrics.items():
        if not _scalar(entry) or name.endswith(CONSTANT_SUFFIX):
            continue
        constant = metrics.get(name + CONSTANT_SUFFIX)
        earlier = before.get(name)
        value = as_number(entry["value"])
        then = as_number(earlier["value"]) if _scalar(earlier) else None
        change = None
        if value is not None and then is not None and math.isfinite(value - then):
            change = value - then
        rows.append(
            {
                "name": name,
                "anchor": f"metric-{name}",
                "value": value_text(entry["value"]),
                "deviation": value_text(entry.get("standard_deviation")),
                "constant": value_text(constant["value"]) if _scalar(constant) else "—",
                "baseline": value_text(then) if has_baseline else "—",
                "change": _signed(change),
                "violations": [item for item in found if item["metric"] == name],
            }
        )
    return rows


def _signed(change: float | None) -> str:
    if change is None:
        return formatting.MISSING
    text = formatting.number(change)
    return text if change <= 0 else "+" + text


def _deviation_note(rows: list[dict[str, Any]]) -> str | None:
    if rows and all(row["deviation"] == formatting.MISSING for row in rows):
        return (
            "No standard deviations: they are estimated from five subsamples, "
            "and only from 200 rows up."
        )
    return None


def _quality_cards(statistics, baseline, key, metrics, found) -> list[dict[str, Any]]:
    rows = (statistics.get("dataset") or {}).get("item_count")
    base_rows = None if baseline is None else (baseline.get("dataset") or {}).get("item_count")
    count = len(found)
    cards = [
        _card(
            "Status",
            f"{count:,} violation{'' if count == 1 else 's'}" if count else "No violations",
            status="status-bad" if count else "status-ok",
        ),
        _card("Problem", KINDS[key]),
        _card(
            "Rows",
            value_text(rows),
            None if base_rows is None else f"baseline {value_text(base_rows)}",
        ),
    ]
    for name in HEADLINE[key]:
        if _scalar(metrics.get(name)):
            cards.append(_card(name, value_text(metrics[name]["value"])))
    return cards


def _quality_toc(matrix, curves) -> list[tuple[str, str]]:
    toc = [("violations", "Violations"), ("metrics", "Metrics")]
    if matrix:
        toc.append(("confusion", "Confusion matrix"))
    if curves:
        toc.append(("curves", "Curves"))
    return toc


def _matrix(document: Any, key: str, figures: list) -> dict[str, Any] | None:
    """The confusion matrix ``{actual: {predicted: count}}`` as table rows (and a heatmap
    for multiclass)."""
    if not isinstance(document, Mapping) or not document:
        return None
    labels = list(document)
    for row in document.values():
        labels += [label for label in (row or {}) if label not in labels]
    counts = [[as_number((document.get(a) or {}).get(p)) or 0.0 for p in labels] for a in labels]
    rows = [
        {
            "label": actual,
            "cells": [
                {"count": value_text(count), "diagonal": i == j}
                for j, count in enumerate(counts[i])
            ],
            "total": value_text(sum(counts[i])),
        }
        for i, actual in enumerate(labels)
    ]
    chart = None
    if key == "multiclass_classification_metrics":
        chart = _add(figures, _heatmap(labels, counts))
    return {"labels": labels, "rows": rows, "chart": chart}


def _heatmap(labels: list[str], counts: list[list[float]]) -> dict[str, Any]:
    names = [_label(label, 24) for label in labels]
    positions = list(range(len(labels)))
    texts = [[formatting.number(count) for count in row] for row in counts]
    trace = {
        "type": "heatmap",
        "x": positions,
        "y": positions,
        "z": counts,
        "text": texts,
        "texttemplate": "%{text}",
        "colorscale": [[0, "#f5f7fa"], [1, CURRENT_COLOUR]],
        "customdata": [[[names[i], names[j]] for j in positions] for i in positions],
        "hovertemplate": "actual %{customdata[0]}, predicted %{customdata[1]}: %{text}"
        "<extra></extra>",
        "showscale": False,
    }
    side = 120 + 36 * len(labels)
    layout = _layout(height=min(900, max(320, side)))
    layout["xaxis"] = {
        "title": {"text": "predicted"},
        "tickvals": positions,
        "ticktext": names,
        "side": "top",
        "automargin": True,
    }
    layout["yaxis"] = {
        "title": {"text": "actual"},
        "tickvals": positions,
        "ticktext": names,
        "autorange": "reversed",
        "automargin": True,
    }
    return {"data": [trace], "layout": layout}


def _points(curve: Any, x_key: str, y_key: str) -> tuple[list[float], list[float]] | None:
    if not isinstance(curve, Mapping):
        return None
    pairs = [
        (x, y)
        for x, y in zip(
            (_finite(value) for value in curve.get(x_key) or ()),
            (_finite(value) for value in curve.get(y_key) or ()),
            strict=False,
        )
        if x is not None and y is not None
    ]
    if not pairs:
        return None
    return [round(x, 6) for x, _ in pairs], [round(y, 6) for _, y in pairs]


def _curve_figure(metrics, before, curve, x_key, y_key, titles, chance) -> dict | None:
    sides = [("baseline", before, BASELINE_COLOUR), ("current", metrics, CURRENT_COLOUR)]
    traces = []
    for name, section, colour in sides:
        points = _points(section.get(curve), x_key, y_key)
        if points is None:
            continue
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "x": points[0],
                "y": points[1],
                "line": {"color": colour, "width": 2.5 if name == "current" else 2},
                "hovertemplate": f"{titles[0]} %{{x:.3f}}, {titles[1]} %{{y:.3f}}"
                f"<extra>{name}</extra>",
            }
        )
    if not traces:
        return None
    traces.insert(0, {**chance, "type": "scatter", "mode": "lines", "hoverinfo": "skip"})
    layout = _layout(height=380, title={"text": titles[2], "x": 0.01, "y": 0.98})
    layout["margin"]["t"] = 70
    layout["legend"]["y"] = 1.02
    layout["xaxis"] = {"title": {"text": titles[0]}, "range": [0, 1.02], "automargin": True}
    layout["yaxis"] = {"title": {"text": titles[1]}, "range": [0, 1.02], "automargin": True}
    return {"data": traces, "layout": layout}


def _roc_figure(metrics, before) -> dict | None:
    chance = {
        "name": "chance",
        "x": [0, 1],
        "y": [0, 1],
        "line": {"color": NEUTRAL_COLOUR, "dash": "dot", "width": 1},
    }
    auc = metrics.get("auc")
    title = "ROC curve" + (f" (AUC {value_text(auc['value'])})" if _scalar(auc) else "")
    return _curve_figure(
        metrics,
        before,
        CURVES[0],
        "false_positive_rates",
        "true_positive_rates",
        ("false positive rate", "true positive rate", title),
        chance,
    )


def _pr_figure(metrics, before) -> dict | None:
    # a classifier without skill has the positive share as its precision everywhere
    constant = metrics.get("precision" + CONSTANT_SUFFIX)
    share = _finite(constant["value"]) if _scalar(constant) else None
    chance = {
        "name": "always positive",
        "x": [0, 1] if share is not None else [],
        "y": [share, share] if share is not None else [],
        "line": {"color": NEUTRAL_COLOUR, "dash": "dot", "width": 1},
    }
    return _curve_figure(
        metrics,
        before,
        CURVES[1],
        "recalls",
        "precisions",
        ("recall", "precision", "Precision-recall curve"),
        chance,
    )


def write_quality_report(
    directory: str | os.PathLike[str],
    statistics: Mapping[str, Any],
    *,
    baseline: Mapping[str, Any] | None = None,
    violations: Iterable[Any] = (),
    title: str = "watchkeeper model quality report",
    subtitle: str | None = None,
    plotly_src: str | None = None,
    storage_options: dict | None = None,
) -> str:
    """Write the page of :func:`render_quality_html` atomically as ``report.html`` under
    ``directory`` (a folder or URI, created as needed); returns its URI."""
    text = render_quality_html(
        statistics,
        baseline=baseline,
        violations=violations,
        title=title,
        subtitle=subtitle,
        plotly_src=plotly_src,
    )
    return _write(directory, text, storage_options)


# -- bias --------------------------------------------------------------------------------


def render_bias_html(
    analysis: Mapping[str, Any],
    *,
    title: str = "watchkeeper bias report",
    subtitle: str | None = None,
    plotly_src: str | None = None,
) -> str:
    """Clarify's bias ``analysis.json`` document ``analysis`` as one HTML page.

    For each facet and facet value, every metric of each stage (pre- and post-training)
    beside its neutral value (0, or 1 for the disparate impact DI), and a horizontal
    bar per metric from its neutral value to its value. Infinite values (floats or
    Clarify's ``"Infinity"`` strings) are written out and marked in the chart instead
    of drawn; metrics without a value show their error text.

    >>> analysis = {"version": "1.0", "pre_training_bias_metrics": {
    ...     "label": "y", "label_value_or_threshold": "1", "facets": {"sex": [
    ...     {"value_or_threshold": "0", "metrics": [
    ...         {"name": "CI", "description": "Class Imbalance (CI)", "value": 0.25}]}]}}}
    >>> "Class Imbalance (CI)" in render_bias_html(analysis, plotly_src="plotly.js")
    True
    """
    analysis = _document(analysis, "analysis")
    figures: list[dict[str, Any]] = []
    facets: dict[str, dict[str, Any]] = {}
    stages_seen, counts = [], {"metrics": 0, "infinite": 0, "missing": 0}
    for key, stage in STAGES:
        section = analysis.get(key)
        if not isinstance(section, Mapping):
            continue
        stages_seen.append(stage)
        for facet, entries in (section.get("facets") or {}).items():
            facet_entry = facets.setdefault(
                str(facet),
                {"name": str(facet), "anchor": f"facet-{len(facets)}", "groups": {}},
            )
            for entry in entries or ():
                value = str(entry.get("value_or_threshold", ""))
                group = facet_entry["groups"].setdefault(value, {"value": value, "stages": []})
                metrics = [_bias_metric(metric) for metric in entry.get("metrics") or ()]
                for metric in metrics:
                    counts["metrics"] += 1
                    counts["infinite"] += metric["infinite"]
                    counts["missing"] += metric["missing"]
                group["stages"].append(
                    {
                        "stage": stage,
                        "label": str(section.get("label", "")),
                        "label_value": str(section.get("label_value_or_threshold", "")),
                        "metrics": metrics,
                        "chart": _add(figures, _bias_figure(metrics, stage)),
                    }
                )
    for facet_entry in facets.values():
        facet_entry["groups"] = list(facet_entry["groups"].values())
    context = {
        "kind": "bias report",
        "title": title,
        "subtitle": subtitle,
        "cards": _bias_cards(analysis, stages_seen, facets, counts),
        "toc": [(facet["anchor"], f"Facet {facet['name']}") for facet in facets.values()],
        "facets": list(facets.values()),
        "footer": "Generated by watchkeeper from a bias analysis.json. Each bar runs from "
        "the metric's neutral value (0, or 1 for DI) to its value.",
    }
    return _page("bias_report.html", context, figures, plotly_src)


def _bias_metric(metric: Any) -> dict[str, Any]:
    metric = metric if isinstance(metric, Mapping) else {}
    name = str(metric.get("name", ""))
    number = as_number(metric.get("value"))
    missing = number is None or math.isnan(number)
    neutral = NEUTRAL.get(name, 0.0)
    return {
        "name": name,
        "description": str(metric.get("description") or ""),
        "value": value_text(number),
        "number": None if missing else number,
        "neutral": formatting.number(neutral),
        "neutral_number": neutral,
        "infinite": not missing and math.isinf(number),
        "missing": missing,
        "error": None if metric.get("error") is None else str(metric["error"]),
    }


def _bias_figure(metrics: list[dict[str, Any]], stage: str) -> dict[str, Any] | None:
    if not any(metric["number"] is not None for metric in metrics):
        return None
    positions = list(range(len(metrics)))
    drawn = [m for m in metrics if m["number"] is not None and not m["infinite"]]
    index = {id(m): i for i, m in enumerate(metrics)}
    trace = {
        "type": "bar",
        "orientation": "h",
        "name": stage,
        "y": [index[id(m)] for m in drawn],
        "x": [round(m["number"] - m["neutral_number"], 9) for m in drawn],
        "base": [m["neutral_number"] for m in drawn],
        "text": [m["value"] for m in drawn],
        "textposition": "outside",
        "cliponaxis": False,
        "customdata": [_label(m["name"]) for m in drawn],
        "hovertemplate": "%{customdata}: %{text}<extra></extra>",
        "marker": {"color": CURRENT_COLOUR if stage.startswith("Post") else "#5b8e7d"},
    }
    shapes = [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": 0,
            "x1": 0,
            "y0": 0,
            "y1": 1,
            "line": {"color": NEUTRAL_COLOUR, "width": 1},
        }
    ]
    annotations = []
    for i, metric in enumerate(metrics):
        if metric["neutral_number"] != 0:
            shapes.append(
                {
                    "type": "line",
                    "xref": "x",
                    "yref": "y",
                    "x0": metric["neutral_number"],
                    "x1": metric["neutral_number"],
                    "y0": i - 0.45,
                    "y1": i + 0.45,
                    "line": {"color": NEUTRAL_COLOUR, "width": 2, "dash": "dot"},
                }
            )
        if metric["infinite"] or metric["number"] is None:
            text = "no value" if metric["number"] is None else metric["value"]
            annotations.append(
                {
                    "x": metric["neutral_number"],
                    "y": i,
                    "xref": "x",
                    "yref": "y",
                    "text": text,
                    "showarrow": False,
                    "xanchor": "left" if (metric["number"] or 0) >= 0 else "right",
                    "font": {"color": "#b42318" if metric["infinite"] else NEUTRAL_COLOUR},
                }
            )
    layout = _layout(height=70 + 28 * len(metrics), shapes=shapes, annotations=annotations)
    layout["margin"] = {"l": 10, "r": 40, "t": 30, "b": 40}
    layout["title"] = {"text": f"{stage} (bars from the neutral value)", "x": 0.01, "y": 0.99}
    layout["showlegend"] = False
    layout["yaxis"] = {
        "tickvals": positions,
        "ticktext": [_label(m["name"]) for m in metrics],
        # a range, not autorange: rows without a bar (infinite, no value) keep their place
        "range": [len(metrics) - 0.5, -0.5],
        "automargin": True,
    }
    layout["xaxis"] = {
        "zeroline": False,
        "automargin": True,
        "title": {"text": "value"},
        "range": _value_range(metrics),
    }
    return {"data": [trace], "layout": layout}


def _value_range(metrics: list[dict[str, Any]]) -> list[float]:
    """The value axis: every finite value and neutral value, with room either side for
    the value written beside its bar (it would run over the metric names otherwise)."""
    points = [0.0] + [metric["neutral_number"] for metric in metrics]
    points += [m["number"] for m in metrics if m["number"] is not None and not m["infinite"]]
    low, high = min(points), max(points)
    pad = 0.25 * (high - low) if high > low else 1.0
    return [round(low - pad, 9), round(high + pad, 9)]


def _bias_cards(analysis, stages, facets, counts) -> list[dict[str, Any]]:
    sections = [analysis[key] for key, _ in STAGES if isinstance(analysis.get(key), Mapping)]
    label = sections[0] if sections else {}
    cards = [
        _card("Stages", ", ".join(stages) if stages else "none"),
        _card(
            "Label",
            str(label.get("label", formatting.MISSING)),
            f"positive: {label.get('label_value_or_threshold', formatting.MISSING)}",
        ),
        _card("Facets", f"{len(facets):,}"),
        _card("Metrics", f"{counts['metrics']:,}"),
    ]
    if counts["infinite"]:
        cards.append(_card("Infinite", f"{counts['infinite']:,}", status="status-bad"))
    if counts["missing"]:
        cards.append(_card("Without a value", f"{counts['missing']:,}"))
    return cards


def write_bias_report(
    directory: str | os.PathLike[str],
    analysis: Mapping[str, Any],
    *,
    title: str = "watchkeeper bias report",
    subtitle: str | None = None,
    plotly_src: str | None = None,
    storage_options: dict | None = None,
) -> str:
    """Write the page of :func:`render_bias_html` atomically as ``report.html`` under
    ``directory`` (a folder or URI, created as needed); returns its URI."""
    text = render_bias_html(analysis, title=title, subtitle=subtitle, plotly_src=plotly_src)
    return _write(directory, text, storage_options)


# -- explanations ------------------------------------------------------------------------


def render_explanations_html(
    analysis: Mapping[str, Any],
    *,
    local: Any = None,
    title: str = "watchkeeper explanations report",
    subtitle: str | None = None,
    plotly_src: str | None = None,
) -> str:
    """The explainability ``analysis.json`` document ``analysis`` as one HTML page.

    Per label: its expected value, the features ranked by absolute global SHAP value in
    a table and a bar chart (the top 30), and when ``local`` gives the per-row values
    (an :class:`~watchkeeper.explain.Explanation` or the text of
    ``explanations_shap/out.csv``) their spread per feature as box plots (quartiles,
    mean and extremes, computed here, so the page's size does not grow with the rows).

    >>> analysis = {"version": "1.0", "explanations": {"kernel_shap": {"label0": {
    ...     "global_shap_values": {"age": 0.5, "income": -1.5}, "expected_value": 0.25}}}}
    >>> page = render_explanations_html(analysis, plotly_src="plotly.js")
    >>> page.index(">income<") < page.index(">age<")
    True
    """
    analysis = _document(analysis, "analysis")
    explanations = analysis.get("explanations")
    kernel = explanations.get("kernel_shap") if isinstance(explanations, Mapping) else None
    if not isinstance(kernel, Mapping):
        raise UsageError("analysis holds no explanations.kernel_shap: not an explainability one")
    labels = [str(label) for label in kernel]
    features = {
        str(label): [str(name) for name in (entry or {}).get("global_shap_values") or {}]
        for label, entry in kernel.items()
    }
    spreads = _local_values(local, labels, features)
    figures: list[dict[str, Any]] = []
    sections = []
    for position, (label, entry) in enumerate(kernel.items()):
        entry = entry if isinstance(entry, Mapping) else {}
        sections.append(
            _label_section(str(label), entry, spreads.get(str(label)), position, figures)
        )
    rows = _local_rows(spreads)
    cards = [
        _card("Labels", f"{len(labels):,}"),
        _card("Features", f"{len({name for names in features.values() for name in names}):,}"),
    ]
    for section in sections[:4]:
        cards.append(_card(f"Expected value · {section['name']}", section["expected"]))
    if rows is not None:
        cards.append(_card("Rows explained", f"{rows:,}"))
    context = {
        "kind": "explanations report",
        "title": title,
        "subtitle": subtitle,
        "cards": cards,
        "toc": [(section["anchor"], section["name"]) for section in sections],
        "labels": sections,
        "footer": "Generated by watchkeeper from Kernel SHAP values: a feature's SHAP value "
        "is its share of a prediction's distance from the expected value.",
    }
    return _page("explanations_report.html", context, figures, plotly_src)


def _local_values(local: Any, labels: list[str], features: dict[str, list[str]]) -> dict:
    """``{label: {feature: finite local values}}`` from an Explanation or out.csv text."""
    if local is None:
        return {}
    if isinstance(local, str):
        columns = _csv_columns(local)
        single = len(labels) == 1
        spreads = {}
        for label in labels:
            found = {}
            for feature in features[label]:
                for name in [feature, f"{label}_{feature}"] if single else [f"{label}_{feature}"]:
                    if name in columns:
                        found[feature] = columns[name]
                        break
            spreads[label] = found
        return spreads
    values = getattr(local, "local_values", None)
    names = getattr(local, "features", None)
    if not isinstance(values, Mapping) or names is None:
        raise UsageError(
            "local must be an Explanation or the text of explanations_shap/out.csv, "
            f"got {type(local).__name__}"
        )
    spreads = {}
    for label, array in values.items():
        matrix = np.asarray(array, dtype=np.float64)
        spreads[str(label)] = {
            str(name): _finite_array(matrix[:, column]) for column, name in enumerate(names)
        }
    return spreads


def _csv_columns(text: str) -> dict[str, np.ndarray]:
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return {}
    cells: list[list[float]] = [[] for _ in header]
    for row in reader:
        for index, cell in enumerate(row[: len(header)]):
            cells[index].append(_cell_number(cell))
    return {
        name: _finite_array(np.array(values)) for name, values in zip(header, cells, strict=True)
    }


def _cell_number(cell: str) -> float:
    try:
        return float(cell)
    except ValueError:
        return math.nan


def _finite_array(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]


def _local_rows(spreads: dict) -> int | None:
    sizes = [len(values) for label in spreads.values() for values in label.values()]
    return max(sizes) if sizes else None


def _label_section(label, entry, spread, position, figures) -> dict[str, Any]:
    values = entry.get("global_shap_values") or {}
    ranked = sorted(
        ((str(name), as_number(value)) for name, value in values.items()),
        key=lambda item: (item[1] is None or math.isnan(item[1]), -abs(item[1] or 0.0)),
    )
    spread = spread or {}
    rows = []
    for rank, (name, value) in enumerate(ranked, start=1):
        local = spread.get(name)
        has = local is not None and len(local) > 0
        rows.append(
            {
                "rank": rank,
                "name": name,
                "value": value_text(value),
                "min": value_text(float(local.min())) if has else formatting.MISSING,
                "median": value_text(float(np.median(local))) if has else formatting.MISSING,
                "mean": value_text(float(local.mean())) if has else formatting.MISSING,
                "max": value_text(float(local.max())) if has else formatting.MISSING,
            }
        )
    charted = [
        (name, value) for name, value in ranked if value is not None and math.isfinite(value)
    ]
    charted = charted[:MAX_FEATURES_CHARTED]
    note = None
    if len(ranked) > len(charted):
        note = (
            f"The charts show the {len(charted):,} features with the largest global SHAP "
            f"values of {len(ranked):,}; the table lists them all."
        )
    return {
        "name": label,
        "anchor": f"label-{position}",
        "expected": value_text(entry.get("expected_value")),
        "features": rows,
        "has_local": bool(spread),
        "chart_note": note,
        "global_chart": _add(figures, _global_figure(charted)),
        "local_chart": _add(figures, _local_figure(charted, spread)),
    }


def _feature_axis(names: Sequence[str]) -> dict[str, Any]:
    return {
        "tickvals": list(range(len(names))),
        "ticktext": [_label(name) for name in names],
        "autorange": "reversed",
        "automargin": True,
    }


def _global_figure(charted: list[tuple[str, float]]) -> dict[str, Any] | None:
    if not charted:
        return None
    names = [name for name, _ in charted]
    trace = {
        "type": "bar",
        "orientation": "h",
        "y": list(range(len(charted))),
        "x": [round(value, 9) for _, value in charted],
        "customdata": [_label(name) for name in names],
        "marker": {"color": [CURRENT_COLOUR if v >= 0 else "#b42318" for _, v in charted]},
        "hovertemplate": "%{customdata}: %{x:.4g}<extra></extra>",
    }
    layout = _layout(height=90 + 24 * len(charted), showlegend=False)
    layout["title"] = {"text": "Global SHAP values", "x": 0.01, "y": 0.99}
    layout["yaxis"] = _feature_axis(names)
    layout["xaxis"] = {"title": {"text": "global SHAP value"}, "automargin": True}
    return {"data": [trace], "layout": layout}


def _local_figure(charted: list[tuple[str, float]], spread: Mapping) -> dict[str, Any] | None:
    shown = [(i, name) for i, (name, _) in enumerate(charted) if len(spread.get(name, ())) > 0]
    if not shown:
        return None
    stats = {key: [] for key in ("q1", "median", "q3", "lowerfence", "upperfence", "mean")}
    for _, name in shown:
        values = spread[name]
        q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
        for key, value in (
            ("q1", q1),
            ("median", median),
            ("q3", q3),
            ("lowerfence", values.min()),
            ("upperfence", values.max()),
            ("mean", values.mean()),
        ):
            stats[key].append(round(float(value), 9))
    trace = {
        "type": "box",
        "orientation": "h",
        "name": "local SHAP values",
        "y": [i for i, _ in shown],
        **stats,
        "marker": {"color": CURRENT_COLOUR},
        "line": {"color": CURRENT_COLOUR},
        "fillcolor": "rgba(47, 102, 144, 0.25)",
    }
    layout = _layout(height=90 + 24 * len(charted), showlegend=False)
    layout["title"] = {"text": "Local SHAP values per row", "x": 0.01, "y": 0.99}
    layout["yaxis"] = _feature_axis([name for name, _ in charted])
    del layout["yaxis"]["autorange"]
    layout["yaxis"]["range"] = [len(charted) - 0.5, -0.5]
    layout["xaxis"] = {"title": {"text": "SHAP value (box: quartiles, whiskers: extremes)"}}
    layout["xaxis"]["automargin"] = True
    layout["xaxis"]["zeroline"] = True
    return {"data": [trace], "layout": layout}


def write_explanations_report(
    directory: str | os.PathLike[str],
    analysis: Mapping[str, Any],
    *,
    local: Any = None,
    title: str = "watchkeeper explanations report",
    subtitle: str | None = None,
    plotly_src: str | None = None,
    storage_options: dict | None = None,
) -> str:
    """Write the page of :func:`render_explanations_html` atomically as ``report.html``
    under ``directory`` (a folder or URI, created as needed); returns its URI."""
    text = render_explanations_html(
        analysis, local=local, title=title, subtitle=subtitle, plotly_src=plotly_src
    )
    return _write(directory, text, storage_options)
