"""The self-contained HTML report: violations, the feature table, distributions.

The page is one file that opens offline: plotly's JavaScript is embedded from the
installed package and nothing is fetched. The tables are plain HTML, readable without
JavaScript; charts are drawn when they scroll into view, so a long report opens fast.
Its size is bounded by the profile and the caps below, never by the data.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from typing import Any

import jinja2
from markupsafe import Markup

from watchkeeper.errors import UsageError
from watchkeeper.profile import ColumnProfile, DatasetProfile
from watchkeeper.report import charts, formatting
from watchkeeper.report.table import distinct_values, feature_row, feature_table

MAX_CHARTS = 200
MAX_CATEGORIES = 20
BINS = 30
MAX_VIOLATION_ROWS = 1000
DATASET = "(dataset)"
IDENTIFIER_SHARE = 0.9
MIN_VALUES_FOR_IDENTIFIER = 50


def render_html(
    current: DatasetProfile,
    *,
    baseline: DatasetProfile | None = None,
    violations: Iterable[Mapping[str, Any]] = (),
    drift: Mapping[str, Any] | None = None,
    title: str = "watchkeeper report",
    subtitle: str | None = None,
    generated_at: str | dt.datetime | None = None,
    max_charts: int = MAX_CHARTS,
    max_categories: int = MAX_CATEGORIES,
    plotly_src: str | None = None,
    suggested: Mapping[str, Any] | None = None,
    multivariate: Mapping[str, Any] | None = None,
) -> str:
    """The report on ``current`` (optionally judged against ``baseline``) as one HTML page.

    ``multivariate`` (a multivariate verdict's ``to_dict()``: ``method``, ``columns``,
    ``figure``, ``band``, ``drifted``, row counts and ``description``) adds its section.

    ``suggested`` (a ``constraints.json`` document) makes it a baseline's page: nothing
    was judged, so in place of the violations it lists the constraints suggested.

    ``violations`` are dicts with ``feature_name``, ``constraint_check_type``,
    ``description`` and optionally ``observed`` and ``threshold`` (objects with a
    ``to_dict()`` method giving those are accepted too). ``drift`` maps a feature to
    its verdict: an object with ``drifted``, ``score``, ``test``, ``effect``,
    ``threshold`` and ``p_value``, or a number (a distance, as SageMaker reports it).

    Distributions are charted for every feature with a violation and for up to
    ``max_charts`` others (drifted ones first, then in column order); each categorical
    chart shows the ``max_categories`` most frequent values and the rest as one bar.
    The page shows the time ``generated_at`` only when given, so equal inputs give
    equal bytes. plotly's JavaScript (4.8 MB) is embedded unless ``plotly_src`` gives
    the (relative) address of a shared copy, as :func:`write_plotly_bundle` writes one
    for a folder of many reports; without it the tables still read, charts do not draw.

    >>> import pyarrow as pa
    >>> p = DatasetProfile()
    >>> p.track(pa.table({"x": [1.0, 2.0, None]}))
    >>> render_html(p, title="orders").startswith("<!DOCTYPE html>")
    True
    """
    _check_arguments(current, baseline, drift, max_charts, max_categories)
    found = [_violation(item) for item in violations]
    verdicts = {name: drift_verdict(value) for name, value in (drift or {}).items()}
    context = {
        "title": title,
        "subtitle": subtitle,
        "generated_at": _timestamp(generated_at),
        "current_rows": current.rows,
        "baseline_rows": None if baseline is None else baseline.rows,
        "feature_count": len(current.columns),
        "violation_count": len(found),
        "suggested": None if suggested is None else _suggested_rows(suggested),
        "drift_summary": _drift_summary(verdicts),
        "multivariate": _multivariate(multivariate),
        "plotly_src": plotly_src,
        "plotly_js": Markup(plotly_js()) if plotly_src is None else "",
        **_body(current, baseline, found, verdicts, max_charts, max_categories),
    }
    return _template().render(**context)


def _multivariate(verdict: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The multivariate section's figures, formatted as the page's others."""
    if verdict is None:
        return None
    band = verdict.get("band")
    judged = verdict.get("figure") is not None and band is not None
    return {
        **verdict,
        "judged": judged,
        "figure": formatting.number(verdict["figure"]) if judged else None,
        "low": formatting.number(band[0]) if judged else None,
        "high": formatting.number(band[1]) if judged else None,
    }


