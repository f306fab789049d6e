"""The charts' palette and look, and baseline-versus-current distribution charts, as
plotly figure specifications: one palette for the reports and the dashboard.

Figures are plain dicts in plotly's JSON schema (``data`` and ``layout``), built
without plotly's Python objects: validating hundreds of figures through them costs
seconds, and the page only needs their JSON. Every number comes from the profiles'
sketches, so a chart's size depends on the bin and category caps, never on the data.

Text from the data (category values) is HTML-escaped before it goes into a figure:
plotly renders a subset of HTML tags inside labels and decodes entities, so escaped
text displays as written and can never become markup.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from watchkeeper.profile import ColumnProfile
from watchkeeper.profile.kll import KLLSketch
from watchkeeper.report.formatting import shorten

# the palette of every chart and sparkline, in the reports and on the dashboard
CURRENT_COLOUR = "#2f6690"  # the data judged: the current batch, a drift figure
BASELINE_COLOUR = "#a3acb9"  # the reference, and counts drawn behind the lines
ACCENT_COLOUR = "#edae49"  # a second figure on the same axes: the mean, a detector score
# profiles side by side, in their order (the current colour first)
COMPARED_COLOURS = (CURRENT_COLOUR, "#d1495b", ACCENT_COLOUR)
SECOND_COLOUR = "#5b8e7d"  # a second stage beside the current one (before training)
ALERT_COLOUR = "#b42318"  # violations and what pushes the wrong way
NEUTRAL_COLOUR = "#616e7c"  # reference lines and plain annotations
QUANTILE_COLOUR = "#9fb8cc"  # the outer quantiles around the median
PREVIOUS_COLOUR = "#7b8794"  # a distance to the previous batch
PREVIOUS_SCORE_COLOUR = "#c9a227"  # a detector score against the previous batch
WASH_COLOUR = "#f5f7fa"  # the low end of a colour scale
BACKGROUND_COLOUR = "#ffffff"
FONT = {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12}
LABEL_LENGTH = 40
OTHER_LABEL = "(all other values)"
_LARGEST = np.finfo(np.float64).max
_EXACT_WHOLE = 2.0**52  # whole numbers below this are a half apart from their bin edges


def histogram_shares(
    sketches: Sequence[KLLSketch], bins: int = 30
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Common equal-width bin edges over the sketches' joint finite range, and each
    sketch's share of values per bin; no edges when no sketch holds a finite value.

    Shares are differences of ranks at the interior edges, so values beyond the outer
    edges (infinities) fall into the first or last bin and each sketch's shares sum to 1.
    Bins are half-open ``[lo, hi)`` except the last, which is closed, as in NumPy.
    Whole numbers spanning fewer than ``bins`` values (counts, ratings, a single
    value) get one bin of width 1 centred on each, so no bin straddles two of them; a
    range too narrow for the floats to split gets one bin.
    """
    finite = [_finite_items(sketch) for sketch in sketches]
    joined = np.concatenate([*finite, np.empty(0)])
    if len(joined) == 0:
        return np.empty(0), [np.empty(0) for _ in sketches]
    edges = _edges(float(joined.min()), float(joined.max()), joined, bins)
    shares = []
    for sketch in sketches:
        n = sketch.n
        below = sketch.rank(edges[1:-1], inclusive=False)
        counts = np.diff(np.concatenate(([0], below, [n])))
        shares.append(counts / n if n else np.zeros(len(edges) - 1))
    return edges, shares


def _edges(lo: float, hi: float, values: np.ndarray, bins: int) -> np.ndarray:
    small = max(abs(lo), abs(hi)) < _EXACT_WHOLE
    if small and hi - lo < bins and np.all(values == np.round(values)):
        return np.arange(lo - 0.5, hi + 1.0, 1.0)
    # in quarters, so that a range wider than the largest float (-1e308 to 1e308) has
    # edges and widths that are floats too
    edges = np.linspace(lo / 4, hi / 4, bins + 1) * 4
    if np.all(np.diff(edges / 4) > 0):
        return edges
    if hi > lo:
        return np.array([lo, hi])
    half = abs(lo) / 20 or 0.5
    return np.clip(np.array([lo - half, lo + half]), -_LARGEST, _LARGEST)


def _finite_items(sketch: KLLSketch) -> np.ndarray:
    items, _ = sketch.weighted_items()
    return items[np.isfinite(items)]


