"""Charts of a dataset's batches over time, as plotly figure specifications: records,
drift and violations per batch, and a feature's counts, quantiles and drift. They read
the figures stored with each batch, never its profile, so a chart of a year of batches
costs what its points cost.
"""

from __future__ import annotations

import math
from typing import Any

from watchkeeper.catalog import Batch
from watchkeeper.catalog.datasets import HOUR
from watchkeeper.report.charts import (
    ACCENT_COLOUR,
    ALERT_COLOUR,
    BACKGROUND_COLOUR,
    BASELINE_COLOUR,
    CURRENT_COLOUR,
    FONT,
    PREVIOUS_COLOUR,
    PREVIOUS_SCORE_COLOUR,
    QUANTILE_COLOUR,
)

# a second y axis over the first; plotly would line its ticks up with the first axis's
# grid, at odd values (0.251, 0.503, …): it gets ticks of its own instead
RIGHT_AXIS = {"overlaying": "y", "tickmode": "auto"}


def overview_figure(batches: list[Batch]) -> dict[str, Any]:
    """Records per batch (bars), the largest drift (a line) and the flagged batches."""
    times = _middles(batches)
    flagged = [b for b in batches if b.violations]
    return {
        "data": [
            {
                "type": "bar",
                "name": "records",
                "x": times,
                "y": [b.rows for b in batches],
                "width": _widths(batches),
                "marker": {"color": BASELINE_COLOUR},
                "hovertemplate": "%{x}: %{y:,} records<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "largest drift (Hellinger)",
                "x": times,
                "y": [b.max_score for b in batches],
                "yaxis": "y2",
                "line": {"color": CURRENT_COLOUR},
                "hovertemplate": "%{x}: %{y:.3f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "violations",
                "x": _middles(flagged),
                "y": [b.max_score for b in flagged],
                "yaxis": "y2",
                "marker": {"color": ALERT_COLOUR, "size": 11, "symbol": "x"},
                "text": [f"{len(b.violations)} violation(s)" for b in flagged],
                "hovertemplate": "%{x}: %{text}<extra></extra>",
            },
        ],
        "layout": time_layout(
            height=260,
            yaxis={"title": {"text": "records"}, "rangemode": "tozero"},
            yaxis2={
                "title": {"text": "drift"},
                **RIGHT_AXIS,
                "side": "right",
                "rangemode": "tozero",
                "showgrid": False,
            },
            shapes=_highlights(flagged),
            xaxis=_period_axis(batches),
        ),
    }


