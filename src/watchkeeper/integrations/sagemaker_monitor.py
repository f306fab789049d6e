"""SageMaker Model Monitor's bring-your-own-container contract (``watchkeeper sagemaker-monitor``).

A monitoring schedule whose ``MonitoringAppSpecification`` names an image with this
command runs watchkeeper where SageMaker's analyzer ran. The job is configured by the
environment SageMaker sets (and ``processingjobconfig.json``'s ``Environment`` beside
it, which the environment overrides):

* ``dataset_format``: ``{"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput",
  "endpointOutput"]}}`` for an endpoint's captures, or ``{"csv": {"header": true}}``,
  ``{"json": {"lines": true}}``, ``{"parquet": {}}`` for batch transform data;
* ``dataset_source``: the local folder SageMaker copied the data to. Captures lie under
  ``{endpoint}/{variant}/yyyy/mm/dd/hh/``; only records whose ``inferenceTime`` is in
  ``[start_time, end_time)`` are judged, as SageMaker may copy more;
* ``output_path``; ``baseline_statistics`` and ``baseline_constraints`` (files; either
  or neither); ``publish_cloudwatch_metrics`` (``Enabled``, the default, or
  ``Disabled``); ``sagemaker_endpoint_name``; ``sagemaker_monitoring_schedule_name``;
  ``start_time``, ``end_time``; ``analysis_type`` (``DATA_QUALITY`` by default, or
  ``MODEL_QUALITY``: see :mod:`watchkeeper.integrations.sagemaker_quality`);
  ``categorical_drift_method``; ``record_preprocessor_script`` and
  ``post_analytics_processor_script`` (see :mod:`watchkeeper.capture.scripts`).

It writes the window's ``statistics.json`` and suggested ``constraints.json`` to
``output_path``, and ``constraint_violations.json`` when there is a baseline (judged as
SageMaker judges, ``drift="sagemaker"``); with metrics enabled, CloudWatch metric records
(one JSON per line) to ``/opt/ml/output/metrics/cloudwatch``; and its one-line
``ExitMessage`` to ``/opt/ml/output/message``. Exit status 0 when the analysis completed
(with violations or not), 1 when it failed, 2 when the configuration is wrong.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import pyarrow as pa

from watchkeeper.artifacts import CONSTRAINT_VIOLATIONS, CONSTRAINTS, STATISTICS
from watchkeeper.baseline import (
    Baseline,
    categorical_drift_method_name,
    constraints_json,
    parse_constraints,
    read_constraints,
    read_statistics,
    statistics_json,
    suggest_constraints,
)
from watchkeeper.capture import read_capture
from watchkeeper.capture.assemble import METADATA, answer_columns, columns_to_judge
from watchkeeper.capture.layout import check_name
from watchkeeper.capture.scripts import (
    POSTPROCESS_HANDLER,
    RecordPreprocessor,
    load_handler,
    load_preprocessor,
    run_post_analytics,
)
from watchkeeper.checks.metrics import metric_points
from watchkeeper.checks.pipeline import CheckOutcome, run_check
from watchkeeper.checks.violations import violations_json
from watchkeeper.errors import FormatError, InputError, UsageError, WatchkeeperError
from watchkeeper.integrations.cloudwatch import metric_data
from watchkeeper.integrations.sagemaker_quality import (
    MODEL_QUALITY,
    QualitySettings,
    analyse_quality,
    quality_settings,
)
from watchkeeper.io import CsvOptions
from watchkeeper.io.storage import read_json, write_files
from watchkeeper.notify.messages import failure_reason
from watchkeeper.profile import DatasetProfile, build_profile

JOB_CONFIG = "/opt/ml/processing/processingjobconfig.json"
MESSAGE_FILE = "/opt/ml/output/message"
METRICS_DIR = "/opt/ml/output/metrics/cloudwatch"
# where tests (or a run outside a container) put what SageMaker's paths hold
JOB_CONFIG_ENV = "WATCHKEEPER_SAGEMAKER_JOB_CONFIG"
MESSAGE_ENV = "WATCHKEEPER_SAGEMAKER_MESSAGE"
METRICS_ENV = "WATCHKEEPER_SAGEMAKER_METRICS_DIR"
METRICS_FILE = "data-metrics.jsonl"
CAPTURE = "sagemakerCaptureJson"
BATCH_FORMATS = {"csv": "csv", "json": "jsonl", "parquet": "parquet"}
SIDES = ("endpointInput", "endpointOutput")
DATA_QUALITY = "DATA_QUALITY"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
EXIT_COMPLETED, EXIT_FAILED, EXIT_CONFIGURATION = 0, 1, 2


@dataclass(frozen=True)
class MonitorSettings:
    """The job as the environment describes it, validated."""

    data_format: str  # sagemakerCaptureJson, or a batch format: csv, jsonl, parquet
    dataset_source: str
    output_path: str
    sides: tuple[str, ...] = SIDES
    csv_header: bool | None = None
    baseline_statistics: str | None = None
    baseline_constraints: str | None = None
    publish_metrics: bool = True
    endpoint: str | None = None
    schedule: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    categorical_drift_method: str | None = None
    record_preprocessor: str | None = None
    post_analytics: str | None = None
    metrics_dir: str = METRICS_DIR
    quality: QualitySettings | None = None  # analysis_type MODEL_QUALITY
    environment: dict[str, str] = field(default_factory=dict)


@dataclass
class MonitorResult:
    """How the job ended: its exit status, its ``ExitMessage``, what it wrote, and notes
    (records a preprocessor failed on) for the job's log."""

    status: int
    message: str
    files: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_from_environment(environ: Mapping[str, str] | None = None) -> MonitorResult:
    """Run the job ``environ`` (the process environment by default) describes, write its
    ``ExitMessage`` and return how it ended; nothing raises."""
    environ = dict(os.environ if environ is None else environ)
    try:
        settings = read_settings(environ)
        job = _Job(settings)
    except WatchkeeperError as exc:
        result = MonitorResult(EXIT_CONFIGURATION, failure_reason(exc))
    else:
        result = job.run()
    status = "Failed: " if result.status else ""
    write_message(environ.get(MESSAGE_ENV) or MESSAGE_FILE, status + result.message)
    return result


