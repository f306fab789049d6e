"""Spark's failures as one line a person can act on.

Spark's exceptions carry the JVM's stack trace, and a failure inside a Python worker
carries that worker's traceback: the line that says what went wrong is the first of
the former and the last of the latter.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from py4j.protocol import Py4JError
from pyspark.errors import PySparkException

from watchkeeper.errors import InputError
from watchkeeper.io.messages import first_line


@contextmanager
def spark_failures(prefix: str) -> Iterator[None]:
    """Re-raise Spark's failures as an :class:`InputError`: ``prefix``, then what failed."""
    try:
        yield
    except (PySparkException, Py4JError) as exc:
        raise InputError(f"{prefix}: {failure_line(exc)}") from None


def failure_line(exc: BaseException) -> str:
    """The line of a Spark failure that says what went wrong.

    >>> failure_line(Exception("worker failed\\nTraceback (most recent call last):\\n"
    ...                        "  File 'x'\\nValueError: bad value\\n"))
    'ValueError: bad value'
    """
    java = getattr(exc, "java_exception", None)  # py4j's own message names only the call
    text = str(java) if java is not None else str(exc)
    if "Traceback (most recent call last)" in text:
        lines = [line for line in text.splitlines() if line.strip()]
        return first_line(Exception(lines[-1].strip()))
    return first_line(Exception(text))
