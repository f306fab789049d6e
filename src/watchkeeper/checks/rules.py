"""Rules files: the data-quality rules a team writes by hand, in YAML.

::

    rows: {min: 1000, max: 5000000}     # row count range
    defaults:
      max_missing: 0.05                 # largest share of missing values, 0..1 (or "5%")
      single_value: forbid              # a column holding one distinct value is a violation
    columns:
      feature_2: {max_missing: 0.5}     # per-column override
      feature_11: {single_value: allow}
      age: {min: 0, max: 120}           # numeric range
      country: {allowed: [NL, FR, DE]}  # allowed values
      email: {regex: '^[^@ ]+@[^@ ]+$'} # every value must match (RE2 syntax)

Every number is finite (``.nan`` and ``.inf`` judge nothing, or everything, and are
refused naming the column and key), and a ``min`` may not exceed its ``max``. Range,
allowed-values and regex rules accept ``tolerance``: the share of values that may break
the rule (default 0). Every violation names the column, the rule and the
measured figures against the limit. Regex rules are evaluated on every value during
the scan (:class:`RuleScanner`); judged from a profile alone they fall back to the
profile's category counts.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from watchkeeper.baseline.fields import SHOWN_LENGTH, count, number, shown
from watchkeeper.checks.missing_values import MissingValues, percent
from watchkeeper.checks.violations import (
    ALLOWED_VALUES,
    MISSING_COLUMN,
    RANGE,
    REGEX,
    ROW_COUNT,
    SINGLE_VALUE,
    Violation,
)
from watchkeeper.errors import FormatError
from watchkeeper.io.arrays import from_indices, from_strings, mask
from watchkeeper.io.messages import first_line
from watchkeeper.io.storage import read_bytes
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile
from watchkeeper.profile.types import as_text

DATASET = "(dataset)"
_SCALARS = (str, int, float, bool, datetime.date)
_CONSTRUCTION_ERRORS = (ValueError, TypeError, AttributeError, IndexError, KeyError, OverflowError)
_COLUMN_KEYS = {"max_missing", "single_value", "min", "max", "allowed", "regex", "tolerance"}
_DEFAULT_KEYS = {"max_missing", "single_value"}
_EXAMPLES = 5


@dataclass(frozen=True)
class ColumnRules:
    max_missing: float | None = None
    single_value: str | None = None  # "forbid" or "allow"
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    regex: str | None = None
    tolerance: float = 0.0


@dataclass(frozen=True)
class Rules:
    """A parsed rules file."""

    min_rows: int | None = None
    max_rows: int | None = None
    defaults: ColumnRules = ColumnRules()
    columns: dict[str, ColumnRules] = field(default_factory=dict)
    source: str = "rules"

    def for_column(self, name: str) -> ColumnRules:
        """The column's rules with the defaults filled in."""
        own = self.columns.get(name, ColumnRules())
        return ColumnRules(
            max_missing=own.max_missing
            if own.max_missing is not None
            else self.defaults.max_missing,
            single_value=own.single_value or self.defaults.single_value,
            min=own.min,
            max=own.max,
            allowed=own.allowed,
            regex=own.regex,
            tolerance=own.tolerance,
        )

    def scanner(self) -> RuleScanner:
        return RuleScanner(self)


# -- parsing ----------------------------------------------------------------------------


def read_rules(uri: str | os.PathLike[str], storage_options: dict | None = None) -> Rules:
    source = os.fspath(uri)
    try:
        document = yaml.safe_load(read_bytes(uri, storage_options))
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise FormatError(f"{source}: not valid YAML{line}") from exc
    except RecursionError:
        raise FormatError(f"{source}: not readable YAML (nested too deeply)") from None
    except _CONSTRUCTION_ERRORS as exc:
        # PyYAML's constructors raise plain Python errors for values its own grammar
        # accepts: `2020-13-45`, `!!int abc`, `!!int` with no value, `!!timestamp x`.
        raise FormatError(f"{source}: not valid YAML ({first_line(exc)})") from None
    return parse_rules(document, source)


