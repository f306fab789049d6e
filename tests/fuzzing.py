"""How many examples the property tests that search for bad inputs try.

``WATCHKEEPER_FUZZ`` chooses, for every fuzzer of the suite at once: ``ci`` (the
default) is a small fixed set, the same on every run, so the suite stays fast and
repeatable; ``long`` is thousands of fresh random examples per test; a number is that
many random examples::

    make fuzz                                   # every fuzzer, WATCHKEEPER_FUZZ=long
    WATCHKEEPER_FUZZ=5000 pytest tests/fuzz/test_fuzz_rules.py
"""

from __future__ import annotations

import os

from hypothesis import settings


def budget(ci: int, long: int) -> tuple[int, bool]:
    """(examples per test, whether they are the fixed set) for this run."""
    chosen = os.environ.get("WATCHKEEPER_FUZZ", "ci").strip().lower()
    if chosen.isdigit():
        return int(chosen), False
    if chosen not in ("ci", "long"):
        raise ValueError(f"WATCHKEEPER_FUZZ is ci, long or a number, not {chosen!r}")
    return (ci, True) if chosen == "ci" else (long, False)


def fuzz_settings(ci: int, long: int, **options) -> settings:
    """Hypothesis settings with this run's :func:`budget` and no deadline."""
    examples, fixed = budget(ci, long)
    return settings(max_examples=examples, derandomize=fixed, deadline=None, **options)
