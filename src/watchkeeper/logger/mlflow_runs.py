"""Profiles logged to MLflow runs, and the MLflow helpers every MLflow destination uses.

``to="mlflow"`` makes a logger ship each profile to MLflow: the profile file (binary,
and JSON for reading) as artifacts under ``watchkeeper/<dataset>/``, and its summary as
metrics ``watchkeeper.<dataset>.<feature>.<figure>`` (figures: ``count``,
``null_fraction``, ``mean``, ``std``, ``min``, ``max``, ``distinct``), timestamped with
the profile's window. The run is the one active when the logger starts (``mlflow.
start_run`` in the calling thread, or ``MLFLOW_RUN_ID``); without one, every profile
gets a run of its own in the configured experiment. Where MLflow keeps runs is MLflow's
own configuration (``MLFLOW_TRACKING_URI``, ``MLFLOW_EXPERIMENT_NAME``, ...): watchkeeper
sets none of it.

MLflow allows letters, digits and ``_ . -`` (and a few more) in metric names; a name
with anything else is written with ``_`` in its place and a hash of the real name, so
that two features never share a metric and a feature keeps its metric across windows:

>>> metric_key("watchkeeper", "model-1", "age", "mean")
'watchkeeper.model-1.age.mean'
>>> metric_key("watchkeeper", "model-1", "âge (years)", "mean")
'watchkeeper.model-1._ge__years_-e177c673.mean'
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from watchkeeper.datasets.segments import META_PROFILE_ID, META_SEGMENT
from watchkeeper.errors import UsageError, WatchkeeperError
from watchkeeper.extras import needs_extra
from watchkeeper.io.messages import first_line
from watchkeeper.logger.shipping import REJECTED, RETRY, SHIPPED, Outcome
from watchkeeper.logger.windows import compact_timestamp, timestamp_text
from watchkeeper.profile import DatasetProfile, profile_to_bytes
from watchkeeper.report.table import feature_row

MLFLOW = "mlflow"
PREFIX = "watchkeeper"
# figure → the feature table's field it is (one home for each figure); the null fraction
# is the column's own, of which the table states the percentage
TABLE_FIGURES = {
    "count": "rows",
    "mean": "mean",
    "std": "std",
    "min": "min",
    "max": "max",
    "distinct": "distinct",
}
_RUN_ID = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_ALLOWED = re.compile(r"[^A-Za-z0-9_.\-]")
_MAX_KEY = 250  # MLflow's limit on a metric name
_BATCH = 1000  # MLflow's limit on metrics in one log_batch
# MLflow error codes that say "this run will never take it", not "try later"
_FOR_GOOD = {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "INVALID_STATE"}


class MlflowLoggingError(WatchkeeperError):
    """What was to be logged did not reach MLflow (the tracking server or its store)."""


def is_mlflow(to: str) -> bool:
    """Whether a logger's ``to`` names MLflow (``mlflow``, or ``mlflow:<run id>`` for a
    given run) rather than a folder or a server.

    >>> is_mlflow("mlflow"), is_mlflow("mlflow:0a1b2c"), is_mlflow("mlflow-profiles")
    (True, True, False)
    """
    name, colon, run_id = to.strip().partition(":")
    return name.lower() == MLFLOW and (not colon or _RUN_ID.fullmatch(run_id) is not None)


def mlflow_location(to: str) -> str:
    """A logger's MLflow ``to`` with its run: a plain ``mlflow`` called while a run is
    active (or ``MLFLOW_RUN_ID`` is set) becomes ``mlflow:<that run's id>``, so that its
    profiles go to that run even once the logger ships from another thread."""
    run_id = to.strip().partition(":")[2]
    run_id = run_id or active_run_id(f"watchkeeper.log(to={MLFLOW!r})") or ""
    return f"{MLFLOW}:{run_id}" if run_id else MLFLOW


def run_of(location: str) -> str | None:
    """The run id of an MLflow location made by :func:`mlflow_location`, if any."""
    return location.partition(":")[2] or None


def mlflow_module(what: str) -> Any:
    """``mlflow``, or a :class:`UsageError` naming the extra that installs it."""
    try:
        import mlflow
    except ImportError as exc:
        raise UsageError(needs_extra(what, exc) or f"{what}: {first_line(exc)}") from None
    return mlflow


def tracking_client(what: str) -> Any:
    """An ``MlflowClient`` of the tracking store MLflow is configured with; a
    :class:`UsageError` when MLflow is missing or refuses that store."""
    mlflow = mlflow_module(what)
    try:
        return mlflow.MlflowClient()
    except Exception as exc:  # e.g. a file store that MLflow 3 wants allowed explicitly
        raise UsageError(
            f"{what}: MLflow's tracking store cannot be used: {first_line(exc)}"
        ) from None


def active_run_id(what: str) -> str | None:
    """The run MLflow's ``start_run`` would continue here: the active one of this
    thread, else ``MLFLOW_RUN_ID``; None when it would start a new one."""
    run = mlflow_module(what).active_run()
    if run is not None:
        return run.info.run_id
    return os.environ.get("MLFLOW_RUN_ID", "").strip() or None


def metric_key(*parts: str) -> str:
    """``parts`` joined by ``.``, each made a legal MLflow name (see the module)."""
    cleaned = []
    for part in parts:
        legal = _ALLOWED.sub("_", part) or "_"
        if legal != part:
            legal += "-" + _digest(part)
        cleaned.append(legal)
    key = ".".join(cleaned)
    if len(key) <= _MAX_KEY:
        return key
    return key[: _MAX_KEY - 9] + "-" + _digest(key)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def summary_metrics(profile: DatasetProfile, *prefix: str) -> dict[str, float]:
    """The summary figures of every feature of ``profile`` as MLflow metrics named
    ``<prefix>.<feature>.<figure>``; a figure that does not apply (the mean of text) or
    is not finite is left out.

    >>> import pyarrow as pa
    >>> profile = DatasetProfile()
    >>> profile.track(pa.table({"x": [1.0, 3.0, None]}))
    >>> summary_metrics(profile, "watchkeeper")["watchkeeper.x.null_fraction"]
    0.3333333333333333
    """
    metrics: dict[str, float] = {}
    for name, column in profile.columns.items():
        row = feature_row(name, column)
        figures = {figure: row[field] for figure, field in TABLE_FIGURES.items()}
        figures["null_fraction"] = column.null_fraction
        for figure, value in figures.items():
            if value is not None and math.isfinite(value):
                metrics[metric_key(*prefix, name, figure)] = float(value)
    return metrics


def log_metrics(client: Any, run_id: str, metrics: Mapping[str, float], when_ms: int) -> None:
    """Log ``metrics`` to the run at ``when_ms`` in as few requests as MLflow allows."""
    from mlflow.entities import Metric

    items = [Metric(key, value, when_ms, 0) for key, value in metrics.items()]
    for start in range(0, len(items), _BATCH):
        client.log_batch(run_id, metrics=items[start : start + _BATCH])


def start_run(client: Any, name: str, tags: Mapping[str, str]) -> str:
    """A new run in the experiment MLflow is configured with; its id."""
    # the experiment ``mlflow.start_run`` would choose (set_experiment, the environment,
    # a notebook's own), without start_run's thread-local stack of active runs, which
    # would make this run the active one of whichever thread ships
    from mlflow.tracking.fluent import _get_experiment_id

    run = client.create_run(_get_experiment_id(), run_name=name, tags=dict(tags))
    return run.info.run_id


class MlflowDestination:
    """A logger's destination that logs each profile to an MLflow run (see the module).

    ``run_id`` is the run every profile goes to; None gives each profile a new run,
    named after the dataset and window and ended once the profile is in it.
    """

    def __init__(self, dataset: str, run_id: str | None = None) -> None:
        self.dataset = dataset
        self.run_id = run_id
        self.location = f"{MLFLOW} run {run_id}" if run_id else MLFLOW
        self._client = tracking_client(f"watchkeeper.log(to={MLFLOW!r})")
        # the run made for a profile whose shipment failed, so that a retry fills it
        self._started: dict[str, str] = {}

    def send(self, profile: DatasetProfile, window_ms: int) -> Outcome:
        from mlflow.exceptions import MlflowException

        profile_id = profile.metadata.get(META_PROFILE_ID) or ""
        try:
            run_id = self.run_id or self._run_for(profile, profile_id, window_ms)
            self._log(run_id, profile, profile_id, window_ms)
            if self.run_id is None:
                self._client.set_terminated(run_id)
                self._started.pop(profile_id, None)
        except MlflowException as exc:
            detail = f"MLflow: {first_line(exc)}"
            if exc.error_code not in _FOR_GOOD:
                return Outcome(RETRY, detail)
            self._give_up(profile_id)
            return Outcome(REJECTED, detail)
        except Exception as exc:
            # connection errors, storage errors of the artifact store, ...: try again
            return Outcome(RETRY, f"{type(exc).__name__}: {first_line(exc)}")
        return Outcome(SHIPPED)

    def _give_up(self, profile_id: str) -> None:
        """End as failed the run made for a profile that will not be sent again."""
        run_id = self._started.pop(profile_id, None)
        if run_id is not None:
            with contextlib.suppress(Exception):  # the refusal is what the logger reports
                self._client.set_terminated(run_id, "FAILED")

    def _run_for(self, profile: DatasetProfile, profile_id: str, window_ms: int) -> str:
        run_id = self._started.get(profile_id)
        if run_id is None:
            segment = profile.metadata.get(META_SEGMENT) or ""
            name = " ".join(filter(None, [self.dataset, segment, timestamp_text(window_ms)]))
            tags = {f"{PREFIX}.dataset": self.dataset}
            if segment:
                tags[f"{PREFIX}.segment"] = segment
            run_id = self._started[profile_id] = start_run(self._client, name, tags)
        return run_id

    def _log(self, run_id: str, profile: DatasetProfile, profile_id: str, window_ms: int) -> None:
        segment = profile.metadata.get(META_SEGMENT) or ""
        prefix = [PREFIX, self.dataset, *([segment] if segment else [])]
        stem = "-".join(filter(None, [compact_timestamp(window_ms), profile_id]))
        # folders named as the metrics are: a segment key holds "=" and "/" may be in it
        folder = "/".join(metric_key(part) for part in prefix)
        with tempfile.TemporaryDirectory(prefix="watchkeeper-mlflow-") as staging:
            Path(staging, f"{stem}.wkp").write_bytes(profile_to_bytes(profile))
            Path(staging, f"{stem}.json").write_bytes(profile_to_bytes(profile, "json"))
            self._client.log_artifacts(run_id, staging, folder)
        metrics = summary_metrics(profile, *prefix)
        metrics[metric_key(*prefix, "rows")] = float(profile.rows)
        log_metrics(self._client, run_id, metrics, window_ms)

    def close(self) -> None:
        pass