def parse_rules(document: Any, source: str = "rules") -> Rules:
    """Validate a rules document; an error names the file, the key and what is allowed."""
    if document is None:
        return Rules(source=source)
    if not isinstance(document, dict):
        raise FormatError(f"{source}: a rules file is a mapping with rows, defaults, columns")
    _unknown(document, {"rows", "defaults", "columns"}, source)
    rows = document.get("rows") or {}
    if not isinstance(rows, dict):
        raise FormatError(f"{source}: rows must be a mapping with min and/or max")
    _unknown(rows, {"min", "max"}, f"{source}: rows")
    min_rows = _count(rows.get("min"), f"{source}: rows.min")
    max_rows = _count(rows.get("max"), f"{source}: rows.max")
    if min_rows is not None and max_rows is not None and min_rows > max_rows:
        raise FormatError(f"{source}: rows.min {min_rows} is greater than rows.max {max_rows}")
    defaults_raw = document.get("defaults") or {}
    if not isinstance(defaults_raw, dict):
        raise FormatError(f"{source}: defaults must be a mapping")
    _unknown(defaults_raw, _DEFAULT_KEYS, f"{source}: defaults")
    defaults = _column_rules(defaults_raw, f"{source}: defaults")
    if defaults.single_value is None:
        defaults = ColumnRules(max_missing=defaults.max_missing, single_value="forbid")
    columns_raw = document.get("columns") or {}
    if not isinstance(columns_raw, dict):
        raise FormatError(f"{source}: columns must be a mapping of column name to rules")
    columns = {}
    for name, raw in columns_raw.items():
        column = _text(name)
        where = f"{source}: columns.{_shown_name(column)}"
        if column in columns:
            raise FormatError(f"{where} is given twice")
        if not isinstance(raw, dict):
            raise FormatError(f"{where} must be a mapping of rules")
        _unknown(raw, _COLUMN_KEYS, where)
        columns[column] = _column_rules(raw, where)
    return Rules(min_rows, max_rows, defaults, columns, source)


def _unknown(raw: dict, allowed: set[str], where: str) -> None:
    extra = sorted(str(key) for key in raw if key not in allowed)
    if extra:
        raise FormatError(
            f"{where}: unknown key {shown(extra[0])}; allowed keys are {', '.join(sorted(allowed))}"
        )


def _column_rules(raw: dict, where: str) -> ColumnRules:
    single = raw.get("single_value")
    if single is not None and single not in ("forbid", "allow"):
        raise FormatError(f"{where}.single_value is {shown(single)}; use forbid or allow")
    allowed = raw.get("allowed")
    if allowed is not None:
        if not isinstance(allowed, list) or not allowed:
            raise FormatError(f"{where}.allowed must be a non-empty list of values")
        if not all(isinstance(value, _SCALARS) for value in allowed):
            raise FormatError(f"{where}.allowed must list values (text or numbers), not lists")
        allowed = tuple(_text(value) for value in allowed)
    regex = raw.get("regex")
    if regex is not None:
        regex = _regex(regex, f"{where}.regex")
    low, high = _number(raw.get("min"), f"{where}.min"), _number(raw.get("max"), f"{where}.max")
    if low is not None and high is not None and low > high:
        raise FormatError(f"{where}: min {low} is greater than max {high}")
    return ColumnRules(
        max_missing=_fraction(raw.get("max_missing"), f"{where}.max_missing"),
        single_value=single,
        min=low,
        max=high,
        allowed=allowed,
        regex=regex,
        tolerance=_fraction(raw.get("tolerance"), f"{where}.tolerance") or 0.0,
    )


def _text(value: Any) -> str:
    # YAML reads `true` and `3` as bool and int; the data's text is "true" and "3"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shown_name(name: str) -> str:
    """A column name as a message shows it: as written when it is plain, else quoted."""
    plain = name.isprintable() and 0 < len(name) <= SHOWN_LENGTH and name.strip() == name
    return name if plain else shown(name)


def _regex(pattern: Any, where: str) -> str:
    if not isinstance(pattern, str):
        raise FormatError(f"{where} must be a string")
    try:
        pc.match_substring_regex(from_strings([""]), pattern)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        reason = f"invalid regular expression {shown(pattern)} ({first_line(exc)})"
        raise FormatError(f"{where}: {reason}") from exc
    return pattern


