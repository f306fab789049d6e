"""Exceptions raised to users.

Every error watchkeeper raises on purpose is a :class:`WatchkeeperError` whose message
is one line a person can act on: it names the file, column or option and says what is
wrong. The CLI prints that line and exits with status 2; it never shows a traceback
for these.
"""

from __future__ import annotations


class WatchkeeperError(Exception):
    """Base class of the errors watchkeeper raises on purpose."""


class InputError(WatchkeeperError):
    """Data that cannot be read: a missing, empty, malformed or unreadable source."""


class FormatError(WatchkeeperError):
    """A watchkeeper or SageMaker artefact (profile, statistics, constraints, rules) is invalid."""


class SchemaError(WatchkeeperError):
    """Two inputs that must describe the same columns do not."""


class UsageError(WatchkeeperError):
    """An argument or option has a value that is not allowed."""
