"""The drift methods of constraints.json: their spellings are the file format's, read by
``baseline``; ``drift`` takes the one name each stands for, and neither package imports
the other."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from watchkeeper.baseline import (
    categorical_drift_method_name,
    comparison_method_name,
    parse_constraints,
)
from watchkeeper.errors import FormatError, UsageError


@pytest.mark.parametrize(
    ("written", "comparison", "categorical"),
    [
        (("Robust", "LInfinity"), "Robust", "LInfinity"),
        (("linf_simple", "chisquared"), "Simple", "ChiSquared"),
        (("LINF_ROBUST", "CHISQUARED"), "Robust", "ChiSquared"),
        (("simple", "linfinity"), "Simple", "LInfinity"),
    ],
)
def test_constraints_read_every_spelling_of_the_drift_methods(written, comparison, categorical):
    distribution = {"comparison_method": written[0], "categorical_drift_method": written[1]}
    config = parse_constraints({"monitoring_config": {"distribution_constraints": distribution}})
    assert (config.config.comparison_method, config.config.categorical_drift_method) == (
        comparison,
        categorical,
    )
    assert comparison_method_name(written[0]) == comparison
    assert categorical_drift_method_name(written[1]) == categorical


def test_unknown_drift_methods_name_what_is_allowed():
    with pytest.raises(
        FormatError,
        match=re.escape(
            "constraints.json: monitoring_config.distribution_constraints: comparison_method "
            "must be one of Robust, Simple, linf_robust, linf_simple; got 'median'"
        ),
    ):
        parse_constraints(
            {"monitoring_config": {"distribution_constraints": {"comparison_method": "median"}}}
        )
    with pytest.raises(UsageError, match="categorical_drift_method must be one of ChiSquared"):
        categorical_drift_method_name("KS")


@pytest.mark.parametrize(
    ("imported", "absent"),
    [("watchkeeper.baseline", "watchkeeper.drift"), ("watchkeeper.drift", "watchkeeper.baseline")],
)
def test_baseline_and_drift_do_not_import_each_other(imported, absent):
    code = f"import sys, {imported}; print([n for n in sys.modules if n.startswith('{absent}')])"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