def write_message(path: str, message: str) -> None:
    """SageMaker's ``ExitMessage`` (at most 1 KiB); outside a container the folder may
    not exist, and the message is then only printed."""
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            out.write(message.encode("utf-8")[:1024].decode("utf-8", "ignore"))
    except OSError:
        pass


# -- the environment ---------------------------------------------------------------------


def read_settings(environ: Mapping[str, str]) -> MonitorSettings:
    """The settings ``environ`` and the job config file give; a :class:`UsageError`
    naming the variable (or the file) that is wrong."""
    values = {**_job_environment(environ.get(JOB_CONFIG_ENV) or JOB_CONFIG), **environ}
    data_format, sides, header = _dataset_format(_required(values, "dataset_format"))
    analysis = values.get("analysis_type") or DATA_QUALITY
    if analysis not in (DATA_QUALITY, MODEL_QUALITY):
        raise UsageError(
            f"environment variable analysis_type: {analysis!r} is not supported; this "
            f"container runs {DATA_QUALITY} and {MODEL_QUALITY} (bias and explainability "
            "run as watchkeeper schedules of kind model-bias and model-explainability)"
        )
    settings = MonitorSettings(
        data_format=data_format,
        dataset_source=_folder(values, "dataset_source"),
        output_path=_required(values, "output_path"),
        sides=sides,
        csv_header=header,
        baseline_statistics=_file(values, "baseline_statistics"),
        baseline_constraints=_file(values, "baseline_constraints"),
        publish_metrics=_enabled(values, "publish_cloudwatch_metrics"),
        endpoint=_name(values, "sagemaker_endpoint_name"),
        schedule=values.get("sagemaker_monitoring_schedule_name") or None,
        start=_time(values, "start_time"),
        end=_time(values, "end_time"),
        categorical_drift_method=_drift_method(values),
        record_preprocessor=_file(values, "record_preprocessor_script"),
        post_analytics=_file(values, "post_analytics_processor_script"),
        metrics_dir=values.get(METRICS_ENV) or METRICS_DIR,
        quality=quality_settings(values) if analysis == MODEL_QUALITY else None,
        environment={name: value for name, value in values.items() if isinstance(value, str)},
    )
    if data_format == CAPTURE:
        needed = {"sagemaker_endpoint_name": settings.endpoint, "start_time": settings.start,
                  "end_time": settings.end}  # fmt: skip
        for name, value in needed.items():
            if value is None:
                raise UsageError(f"environment variable {name} is not set: captures need it")
        if settings.start >= settings.end:
            raise UsageError(
                "environment variables start_time and end_time: start is not before end"
            )
    elif settings.record_preprocessor:
        raise UsageError(
            "environment variable record_preprocessor_script: a record preprocessor "
            "applies to captured records (dataset_format sagemakerCaptureJson)"
        )
    return settings


def _job_environment(path: str) -> dict[str, str]:
    """``Environment`` of SageMaker's processing job config, when the file is there."""
    if not os.path.isfile(path):
        return {}
    try:
        with open(path, "rb") as source:
            document = json.load(source)
    except (OSError, ValueError) as exc:
        raise FormatError(f"{path}: not a JSON document ({exc})") from None
    environment = document.get("Environment", {}) if isinstance(document, dict) else None
    if not isinstance(environment, dict) or not all(
        isinstance(value, str) for value in environment.values()
    ):
        raise FormatError(f"{path}: Environment must map names to text values")
    return environment