def category_shares(
    columns: Sequence[ColumnProfile], limit: int = 20
) -> tuple[list[str], list[np.ndarray]]:
    """The most frequent categories over all columns and each column's share of them.

    A category is shown when it is among the ``limit`` most frequent of any column,
    ranked by its largest share, so a value that vanished from the current data still
    appears. The last share of each column is that of all other values together.
    """
    tallies = [dict(column.categories.items(limit)) for column in columns]
    totals = [column.categories.total for column in columns]
    best: dict[str, float] = {}
    for tally, total in zip(tallies, totals, strict=True):
        for value, count in tally.items():
            best[value] = max(best.get(value, 0.0), count / total)
    shown = sorted(best, key=lambda value: (-best[value], value))[:limit]
    shares = []
    for tally, total in zip(tallies, totals, strict=True):
        counts = np.array([tally.get(value, 0) for value in shown], dtype=np.float64)
        # the rest from integer counts, so "no other values" is exactly zero
        counts = np.append(counts, max(0.0, total - counts.sum()))
        shares.append(counts / total if total else counts)
    return shown, shares


def numeric_figure(
    current: ColumnProfile | None, baseline: ColumnProfile | None, bins: int = 30
) -> dict[str, Any] | None:
    """Overlaid histograms (shares of values) of the columns that have numbers."""
    return overlaid_numeric_figure(_sides(current, baseline), bins)


def overlaid_numeric_figure(
    sides: Sequence[tuple[str, ColumnProfile, str]], bins: int = 30
) -> dict[str, Any] | None:
    """Overlaid histograms of any number of columns, given as (legend name, column,
    colour); columns without numbers are left out, and None when no column has a
    finite number."""
    sides = [side for side in sides if side[1].kll.n > 0]
    if not sides:
        return None
    edges, shares = histogram_shares([column.kll for _, column, _ in sides], bins)
    if len(edges) == 0:
        return None  # only infinities: nothing to place on an axis
    centres = edges[:-1] / 2 + edges[1:] / 2
    width = float(edges[1] - edges[0])
    # two sides read well overlaid; three overlaid bars mix into colours of their own
    grouped = len(sides) > 2
    traces = [
        {
            "type": "bar",
            "name": html.escape(name),
            "x": centres.tolist(),
            "y": np.round(share, 6).tolist(),
            **({} if grouped else {"width": width, "opacity": 0.65}),
            "marker": {"color": colour},
            "hovertemplate": "≈ %{x:.4g}: %{y:.2%}<extra>" + html.escape(name) + "</extra>",
        }
        for (name, _, colour), share in zip(sides, shares, strict=True)
    ]
    layout = _layout(barmode="group" if grouped else "overlay", height=280)
    if grouped:
        layout["bargap"] = 0.15
    per_value = width == 1.0 and np.all(centres == np.round(centres))
    binning = "one bin per value" if per_value else f"{len(centres)} equal-width bins"
    layout["xaxis"] = {
        "title": {"text": f"value ({binning})"},
        "automargin": True,
    }
    layout["yaxis"] = {"title": {"text": "share"}, "tickformat": ".0%", "automargin": True}
    return {"data": traces, "layout": layout}


def category_figure(
    current: ColumnProfile | None, baseline: ColumnProfile | None, limit: int = 20
) -> dict[str, Any] | None:
    """Grouped horizontal bars of the top categories' shares, plus all other values."""
    return grouped_category_figure(_sides(current, baseline), limit)


def grouped_category_figure(
    sides: Sequence[tuple[str, ColumnProfile, str]], limit: int = 20
) -> dict[str, Any] | None:
    """Grouped category bars of any number of columns, given as (legend name, column,
    colour); columns without categories are left out."""
    sides = [side for side in sides if side[1].categories.total > 0]
    if not sides:
        return None
    values, shares = category_shares([column for _, column, _ in sides], limit)
    labels = [html.escape(shorten(value, LABEL_LENGTH)) for value in values]
    if any(share[-1] > 0 for share in shares):
        labels.append(OTHER_LABEL)
    else:
        shares = [share[:-1] for share in shares]
    positions = list(range(len(labels)))
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "name": html.escape(name),
            "y": positions,
            "x": np.round(share, 6).tolist(),
            "marker": {"color": colour},
            "text": labels,
            "textposition": "none",
            "hovertemplate": "%{text}: %{x:.2%}<extra>" + html.escape(name) + "</extra>",
        }
        for (name, _, colour), share in zip(sides, shares, strict=True)
    ]
    # positions with tick labels, not categories: labels that coincide after
    # shortening (or equal the "other" label) must stay separate bars
    layout = _layout(
        barmode="group", bargroupgap=0.1, height=90 + len(labels) * (6 + 10 * len(sides))
    )
    layout["yaxis"] = {
        "tickvals": positions,
        "ticktext": labels,
        "autorange": "reversed",
        "automargin": True,
    }
    layout["xaxis"] = {"title": {"text": "share"}, "tickformat": ".0%", "automargin": True}
    return {"data": traces, "layout": layout}


