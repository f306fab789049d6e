"""``watchkeeper.log``: one call from an application, one logger per dataset and place.

The first call for a dataset and destination starts a :class:`Logger`; later calls
reuse it. Options may be repeated on every call (the usual way, from one call site)
but may not change: a logger cannot be two loggers at once.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from typing import Any

from watchkeeper.datasets.segments import check_dataset_id
from watchkeeper.errors import UsageError
from watchkeeper.logger.logger import Logger
from watchkeeper.logger.settings import OPTIONS, Settings, logger_settings, setting_of_option
from watchkeeper.logger.shipping import shown_location
from watchkeeper.logger.windows import describe_rotation

URL_VARIABLE = "WATCHKEEPER_URL"

_loggers: dict[tuple[str, str], Logger] = {}
_lock = threading.Lock()


def log(
    data: object,
    dataset: str,
    *,
    to: str | os.PathLike[str] | None = None,
    timestamp: dt.datetime | None = None,
    **options: Any,
) -> Logger:
    """Profile ``data`` into the dataset's logger, started on first use; returns it.

    Parameters
    ----------
    data : DataFrame, Table, RecordBatch, dict or list of dicts
        The rows, as :meth:`Logger.log` takes them.
    dataset : str
        The dataset id.
    to : str or path, optional
        Where profiles go (see :class:`Logger`): a server URL, a folder or storage URI,
        or ``"mlflow"``; by default the ``WATCHKEEPER_URL`` environment variable, else
        the folder ``profiles`` of the workspace (``WATCHKEEPER_HOME``, else
        ``./.watchkeeper``).
    timestamp : datetime, optional
        When the rows happened, for rows logged late.
    **options
        The other options of :class:`Logger` (``rotation``, ``segment_columns``,
        ``token``, ``max_rows``, …), used when the logger starts. Later calls for the
        same dataset and destination may repeat them but not change them.

    Raises
    ------
    UsageError
        An option is unknown, not allowed, or differs from the one the dataset's
        logger was started with; the data cannot be logged.

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> logger = log({"score": [0.2, 0.9]}, "churn", to=folder, rotation="1h")
    >>> log({"score": 0.4}, "churn", to=folder) is logger
    True
    >>> close_all()
    >>> logger.shipped
    1
    """
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise UsageError(
            f"unknown option(s) {', '.join(map(repr, unknown))}: the options are "
            f"{', '.join(OPTIONS)}"
        )
    logger = logger_for(dataset, to=to, **options)
    logger.log(data, timestamp=timestamp)
    return logger


def logger_for(dataset: str, *, to: str | os.PathLike[str] | None = None, **options: Any) -> Logger:
    """The logger :func:`log` uses for ``dataset`` and ``to``, started if need be."""
    wanted = logger_settings(
        check_dataset_id(dataset), to=default_destination() if to is None else to, **options
    )
    with _lock:
        logger = _loggers.get((wanted.dataset, wanted.to))
        if logger is not None and not logger.closed:
            _check_same(logger, wanted, options)
            return logger
        logger = Logger(wanted.dataset, to=wanted.to, **options)
        _loggers[(wanted.dataset, wanted.to)] = logger
        return logger


def close_all() -> None:
    """Close every logger :func:`log` started (flushing them), e.g. when an app stops."""
    with _lock:
        loggers = list(_loggers.values())
        _loggers.clear()
    for logger in loggers:
        logger.close()


def default_destination() -> str | os.PathLike[str]:
    """``WATCHKEEPER_URL``, else the workspace's ``profiles`` folder."""
    configured = os.environ.get(URL_VARIABLE, "").strip()
    if configured:
        return configured
    from watchkeeper.catalog import workspace  # the catalog's database layer loads on demand

    return workspace() / "profiles"


def _check_same(logger: Logger, wanted: Settings, options: dict[str, Any]) -> None:
    for option in options:
        name = setting_of_option(option)
        started, asked = getattr(logger.settings, name), getattr(wanted, name)
        if started == asked:
            continue
        if option in _SECRET:
            difference = f"with different {option} than this call passes"
        else:
            difference = (
                f"with {_shown(option, started)}; this call asks for {_shown(option, asked)}"
            )
        raise UsageError(
            f"the logger of dataset {logger.dataset!r} to {shown_location(wanted.to)!r} was "
            f"started {difference}: pass the same options on every call, or use a Logger of "
            "your own"
        )


# options that may hold credentials, whose values no message shows
_SECRET = ("token", "storage_options")


def _shown(option: str, value: object) -> str:
    if option == "rotation":
        return f"rotation={describe_rotation(value)!r}"  # type: ignore[arg-type]
    return f"{option}={value!r}"
