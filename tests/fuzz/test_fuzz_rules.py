"""Rules files: any YAML gives rules that judge data, or one clear error naming the key.

Documents are a real rules file changed in a few places (NaN, infinities, huge and
negative numbers, wrong types, deep nesting), YAML-shaped text, raw bytes, and the
YAML-specific traps: anchors expanding exponentially, tags PyYAML cannot construct.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pyarrow as pa
import pytest
import yaml
from hypothesis import example, given, reject
from hypothesis import strategies as st
from parser_fuzzing import DEEP, DEPTH, FUZZ, holds, mutated, spoiled

from watchkeeper.checks.rules import Rules, evaluate_rules, read_rules
from watchkeeper.profile import DatasetProfile

RULES = {
    "rows": {"min": 10, "max": 1000},
    "defaults": {"max_missing": "10%", "single_value": "forbid"},
    "columns": {
        "notes": {"max_missing": 1.0},
        "age": {"min": 0, "max": 120, "tolerance": 0.01},
        "country": {"allowed": ["NL", "FR", "DE"]},
        "email": {"regex": "^[^@ ]+@[^@ ]+$"},
    },
}
TABLE = pa.table(
    {
        "age": [3, 40, 200, None, 65],
        "country": ["NL", "FR", "XX", "DE", None],
        "email": ["a@b", "nope", None, "c@d", "e@f"],
        "notes": [None, None, "x", None, None],
    }
)
# Each level of anchors multiplies the text a naive reader would build by nine.
ALIASES = (
    "columns:\n"
    "  a: {allowed: &a [x, x, x, x, x, x, x, x, x]}\n"
    + "".join(
        f"  {name}: {{allowed: &{name} [{', '.join(['*' + before] * 9)}]}}\n"
        for before, name in itertools.pairwise("abcdefghij")
    )
    + "  z: {min: *j, max_missing: *j, regex: *j, single_value: *j}\n"
)
_names = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("rules-fuzz")


def _judge(rules: Rules) -> None:
    profile = DatasetProfile()
    scanner = rules.scanner()
    for batch in TABLE.to_batches(max_chunksize=2):
        profile.track(batch)
        scanner.observe(batch)
    evaluate_rules(profile, rules, scanner)


def _check(folder: Path, text: bytes) -> None:
    path = folder / f"{next(_names)}-rules.yaml"
    path.write_bytes(text)
    rules = holds(read_rules, path, names=[str(path)])
    if isinstance(rules, Rules):
        holds(_judge, rules)


def _yaml(document) -> bytes:
    try:
        text = yaml.safe_dump(document, allow_unicode=True)
    except (yaml.YAMLError, UnicodeEncodeError):
        reject()
    return text.replace(DEEP, "[" * DEPTH + "]" * DEPTH).encode("utf-8", "surrogatepass")


@FUZZ
@given(document=mutated(RULES))
def test_changed_rules_judge_or_fail_clearly(folder, document):
    _check(folder, _yaml(document))


_YAML_WORDS = [
    "rows:", "columns:", "defaults:", "min:", "max:", "max_missing:", "tolerance:", "allowed:",
    "regex:", "single_value:", " ", "\n", "  ", "- ", ".nan", ".inf", "-.inf", "1e999", "5%",
    "nan%", "&a ", "*a", "!!int ", "!!float ", "!!binary ", "!!timestamp ", "!!python/object ",
    "2020-13-45", "<<: ", "? ", "{", "}", "[", "]", ",", "'", '"', "#", "|", ">", "~",
    "%YAML 1.1\n", "---\n", "x", "0", "-1",
]  # fmt: skip


@FUZZ
@given(text=st.lists(st.sampled_from(_YAML_WORDS), max_size=40).map("".join))
@example(text=ALIASES)
@example(text="[" * DEPTH + "]" * DEPTH)
@example(text="columns: {x: {min: .nan}}")
@example(text="a: !!timestamp abc")
def test_yaml_text_judges_or_fails_clearly(folder, text):
    _check(folder, text.encode())


@FUZZ
@given(data=spoiled(yaml.safe_dump(RULES).encode()))
def test_rules_bytes_judge_or_fail_clearly(folder, data):
    _check(folder, data)
