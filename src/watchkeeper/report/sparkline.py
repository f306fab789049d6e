"""Sparklines as inline SVG: tiny trend lines drawn on the server, no script needed.

>>> svg = sparkline([0.1, 0.2, None, 0.9], flagged=[False, False, False, True])
>>> svg.count("<circle"), "polyline" in svg
(1, True)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup

from watchkeeper.report.charts import ALERT_COLOUR, CURRENT_COLOUR

WIDTH, HEIGHT, PAD = 120, 24, 3


def sparkline(
    values: Sequence[float | None],
    *,
    flagged: Sequence[bool] = (),
    width: int = WIDTH,
    height: int = HEIGHT,
) -> Markup:
    """A polyline of ``values`` (gaps for ``None``) scaled to 0..max, with a red dot on
    each flagged point; an empty string when there is nothing to draw."""
    points = [v if v is not None and math.isfinite(v) else None for v in values]
    known = [v for v in points if v is not None]
    if not known:
        return Markup("")
    top = max(max(known), 1e-12)
    step = (width - 2 * PAD) / max(len(points) - 1, 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return PAD + index * step, height - PAD - (height - 2 * PAD) * value / top

    runs, run = [], []
    for index, value in enumerate(points):
        if value is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(xy(index, value))
    if run:
        runs.append(run)
    lines = "".join(
        f'<polyline fill="none" stroke="{CURRENT_COLOUR}" stroke-width="1.5" points="'
        + " ".join(f"{x:.1f},{y:.1f}" for x, y in points_)
        + '"/>'
        for points_ in runs
    )
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{ALERT_COLOUR}"/>'
        for index, value in enumerate(points)
        if value is not None and index < len(flagged) and flagged[index]
        for x, y in [xy(index, value)]
    )
    return Markup(
        f'<svg class="sparkline" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="trend">{lines}{dots}</svg>'
    )
