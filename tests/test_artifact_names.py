"""The artefacts' file names have one home, :mod:`watchkeeper.artifacts`: no other module
spells ``"statistics.json"`` and its kin out."""

from __future__ import annotations

import ast
from pathlib import Path

import watchkeeper
from watchkeeper import artifacts

SOURCE = Path(watchkeeper.__file__).parent
NAMES = {
    artifacts.STATISTICS,
    artifacts.CONSTRAINTS,
    artifacts.CONSTRAINT_VIOLATIONS,
    artifacts.ANALYSIS,
    *artifacts.REPORT_FILES.values(),
}
# Modules that still spell the names out; each is to use the constants too.
NOT_YET = {
    "baseline/constraints.py",
    "baseline/statistics.py",
}


def test_artifact_names_are_spelled_out_only_in_their_home():
    spelled = [
        f"{path.relative_to(SOURCE).as_posix()}:{line}: {name}"
        for path in sorted(SOURCE.rglob("*.py"))
        if path.relative_to(SOURCE).as_posix() not in {"artifacts.py", *NOT_YET}
        for line, name in _artifact_names_in(path.read_text(encoding="utf-8"))
    ]
    assert spelled == []


def test_the_names_are_sagemakers():
    assert sorted(NAMES) == [
        "analysis.json",
        "constraint_violations.json",
        "constraints.json",
        "report.csv",
        "report.html",
        "report.json",
        "statistics.json",
    ]


def test_the_search_finds_names_but_not_templates():
    source = (
        'files = {"statistics.json": text}\n'
        'page = environment.get_template("report.html")\n'
        'path = f"{folder}/constraints.json"\n'
    )
    assert _artifact_names_in(source) == [(1, "statistics.json"), (3, "constraints.json")]


def _artifact_names_in(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    # a Jinja template of the same name is a page's source, not a file it writes
    templates = {
        id(call.args[0])
        for call in ast.walk(tree)
        if isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "get_template"
        and call.args
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
            continue
        if id(node) in templates:
            continue
        text = node.value.lstrip("/")
        if text in NAMES:
            found.append((node.lineno, text))
    return sorted(found)
