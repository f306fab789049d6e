"""A metric series drawn with the band its history judged each point against: the
values, the expected value, the band filled between its low and high sides, and the
anomalous points marked.
"""

from __future__ import annotations

from typing import Any

from watchkeeper.catalog import MetricJudgement, MetricPoint
from watchkeeper.report.batch_charts import time_layout
from watchkeeper.report.charts import (
    ACCENT_COLOUR,
    ALERT_COLOUR,
    CURRENT_COLOUR,
)

BAND_FILL = "rgba(47, 102, 144, 0.15)"  # the current colour, washed: behind the values


def history_figure(points: list[MetricPoint], judgements: list[MetricJudgement]) -> dict:
    """The series' ``points`` over time, and the band of each judged point.

    >>> import datetime as dt
    >>> when = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    >>> point = MetricPoint("s", "e", "rows", "Value", 9.0, when)
    >>> judged = MetricJudgement("s", "rows", "Value", "rolling", when, 9.0, 5.0, 4.0, 6.0,
    ...                          True, "9 is above the band")
    >>> [trace["name"] for trace in history_figure([point], [judged])["data"]]
    ['band low', 'expected band', 'expected', 'rows', 'anomalies']
    """
    banded = [j for j in judgements if j.expected is not None or None not in (j.low, j.high)]
    anomalies = [j for j in judgements if j.anomalous]
    name = points[0].name if points else (judgements[0].name if judgements else "")
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "band low",
            "x": _times(banded),
            "y": [j.low for j in banded],
            "line": {"width": 0, "color": CURRENT_COLOUR},
            "showlegend": False,
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "expected band",
            "x": _times(banded),
            "y": [j.high for j in banded],
            "fill": "tonexty",
            "fillcolor": BAND_FILL,
            "line": {"width": 0, "color": CURRENT_COLOUR},
            "customdata": [[j.low] for j in banded],
            "hovertemplate": "band %{customdata[0]:.4g} to %{y:.4g}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": "expected",
            "x": _times(banded),
            "y": [j.expected for j in banded],
            "line": {"color": ACCENT_COLOUR, "dash": "dot"},
            "hovertemplate": "expected %{y:.4g}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": _times(points),
            "y": [p.value for p in points],
            "line": {"color": CURRENT_COLOUR},
            "hovertemplate": "%{y:.4g}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "markers",
            "name": "anomalies",
            "x": _times(anomalies),
            "y": [j.value for j in anomalies],
            "text": [j.reason for j in anomalies],
            "marker": {"color": ALERT_COLOUR, "size": 11, "symbol": "x"},
            "hovertemplate": "%{text}<extra></extra>",
        },
    ]
    layout = time_layout(260, margin={"l": 60, "r": 30, "t": 10, "b": 40})
    return {"data": data, "layout": layout}


def band_figure(
    values: list[MetricPoint], lower: list[MetricPoint], upper: list[MetricPoint]
) -> dict:
    """A series judged against a band of its own at each point (the ``Lower`` and
    ``Upper`` points recorded beside each ``Value``, as multivariate drift's calibrated
    band), drawn as :func:`history_figure` draws a history's band.

    >>> import datetime as dt
    >>> when = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)
    >>> def at(value, statistic):
    ...     return MetricPoint("s", "e", "multivariate_auc", statistic, value, when)
    >>> figure = band_figure([at(1.4, "Value")], [at(0.9, "Lower")], [at(1.0, "Upper")])
    >>> [len(trace["y"]) for trace in figure["data"] if trace["name"] == "anomalies"]
    [1]
    """
    lows = {point.timestamp: point.value for point in lower}
    highs = {point.timestamp: point.value for point in upper}
    judged = []
    for point in values:
        low, high = lows.get(point.timestamp), highs.get(point.timestamp)
        if low is None or high is None:
            continue
        outside = not low <= point.value <= high
        reason = (f"{point.value:.4g} {'outside' if outside else 'within'} the band "
                  f"[{low:.4g}, {high:.4g}]")  # fmt: skip
        judged.append(MetricJudgement(point.schedule, point.name, point.statistic, "band",
                                      point.timestamp, point.value, None, low, high, outside,
                                      reason))  # fmt: skip
    return history_figure(values, judged)


def _times(items: list) -> list[str]:
    return [item.timestamp.isoformat() for item in items]
