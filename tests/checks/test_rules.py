"""Rules files: parsing errors name the key; every rule fires with its figures."""

from __future__ import annotations

import signal

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.checks.rules import evaluate_rules, parse_rules, read_rules
from watchkeeper.errors import FormatError
from watchkeeper.profile import DatasetProfile

RULES = """
rows: {min: 10, max: 1000}
defaults:
  max_missing: 10%
columns:
  notes: {max_missing: 1.0}
  constant: {single_value: forbid}
  age: {min: 0, max: 120}
  country: {allowed: [NL, FR, DE]}
  email: {regex: '^[^@ ]+@[^@ ]+$'}
"""


def table(rows: int = 100) -> pa.Table:
    rng = np.random.default_rng(0)
    return pa.table(
        {
            "age": rng.integers(0, 100, rows),
            "country": pa.array(rng.choice(["NL", "FR", "DE"], rows)),
            "email": pa.array([f"user{i}@example.com" for i in range(rows)]),
            "notes": pa.array([None] * (rows - 1) + ["x"]),
            "constant": pa.array([f"c{i % 3}" for i in range(rows)]),
        }
    )


def judge(data: pa.Table, text: str = RULES):
    rules = parse_rules(__import__("yaml").safe_load(text), "rules.yaml")
    scanner = rules.scanner()
    profile = DatasetProfile()
    for batch in data.to_batches(max_chunksize=17):
        profile.track(batch)
        scanner.observe(batch)
    return evaluate_rules(profile, rules, scanner)


def by_check(violations):
    return {(v.feature_name, v.constraint_check_type): v for v in violations}


def test_clean_data_passes():
    assert judge(table()) == []


def test_row_count():
    [violation] = judge(table(5))
    assert violation.constraint_check_type == "row_count_check"
    assert violation.description == "Row count 5 is below the minimum 10."


def test_missing_values_default_and_override():
    data = table()
    ages = data["age"].to_pylist()
    ages[:20] = [None] * 20
    data = data.set_column(0, "age", pa.array(ages, type=pa.int64()))
    found = by_check(judge(data))
    violation = found[("age", "missing_values_check")]
    assert violation.observed == pytest.approx(0.2) and violation.threshold == pytest.approx(0.1)
    assert violation.description == "20% of values are missing (20 of 100 rows); the limit is 10%."
    assert ("notes", "missing_values_check") not in found  # its own limit allows 99%


def test_single_value():
    data = table().set_column(4, "constant", pa.array(["same"] * 100))
    violation = by_check(judge(data))[("constant", "single_value_check")]
    assert "'same'" in violation.description
    numeric = table().set_column(0, "age", pa.array([7] * 100))
    assert ("age", "single_value_check") in by_check(judge(numeric))


def test_range_with_share_below():
    data = table()
    ages = data["age"].to_pylist()
    ages[:4] = [-1, -2, -3, 130]
    data = data.set_column(0, "age", pa.array(ages))
    found = [v for v in judge(data) if v.constraint_check_type == "range_check"]
    low, high = found
    assert low.observed == -3 and low.threshold == 0
    assert low.details["share"] == pytest.approx(0.03)
    assert high.observed == 130 and high.details["share"] == pytest.approx(0.01)


def test_allowed_values_lists_the_unexpected():
    data = table()
    countries = data["country"].to_pylist()
    countries[:3] = ["XX", "XX", "YY"]
    data = data.set_column(1, "country", pa.array(countries))
    violation = by_check(judge(data))[("country", "allowed_values_check")]
    assert violation.observed == pytest.approx(0.03)
    assert violation.details["unexpected_values"] == ["XX", "YY"]
    assert "'XX' (2)" in violation.description


def test_regex_counts_every_value_in_the_scan():
    data = table(300)
    emails = data["email"].to_pylist()
    emails[10] = "not-an-email"
    emails[200] = "two@@at"
    data = data.set_column(2, "email", pa.array(emails))
    violation = by_check(judge(data, RULES.replace("max: 1000", "max: 100000")))[
        ("email", "regex_check")
    ]
    assert violation.details["mismatched"] == 2
    assert violation.details["examples"] == ["not-an-email", "two@@at"]
    assert violation.observed == pytest.approx(2 / 300)


def test_regex_reads_nested_and_binary_values_as_the_profile_shows_them():
    data = pa.table(
        {
            "tags": pa.array([["a"], [], None, ["b", "c"]]),
            "point": pa.array([{"x": 1}, {"x": 2}, None, None]),
            "blob": pa.array([b"ok", b"\xff", None, b"ok"]),
            "nothing": pa.array([None] * 4, pa.null()),
        }
    )
    rules = "columns:\n" + "".join(
        f"  {name}: {{regex: '^[a-z]+$', max_missing: 100%}}\n" for name in data.column_names
    )
    found = by_check(judge(data, rules))
    assert found[("tags", "regex_check")].details["examples"] == ['["a"]', "[]", '["b", "c"]']
    assert found[("point", "regex_check")].details["mismatched"] == 2
    # bytes are counted as their JSON text, as in the profile's categories
    assert found[("blob", "regex_check")].details["mismatched"] == 3
    assert ("nothing", "regex_check") not in found


