"""Names a package offers that are imported on first use (PEP 562).

A package's ``__init__`` re-exports names from its modules so that callers write
``from watchkeeper.catalog import Catalog``; importing them all eagerly would make every
``import watchkeeper.catalog.times`` pay for SQLAlchemy, and every command of the CLI pay
for all the others. With :func:`lazy_exports` each name is imported when it is first
asked for, and then kept.

>>> import types
>>> package = types.ModuleType("demo")
>>> package.__getattr__, package.__dir__ = lazy_exports("demo", {"sqrt": "math"})
>>> package.sqrt(9.0)
3.0
>>> "sqrt" in package.__dir__()
True
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``, whose names in ``homes`` (name →
    the module that defines it) are imported on first use."""

    def __getattr__(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        # kept, so the next lookup is an ordinary attribute
        module = sys.modules.get(package)
        if module is not None:
            vars(module)[name] = value
        return value

    def __dir__() -> list[str]:
        module = sys.modules.get(package)
        present = set(vars(module)) if module is not None else set()
        return sorted(present | set(homes))

    return __getattr__, __dir__
