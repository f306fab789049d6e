"""A logger's settings, checked before anything starts.

Every option is validated up front with a message saying what was wrong and what is
allowed, and resolved to one canonical value (a rotation of ``"1m"`` and of ``60`` is
the same setting), so that two sets of options can be compared.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx

from watchkeeper.datasets.segments import check_dataset_id
from watchkeeper.errors import UsageError
from watchkeeper.logger.mlflow_runs import is_mlflow, mlflow_location
from watchkeeper.logger.shipping import is_server, resolved_location
from watchkeeper.logger.windows import rotation_ms

TOKEN_VARIABLE = "WATCHKEEPER_TOKEN"
DEFAULT_MAX_PENDING = 1000

Clock = Callable[[], object]


@dataclass(frozen=True)
class Settings:
    """Resolved logger options; ``token`` never appears in the repr."""

    dataset: str
    to: str
    token: str | None = field(repr=False)
    segment_columns: tuple[str, ...]
    rotation_ms: int
    max_rows: int | None
    clock: Clock
    storage_options: dict | None = field(repr=False)
    timeout: float
    max_pending: int

    @property
    def to_server(self) -> bool:
        return is_server(self.to)

    @property
    def to_mlflow(self) -> bool:
        return is_mlflow(self.to)


def logger_settings(
    dataset: str,
    *,
    to: str | os.PathLike[str],
    token: str | None = None,
    segment_columns: str | Sequence[str] = (),
    rotation: object = "5m",
    max_rows: int | None = None,
    clock: Clock | None = None,
    storage_options: dict | None = None,
    timeout: float = 10.0,
    max_pending: int = DEFAULT_MAX_PENDING,
) -> Settings:
    """The settings of a :class:`~watchkeeper.logger.Logger` with these options."""
    target = _destination(to)
    server = is_server(target)
    return Settings(
        dataset=check_dataset_id(dataset),
        to=target,
        token=_token(token, server),
        segment_columns=_segment_columns(segment_columns),
        rotation_ms=rotation_ms(rotation),
        max_rows=_positive_count("max_rows", max_rows, optional=True),
        clock=_clock(clock),
        storage_options=_storage_options(storage_options, server or is_mlflow(target)),
        timeout=_timeout(timeout),
        max_pending=_positive_count("max_pending", max_pending),
    )


OPTIONS = (
    "token", "segment_columns", "rotation", "max_rows", "clock", "storage_options", "timeout",
    "max_pending",
)  # fmt: skip
"""The keyword options of a logger besides ``dataset`` and ``to``."""


def setting_of_option(option: str) -> str:
    """The :class:`Settings` field an option resolves to."""
    return "rotation_ms" if option == "rotation" else option


def _destination(to: object) -> str:
    if not isinstance(to, str | os.PathLike) or not os.fspath(to).strip():
        raise UsageError(
            f"to={to!r} is not a destination: pass a watchkeeper server URL "
            "('http://host:8080'), a folder or a storage URI ('s3://bucket/profiles'), "
            "or 'mlflow'"
        )
    text = os.fspath(to).strip()
    if isinstance(to, str) and is_mlflow(text):
        return mlflow_location(text)
    if is_server(text):
        try:
            host = httpx.URL(text).host
        except httpx.InvalidURL:
            host = ""
        if not host:
            raise UsageError(f"to={text!r} is not a valid server URL: write 'http://host:port'")
        return text
    return resolved_location(text)


def _token(token: object, server: bool) -> str | None:
    if token is not None and not isinstance(token, str):
        raise UsageError(f"token must be text or None, not a {type(token).__name__}")
    if token is not None and token.strip() and not server:
        raise UsageError("token is only sent to a watchkeeper server, and to= is not one")
    if token is None and server:
        # the server may hold several tokens during a rotation of secrets; any one serves
        token = os.environ.get(TOKEN_VARIABLE, "").split(",")[0]
    if token is None:
        return None
    return token.strip() or None


def _segment_columns(columns: object) -> tuple[str, ...]:
    if isinstance(columns, str):
        columns = (columns,)
    if not isinstance(columns, Sequence) or not all(
        isinstance(name, str) and name for name in columns
    ):
        raise UsageError(f"segment_columns must be a list of column names, not {columns!r}")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise UsageError(f"segment_columns names {', '.join(map(repr, repeated))} more than once")
    return tuple(columns)


def _positive_count(name: str, value: object, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        allowed = "a positive whole number" + (" or None" if optional else "")
        raise UsageError(f"{name} must be {allowed}, not {value!r}")
    return value


def _clock(clock: object) -> Clock:
    if clock is None:
        return time.time
    if not callable(clock):
        raise UsageError(
            f"clock must be a function returning the time (like time.time), not {clock!r}"
        )
    return clock


def _storage_options(options: object, server: bool) -> dict | None:
    if options is None:
        return None
    if not isinstance(options, dict):
        raise UsageError(f"storage_options must be a dict, not a {type(options).__name__}")
    if server:
        raise UsageError("storage_options apply to a storage location, and to= is not one")
    return options


def _timeout(timeout: object) -> float:
    if (
        isinstance(timeout, bool)
        or not isinstance(timeout, int | float)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise UsageError(f"timeout must be a positive number of seconds, not {timeout!r}")
    return float(timeout)