def distribution_figure(
    sides: Sequence[tuple[str, ColumnProfile, str]], numeric: bool
) -> dict[str, Any] | None:
    """Overlaid histograms of numeric columns (given as legend name, column, colour),
    else grouped category bars: also when no numeric column holds a finite number."""
    figure = overlaid_numeric_figure(sides) if numeric else None
    return figure or grouped_category_figure(sides)


def _sides(current, baseline) -> list[tuple[str, ColumnProfile, str]]:
    """(legend name, column, colour) for each side there is."""
    sides = [("baseline", baseline, BASELINE_COLOUR), ("current", current, CURRENT_COLOUR)]
    return [side for side in sides if side[1] is not None]


def _layout(**extra: Any) -> dict[str, Any]:
    return {
        "margin": {"l": 10, "r": 10, "t": 36, "b": 40},
        "font": dict(FONT),
        "paper_bgcolor": BACKGROUND_COLOUR,
        "plot_bgcolor": BACKGROUND_COLOUR,
        # above the plotting area, so it never covers the first bar
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        "bargap": 0.05,
        **extra,
    }


# digits a chart shows at most; beyond them is the rounding of float arithmetic
SIGNIFICANT_DIGITS = 12
# a value this much smaller than the largest on its axis is that rounding too
NOISE = 1e-11


def tidy_numbers(figure: dict[str, Any]) -> dict[str, Any]:
    """The figure without float noise: every float to 12 significant digits, and a
    point smaller than 1e-11 of the largest on its axis drawn at 0, so a mean of
    ``-2.1e-15`` among quantiles of ±1.6 reads 0 and ``0.30000000000000004`` 0.3.

    >>> tidy_numbers({"data": [{"y": [-2.1e-15, 1.6, 0.1 + 0.2]}], "layout": {}})
    {'data': [{'y': [0.0, 1.6, 0.3]}], 'layout': {}}
    """
    traces = [t for t in figure.get("data") or () if isinstance(t, dict)]
    scales: dict[str, float] = {}
    for trace, key, axis in _axis_arrays(traces):
        largest = max((abs(v) for v in trace[key] if _finite(v)), default=0.0)
        scales[axis] = max(scales.get(axis, 0.0), largest)
    tidied = _rounded(figure)
    for trace, key, axis in _axis_arrays([t for t in tidied["data"] if isinstance(t, dict)]):
        floor = NOISE * scales.get(axis, 0.0)
        trace[key] = [0.0 if _finite(v) and abs(v) < floor else v for v in trace[key]]
    return tidied


def _axis_arrays(traces: list[dict[str, Any]]):
    """(trace, "x" or "y", the axis it is drawn on) for each numeric array."""
    for trace in traces:
        for key in ("x", "y"):
            if isinstance(trace.get(key), list):
                yield trace, key, str(trace.get(f"{key}axis", key))


def _finite(value: Any) -> bool:
    return isinstance(value, float) and math.isfinite(value)


def _rounded(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    if _finite(value):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}") + 0.0
    return value


def _tidy(value: Any) -> Any:
    if isinstance(value, dict) and isinstance(value.get("data"), list):
        return tidy_numbers(value)
    if isinstance(value, dict):
        return {key: _tidy(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_tidy(item) for item in value]
    return value


def script_json(value: Any) -> str:
    """JSON that is safe inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` are written as ``\\u`` escapes, which JSON decodes to the
    same characters but the HTML parser never sees as ``</script>`` or a comment.
    Figures in ``value`` (dicts with ``data``) are written without float noise
    (:func:`tidy_numbers`).
    """
    text = json.dumps(_tidy(value), ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text
