"""The dashboard's charts: plotly figures (as dicts) built from batches' stored figures
and from profiles."""

from __future__ import annotations

import math
from typing import Any

from watchkeeper.catalog.datasets import Batch
from watchkeeper.report.charts import (
    grouped_category_figure,
    overlaid_numeric_figure,
    script_json,
)

PALETTE = ("#2f6690", "#d1495b", "#edae49")
BAD = "#b42318"


def overview_figure(batches: list[Batch]) -> dict[str, Any]:
    times = [b.start.isoformat() for b in batches]
    flagged = [b for b in batches if b.violations]
    return {
        "data": [
            {
                "type": "bar",
                "name": "records",
                "x": times,
                "y": [b.rows for b in batches],
                "marker": {"color": "#a3acb9"},
                "hovertemplate": "%{x}: %{y:,} records<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "largest drift (Hellinger)",
                "x": times,
                "y": [b.max_score for b in batches],
                "yaxis": "y2",
                "line": {"color": PALETTE[0]},
                "hovertemplate": "%{x}: %{y:.3f}<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "violations",
                "x": [b.start.isoformat() for b in flagged],
                "y": [b.max_score for b in flagged],
                "yaxis": "y2",
                "marker": {"color": BAD, "size": 11, "symbol": "x"},
                "text": [f"{len(b.violations)} violation(s)" for b in flagged],
                "hovertemplate": "%{x}: %{text}<extra></extra>",
            },
        ],
        "layout": _time_layout(
            height=260,
            yaxis={"title": {"text": "records"}, "rangemode": "tozero"},
            yaxis2={
                "title": {"text": "drift"},
                "overlaying": "y",
                "side": "right",
                "rangemode": "tozero",
                "showgrid": False,
            },
            shapes=_highlights(flagged),
        ),
    }


def feature_figures(batches: list[Batch], feature: str) -> list[dict[str, Any]]:
    times = [b.start.isoformat() for b in batches]
    entries = [(b.metrics or {}).get(feature, {}) for b in batches]
    flagged = [b for b in batches if any(v["feature"] == feature for v in b.violations)]
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
                    "marker": {"color": "#a3acb9"},
                },
                line("null fraction", "null_fraction", BAD, yaxis="y2"),
            ],
            "layout": _time_layout(
                yaxis={"title": {"text": "records"}, "rangemode": "tozero"},
                yaxis2={
                    "title": {"text": "null fraction"},
                    "overlaying": "y",
                    "side": "right",
                    "tickformat": ".0%",
                    # a column without missing values shows a flat line at 0, not noise
                    "range": [0, 1.1 * max([0.05, *nulls])],
                    "showgrid": False,
                },
                shapes=shapes,
            ),
        }
    ]
    if any("mean" in entry for entry in entries):
        figures.append(
            {
                "id": "values",
                "title": "Mean and quantiles (p5, p50, p95)",
                "data": [
                    line("p95", "p95", "#9fb8cc", line_dash="dot"),
                    line("p50", "p50", PALETTE[0]),
                    line("p5", "p5", "#9fb8cc"),
                    line("mean", "mean", PALETTE[2]),
                ],
                "layout": _time_layout(shapes=shapes),
            }
        )
    drift_traces = [
        line("Hellinger to previous batch", "hellinger_previous", "#7b8794"),
        line("Hellinger to baseline", "hellinger_baseline", PALETTE[0]),
    ]
    for against, colour, dash in (("baseline", PALETTE[2], None), ("previous", "#c9a227", "dot")):
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
            "x": [b.start.isoformat() for b in flagged],
            "y": [_get((b.metrics or {}).get(feature, {}), "hellinger_baseline") for b in flagged],
            "marker": {"color": BAD, "size": 12, "symbol": "x"},
            "text": [
                "; ".join(v["description"] for v in b.violations if v["feature"] == feature)
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
            "layout": _time_layout(
                yaxis={"title": {"text": "Hellinger distance"}, "range": [0, 1]},
                yaxis2={
                    "title": {"text": "detector score"},
                    "overlaying": "y",
                    "side": "right",
                    "rangemode": "tozero",
                    "showgrid": False,
                },
                shapes=shapes,
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


def _highlights(flagged: list[Batch]) -> list[dict[str, Any]]:
    """A red band over each flagged batch, centred on its point (drawn at its start)."""
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": (batch.start - (batch.end - batch.start) / 2).isoformat(),
            "x1": (batch.start + (batch.end - batch.start) / 2).isoformat(),
            "y0": 0,
            "y1": 1,
            "fillcolor": BAD,
            "opacity": 0.12,
            "line": {"width": 0},
            "layer": "below",
        }
        for batch in flagged
    ]


def _time_layout(height: int = 240, **extra: Any) -> dict[str, Any]:
    return {
        "height": height,
        "margin": {"l": 60, "r": 60, "t": 10, "b": 40},
        "font": {"family": "system-ui, -apple-system, 'Segoe UI', sans-serif", "size": 12},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "xaxis": {"type": "date"},
        "hovermode": "x unified",
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        **extra,
    }


def compare_features(profiles: list[tuple[str, Any]]) -> list[dict[str, Any]]:
    names: list[str] = []
    for _, profile in profiles:
        names.extend(name for name in profile.columns if name not in names)
    features = []
    for feature in names:
        columns = [profile.columns.get(feature) for _, profile in profiles]
        sides = [
            (label, column, PALETTE[index])
            for index, ((label, _), column) in enumerate(zip(profiles, columns, strict=True))
            if column is not None
        ]
        numeric = any(column is not None and column.is_numeric for column in columns)
        figure = overlaid_numeric_figure(sides) if numeric else None
        figure = figure or grouped_category_figure(sides)
        rows = []
        for column in columns:
            if column is None:
                rows.append(None)
                continue
            quantile = column.quantiles([0.5])[0] if column.kll.n else None
            rows.append(
                {
                    "type": column.inferred_type,
                    "count": column.count,
                    "null_fraction": column.null_fraction,
                    "distinct": column.distinct_count(),
                    "mean": column.mean if column.moments.n else None,
                    "median": None if quantile is None else float(quantile),
                }
            )
        features.append(
            {"name": feature, "rows": rows, "figure": script_json(figure) if figure else None}
        )
    return features