def feature_figures(batches: list[Batch], feature: str) -> list[dict[str, Any]]:
    """A feature over the batches: records and missing values, mean and quantiles (when
    numeric), and its drift distances and scores, with the flagged batches marked."""
    times = _middles(batches)
    axis = _period_axis(batches)
    entries = [(b.metrics or {}).get(feature, {}) for b in batches]
    flagged = [b for b in batches if any(v["feature_name"] == feature for v in b.violations)]
    shapes = _highlights(flagged)
    nulls = [entry.get("null_fraction") or 0.0 for entry in entries]

    def line(name, key, colour, **extra):
        return {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": times,
            "y": [_get(entry, key) for entry in entries],
            "line": {"color": colour},
            **extra,
        }

    figures = [
        {
            "id": "counts",
            "title": "Records and missing values",
            "data": [
                {
                    "type": "bar",
                    "name": "records",
                    "x": times,
                    "y": [entry.get("count") for entry in entries],
                    "width": _widths(batches),
                    "marker": {"color": BASELINE_COLOUR},
                },
                line("null fraction", "null_fraction", ALERT_COLOUR, yaxis="y2"),
            ],
            "layout": time_layout(
                yaxis={"title": {"text": "records"}, "rangemode": "tozero"},
                yaxis2={
                    "title": {"text": "null fraction"},
                    **RIGHT_AXIS,
                    "side": "right",
                    "tickformat": ".0%",
                    # a column without missing values shows a flat line at 0, not noise
                    "range": [0, 1.1 * max([0.05, *nulls])],
                    "showgrid": False,
                },
                shapes=shapes,
                xaxis=axis,
            ),
        }
    ]
    if any("mean" in entry for entry in entries):
        figures.append(
            {
                "id": "values",
                "title": "Mean and quantiles (p5, p50, p95)",
                "data": [
                    line("p95", "p95", QUANTILE_COLOUR, line_dash="dot"),
                    line("p50", "p50", CURRENT_COLOUR),
                    line("p5", "p5", QUANTILE_COLOUR),
                    line("mean", "mean", ACCENT_COLOUR),
                ],
                "layout": time_layout(shapes=shapes, xaxis=axis),
            }
        )
    drift_traces = [
        line("Hellinger to previous batch", "hellinger_previous", PREVIOUS_COLOUR),
        line("Hellinger to baseline", "hellinger_baseline", CURRENT_COLOUR),
    ]
    scores = (("baseline", ACCENT_COLOUR, None), ("previous", PREVIOUS_SCORE_COLOUR, "dot"))
    for against, colour, dash in scores:
        drift_traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": f"detector score to {against}",
                "x": times,
                "y": [_score(entry, against) for entry in entries],
                "yaxis": "y2",
                "line": {"color": colour, **({"dash": dash} if dash else {})},
            }
        )
    drift_traces.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": "violation",
            "x": _middles(flagged),
            "y": [_get((b.metrics or {}).get(feature, {}), "hellinger_baseline") for b in flagged],
            "marker": {"color": ALERT_COLOUR, "size": 12, "symbol": "x"},
            "text": [
                "; ".join(v["description"] for v in b.violations if v["feature_name"] == feature)
                for b in flagged
            ],
            "hovertemplate": "%{x}: %{text}<extra></extra>",
        }
    )
    figures.append(
        {
            "id": "drift",
            "title": "Drift",
            "data": drift_traces,
            "layout": time_layout(
                yaxis={"title": {"text": "Hellinger distance"}, "range": [0, 1]},
                yaxis2={
                    "title": {"text": "detector score"},
                    **RIGHT_AXIS,
                    "side": "right",
                    "rangemode": "tozero",
                    "showgrid": False,
                },
                shapes=shapes,
                xaxis=axis,
            ),
        }
    )
    for figure in figures:
        for trace in figure["data"]:
            dash = trace.pop("line_dash", None)
            if dash:
                trace["line"]["dash"] = dash
    return figures


def _score(entry: dict[str, Any], against: str) -> float | None:
    found = entry.get(f"drift_{against}")
    return None if not found else found.get("score")


def _get(entry: dict[str, Any], key: str) -> float | None:
    value = entry.get(key)
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return value


def _middles(batches: list[Batch]) -> list[str]:
    # a batch's bar spans its period and plotly centres a bar on its x: each point
    # stands in the middle of its period, so bars, points and bands line up
    return [(b.start + (b.end - b.start) / 2).isoformat() for b in batches]


def _widths(batches: list[Batch]) -> list[float]:
    # a date axis measures bar widths in milliseconds; a little gap keeps bars apart
    return [0.9 * (b.end - b.start).total_seconds() * 1000 for b in batches]


def _period_axis(batches: list[Batch]) -> dict[str, Any]:
    """A date axis over the batches' whole periods and half a period either side:
    without it plotly frames a single batch around a point of no width, and a band
    over that batch fills the whole plot."""
    if not batches:
        return {"type": "date"}
    first = min(batches, key=lambda b: b.start)
    last = max(batches, key=lambda b: b.start)
    hourly = any(b.granularity == HOUR for b in batches)
    return {
        "type": "date",
        "range": [
            (first.start - (first.end - first.start) / 2).isoformat(),
            (last.end + (last.end - last.start) / 2).isoformat(),
        ],
        # points stand mid-period: hovering names the period, not its middle
        "hoverformat": "%Y-%m-%d %H:00" if hourly else "%Y-%m-%d",
    }


def _highlights(flagged: list[Batch]) -> list[dict[str, Any]]:
    """A red band over each flagged batch's period."""
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": batch.start.isoformat(),
            "x1": batch.end.isoformat(),
            "y0": 0,
            "y1": 1,
            "fillcolor": ALERT_COLOUR,
            "opacity": 0.12,
            "line": {"width": 0},
            "layer": "below",
        }
        for batch in flagged
    ]


def time_layout(height: int = 240, **extra: Any) -> dict[str, Any]:
    """A chart over time: the dashboard's margins, font, legend and date axis."""
    return {
        "height": height,
        "margin": {"l": 60, "r": 60, "t": 10, "b": 40},
        "font": dict(FONT),
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {"type": "date"},
        "hovermode": "x unified",
        "paper_bgcolor": BACKGROUND_COLOUR,
        "plot_bgcolor": BACKGROUND_COLOUR,
        **extra,
    }
