"""One palette for every chart: the reports' and the dashboard's charts, and the
dashboard's sparklines, draw in the colours of ``report.charts`` and nowhere else is a
colour written down."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pyarrow as pa

import watchkeeper
from watchkeeper.catalog import Catalog
from watchkeeper.datasets.service import DatasetService
from watchkeeper.profile import DatasetProfile
from watchkeeper.report import charts
from watchkeeper.report.batch_charts import feature_figures, overview_figure
from watchkeeper.report.sparkline import sparkline

COLOUR = re.compile(r"#[0-9a-fA-F]{6}\b")
PALETTE = {value for name, value in vars(charts).items() if name.endswith("_COLOUR")} | set(
    charts.COMPARED_COLOURS
)


def test_no_module_but_the_charts_writes_a_colour():
    package = Path(watchkeeper.__file__).parent
    found = {
        str(path.relative_to(package)): COLOUR.findall(path.read_text())
        for path in sorted(package.rglob("*.py"))
        if path != package / "report" / "charts.py" and COLOUR.search(path.read_text())
    }
    assert found == {}


def colours(value) -> set[str]:
    """Every colour named anywhere in a figure."""
    if isinstance(value, dict):
        return set().union(*(colours(item) for item in value.values()), set())
    if isinstance(value, list | tuple):
        return set().union(*(colours(item) for item in value), set())
    return {value} if isinstance(value, str) and COLOUR.fullmatch(value) else set()


def test_the_dashboards_charts_draw_in_the_palette(tmp_path):
    service = DatasetService(Catalog(f"sqlite:///{tmp_path / 'catalog.db'}"))
    rng = np.random.default_rng(4)
    for day, shift in ((20, 0.0), (21, 0.0), (22, 40.0)):
        profile = DatasetProfile()
        profile.track(pa.table({"price": rng.normal(50 + shift, 10, 400),
                                "plan": rng.choice(["free", "pro"], 400)}))  # fmt: skip
        service.receive("shop", profile, timestamp=f"2026-11-{day}T09:00:00Z")
        if day == 20:
            service.set_baseline("shop", profile, "first day")
    service.refresh("shop")
    batches = service.batches("shop")
    assert [bool(b.violations) for b in batches] == [False, False, True]
    drawn = colours(overview_figure(batches))
    for feature in ("price", "plan"):
        drawn |= colours(feature_figures(batches, feature))
    assert charts.ALERT_COLOUR in drawn and charts.CURRENT_COLOUR in drawn
    assert drawn <= PALETTE
    line = sparkline([0.1, 0.5], flagged=[False, True])
    assert set(COLOUR.findall(line)) == {charts.CURRENT_COLOUR, charts.ALERT_COLOUR}
