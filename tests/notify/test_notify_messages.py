"""The text and keys of watchkeeper's alerts."""

from __future__ import annotations

from watchkeeper.checks.violations import Violation
from watchkeeper.notify import check_alert, failure_alert
from watchkeeper.notify.messages import MAX_VIOLATIONS

MISSING = Violation(
    "feature_2",
    "missing_values_check",
    "Missing values: 12.5% of the values are missing, more than the 5% allowed.",
    observed=0.125,
    threshold=0.05,
).to_dict()
SINGLE = Violation(
    "feature_11", "single_value_check", "Only one distinct value: 0.", observed=1.0
).to_dict()
DRIFT = Violation(
    "price",
    "baseline_drift_check",
    "Baseline drift distance: 0.4123456789 exceeds threshold: 0.1",
    observed=0.4123456789,
    threshold=0.1,
    details={"method": "ks"},
).to_dict()
REPORT = "https://reports.example.com/input-training.html"


def test_check_alert_names_the_bucket_file_rows_rules_and_report():
    alert = check_alert(
        "s3://my-ml-project-bucket", "input-training.csv", 10_000, [MISSING, SINGLE, DRIFT], REPORT
    )

    assert alert.title == "watchkeeper: 3 problems in input-training.csv"
    assert alert.body == (
        "Data-quality check failed for a new file.\n"
        "\n"
        "- **Where:** s3://my-ml-project-bucket\n"
        "- **File:** input-training.csv\n"
        "- **Rows:** 10,000\n"
        "\n"
        "**3 broken rules:**\n"
        "\n"
        "1. `feature_2` (missing_values_check): Missing values: 12.5% of the values are"
        " missing, more than the 5% allowed. Observed 0.125, threshold 0.05.\n"
        "2. `feature_11` (single_value_check): Only one distinct value: 0. Observed 1.\n"
        "3. `price` (baseline_drift_check): Baseline drift distance: 0.4123456789 exceeds"
        " threshold: 0.1. Observed 0.412346, threshold 0.1.\n"
        "\n"
        f"**Report:** <{REPORT}>"
    )


def test_same_inputs_give_the_same_alert():
    first = check_alert("/data/landing", "a.csv", 5, [MISSING, SINGLE], None)
    again = check_alert("/data/landing", "a.csv", 5, [MISSING, SINGLE], None)

    assert first == again
    assert "Report" not in first.body


def test_key_is_the_file_and_its_kinds_of_violation():
    base = check_alert("s3://b", "a.csv", 5, [MISSING, SINGLE], REPORT)
    reordered = check_alert("s3://b", "a.csv", 7, [SINGLE, MISSING], None)
    new_kind = check_alert("s3://b", "a.csv", 5, [MISSING, SINGLE, DRIFT], REPORT)
    other_file = check_alert("s3://b", "b.csv", 5, [MISSING, SINGLE], REPORT)
    other_bucket = check_alert("s3://c", "a.csv", 5, [MISSING, SINGLE], REPORT)
    new_version = check_alert("s3://b", "a.csv", 5, [MISSING, SINGLE], REPORT, version="v2")

    assert reordered.key == base.key
    others = {new_kind.key, other_file.key, other_bucket.key, new_version.key}
    assert base.key not in others
    assert len(others) == 4


def test_long_lists_are_capped():
    many = [
        Violation(f"column_{i}", "missing_values_check", "x" * 5000, observed=0.5).to_dict()
        for i in range(MAX_VIOLATIONS + 7)
    ]

    alert = check_alert("s3://b", "wide.csv", 1, many, REPORT)

    assert alert.title == f"watchkeeper: {MAX_VIOLATIONS + 7} problems in wide.csv"
    assert f"`column_{MAX_VIOLATIONS - 1}`" in alert.body
    assert f"`column_{MAX_VIOLATIONS}`" not in alert.body
    assert "…and 7 more (see the report)." in alert.body
    assert len(alert.body) < 8000  # Slack shows 40,000 characters, Teams about 28 KB
    assert alert.body.endswith(f"**Report:** <{REPORT}>")


def test_odd_names_and_local_reports_stay_readable():
    odd = {"feature_name": "price`s\nnew", "constraint_check_type": "range_check"}

    alert = check_alert("/data/in", "a b.csv", 1, [odd], "/data/in/a b.report.html")

    assert "1. `price's new` (range_check)" in alert.body
    assert alert.body.endswith("**Report:** `/data/in/a b.report.html`")
    assert alert.title == "watchkeeper: 1 problem in a b.csv"


def test_failure_alert():
    alert = failure_alert("input.csv", "line 3: expected 4 fields, saw 5")

    assert alert.title == "watchkeeper: could not read input.csv"
    assert alert.body == "could not read input.csv: line 3: expected 4 fields, saw 5"
    assert alert.key == failure_alert("input.csv", "line 3: expected 4 fields, saw 5").key
    assert alert.key != failure_alert("input.csv", "empty file").key
    assert alert.key != failure_alert("other.csv", "line 3: expected 4 fields, saw 5").key