def test_tolerance():
    data = table()
    countries = data["country"].to_pylist()
    countries[0] = "XX"
    data = data.set_column(1, "country", pa.array(countries))
    text = RULES.replace("allowed: [NL, FR, DE]", "allowed: [NL, FR, DE], tolerance: 0.02")
    assert ("country", "allowed_values_check") not in by_check(judge(data, text))


def test_rules_for_absent_columns():
    found = by_check(judge(table().drop_columns(["email"])))
    assert ("email", "missing_column_check") in found


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: {age: {max_mising: 0.1}}", "columns.age: unknown key 'max_mising'"),
        ("defaults: {max_missing: 1.5}", "defaults.max_missing is 1.5"),
        ("columns: {age: {min: 5, max: 1}}", "min 5.0 is greater than max 1.0"),
        ("columns: {e: {regex: '(unclosed'}}", "invalid regular expression"),
        ("rows: {min: -3}", "rows.min"),
        ("- a list", "a rules file is a mapping"),
        ("columns: {c: {allowed: []}}", "allowed must be a non-empty list"),
        ("defaults: {single_value: sometimes}", "use forbid or allow"),
    ],
)
def test_invalid_rules_name_the_key(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(FormatError) as info:
        read_rules(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("columns:\n  a: [unclosed\n")
    with pytest.raises(FormatError, match="not valid YAML at line"):
        read_rules(path)


# Every numeric key of the format, with values that would judge nothing or everything.
NUMERIC_KEYS = [
    ("rows: {min: %s}", "rows.min"),
    ("rows: {max: %s}", "rows.max"),
    ("defaults: {max_missing: %s}", "defaults.max_missing"),
    ("columns: {age: {max_missing: %s}}", "columns.age.max_missing"),
    ("columns: {age: {min: %s}}", "columns.age.min"),
    ("columns: {age: {max: %s}}", "columns.age.max"),
    ("columns: {age: {tolerance: %s}}", "columns.age.tolerance"),
]


@pytest.mark.parametrize(("template", "key"), NUMERIC_KEYS)
@pytest.mark.parametrize("value", [".nan", ".NaN", ".inf", "-.inf", "1e999", "1" + "0" * 400,
                                   "'ten'", "[1]", "true"])  # fmt: skip
def test_every_numeric_key_refuses_what_is_not_a_finite_number(tmp_path, template, key, value):
    path = tmp_path / "rules.yaml"
    path.write_text(template % value)
    with pytest.raises(FormatError) as info:
        read_rules(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {key} is ") and "\n" not in message, message
    assert len(message) < len(str(path)) + 200


def test_a_nan_limit_names_the_column_and_the_key():
    with pytest.raises(FormatError) as info:
        parse_rules(__import__("yaml").safe_load("columns: {age: {min: .nan}}"), "rules.yaml")
    assert str(info.value) == "rules.yaml: columns.age.min is nan; expected a finite number"


def test_row_limits_must_be_in_order():
    with pytest.raises(FormatError, match=r"rows\.min 500 is greater than rows\.max 10"):
        parse_rules({"rows": {"min": 500, "max": 10}}, "rules.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns: {when: {min: 2020-13-45}}", "not valid YAML (month must be in 1..12)"),
        ("columns: {age: {min: !!int abc}}", "not valid YAML (invalid literal for int()"),
        ("columns: {age: {min: !!int }}", "not valid YAML"),
        ("columns: {age: {min: !!timestamp x}}", "not valid YAML"),
        ("columns: " + "[" * 5_000 + "]" * 5_000, "not readable YAML (nested too deeply)"),
        ("columns: {1: {min: 0}, '1': {max: 5}}", "columns.1 is given twice"),
        ('columns: {"a\\nb": {min: x}}', "columns.'a\\nb'.min is 'x'"),
        ("columns: {c: {allowed: [[NL], FR]}}", "columns.c.allowed must list values"),
    ],
)
def test_what_yaml_allows_but_rules_cannot_use(tmp_path, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(FormatError) as info:
        read_rules(path)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_anchors_are_not_expanded(tmp_path):
    # Each level repeats the one before nine times: 9**9 values if anything expanded them.
    lines = ["columns:", "  c0: {allowed: &a0 [x, x, x, x, x, x, x, x, x]}"]
    for level in range(1, 10):
        nine = ", ".join([f"*a{level - 1}"] * 9)
        lines.append(f"  c{level}: {{allowed: &a{level} [{nine}]}}")
    lines.append("  last: {min: *a9, max_missing: *a9, single_value: *a9}")
    path = tmp_path / "rules.yaml"
    path.write_text("\n".join(lines))

    def expanded(signum, frame):
        raise AssertionError("the anchors were expanded")

    previous = signal.signal(signal.SIGALRM, expanded)
    signal.alarm(30)
    try:
        with pytest.raises(FormatError, match=r"columns\.c1\.allowed must list values"):
            read_rules(path)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
