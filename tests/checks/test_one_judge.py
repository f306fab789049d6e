"""One judge: every kind of check returns the one Violation type, alerts write it in one
line, and the dashboard's monitors judge with the very units a check runs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from watchkeeper.baseline.constraints import parse_constraints, suggest_constraints
from watchkeeper.checks.constraints import evaluate_constraints
from watchkeeper.checks.violations import Violation
from watchkeeper.datasets.evaluate import batch_metrics, judge
from watchkeeper.explain import attribution_drift_violations
from watchkeeper.monitor.clarify_jobs import bias_drift_violations
from watchkeeper.notify.messages import check_alert
from watchkeeper.profile import DatasetProfile
from watchkeeper.quality import check_quality


def profile_of(table: pa.Table) -> DatasetProfile:
    profile = DatasetProfile()
    profile.track(table)
    return profile


def test_model_quality_bias_and_attribution_findings_are_violations():
    quality = check_quality(
        {"regression_metrics": {"mae": {"value": 0.5}}},
        {"regression_constraints": {
            "mae": {"threshold": 0.4, "comparison_operator": "GreaterThanThreshold"}}},
    )  # fmt: skip
    section = lambda value: {"label": "y", "facets": {"sex": [  # noqa: E731
        {"value_or_threshold": "0", "metrics": [{"name": "DPPL", "value": value}]}]}}  # fmt: skip
    bias = bias_drift_violations(
        {"post_training_bias_metrics": section(0.2)},
        {"post_training_bias_metrics": section(-0.3)},
        tolerance=0.05,
    )
    shap = lambda values: {"version": "1.0", "explanations": {"kernel_shap": {  # noqa: E731
        "label0": {"global_shap_values": values, "expected_value": 0.5}}}}  # fmt: skip
    attribution = attribution_drift_violations(
        shap({"a": 0.7, "b": 0.5, "c": 0.05}), shap({"a": 0.05, "b": 0.5, "c": 0.7})
    )
    found = [*quality, *bias, *attribution]
    assert all(isinstance(violation, Violation) for violation in found)
    assert [(v.feature_name, v.constraint_check_type) for v in found] == [
        ("mae", "GreaterThanThreshold"),
        ("sex=0", "bias_drift_check"),
        ("label0", "feature_attribution_drift_check"),
    ]
    # the figure judged and its limit: the metric and its threshold; the distance from
    # neutral and the baseline's plus the tolerance; the nDCG and its floor
    assert (quality[0].observed, quality[0].threshold) == (0.5, 0.4)
    assert (bias[0].observed, bias[0].threshold) == (0.3, 0.25)
    assert attribution[0].observed < attribution[0].threshold == 0.9
    # constraint_violations.json keeps each of SageMaker's monitors' own entries
    assert list(quality[0].to_sagemaker()) == [
        "constraint_check_type", "description", "metric_name",
    ]  # fmt: skip
    assert list(bias[0].to_sagemaker()) == [
        "facet", "facet_value", "metric_name", "constraint_check_type", "description",
    ]  # fmt: skip
    assert list(attribution[0].to_sagemaker()) == [
        "label", "metric_name", "constraint_check_type", "description",
    ]  # fmt: skip
    # and one alert writes them all alike
    body = check_alert("endpoint churn", "window", 100, [v.to_dict() for v in found], None).body
    assert (
        "1. `mae` (GreaterThanThreshold): Metric mae with 0.5 was GreaterThanThreshold 0.4. "
        "Observed 0.5, threshold 0.4." in body
    )
    assert "2. `sex=0` (bias_drift_check): Value -0.3 does not meet the constraint" in body
    assert "3. `label0` (feature_attribution_drift_check): Feature attribution drift" in body


def test_the_dashboards_monitors_judge_as_a_check_does():
    rng = np.random.default_rng(7)
    baseline = profile_of(pa.table({
        "price": rng.normal(50, 10, 4000), "colour": rng.choice(["r", "g", "b"], 4000)}))
    current = profile_of(pa.table({
        "price": rng.normal(53, 10, 600),
        "colour": rng.choice(["r", "g", "b"], 600, p=[0.6, 0.2, 0.2])}))  # fmt: skip
    constraints = parse_constraints(suggest_constraints(baseline))
    checked = evaluate_constraints(current, constraints, baseline).violations
    monitored, _ = judge(batch_metrics(current, None, baseline), {}, "")
    drift = [v.to_dict() for v in checked if v.constraint_check_type == "baseline_drift_check"]
    assert [v["feature_name"] for v in drift] == ["price", "colour"]
    assert [v.to_dict() for v in monitored] == drift


def test_compare_and_detect_judge_free_text_and_embeddings_as_a_check_does():
    """The notebook's comparison, the public detector and a check give one verdict for a
    free-text and an embedding column: the same tests, the same figures."""
    import watchkeeper
    from text_samples import texts
    from watchkeeper.drift import detect

    rng = np.random.default_rng(5)

    def table(seed: int, unseen: float, shift: float) -> pa.Table:
        vectors = rng.normal(shift, 1.0, (2000, 4))
        return pa.table({
            "review": texts(2000, seed=seed, unseen=unseen),
            "embedding": pa.array(list(vectors), pa.list_(pa.float64(), 4)),
        })  # fmt: skip

    train, today = table(1, 0.0, 0.0), table(2, 0.3, 0.5)
    checked = watchkeeper.check(today, watchkeeper.suggest_baseline(train)).drift
    compared = watchkeeper.compare(train, today).verdicts
    detected = detect(profile_of(train), profile_of(today))
    for name, kind in (("review", "out_of_vocabulary_share"), ("embedding", "embedding_mean")):
        assert checked[name].drifted and kind in [test.name for test in checked[name].tests]
        assert compared[name] == checked[name] == detected[name]


def test_compare_reads_the_current_data_as_a_check_does():
    """Reviews that turned into a few short replies would be read as categories alone;
    compare, like a check, reads them as the free text the reference holds."""
    import watchkeeper
    from text_samples import texts

    train = pa.table({"review": texts(2000, seed=1)})
    replies = ["ok", "fine", "good", "bad", "thanks", "late again", "all good"]
    today = pa.table({"review": [replies[i % len(replies)] for i in range(2000)]})
    assert watchkeeper.profile(today).columns["review"].text is None
    checked = watchkeeper.check(today, watchkeeper.suggest_baseline(train))
    compared = watchkeeper.compare(train, today)
    assert compared.current.columns["review"].text.count == 2000
    assert compared.verdicts["review"] == checked.drift["review"]
    assert checked.drift["review"].drifted
    assert checked.drift["review"].test.startswith(("text_length", "word_count"))
