"""Evaluation of batches against the baseline and the previous batch, and the monitor
settings that judge the figures."""

from __future__ import annotations

import numpy as np
import pytest
from dataset_samples import SHIFT, at, open_service, orders, profile_of

import watchkeeper.datasets.service as service_module
from watchkeeper.catalog.datasets import DAY, HOUR
from watchkeeper.datasets.evaluate import batch_metrics
from watchkeeper.datasets.segments import segment_key
from watchkeeper.errors import UsageError

DAYS = (20, 21, 22)
HOURS = (9, 10, 11)
SHIFTED = (22, 10)  # the hour whose price moved


@pytest.fixture
def shop(database_url):
    """Dataset ``shop``: a baseline of 5000 orders, then three days of three hours of
    400 orders each, the price moved by 1.5 standard deviations in one hour."""
    service = open_service(database_url)
    rng = np.random.default_rng(2026)
    service.create("shop")
    service.set_baseline("shop", profile_of(orders(rng, 5000)), "training sample")
    for day in DAYS:
        for hour in HOURS:
            shift = SHIFT if (day, hour) == SHIFTED else 0.0
            table = orders(rng, 400, price_shift=shift)
            service.receive("shop", profile_of(table), timestamp=at(day, hour, 20))
    service.refresh("shop")
    return service


def flagged(service, segment: str = "") -> dict:
    """(granularity, start) → [(feature, check)] of every batch with violations."""
    found = {}
    for granularity in (HOUR, DAY):
        for batch in service.store.batches("shop", segment=segment, granularity=granularity):
            assert not batch.metrics_stale and not batch.verdict_stale
            if batch.violations:
                found[(granularity, batch.start)] = [
                    (v["feature_name"], v["constraint_check_type"]) for v in batch.violations
                ]
    return found


def count_metric_computations(monkeypatch) -> list[int]:
    calls: list[int] = []

    def counted(*args):
        calls.append(1)
        return batch_metrics(*args)

    monkeypatch.setattr(service_module, "batch_metrics", counted)
    return calls


def test_the_default_detector_flags_the_shifted_batches_only(shop):
    assert flagged(shop) == {
        (HOUR, at(*SHIFTED)): [("price", "baseline_drift_check")],
        (DAY, at(22, 0)): [("price", "baseline_drift_check")],
    }
    hour = shop.store.batch("shop", "", HOUR, at(*SHIFTED))
    [violation] = hour.violations
    # the figure a check of the same profiles reports: the deciding test's effect
    # against its floor, in the same words
    figures = hour.metrics["price"]["drift_baseline"]
    assert figures["test"] == "location" and figures["score"] >= 1.0
    assert violation["observed"] == figures["effect"] and violation["threshold"] == 0.1
    assert violation["details"]["score"] == figures["score"]
    assert violation["description"].startswith("location moved ")
    assert "(floor 0.10 sd), p = " in violation["description"]
    assert hour.metrics["price"]["mean"] == pytest.approx(50 + SHIFT, abs=1.5)
    assert hour.max_score == max(m["hellinger_baseline"] for m in hour.metrics.values())
    # the unchanged batches stay below the threshold for every feature
    for batch in shop.store.batches("shop", granularity=HOUR):
        if batch.start != at(*SHIFTED):
            assert all(m["drift_baseline"]["score"] < 1 for m in batch.metrics.values())


def test_a_new_threshold_changes_the_verdict_without_recomputing_metrics(shop, monkeypatch):
    before = {b.id: b.metrics for b in shop.store.batches("shop", segment=None, granularity=HOUR)}
    calls = count_metric_computations(monkeypatch)

    shop.set_monitor("shop", {"drift_threshold": 1e6}, feature="price")
    stale = shop.store.batches("shop", granularity=HOUR, stale_only=True)
    assert len(stale) == len(DAYS) * len(HOURS)
    assert all(b.verdict_stale and not b.metrics_stale for b in stale)
    shop.refresh("shop")

    assert flagged(shop) == {}
    assert calls == []  # the verdicts were made from the stored figures
    after = {b.id: b.metrics for b in shop.store.batches("shop", segment=None, granularity=HOUR)}
    assert after == before
    # the shifted hour still shows how far it moved
    hour = shop.store.batch("shop", "", HOUR, at(*SHIFTED))
    assert hour.max_score == pytest.approx(hour.metrics["price"]["hellinger_baseline"])

    shop.set_monitor("shop", None, feature="price")  # back to the defaults
    shop.refresh("shop")
    assert set(flagged(shop)) == {(HOUR, at(*SHIFTED)), (DAY, at(22, 0))}
    assert calls == []
    assert shop.store.monitor_settings("shop") == {}


