"""SageMaker's record preprocessor and post-analytics processor scripts.

A record preprocessor is a Python file defining ``preprocess_handler(inference_record)``
(or ``preprocess_handler(inference_record, logger)``), called once per captured record
of the window. It returns a dict (one row: its keys become columns), a list of dicts
(several rows) or ``None`` / an empty list (the record is left out)::

    import json

    def preprocess_handler(inference_record):
        if inference_record.event_metadata.inference_id == "load-test":
            return None
        features = json.loads(inference_record.endpoint_input.data)
        answer = json.loads(inference_record.endpoint_output.data)
        return {**features, "score": answer["score"]}

Keys made only of digits are positions, as SageMaker's examples write them
(``str(i).zfill(20)``): they become ``_c0, _c1, …`` and are matched to the baseline's
features by position. A record on which the script raises, or for which it returns
something else, is one failed record with its reason; the other records go on.

A post-analytics processor defines ``postprocess_handler()``, run once the analysis has
written its files; it finds where they are in the environment SageMaker gives it
(``output_path``, see :func:`post_analytics_environment`).
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from watchkeeper.capture.assemble import METADATA, typed_text_column
from watchkeeper.errors import UsageError, WatchkeeperError

PREPROCESS_HANDLER = "preprocess_handler"
POSTPROCESS_HANDLER = "postprocess_handler"
# the failures a window keeps the words of; the rest are counted
KEPT_FAILURES = 20
log = logging.getLogger("watchkeeper.capture.scripts")


def load_handler(path: str | os.PathLike[str], handler: str) -> Callable[..., Any]:
    """The function ``handler`` of the Python file ``path``; a :class:`UsageError` naming
    the file when it is missing, cannot be imported or lacks the function."""
    where = os.fspath(path)
    if not os.path.isfile(where):
        raise UsageError(f"script {where}: no such file")
    # a name of its own, so that two scripts named alike do not replace each other
    spec = importlib.util.spec_from_file_location(f"watchkeeper_script_{uuid.uuid4().hex}", where)
    if spec is None or spec.loader is None:
        raise UsageError(f"script {where}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # a user's script may raise anything, SystemExit included
        raise UsageError(f"script {where} cannot be loaded: {_reason(exc)}") from None
    function = getattr(module, handler, None)
    if not callable(function):
        raise UsageError(f"script {where} defines no function {handler}()")
    return function


def load_preprocessor(path: str | os.PathLike[str]) -> RecordPreprocessor:
    """The record preprocessor of the script at ``path``, checked to take a record."""
    function = load_handler(path, PREPROCESS_HANDLER)
    arguments = _positional_arguments(function)
    if arguments is not None and arguments not in (1, 2):
        raise UsageError(
            f"script {os.fspath(path)}: {PREPROCESS_HANDLER} must take (inference_record) "
            "or (inference_record, logger)"
        )
    return RecordPreprocessor(os.fspath(path), function, with_logger=arguments == 2)


def _positional_arguments(function: Callable[..., Any]) -> int | None:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return None
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(1 for p in parameters if p.kind in kinds and p.default is inspect.Parameter.empty)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- the record a preprocessor receives, named as SageMaker names it ---------------------


@dataclass(frozen=True)
class CapturedData:
    """One side of a captured record: ``data`` is the payload text as captured."""

    observed_content_type: str | None
    mode: str
    data: str | None
    encoding: str | None


@dataclass(frozen=True)
class EventMetadata:
    event_id: str | None
    inference_id: str | None
    inference_time: str | None
    custom_attribute: list[str] | None = None


@dataclass(frozen=True)
class InferenceRecord:
    """What ``preprocess_handler`` receives for one captured record."""

    endpoint_input: CapturedData
    endpoint_output: CapturedData
    event_metadata: EventMetadata
    event_version: str = "0"


# -- running a preprocessor over a window ------------------------------------------------


@dataclass
class Preprocessed:
    """The rows a preprocessor made of a window's records.

    ``records`` counts the records that gave rows, ``dropped`` those it left out and
    ``failed`` those it failed on; ``failures`` holds the first reasons.
    """

    table: pa.Table
    records: int
    dropped: int
    failed: int
    failures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RecordPreprocessor:
    """A loaded ``preprocess_handler`` and the script it came from."""

    path: str
    function: Callable[..., Any]
    with_logger: bool = False

    def __call__(self, records: pa.Table) -> Preprocessed:
        """The rows of ``records`` (the flat columns the capture reader parses, with
        ``inference_time``): each record passes through the handler."""
        rows: list[dict[str, Any]] = []
        record_of_row: list[int] = []
        dropped = failed = 0
        failures: list[str] = []
        columns = records.to_pydict()
        for index in range(records.num_rows):
            record = _inference_record(columns, index)
            try:
                made = self._rows(record)
            except Exception as exc:  # a script's failure on one record is that record's
                failed += 1
                reason = f"record {record.event_metadata.event_id}: {_reason(exc)}"
                log.warning("%s: %s", self.path, reason)
                if len(failures) < KEPT_FAILURES:
                    failures.append(reason)
                continue
            if not made:
                dropped += 1
            rows += made
            record_of_row += [index] * len(made)
        table = _table(rows, records.take(pa.array(record_of_row, pa.int64())))
        return Preprocessed(table, records.num_rows - dropped - failed, dropped, failed, failures)

    def _rows(self, record: InferenceRecord) -> list[dict[str, Any]]:
        made = self.function(record, log) if self.with_logger else self.function(record)
        if made is None:
            return []
        if isinstance(made, Mapping):
            made = [made]
        if not isinstance(made, list | tuple) or not all(isinstance(r, Mapping) for r in made):
            raise TypeError(
                f"{PREPROCESS_HANDLER} returned {type(made).__name__}, not a dict, "
                "a list of dicts or None"
            )
        return [{str(key): value for key, value in row.items()} for row in made]


def _inference_record(columns: dict[str, list], index: int) -> InferenceRecord:
    def side(prefix: str, mode: str) -> CapturedData:
        return CapturedData(
            columns[f"{prefix}_type"][index], mode,
            columns[f"{prefix}_data"][index], columns[f"{prefix}_encoding"][index],
        )  # fmt: skip

    return InferenceRecord(
        side("in", "INPUT"),
        side("out", "OUTPUT"),
        EventMetadata(
            columns["event_id"][index], columns["inference_id"][index], columns["time_text"][index]
        ),
    )


def _table(rows: list[dict[str, Any]], records: pa.Table) -> pa.Table:
    """The rows as typed columns (as captured payloads are typed), then the records'
    metadata columns, one per row."""
    keys: dict[str, None] = {}
    for row in rows:
        keys.update(dict.fromkeys(row))
    names = {key: key for key in keys}
    if keys and all(key.isdigit() for key in keys):
        names = {key: f"_c{int(key)}" for key in sorted(keys, key=int)}
    arrays = [_column([row.get(key) for row in rows]) for key in names]
    metadata = [records[name].combine_chunks() for name in ("event_id", "inference_id")]
    metadata.append(records["inference_time"].combine_chunks())
    return pa.Table.from_arrays([*arrays, *metadata], names=[*names.values(), *METADATA])


def _column(values: list[Any]) -> pa.Array:
    """The returned values of one key as a column typed as captured fields are: numbers
    converted by Arrow at once; text, and mixed or nested values (through their text),
    typed as a captured payload's fields are."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        array = None
    if array is not None:
        if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
            return array.cast(pa.int64() if pa.types.is_integer(array.type) else pa.float64())
        if pa.types.is_string(array.type) or pa.types.is_null(array.type):
            return typed_text_column(array.cast(pa.string()))
    return typed_text_column(pa.array([_text(value) for value in values], pa.string()))


def _text(value: Any) -> str | None:
    """A returned value as the text a captured field would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, default=str)


# -- post-analytics --------------------------------------------------------------------

_environment_lock = threading.Lock()


@contextmanager
def post_analytics_environment(values: Mapping[str, str]) -> Iterator[None]:
    """The process environment with ``values`` set (``output_path``,
    ``sagemaker_endpoint_name``, ``start_time`` …, as SageMaker's container has them)
    while a ``postprocess_handler`` runs; one handler at a time."""
    with _environment_lock:
        saved = {name: os.environ.get(name) for name in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def run_post_analytics(path: str | os.PathLike[str], environment: Mapping[str, str]) -> None:
    """Load the script at ``path`` and run its ``postprocess_handler()`` in
    ``environment``; a handler that raises becomes a :class:`ScriptError` naming it."""
    function = load_handler(path, POSTPROCESS_HANDLER)
    with post_analytics_environment(environment):
        try:
            function()
        except Exception as exc:  # the user's code: its failure, named, never a traceback
            raise ScriptError(
                f"post-analytics script {os.fspath(path)} failed: {_reason(exc)}"
            ) from None


class ScriptError(WatchkeeperError):
    """A user's script that failed while it ran (not while it loaded)."""