def _required(values: Mapping[str, str], name: str) -> str:
    value = (values.get(name) or "").strip()
    if not value:
        raise UsageError(f"environment variable {name} is not set")
    return value


def _dataset_format(text: str) -> tuple[str, tuple[str, ...], bool | None]:
    """(format, capture sides, CSV header) of ``dataset_format``."""
    where = "environment variable dataset_format"
    try:
        document = json.loads(text)
    except ValueError:
        raise UsageError(f"{where}: not JSON: {text[:80]!r}") from None
    if not isinstance(document, dict) or len(document) != 1:
        raise UsageError(
            f"{where}: expected one of {CAPTURE}, {', '.join(BATCH_FORMATS)} as its only key"
        )
    [(kind, options)] = document.items()
    options = options if isinstance(options, dict) else {}
    if kind == CAPTURE:
        sides = options.get("captureIndexNames", list(SIDES))
        if not isinstance(sides, list) or not sides or not set(sides) <= set(SIDES):
            raise UsageError(f"{where}: captureIndexNames must list endpointInput and/or "
                             f"endpointOutput, not {sides!r}")  # fmt: skip
        return CAPTURE, tuple(sides), None
    if kind not in BATCH_FORMATS:
        raise UsageError(f"{where}: {kind!r} is not {CAPTURE}, {', '.join(BATCH_FORMATS)}")
    header = options.get("header") if kind == "csv" else None
    if header is not None and not isinstance(header, bool):
        raise UsageError(f"{where}: csv header must be true or false, not {header!r}")
    return BATCH_FORMATS[kind], SIDES, header


def _folder(values: Mapping[str, str], name: str) -> str:
    folder = _required(values, name)
    if not os.path.isdir(folder):
        raise UsageError(f"environment variable {name}: {folder} is not a folder")
    return folder


def _file(values: Mapping[str, str], name: str) -> str | None:
    path = (values.get(name) or "").strip()
    if path and not os.path.isfile(path):
        raise UsageError(f"environment variable {name}: {path} is not a file")
    return path or None


def _enabled(values: Mapping[str, str], name: str) -> bool:
    text = (values.get(name) or "Enabled").strip().lower()
    if text not in ("enabled", "disabled"):
        raise UsageError(
            f"environment variable {name}: {values[name]!r} is not Enabled or Disabled"
        )
    return text == "enabled"


def _name(values: Mapping[str, str], name: str) -> str | None:
    value = values.get(name) or None
    if value is not None:
        check_name(f"environment variable {name}:", value)
    return value


def _time(values: Mapping[str, str], name: str) -> dt.datetime | None:
    text = (values.get(name) or "").strip()
    if not text:
        return None
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"environment variable {name}: {text!r} is not a time like 2024-05-01T10:00:00Z"
        ) from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _drift_method(values: Mapping[str, str]) -> str | None:
    text = values.get("categorical_drift_method")
    if not text:
        return None
    try:
        return categorical_drift_method_name(text)
    except WatchkeeperError as exc:
        raise UsageError(f"environment variable categorical_drift_method: {exc}") from None


# -- the job -----------------------------------------------------------------------------