def test_a_disabled_feature_is_not_judged(shop):
    shop.set_monitor("shop", {"enabled": False}, feature="price")
    shop.refresh("shop")
    assert flagged(shop) == {}
    # a setting for every feature is overridden by the feature's own
    shop.set_monitor("shop", {"enabled": True}, feature="price")
    shop.set_monitor("shop", {"enabled": False})
    shop.refresh("shop")
    assert set(flagged(shop)) == {(HOUR, at(*SHIFTED)), (DAY, at(22, 0))}
    assert shop.store.monitor_settings("shop") == {
        ("*", "*"): {"enabled": False},
        ("*", "price"): {"enabled": True},
    }


def test_a_new_baseline_recomputes_the_metrics(shop, monkeypatch):
    calls = count_metric_computations(monkeypatch)
    rng = np.random.default_rng(8)
    shop.set_baseline("shop", profile_of(orders(rng, 5000, price_shift=SHIFT)), "moved")
    shop.refresh("shop")
    assert len(calls) == len(DAYS) * (len(HOURS) + 1)
    assert shop.store.get("shop").baseline_source == "moved"
    # against the moved baseline every batch but the shifted hour drifted
    found = flagged(shop)
    assert (HOUR, at(*SHIFTED)) not in found
    assert len([key for key in found if key[0] == HOUR]) == len(DAYS) * len(HOURS) - 1


def test_hellinger_against_the_previous_batch(shop):
    shop.set_monitor(
        "shop", {"drift_method": "hellinger", "drift_threshold": 0.3, "compare_to": "previous"}
    )
    shop.refresh("shop")
    # the shifted hour moved away from the hour before it, and the hour after it back
    assert flagged(shop) == {
        (HOUR, at(22, 10)): [("price", "previous_batch_drift_check")],
        (HOUR, at(22, 11)): [("price", "previous_batch_drift_check")],
    }
    for batch in shop.store.batches("shop", granularity=HOUR):
        for violation in batch.violations:
            assert violation["details"]["method"] == "hellinger"
            assert violation["constraint_check_type"] == "previous_batch_drift_check"
            assert violation["observed"] == batch.metrics["price"]["hellinger_previous"] >= 0.3
            assert violation["description"].endswith("(threshold 0.3) against the previous batch")
        if not batch.violations and batch.metrics["price"]["hellinger_previous"] is not None:
            assert batch.metrics["price"]["hellinger_previous"] < 0.3
    # the first batch has nothing before it, so nothing to compare with
    first = shop.store.batches("shop", granularity=HOUR)[0]
    assert first.metrics["price"]["hellinger_previous"] is None and not first.violations
    # Hellinger against the baseline with its default threshold (0.2): the shifted hour
    shop.set_monitor("shop", {"drift_method": "hellinger"})
    shop.refresh("shop")
    assert set(flagged(shop)) == {(HOUR, at(*SHIFTED))}
    [violation] = shop.store.batch("shop", "", HOUR, at(*SHIFTED)).violations
    assert (violation["threshold"], violation["constraint_check_type"]) == (
        0.2,
        "baseline_drift_check",
    )


def test_null_fraction_threshold(database_url):
    service = open_service(database_url)
    rng = np.random.default_rng(31)
    service.create("shop")
    # 200 of 1000 quantities missing on the second day
    for day, missing in ((20, 0), (21, 200)):
        table = orders(rng, 1000)
        quantity = table["quantity"].to_numpy().astype(float)
        quantity[rng.choice(1000, missing, replace=False)] = np.nan
        table = table.set_column(1, "quantity", [_ints(quantity)])
        service.receive("shop", profile_of(table), timestamp=at(day, 12))
    service.set_monitor("shop", {"null_fraction_threshold": 0.1, "drift_threshold": 1e6})
    service.refresh("shop")
    [quiet, missing] = service.store.batches("shop", granularity=DAY)
    assert quiet.violations == []
    [violation] = missing.violations
    # the rules file's max_missing and this monitor are one check
    assert violation == {
        "feature_name": "quantity",
        "constraint_check_type": "missing_values_check",
        "observed": 0.2,
        "threshold": 0.1,
        "description": "20% of values are missing (200 of 1000 rows); the limit is 10%.",
        "details": {},
    }
    service.set_monitor("shop", {"null_fraction_threshold": 0.25, "drift_threshold": 1e6})
    service.refresh("shop")
    assert [b.violations for b in service.store.batches("shop", granularity=DAY)] == [[], []]


