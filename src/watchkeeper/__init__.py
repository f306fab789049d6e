"""watchkeeper: self-hosted monitoring for the data flowing into ML models.

The three verbs of the command line, in Python::

    import watchkeeper

    profile = watchkeeper.profile("data.csv")
    baseline = watchkeeper.suggest_baseline("train.csv", "baseline/")
    outcome = watchkeeper.check("today.csv", "baseline/", output="out/")
    print(outcome.status, [v.description for v in outcome.violations])
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The verbs are bound now: the function `profile` must shadow the subpackage of the
# same name, which importing `watchkeeper.api` has loaded first. The other names are
# loaded on first use, so that profiling a file never pays for the statistics
# libraries that only checks need.
from watchkeeper.api import check, profile, suggest_baseline
from watchkeeper.version import __version__

_EXPORTS = {
    "Baseline": "watchkeeper.baseline",
    "load_baseline": "watchkeeper.baseline",
    "CheckOutcome": "watchkeeper.checks.pipeline",
    "Rules": "watchkeeper.checks.rules",
    "read_rules": "watchkeeper.checks.rules",
    "Violation": "watchkeeper.checks.violations",
    "WatchkeeperError": "watchkeeper.errors",
    "CsvOptions": "watchkeeper.io",
    "read_batches": "watchkeeper.io",
    "Logger": "watchkeeper.logger",
    "log": "watchkeeper.logger",
    "DatasetProfile": "watchkeeper.profile",
    "read_profile": "watchkeeper.profile",
    "write_profile": "watchkeeper.profile",
}

__all__ = [
    "Baseline",
    "CheckOutcome",
    "CsvOptions",
    "DatasetProfile",
    "Logger",
    "Rules",
    "Violation",
    "WatchkeeperError",
    "__version__",
    "check",
    "load_baseline",
    "log",
    "profile",
    "read_batches",
    "read_profile",
    "read_rules",
    "suggest_baseline",
    "write_profile",
]

if TYPE_CHECKING:
    from watchkeeper.baseline import Baseline, load_baseline
    from watchkeeper.checks.pipeline import CheckOutcome
    from watchkeeper.checks.rules import Rules, read_rules
    from watchkeeper.checks.violations import Violation
    from watchkeeper.errors import WatchkeeperError
    from watchkeeper.io import CsvOptions, read_batches
    from watchkeeper.logger import Logger, log
    from watchkeeper.profile import DatasetProfile, read_profile, write_profile


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'watchkeeper' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
