"""A check's report and metric points logged to an MLflow run.

``watchkeeper check ... --mlflow`` (or :func:`log_check` after
:func:`watchkeeper.check`) puts what the check wrote beside a training or evaluation
run: the report pages and JSON files as artifacts, and the metric points a monitoring
execution records (SageMaker's CloudWatch names) as the run's metrics. The run and the
tracking server are chosen as for profiles (see :mod:`watchkeeper.logger.mlflow_runs`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from watchkeeper.checks.metrics import VALUE, metric_points
from watchkeeper.checks.pipeline import CheckOutcome, write_outcome
from watchkeeper.errors import WatchkeeperError
from watchkeeper.io.messages import first_line
from watchkeeper.io.storage import read_bytes
from watchkeeper.logger.mlflow_runs import (
    PREFIX,
    MlflowLoggingError,
    active_run_id,
    log_metrics,
    metric_key,
    start_run,
    tracking_client,
)


def log_check(
    outcome: CheckOutcome,
    *,
    storage_options: dict | None = None,
    when: dt.datetime | None = None,
) -> str:
    """Log a check's report and metric points to an MLflow run; returns the run's id.

    The run is the active one (or ``MLFLOW_RUN_ID``'s), else a new run of the configured
    experiment, ended with the check. Its artifacts (``report.html``, ``report.json``,
    ``statistics.json``, ``constraint_violations.json``, ...) go under
    ``watchkeeper/check/``, rendered here when the check wrote none; its metric points
    are those a monitoring execution records (SageMaker's CloudWatch names), as
    ``watchkeeper.<metric>`` for a ``Value`` and ``watchkeeper.<metric>.<statistic>``
    otherwise, with ``watchkeeper.violations``.
    """
    what = "watchkeeper check --mlflow"
    client = tracking_client(what)
    run_id = active_run_id(what)
    new = run_id is None
    status = "FAILED"
    try:
        if new:
            tags = {f"{PREFIX}.source": outcome.source[:5000], f"{PREFIX}.status": outcome.status}
            run_id = start_run(client, f"check {Path(outcome.source).name}", tags)
        _log_outcome(client, run_id, outcome, storage_options, when or dt.datetime.now(dt.UTC))
        status = "FINISHED"
    except WatchkeeperError:
        raise
    except Exception as exc:  # the tracking server or its artifact store: one line says which
        where = f"run {run_id}" if run_id else "a new run"
        raise MlflowLoggingError(
            f"{outcome.source}: the check could not be logged to MLflow ({where}): "
            f"{type(exc).__name__}: {first_line(exc)}"
        ) from exc
    finally:
        if new and run_id is not None:
            with contextlib.suppress(Exception):  # an error above is the one to tell
                client.set_terminated(run_id, status)
    return run_id


def _log_outcome(
    client: Any,
    run_id: str,
    outcome: CheckOutcome,
    storage_options: dict | None,
    when: dt.datetime,
) -> None:
    with tempfile.TemporaryDirectory(prefix="watchkeeper-mlflow-") as staging:
        if outcome.artifacts:
            for uri in outcome.artifacts.values():
                name = os.fspath(uri).replace("\\", "/").rsplit("/", 1)[-1]
                Path(staging, name).write_bytes(read_bytes(uri, storage_options))
        else:
            write_outcome(outcome, staging)
        client.log_artifacts(run_id, staging, f"{PREFIX}/check")
    constraints = outcome.baseline.constraints if outcome.baseline is not None else None
    metrics = point_metrics(metric_points(outcome, constraints))
    metrics[f"{PREFIX}.violations"] = float(len(outcome.violations))
    log_metrics(client, run_id, metrics, round(when.timestamp() * 1000))


def point_metrics(points: Iterable[tuple[str, str, float]]) -> dict[str, float]:
    """``(name, statistic, value)`` metric points as MLflow metrics.

    >>> point_metrics([("feature_data_x", "Sum", 4.0), ("feature_non_null_x", "Value", 1.0)])
    {'watchkeeper.feature_data_x.Sum': 4.0, 'watchkeeper.feature_non_null_x': 1.0}
    """
    return {
        metric_key(PREFIX, name, *([] if statistic == VALUE else [statistic])): value
        for name, statistic, value in points
    }


class MlflowMetrics:
    """A metrics destination (``--metrics mlflow``): each publish, an execution's or a
    landed file's series, becomes an MLflow run of the configured experiment (the run of
    ``MLFLOW_RUN_ID`` when set), named after its schedule or source and tagged with its
    dimensions and kind, its points metrics as :func:`point_metrics` names them, stamped
    with the execution's time.
    """

    def __init__(self) -> None:
        self._client = tracking_client("--metrics mlflow")

    def publish(
        self,
        points: Iterable[tuple[str, str, float]],
        dimensions: dict[str, str],
        *,
        kind: str,
        timestamp: dt.datetime,
    ) -> int:
        """Log ``points`` to a run; returns how many metrics went. Raises
        :class:`MlflowLoggingError` naming what failed."""
        metrics = point_metrics(points)
        if not metrics:
            return 0
        run_id = os.environ.get("MLFLOW_RUN_ID", "").strip() or None
        new = run_id is None
        status = "FAILED"
        try:
            if new:
                tags = {f"{PREFIX}.{name}": value for name, value in dimensions.items()}
                tags[f"{PREFIX}.kind"] = kind
                subject = dimensions.get("MonitoringSchedule") or next(
                    iter(dimensions.values()), kind
                )
                run_id = start_run(self._client, f"{subject} {timestamp:%Y-%m-%dT%H:%M}Z", tags)
            log_metrics(self._client, run_id, metrics, round(timestamp.timestamp() * 1000))
            status = "FINISHED"
        except Exception as exc:  # the caller records why and goes on with the next unit
            raise MlflowLoggingError(
                f"metrics not logged to MLflow: {type(exc).__name__}: {first_line(exc)}"
            ) from exc
        finally:
            if new and run_id is not None:
                with contextlib.suppress(Exception):  # an error above is the one to tell
                    self._client.set_terminated(run_id, status)
        return len(metrics)