def test_a_segment_setting_applies_to_that_segment_only(database_url):
    service = open_service(database_url)
    rng = np.random.default_rng(12)
    service.create("shop", segment_columns=["country"])
    service.set_baseline("shop", profile_of(orders(rng, 5000)), "training sample")
    de, fr = (segment_key({"country": c}, ["country"]) for c in ("DE", "FR"))
    for day in (20, 21):
        shift = SHIFT if day == 21 else 0.0
        for segment in (de, fr):
            table = orders(rng, 500, price_shift=shift)
            service.receive("shop", profile_of(table), timestamp=at(day, 9), segment=segment)
    service.refresh("shop")
    for segment in ("", de, fr):
        assert flagged(service, segment) == {
            (HOUR, at(21, 9)): [("price", "baseline_drift_check")],
            (DAY, at(21, 0)): [("price", "baseline_drift_check")],
        }
    service.set_monitor("shop", {"enabled": False}, segment=de, feature="price")
    service.refresh("shop")
    assert flagged(service, de) == {}
    assert (
        set(flagged(service, fr))
        == set(flagged(service, ""))
        == {
            (HOUR, at(21, 9)),
            (DAY, at(21, 0)),
        }
    )
    with pytest.raises(UsageError, match="column=value"):
        service.set_monitor("shop", {"enabled": False}, segment="DE")


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"colour": "red"}, "unknown monitor setting(s) colour"),
        ({"drift_threshold": -0.5}, "drift_threshold must be a positive number, got -0.5"),
        ({"drift_threshold": 0}, "drift_threshold must be a positive number"),
        ({"drift_threshold": "high"}, "drift_threshold must be a positive number"),
        (
            {"drift_method": "hellinger", "drift_threshold": 1.5},
            "drift_threshold is at most 1 for Hellinger, got 1.5",
        ),
        ({"drift_method": "psi"}, "drift_method must be one of detector, hellinger; got 'psi'"),
        ({"compare_to": "yesterday"}, "compare_to must be one of baseline, previous"),
        ({"enabled": "no"}, "enabled must be true or false"),
        ({"null_fraction_threshold": 1.0}, "null_fraction_threshold must be in [0, 1)"),
        ({"null_fraction_threshold": -0.1}, "null_fraction_threshold must be in [0, 1)"),
    ],
)
def test_bad_settings_are_refused_naming_the_field(tmp_path, settings, named):
    service = open_service(f"sqlite:///{tmp_path / 'catalog.db'}")
    service.create("shop")
    with pytest.raises(UsageError) as refused:
        service.set_monitor("shop", settings, feature="price")
    assert named in str(refused.value)
    assert service.store.monitor_settings("shop") == {}
    with pytest.raises(UsageError, match="no dataset named 'nowhere'"):
        service.set_monitor("nowhere", {"enabled": False})


def test_settings_that_only_clash_once_merged_are_refused(shop):
    """A threshold of 5 suits the detector; the Hellinger method set for every feature
    afterwards would make it an impossible Hellinger threshold for ``price``."""
    shop.set_monitor("shop", {"drift_threshold": 5}, feature="price")
    with pytest.raises(UsageError) as refused:
        shop.set_monitor("shop", {"drift_method": "hellinger"})
    assert str(refused.value) == (
        "with the settings stored for segment '*' and feature 'price': "
        "drift_threshold is at most 1 for Hellinger, got 5"
    )
    assert shop.store.monitor_settings("shop") == {("*", "price"): {"drift_threshold": 5}}
    # evaluation goes on under the stored settings
    shop.refresh("shop")
    assert flagged(shop) == {(HOUR, at(*SHIFTED)): [("price", "baseline_drift_check")]}
    # nor may removing a setting leave a clash behind
    shop.set_monitor("shop", {"drift_method": "detector"}, feature="price")
    shop.set_monitor("shop", {"drift_method": "hellinger"})
    shop.set_monitor("shop", {"drift_threshold": 5}, segment="country=DE", feature="price")
    stored = shop.store.monitor_settings("shop")
    with pytest.raises(UsageError) as refused:
        shop.set_monitor("shop", None, feature="price")
    assert "segment 'country=DE' and feature 'price'" in str(refused.value)
    assert shop.store.monitor_settings("shop") == stored
    shop.refresh("shop")
    assert not shop.store.batches("shop", granularity=HOUR, stale_only=True)


def _ints(values: np.ndarray):
    import pyarrow as pa

    return pa.array(np.nan_to_num(values).astype(np.int64), mask=np.isnan(values))