class _Job:
    """A configured job: its baseline and scripts are loaded (a mistake there is the
    configuration's, exit 2) before any data is read."""

    def __init__(self, settings: MonitorSettings) -> None:
        self.settings = settings
        self.baseline: Baseline | None = None
        self.quality_constraints: dict | None = None
        if settings.quality is None:
            self.baseline = _baseline(settings)
        elif settings.baseline_constraints:
            self.quality_constraints = read_json(settings.baseline_constraints)
        self.preprocessor: RecordPreprocessor | None = None
        if settings.record_preprocessor:
            self.preprocessor = load_preprocessor(settings.record_preprocessor)
        if settings.post_analytics:
            load_handler(settings.post_analytics, POSTPROCESS_HANDLER)

    def run(self) -> MonitorResult:
        notes: list[str] = []
        try:
            if self.settings.quality is None:
                outcome = self._analyse(notes)
                files, violations = self._data_quality_files(outcome), outcome.violations
                constraints = self.baseline.constraints if self.baseline is not None else None
                points = metric_points(outcome, constraints)
            else:
                data, _ = self._data(notes)
                quality = analyse_quality(
                    data, self.settings.quality, self.quality_constraints,
                    **_batch_reading(self.settings),
                )  # fmt: skip
                files, violations, points = quality.files, quality.violations, quality.points
            written = self._write(files, points)
            if self.settings.post_analytics:
                run_post_analytics(self.settings.post_analytics, dict(self.settings.environment))
        except Exception as exc:  # the window is the unit of failure: one line, exit 1
            return MonitorResult(EXIT_FAILED, failure_reason(exc), notes=notes)
        # SageMaker's wording, as every check words it
        message = CheckOutcome("", DatasetProfile(), violations).exit_message
        return MonitorResult(EXIT_COMPLETED, message, written, notes)

    def _analyse(self, notes: list[str]) -> CheckOutcome:
        settings = self.settings
        data, source = self._data(notes)
        if self.baseline is None:
            reading = _batch_reading(settings)
            profile = build_profile(data, **reading)
            if profile.rows == 0:
                raise InputError(f"{source}: no data rows to analyse")
            return CheckOutcome(source, profile, [])
        return run_check(
            data, baseline=self.baseline, drift="sagemaker", multivariate="off",
            source=source, **_batch_reading(settings),
        )  # fmt: skip

    def _data(self, notes: list[str]) -> tuple[object, str]:
        settings = self.settings
        if settings.data_format != CAPTURE:
            return settings.dataset_source, settings.dataset_source
        window = read_capture(
            settings.dataset_source, settings.endpoint, start=settings.start,
            end=settings.end, preprocessor=self.preprocessor,
        )  # fmt: skip
        if window.failed_records:
            notes.append(
                f"the record preprocessor failed on {window.failed_records} record(s): "
                + "; ".join(window.failures)
            )
        source = f"captures of {settings.endpoint} in {settings.dataset_source}"
        if not window.records:
            note = window.preprocessor_note()
            raise InputError(
                f"no captured records for {settings.endpoint} between "
                f"{settings.start:{TIME_FORMAT}} and {settings.end:{TIME_FORMAT}}"
                + (f" ({note})" if note else "")
            )
        return self._sides(window.table), source

    def _sides(self, table: pa.Table) -> pa.Table:
        """The captured columns of the sides ``captureIndexNames`` lists, as the
        baseline names them."""
        answers = set(answer_columns(table))
        if "endpointOutput" not in self.settings.sides:
            table = table.drop_columns(list(answers))
        elif "endpointInput" not in self.settings.sides:
            table = table.select([n for n in table.column_names if n in answers or n in METADATA])
        if self.baseline is not None:
            return columns_to_judge(table, self.baseline.feature_names)
        return table.drop_columns(list(METADATA))

    def _data_quality_files(self, outcome: CheckOutcome) -> dict[str, str]:
        files = {
            STATISTICS: statistics_json(outcome.profile),
            CONSTRAINTS: constraints_json(suggest_constraints(outcome.profile)),
        }
        if self.baseline is not None:
            files[CONSTRAINT_VIOLATIONS] = violations_json(outcome.violations)
        return files

    def _write(self, files: dict[str, str], points: list[tuple[str, str, float]]) -> dict:
        """The analysis' files, then its metric records: one set each."""
        written = write_files(self.settings.output_path, files)
        if self.settings.publish_metrics:
            lines = self.metric_lines(points)
            if lines:
                written.update(write_files(self.settings.metrics_dir, {METRICS_FILE: lines}))
        return written

    def metric_lines(self, points: list[tuple[str, str, float]]) -> str:
        """CloudWatch metric records of the points, one JSON document per line."""
        settings = self.settings
        dimensions = {}
        if settings.endpoint:
            dimensions["Endpoint"] = settings.endpoint
        if settings.schedule:
            dimensions["MonitoringSchedule"] = settings.schedule
        at = settings.end or dt.datetime.now(dt.UTC).replace(microsecond=0)
        items = metric_data(points, dimensions, at)
        for item in items:
            item["Timestamp"] = f"{item['Timestamp']:{TIME_FORMAT}}"
        return "".join(json.dumps(item) + "\n" for item in items)


def _batch_reading(settings: MonitorSettings) -> dict[str, object]:
    """How the profile reads a batch transform dataset (captures are a table already)."""
    if settings.data_format == CAPTURE:
        return {}
    csv = CsvOptions(header=settings.csv_header) if settings.data_format == "csv" else None
    return {"format": settings.data_format, "csv": csv}


def _baseline(settings: MonitorSettings) -> Baseline | None:
    statistics_path, constraints_path = settings.baseline_statistics, settings.baseline_constraints
    if statistics_path is None and constraints_path is None:
        return None
    statistics = read_statistics(statistics_path) if statistics_path else None
    if constraints_path:
        constraints = read_constraints(constraints_path)
    else:
        constraints = parse_constraints(suggest_constraints(statistics), statistics_path)
    if settings.categorical_drift_method:
        config = dataclasses.replace(
            constraints.config, categorical_drift_method=settings.categorical_drift_method
        )
        constraints = dataclasses.replace(constraints, config=config)
    return Baseline(statistics, constraints)
