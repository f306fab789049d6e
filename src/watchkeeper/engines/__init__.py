"""Distributed execution: the same profiles and verdicts computed by a cluster.

This package never imports an engine's library itself, so that ``import watchkeeper``
stays light: :func:`is_spark_frame` recognises a pyspark DataFrame by its type's module,
and :func:`spark_engine` loads :mod:`watchkeeper.engines.spark` on first use.

>>> is_spark_frame([1, 2, 3])
False
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from types import ModuleType

from watchkeeper.errors import UsageError

ENGINES = ("local", "spark")
SPARK_INSTALL_HINT = "pyspark is not installed; install watchkeeper[spark] to use the Spark engine"


def is_spark_frame(data: object) -> bool:
    """Whether ``data`` is a pyspark DataFrame (classic or Spark Connect)."""
    kind = type(data)
    return kind.__module__.startswith("pyspark.") and kind.__name__ == "DataFrame"


def spark_engine() -> ModuleType:
    """:mod:`watchkeeper.engines.spark`, or a :class:`UsageError` saying how to install it."""
    try:
        importlib.import_module("pyspark")
    except ImportError:
        raise UsageError(SPARK_INSTALL_HINT) from None
    return importlib.import_module("watchkeeper.engines.spark")


def parse_confs(pairs: Iterable[str]) -> dict[str, str]:
    """``KEY=VALUE`` texts (``--spark-conf``) as a mapping; a text without ``=`` is a
    :class:`UsageError`.

    >>> parse_confs(["spark.executor.memory=2g", "spark.a=b=c"])
    {'spark.executor.memory': '2g', 'spark.a': 'b=c'}
    """
    confs = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals or not key.strip():
            raise UsageError(
                f"--spark-conf {pair!r} is not KEY=VALUE (e.g. spark.executor.memory=4g)"
            )
        confs[key.strip()] = value
    return confs


def check_engine(name: str) -> str:
    """``name`` if it is a known engine, else a :class:`UsageError` listing them.

    >>> check_engine("spark")
    'spark'
    """
    if name not in ENGINES:
        raise UsageError(f"engine {name!r} is not known; use one of {', '.join(ENGINES)}")
    return name


__all__ = [
    "ENGINES",
    "SPARK_INSTALL_HINT",
    "check_engine",
    "is_spark_frame",
    "parse_confs",
    "spark_engine",
]
