"""The dashboard's time charts place each batch on its period: a bar as wide as the
period, its point in the middle, a flagged batch's band over exactly its period, and an
axis that frames even a single batch."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.catalog import Catalog
from watchkeeper.datasets.service import DatasetService
from watchkeeper.profile import DatasetProfile
from watchkeeper.report.batch_charts import feature_figures, overview_figure

DAY_MS = 86_400_000


def profile_of(values) -> DatasetProfile:
    profile = DatasetProfile()
    profile.track(pa.table({"price": values}))
    return profile


@pytest.fixture
def one_flagged_day(tmp_path):
    """A dataset with one daily batch, drifted from its baseline."""
    service = DatasetService(Catalog(f"sqlite:///{tmp_path / 'catalog.db'}"))
    rng = np.random.default_rng(7)
    service.set_baseline("shop", profile_of(rng.normal(50, 5, 2000)), "training")
    service.receive("shop", profile_of(rng.normal(90, 5, 500)), timestamp="2026-11-20T09:00:00Z")
    service.refresh("shop")
    [batch] = service.batches("shop")
    assert batch.violations
    return batch


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def test_a_single_batch_gets_a_bar_as_wide_as_its_day(one_flagged_day):
    batch = one_flagged_day
    figure = overview_figure([batch])
    bars, drift, flags = figure["data"]
    assert bars["width"] == [pytest.approx(0.9 * DAY_MS)]
    noon = batch.start + dt.timedelta(hours=12)
    assert [parse(x) for x in bars["x"]] == [noon]
    assert [parse(x) for x in drift["x"]] == [noon] == [parse(x) for x in flags["x"]]
    [band] = figure["layout"]["shapes"]
    assert (parse(band["x0"]), parse(band["x1"])) == (batch.start, batch.end)
    # the axis shows the day with half a day either side: the band is half the plot
    low, high = (parse(x) for x in figure["layout"]["xaxis"]["range"])
    assert (low, high) == (batch.start - dt.timedelta(hours=12), batch.end + dt.timedelta(hours=12))


def test_every_feature_chart_places_the_batch_on_its_period(one_flagged_day):
    batch = one_flagged_day
    noon = batch.start + dt.timedelta(hours=12)
    for figure in feature_figures([batch], "price"):
        for trace in figure["data"]:
            assert [parse(x) for x in trace["x"]] == [noon], (figure["id"], trace["name"])
        [band] = figure["layout"]["shapes"]
        assert (parse(band["x0"]), parse(band["x1"])) == (batch.start, batch.end)
        assert parse(figure["layout"]["xaxis"]["range"][1]) > batch.end
    counts = feature_figures([batch], "price")[0]
    assert counts["data"][0]["width"] == [pytest.approx(0.9 * DAY_MS)]