def _number(value: Any, where: str) -> float | None:
    """A finite number: NaN or infinity as a limit would judge nothing, or everything."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(f"{where} is {shown(value)}; expected a number")
    return number(value, where, finite=True)


def _count(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError(f"{where} is {shown(value)}; expected a whole number of rows")
    return count(value, where)


def _fraction(value: Any, where: str) -> float | None:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            value = float(value.strip()[:-1]) / 100
        except ValueError:
            raise FormatError(
                f"{where} is {shown(value)}; expected a share like 0.05 or 5%"
            ) from None
    share = _number(value, where)
    if share is not None and not 0.0 <= share <= 1.0:
        raise FormatError(
            f"{where} is {shown(value)}; expected a share between 0 and 1 (or 0%-100%)"
        )
    return share


# -- scanning: rules that need every value ---------------------------------------------------


@dataclass
class RegexTally:
    present: int = 0
    mismatched: int = 0
    examples: list[str] = field(default_factory=list)


class RuleScanner:
    """Counts, batch by batch, the values that break rules a profile cannot judge."""

    def __init__(self, rules: Rules) -> None:
        self.patterns = {name: rule.regex for name, rule in rules.columns.items() if rule.regex}
        self.tallies = {name: RegexTally() for name in self.patterns}

    def observe(self, batch: pa.RecordBatch) -> None:
        for name, pattern in self.patterns.items():
            if name not in batch.schema.names:
                continue
            values = as_text(pc.drop_null(batch.column(name)))
            matched = mask(pc.match_substring_regex(values, pattern))
            tally = self.tallies[name]
            tally.present += len(values)
            misses = np.flatnonzero(~matched)
            tally.mismatched += len(misses)
            room = _EXAMPLES - len(tally.examples)
            if room > 0 and len(misses):
                for value in values.take(from_indices(misses[: room * 4])).to_pylist():
                    if value not in tally.examples and len(tally.examples) < _EXAMPLES:
                        tally.examples.append(value)

    def observe_all(self, batches: Iterable[pa.RecordBatch]) -> None:
        for batch in batches:
            self.observe(batch)

    def absorb(self, other: RuleScanner) -> None:
        """Add what a scanner of the same rules counted on other rows (later ones: its
        examples come after this one's)."""
        for name, tally in self.tallies.items():
            theirs = other.tallies[name]
            tally.present += theirs.present
            tally.mismatched += theirs.mismatched
            for value in theirs.examples:
                if value not in tally.examples and len(tally.examples) < _EXAMPLES:
                    tally.examples.append(value)


# -- evaluation -------------------------------------------------------------------------


def evaluate_rules(
    profile: DatasetProfile, rules: Rules, scanner: RuleScanner | None = None
) -> list[Violation]:
    """Judge a profile (and what a scanner counted during the same scan) against rules."""
    violations = _row_count(profile.rows, rules)
    for name in rules.columns:
        if name not in profile.columns:
            violations.append(
                Violation(
                    name,
                    MISSING_COLUMN,
                    f"Column {name} has rules in {rules.source} but is not in the data.",
                )
            )
    for name, column in profile.columns.items():
        rule = rules.for_column(name)
        violations.extend(_missing(name, column, rule))
        violations.extend(_single_value(name, column, rule, profile.rows))
        violations.extend(_range(name, column, rule))
        violations.extend(_allowed(name, column, rule))
        if rule.regex:
            tally = scanner.tallies.get(name) if scanner is not None else None
            violations.extend(_regex_violation(name, column, rule, tally))
    return violations


def _row_count(rows: int, rules: Rules) -> list[Violation]:
    if rules.min_rows is not None and rows < rules.min_rows:
        text = f"Row count {rows} is below the minimum {rules.min_rows}."
        return [Violation(DATASET, ROW_COUNT, text, rows, rules.min_rows)]
    if rules.max_rows is not None and rows > rules.max_rows:
        text = f"Row count {rows} is above the maximum {rules.max_rows}."
        return [Violation(DATASET, ROW_COUNT, text, rows, rules.max_rows)]
    return []


def _missing(name: str, column: ColumnProfile, rule: ColumnRules) -> list[Violation]:
    if rule.max_missing is None:
        return []
    found = MissingValues(rule.max_missing).judge(name, MissingValues.measure(column))
    return [found] if found else []


def _single_value(
    name: str, column: ColumnProfile, rule: ColumnRules, rows: int
) -> list[Violation]:
    if rule.single_value != "forbid" or column.present < 2:
        return []
    numbers, categories = column.moments, column.categories
    if numbers.n == column.present and numbers.min == numbers.max:
        value = _number_text(numbers.min)
    elif numbers.n == 0 and categories.is_exact and len(categories.exact) == 1:
        value = next(iter(categories.exact))
    else:
        return []
    text = f"Column has a single distinct value ({value!r}) in all {column.present} present values."
    return [Violation(name, SINGLE_VALUE, text, 1, 2, {"value": value, "rows": rows})]


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _range(name: str, column: ColumnProfile, rule: ColumnRules) -> list[Violation]:
    if (rule.min is None and rule.max is None) or column.moments.n == 0:
        return []
    violations = []
    n = column.kll.n
    if rule.min is not None and column.moments.min < rule.min:
        share = float(column.kll.rank(rule.min, inclusive=False)) / n
        if share > rule.tolerance:
            text = (
                f"Minimum {_number_text(column.moments.min)} is below the allowed minimum "
                f"{_number_text(rule.min)} (about {percent(share)} of values below)."
            )
            violations.append(
                Violation(name, RANGE, text, column.moments.min, rule.min, {"share": share})
            )
    if rule.max is not None and column.moments.max > rule.max:
        share = 1.0 - float(column.kll.rank(rule.max, inclusive=True)) / n
        if share > rule.tolerance:
            text = (
                f"Maximum {_number_text(column.moments.max)} is above the allowed maximum "
                f"{_number_text(rule.max)} (about {percent(share)} of values above)."
            )
            violations.append(
                Violation(name, RANGE, text, column.moments.max, rule.max, {"share": share})
            )
    return violations


def _allowed(name: str, column: ColumnProfile, rule: ColumnRules) -> list[Violation]:
    if rule.allowed is None or column.present == 0:
        return []
    allowed = set(rule.allowed)
    categories = column.categories
    listed = categories.items()
    inside = sum(count for value, count in listed if value in allowed)
    share_outside = 1.0 - inside / column.present
    if share_outside <= rule.tolerance:
        return []
    unexpected = [(value, count) for value, count in listed if value not in allowed][:_EXAMPLES]
    shown = ", ".join(f"{value!r} ({count})" for value, count in unexpected)
    text = f"{percent(share_outside)} of values are not allowed"
    text += f" (unexpected: {shown})." if shown else "."
    details = {"unexpected_values": [v for v, _ in unexpected], "exact": categories.is_exact}
    return [Violation(name, ALLOWED_VALUES, text, share_outside, rule.tolerance, details)]


def _regex_violation(
    name: str, column: ColumnProfile, rule: ColumnRules, tally: RegexTally | None
) -> list[Violation]:
    if tally is None:
        tally = _regex_from_categories(column, rule.regex)
    if tally.present == 0:
        return []
    share = tally.mismatched / tally.present
    if share <= rule.tolerance:
        return []
    shown = ", ".join(repr(value) for value in tally.examples)
    text = (
        f"{tally.mismatched} of {tally.present} values ({percent(share)}) do not match "
        f"{rule.regex!r}" + (f" (e.g. {shown})." if shown else ".")
    )
    details = {"examples": list(tally.examples), "mismatched": tally.mismatched}
    return [Violation(name, REGEX, text, share, rule.tolerance, details)]


def _regex_from_categories(column: ColumnProfile, pattern: str) -> RegexTally:
    items = column.categories.items()
    tally = RegexTally(present=column.present)
    if not items:
        return RegexTally()
    values = from_strings([value for value, _ in items])
    matched = mask(pc.match_substring_regex(values, pattern))
    listed = sum(count for _, count in items)
    misses = [(value, count) for (value, count), ok in zip(items, matched, strict=True) if not ok]
    # values the category counts no longer list are counted as not matching
    tally.mismatched = sum(count for _, count in misses) + max(column.present - listed, 0)
    tally.examples = [value for value, _ in misses[:_EXAMPLES]]
    return tally
