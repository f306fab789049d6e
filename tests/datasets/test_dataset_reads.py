"""What the faces read and change of the datasets goes through ``DatasetService``:
datasets, batches, segments, parts set aside or pending, monitor settings, alert
channels and the cooldown, on SQLite and PostgreSQL; no module outside the datasets
package reaches the service's catalog store."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from dataset_samples import at, orders, profile_of

import watchkeeper
from watchkeeper.catalog import Catalog
from watchkeeper.datasets.service import MAX_COOLDOWN, DatasetService
from watchkeeper.errors import UsageError

ROWS = {"DE": 30, "FR": 20}


@pytest.fixture
def service(database_url):
    found = DatasetService(Catalog(database_url))
    found.create("shop", segment_columns=["country"])
    rng = np.random.default_rng(7)
    for day in (20, 21):
        for hour in (9, 10):
            for country, rows in ROWS.items():
                found.receive("shop", profile_of(orders(rng, rows)), timestamp=at(day, hour, 15),
                              segment=f"country={country}")  # fmt: skip
    return found


def test_batches_segments_and_parts(service):
    assert service.pending_parts("shop") == 8
    service.refresh("shop")
    assert service.pending_parts("shop") == 0
    assert [d.name for d in service.datasets()] == ["shop"]
    assert service.dataset("shop").segment_columns == ("country",)
    assert service.dataset("nothing") is None
    assert service.segments("shop") == ["", "country=DE", "country=FR"]

    days = service.batches("shop")
    assert [(b.start, b.rows) for b in days] == [(at(20, 0), 100), (at(21, 0), 100)]
    assert all(b.profile is None and b.metrics for b in days)  # figures, not profiles
    hours = service.batches("shop", segment=None, granularity="hour", start=at(21, 0),
                            end=at(21, 10))  # fmt: skip
    assert [(b.segment, b.rows) for b in hours] == [("", 50), ("country=DE", 30),
                                                    ("country=FR", 20)]  # fmt: skip
    newest = service.batches("shop", segment="country=FR", limit=1, newest_first=True)
    assert [(b.start, b.rows) for b in newest] == [(at(21, 0), 40)]
    latest = service.latest_batch("shop", "country=DE", "hour")
    assert (latest.start, latest.rows) == (at(21, 10), 30)
    assert service.latest_batch("nothing") is None

    one = service.batch("shop", "country=DE", "hour", at(20, 9))
    assert one.rows == 30 and service.profile(one).rows == 30
    assert service.batch("shop", "country=DE", "hour", at(19, 9)) is None
    assert service.profile(latest).rows == 30  # read from the catalog when not carried
    assert service.failed_parts("shop") == (0, [])


def test_monitor_settings_channels_and_cooldown(service):
    assert service.monitor_settings("shop") == {}
    service.set_monitor("shop", {"drift_threshold": 0.2}, feature="price")
    assert service.monitor_settings("shop") == {("*", "price"): {"drift_threshold": 0.2}}

    url = "json://127.0.0.1:9/hook"
    service.add_channel("shop", url)
    assert service.channels("shop") == [url]
    with pytest.raises(UsageError, match="nonsense"):
        service.add_channel("shop", "nonsense://")
    with pytest.raises(UsageError, match="no dataset named 'nothing'"):
        service.add_channel("nothing", url)
    assert service.channels("shop") == [url]
    service.remove_channel("shop", url)
    assert service.channels("shop") == []

    assert service.set_cooldown("shop", 30.0) == 30
    assert service.dataset("shop").cooldown_minutes == 30
    for wrong in (None, -1, 1.5, MAX_COOLDOWN + 1, float("nan"), float("inf")):
        with pytest.raises(UsageError, match="the cooldown is a whole number of minutes"):
            service.set_cooldown("shop", wrong)
    assert service.dataset("shop").cooldown_minutes == 30


def reaches_through(path: Path) -> list[int]:
    """Lines of ``path`` that read ``<something>.service.store`` or ``service.store``."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute) and node.attr == "store":
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if name == "service":
                lines.append(node.lineno)
    return lines


def test_no_module_outside_the_datasets_package_reaches_the_services_store():
    package = Path(watchkeeper.__file__).parent
    found = {
        str(path.relative_to(package)): lines
        for path in sorted(package.rglob("*.py"))
        if path.parent.name != "datasets" and (lines := reaches_through(path))
    }
    assert found == {}
