"""Profile logging from an application's own code.

Call :func:`log` wherever rows pass by, on every request or micro-batch; watchkeeper
profiles them in memory and ships one profile per rotation window (and segment) to a
watchkeeper server, a storage location or MLflow runs::

    import watchkeeper

    watchkeeper.log(features, dataset="model-1", to="http://watchkeeper:8080")

Rows are held only until they are profiled (a second or a few thousand rows at most);
what is kept is their profile, whose size does not grow with the rows. For more
control, or several destinations, use a :class:`Logger` of your own.
"""

from __future__ import annotations

from watchkeeper.logger.logger import Logger
from watchkeeper.logger.registry import close_all, log, logger_for

__all__ = ["Logger", "close_all", "log", "logger_for"]
