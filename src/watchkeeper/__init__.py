"""watchkeeper: self-hosted monitoring for the data flowing into ML models.

The three verbs of the command line, in Python::

    import watchkeeper

    profile = watchkeeper.profile("data.csv")
    baseline = watchkeeper.suggest_baseline("train.csv", "baseline/")
    outcome = watchkeeper.check("today.csv", "baseline/", output="out/")
    print(outcome.status, [v.description for v in outcome.violations])
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING

from watchkeeper.lazy import lazy_exports
from watchkeeper.version import __version__

# Every name is imported on first use, so that `import watchkeeper` (and with it each
# command of the CLI) pays only for what it calls: profiling a file never loads the
# statistics libraries that only checks need, and `watchkeeper --help` loads no pyarrow.
__getattr__ = lazy_exports(
    __name__,
    {
        "check": "watchkeeper.api",
        "compare": "watchkeeper.api",
        "show": "watchkeeper.notebook",
        "profile": "watchkeeper.api",
        "suggest_baseline": "watchkeeper.api",
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
    },
)[0]


class _Package(ModuleType):
    """``watchkeeper.profile`` is the verb, not the subpackage of the same name.

    Importing a subpackage binds it on its parent; that would replace the function the
    first time anything imports ``watchkeeper.profile.…``. The subpackage stays reachable
    as ``sys.modules["watchkeeper.profile"]`` and by ``from watchkeeper.profile import …``.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name == "profile" and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

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
    "compare",
    "load_baseline",
    "log",
    "profile",
    "read_batches",
    "read_profile",
    "read_rules",
    "show",
    "suggest_baseline",
    "write_profile",
]

if TYPE_CHECKING:
    from watchkeeper.api import check, compare, profile, suggest_baseline
    from watchkeeper.baseline import Baseline, load_baseline
    from watchkeeper.checks.pipeline import CheckOutcome
    from watchkeeper.checks.rules import Rules, read_rules
    from watchkeeper.checks.violations import Violation
    from watchkeeper.errors import WatchkeeperError
    from watchkeeper.io import CsvOptions, read_batches
    from watchkeeper.logger import Logger, log
    from watchkeeper.notebook import show
    from watchkeeper.profile import DatasetProfile, read_profile, write_profile


def __dir__() -> list[str]:
    return sorted(__all__)


# Profiles and explanations live below the report pages, so they cannot render
# themselves: in IPython (a Jupyter or VS Code kernel) its formatters show them, by
# name, so that nothing is imported until one is shown.
_SHOWN_BY_IPYTHON = (
    ("watchkeeper.profile.dataset", "DatasetProfile"),
    ("watchkeeper.explain.kernel", "Explanation"),
)


def _html(value: object) -> str:
    from watchkeeper.notebook import html

    return html(value)


def _pretty(value: object, printer: object, cycle: bool) -> None:
    from watchkeeper.notebook import pretty

    pretty(value, printer, cycle)


def _register_with_ipython() -> None:
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if hasattr(ipython, "get_ipython") else None
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", None)
    if not formatters:
        return
    for module, name in _SHOWN_BY_IPYTHON:
        formatters["text/html"].for_type_by_name(module, name, _html)
        formatters["text/plain"].for_type_by_name(module, name, _pretty)


_register_with_ipython()
