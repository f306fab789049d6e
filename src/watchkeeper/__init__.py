"""watchkeeper: self-hosted monitoring for the data flowing into ML models.

The three verbs of the command line, in Python::

    import watchkeeper

    profile = watchkeeper.profile("data.csv")
    baseline = watchkeeper.suggest_baseline("train.csv", "baseline/")
    outcome = watchkeeper.check("today.csv", "baseline/", output="out/")
    print(outcome.status, [v.description for v in outcome.violations])
"""

from __future__ import annotations

__version__ = "0.1.0"

from watchkeeper.api import check, profile, suggest_baseline
from watchkeeper.baseline import Baseline, load_baseline
from watchkeeper.checks.pipeline import CheckOutcome
from watchkeeper.checks.rules import Rules, read_rules
from watchkeeper.checks.violations import Violation
from watchkeeper.errors import WatchkeeperError
from watchkeeper.io import CsvOptions, read_batches
from watchkeeper.profile import DatasetProfile, read_profile, write_profile

__all__ = [
    "Baseline",
    "CheckOutcome",
    "CsvOptions",
    "DatasetProfile",
    "Rules",
    "Violation",
    "WatchkeeperError",
    "__version__",
    "check",
    "load_baseline",
    "profile",
    "read_batches",
    "read_profile",
    "read_rules",
    "suggest_baseline",
    "write_profile",
]