def _suggested_rows(document: Mapping[str, Any]) -> list[dict[str, str]]:
    """One row per feature of a ``constraints.json`` document, in words."""
    rows = []
    for feature in document.get("features", []):
        numeric = feature.get("num_constraints") or {}
        domains = (feature.get("string_constraints") or {}).get("domains")
        completeness = feature.get("completeness")
        rows.append(
            {
                "feature": str(feature.get("name", "")),
                "type": str(feature.get("inferred_type", "")),
                "completeness": "—"
                if completeness is None
                else f"at least {formatting.percent(float(completeness) * 100)}",
                "allowed": _allowed_values(numeric.get("is_non_negative"), domains),
            }
        )
    return rows


def _allowed_values(non_negative: bool | None, domains: list | None) -> str:
    if domains:
        shown = ", ".join(str(value) for value in domains[:MAX_CATEGORIES])
        more = len(domains) - MAX_CATEGORIES
        return f"one of {shown}" + (f" and {more:,} more" if more > 0 else "")
    if non_negative:
        return "not negative"
    return "—"


def _check_arguments(current, baseline, drift, max_charts, max_categories) -> None:
    if not isinstance(current, DatasetProfile):
        raise UsageError(f"current must be a DatasetProfile, got {type(current).__name__}")
    if baseline is not None and not isinstance(baseline, DatasetProfile):
        raise UsageError(
            f"baseline must be a DatasetProfile or None, got {type(baseline).__name__}"
        )
    if drift is not None and not isinstance(drift, Mapping):
        raise UsageError(f"drift must map feature names to verdicts, got {type(drift).__name__}")
    for name, value in (("max_charts", max_charts), ("max_categories", max_categories)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise UsageError(f"{name} must be a whole number >= 0, got {value!r}")


def _body(current, baseline, found, verdicts, max_charts, max_categories) -> dict[str, Any]:
    """Everything below the header: violations, feature table and feature sections."""
    names = list(current.columns)
    if baseline is not None:
        names += [name for name in baseline.columns if name not in current.columns]
    violated: dict[str, list[dict[str, Any]]] = {}
    for item in found:
        violated.setdefault(item["feature"], []).append(item)
    chosen = _chart_selection(names, violated, verdicts, max_charts)
    position = {name: index for index, name in enumerate(names)}
    anchors = {name: f"feature-{position[name]}" for name in chosen}
    order = sorted(chosen, key=lambda name: (name not in violated, position[name]))
    sections, figures = [], []
    for name in order:
        section = _section(name, current, baseline, violated, verdicts, max_categories)
        section["anchor"] = anchors[name]
        figure = section.pop("figure")
        section["chart"] = None if figure is None else len(figures)
        figures += [figure] if figure is not None else []
        sections.append(section)
    for item in found:
        item["anchor"] = anchors.get(item["feature"])
    return {
        "violations": found[:MAX_VIOLATION_ROWS],
        "hidden_violations": max(0, len(found) - MAX_VIOLATION_ROWS),
        "violated_features": len([name for name in violated if name != DATASET]),
        "table": _table(current, violated, verdicts, anchors),
        "sections": sections,
        "chart_note": _chart_note(len(names), len(chosen), max_charts),
        "charts_json": Markup(charts.script_json(figures)),
    }


def _chart_selection(names, violated, verdicts, max_charts) -> set[str]:
    """Every feature with a violation, then up to ``max_charts`` more: drifted first."""
    others = [name for name in names if name not in violated]
    # a stable sort: drifted features first, each group in column order
    others.sort(key=lambda name: not verdicts.get(name, {}).get("drifted"))
    return {name for name in names if name in violated} | set(others[:max_charts])


def _chart_note(total: int, shown: int, max_charts: int) -> str | None:
    if shown == total:
        return None
    return (
        f"Distributions are shown for {shown:,} of {total:,} features: every feature "
        f"with a violation, then up to {max_charts:,} others (drifted features first, "
        "then in column order). The table above lists every feature."
    )


def _section(name, current, baseline, violated, verdicts, max_categories) -> dict[str, Any]:
    now = current.columns.get(name)
    before = baseline.columns.get(name) if baseline is not None else None
    rows = {"current": _row(name, now), "baseline": _row(name, before)}
    kind = _kind(now, before)
    return {
        "name": name,
        "type": (rows["current"] or rows["baseline"])["type"],
        "absent": now is None,
        "has_baseline": baseline is not None,
        "figures": _key_figures(rows, kind),
        "violations": violated.get(name, []),
        "drift": verdicts.get(name),
        "figure": _figure(now, before, kind, max_categories),
        "empty_note": _empty_note(now, before, kind),
    }


def _row(name: str, column: ColumnProfile | None) -> dict[str, Any] | None:
    if column is None:
        return None
    return {**feature_row(name, column), **_distinct_texts(column)}


def _distinct_texts(column: ColumnProfile) -> dict[str, str]:
    """The distinct count in words: exact figures as they are, estimates marked ``≈``,
    and, when every value is unique, that instead of a "most frequent" value."""
    distinct = distinct_values(column)
    count = formatting.number(distinct.count)
    if distinct.count is not None and not distinct.exact:
        count = f"≈ {count}"
    if not distinct.all_unique:
        return {"distinct_text": count, "unique_note": ""}
    return {"distinct_text": f"{count}; all values unique", "unique_note": "all values unique"}


def _kind(now: ColumnProfile | None, before: ColumnProfile | None) -> str:
    """``numeric`` or ``categorical``: the current column's kind, else the baseline's."""
    column = now if now is not None and now.present else before
    column = column if column is not None else now
    return "numeric" if column is not None and column.is_numeric else "categorical"


def _empty_note(now: ColumnProfile | None, before: ColumnProfile | None, kind: str) -> str:
    """Why a feature has no chart."""
    columns = [column for column in (now, before) if column is not None and column.present]
    if not columns:
        return "No values to chart."
    if kind == "numeric":
        return "No chart: every value is infinite, so none can be placed on an axis."
    if all(_mostly_distinct(column) for column in columns):
        return "No chart: nearly every value is distinct, so no value is frequent."
    return "No chart: the values are free text, not counted as categories."


def _mostly_distinct(column: ColumnProfile) -> bool:
    # an identifier's top values are each a sliver of the whole: a chart would show
    # nothing but "all other values"
    return column.present > MIN_VALUES_FOR_IDENTIFIER and (
        column.distinct_count() >= IDENTIFIER_SHARE * column.present
    )


def _figure(now, before, kind, max_categories) -> dict[str, Any] | None:
    if kind == "numeric":
        return charts.numeric_figure(now, before, BINS)
    columns = [column for column in (now, before) if column is not None and column.present]
    if columns and all(_mostly_distinct(column) for column in columns):
        return None
    return charts.category_figure(now, before, max_categories)


_NUMERIC_FIGURES = ("mean", "std", "min", "p50", "max")


def _key_figures(rows: dict[str, dict | None], kind: str) -> list[tuple[str, str, str]]:
    """(label, baseline text, current text) for the section's figures table."""
    labels = [("rows", "rows"), ("type", "type"), ("missing", "missing")]
    labels += [("missing_pct", "missing %"), ("distinct", "distinct")]
    if kind == "numeric":
        labels += [(key, "median" if key == "p50" else key) for key in _NUMERIC_FIGURES]
    else:
        labels += [("top_value", "most frequent")]
    return [
        (label, _cell(rows["baseline"], key), _cell(rows["current"], key)) for key, label in labels
    ]


def _cell(row: dict[str, Any] | None, key: str) -> str:
    if row is None:
        return "absent"
    value = row[key]
    if key == "missing_pct":
        return formatting.percent(value)
    if key == "distinct":
        return row["distinct_text"]
    if key == "top_value" and row["unique_note"]:
        return f"none: {row['unique_note']}"
    if key == "top_value" and value is not None:
        return formatting.shorten(value, 60)
    return formatting.number(value) if not isinstance(value, str) else value


def _table(current, violated, verdicts, anchors) -> list[dict[str, Any]]:
    rows = feature_table(current)
    for row in rows:
        name = row["feature"]
        row["anchor"] = anchors.get(name)
        row["violation_count"] = len(violated.get(name, ()))
        row["drifted"] = bool(verdicts.get(name, {}).get("drifted"))
        row.update(_distinct_texts(current.columns[name]))
        if row["top_value"] is not None:
            row["top_value"] = formatting.shorten(row["top_value"], 40)
    return rows


def _violation(item: Any) -> dict[str, Any]:
    """A violation as the page shows it, from a dict or an object with ``to_dict()``."""
    if not isinstance(item, Mapping) and callable(getattr(item, "to_dict", None)):
        item = item.to_dict()
    if not isinstance(item, Mapping):
        raise UsageError(f"a violation must be a dict, got {type(item).__name__}")
    return {
        "feature": str(item.get("feature_name", DATASET)),
        "check": str(item.get("constraint_check_type", "")),
        "description": str(item.get("description", "")),
        "observed": formatting.number(item.get("observed")),
        "threshold": formatting.number(item.get("threshold")),
    }


def drift_verdict(value: Any) -> dict[str, Any]:
    """A drift verdict as the reports show it (``drifted``, ``text`` and the ``figure``
    judged): from a distance, a test's judgement, or an already worded one (a mapping
    with those keys, as the checks word their verdicts)."""
    if isinstance(value, Mapping):
        return {
            "drifted": value.get("drifted"),
            "text": str(value.get("text", "")),
            "figure": value.get("figure"),
        }
    if isinstance(value, int | float) and not isinstance(value, bool):
        figure = float(value)
        return {"drifted": None, "text": f"distance {formatting.number(figure)}", "figure": figure}
    drifted = bool(getattr(value, "drifted", False))
    test = getattr(value, "test", None)
    if test is None:
        return {
            "drifted": drifted,
            "text": "no drift test applies (no values to compare)",
            "figure": None,
        }
    text = (
        f"{test}: effect {formatting.number(getattr(value, 'effect', None))} "
        f"(threshold {formatting.number(getattr(value, 'threshold', None))}), "
        f"p = {_p_value(getattr(value, 'p_value', None))}, "
        f"score {formatting.number(getattr(value, 'score', None))}"
    )
    return {"drifted": drifted, "text": text, "figure": getattr(value, "effect", None)}


def _p_value(value: Any) -> str:
    return formatting.MISSING if value is None else f"{value:.3g}"


def _drift_summary(verdicts: dict[str, dict[str, Any]]) -> str | None:
    if not verdicts:
        return None
    judged = [verdict for verdict in verdicts.values() if verdict["drifted"] is not None]
    if not judged:
        return f"distances for {len(verdicts):,} features"
    drifted = sum(1 for verdict in judged if verdict["drifted"])
    return f"{drifted:,} of {len(judged):,} features drifted"


def _timestamp(value: str | dt.datetime | None) -> str | None:
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    return None if value is None else str(value)


@functools.cache
def template_environment(package: str) -> jinja2.Environment:
    """Jinja2 over ``package``'s ``templates`` folder, escaping everything, with the
    ``number`` and ``percent`` filters of :mod:`watchkeeper.report.formatting`."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["number"] = formatting.number
    environment.filters["percent"] = formatting.percent
    return environment


def _template() -> jinja2.Template:
    return template_environment("watchkeeper.report").get_template("report.html")


@functools.cache
def plotly_bundle_name() -> str:
    """File name of the shared plotly bundle, versioned so upgrades never mix."""
    from plotly import __version__

    return f"plotly-{__version__}.min.js"


def plotly_js() -> str:
    # imported here: plotly takes a moment to import, and only reports need it
    from plotly.offline import get_plotlyjs

    # plotly's bundle is safe inside <script> today; the guard keeps it so
    return get_plotlyjs().replace("</script", "<\\/script")
