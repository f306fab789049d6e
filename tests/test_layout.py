"""The test tree's own rule: every test module has a name of its own.

Tests import their helpers by module name (no packages), so two files with one name in
different folders cannot both be collected in one run.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

TESTS = Path(__file__).parent


def test_module_names_are_unique():
    names = Counter(
        path.name
        for path in TESTS.rglob("*.py")
        if path.name != "conftest.py" and "__pycache__" not in path.parts
    )
    assert [name for name, count in names.items() if count > 1] == []


def test_no_module_is_over_six_hundred_lines():
    source = TESTS.parent / "src" / "watchkeeper"
    long = {
        str(path.relative_to(source)): lines
        for path in source.rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > 600
    }
    assert long == {}
