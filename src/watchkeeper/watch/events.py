"""S3 event notifications: the objects they name, checked as the watcher checks them."""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from watchkeeper.baseline.fields import shown
from watchkeeper.catalog import Catalog, ProcessedObject
from watchkeeper.checks.metrics import MetricsDestination
from watchkeeper.errors import InputError
from watchkeeper.notify import Notifier
from watchkeeper.notify.messages import failure_alert, failure_reason
from watchkeeper.watch.isolation import ChildProcess, InProcess
from watchkeeper.watch.objects import Filters, LandedObject, Location
from watchkeeper.watch.process import FAILED, FileChecker, WatchSettings

log = logging.getLogger("watchkeeper.watch")


@dataclass(frozen=True)
class EventObject:
    """What one record of an event names: a bucket, a key and, if given, a version."""

    bucket: str
    key: str
    etag: str | None = None
    size: int | None = None


def parse_event(event: Any) -> tuple[list[EventObject], list[str]]:
    """The objects an S3 event notification names, and a reason for each bad record.

    ``event`` is the notification as a dict, or its JSON text. Keys arrive URL-encoded
    (``a+b%2Bc.csv`` is ``a b+c.csv``), as S3 sends them.

    >>> found, problems = parse_event(
    ...     '{"Records": [{"s3": {"bucket": {"name": "landing"},'
    ...     ' "object": {"key": "day+1.csv", "size": 7}}}, {"s3": {}}]}'
    ... )
    >>> found
    [EventObject(bucket='landing', key='day 1.csv', etag=None, size=7)]
    >>> problems
    ['record 2: s3.bucket is missing or not an object']
    """
    if isinstance(event, bytes | str):
        try:
            event = json.loads(event)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return [], [f"the event is not valid JSON ({exc})"]
        except RecursionError:
            return [], ["the event is not readable JSON (nested too deeply)"]
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        return [], ["the event has no Records list"]
    found, problems = [], []
    for position, record in enumerate(records):
        try:
            found.append(_event_object(record))
        except ValueError as exc:
            problems.append(f"record {position + 1}: {exc}")
    return found, problems


# The characters of S3 bucket names (legacy buckets add upper case and underscores): a
# name is one segment of a URI, never a path or a line break.
_BUCKET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")


def _event_object(record: Any) -> EventObject:
    """The object one record names; ValueError saying which field is wrong."""
    s3 = _part(record, "s3", "")
    bucket, details = _part(s3, "bucket", "s3."), _part(s3, "object", "s3.")
    name, raw_key = bucket.get("name"), details.get("key")
    if not isinstance(name, str) or not _BUCKET.fullmatch(name):
        raise ValueError(f"s3.bucket.name is {shown(name)}; expected an S3 bucket name")
    key = unquote_plus(raw_key) if isinstance(raw_key, str) else ""
    if not key:
        raise ValueError(f"s3.object.key is {shown(raw_key)}; expected an object key")
    etag = details.get("eTag") or details.get("etag")
    if etag is not None and not (isinstance(etag, str) and etag.strip('"')):
        raise ValueError(f"s3.object.eTag is {shown(etag)}; expected text")
    size = details.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise ValueError(f"s3.object.size is {shown(size)}; expected a number of bytes")
    return EventObject(name, key, etag, size)


def _part(parent: Any, name: str, path: str) -> dict[str, Any]:
    part = parent.get(name) if isinstance(parent, dict) else None
    if not isinstance(part, dict):
        raise ValueError(f"{path}{name} is missing or not an object")
    return part


def handle_event(
    event: Any,
    *,
    settings: WatchSettings,
    catalog: Catalog,
    notifier: Notifier,
    filters: Filters | None = None,
    isolation: InProcess | ChildProcess | None = None,
    metrics: MetricsDestination | None = None,
) -> list[ProcessedObject]:
    """Check every object an S3 event names (the code path of the watcher).

    Each record is a unit of failure: an object already processed at the same version
    (or being checked by another process) is not checked again; an object that cannot
    be read or checked — however that fails — and a record or event that cannot be
    parsed, each give a failure record and a message, and the other records are still
    handled. ``isolation`` runs each check (see :mod:`watchkeeper.watch.isolation`);
    ``metrics`` receives each checked object's series (see :class:`FileChecker`).
    """
    objects, problems = parse_event(event)
    results = [_bad_event(problem, event, catalog, notifier) for problem in problems]
    checkers: dict[str, FileChecker] = {}
    for named in objects:
        try:
            record = _handle(named, settings, catalog, notifier, filters, isolation, checkers,
                             metrics)  # fmt: skip
        except Exception as exc:  # whatever one record does is that record's failure
            record = _unreadable(named, failure_reason(exc), catalog, notifier)
        if record is not None:
            results.append(record)
    notifier.flush()
    return results


def _handle(named, settings, catalog, notifier, filters, isolation, checkers, metrics):
    location = Location(f"s3://{named.bucket}/", settings.storage_options)
    wanted = filters or Filters(exclude=(settings.reports_key(location) or "",))
    if not wanted.wants(named.key):
        log.info("s3://%s/%s: filtered out", named.bucket, named.key)
        return None
    try:
        item = _object(location, named)
    except (InputError, OSError) as exc:
        return _unreadable(named, str(exc), catalog, notifier)
    if catalog.is_processed(item.uri, item.version):
        return None
    if named.bucket not in checkers:
        checkers[named.bucket] = FileChecker(
            location, settings, catalog, notifier, isolation, metrics
        )
    return checkers[named.bucket].process(item)


def _object(location: Location, named: EventObject) -> LandedObject:
    if named.etag:
        uri = location.uri(named.key)
        return LandedObject(uri, named.key, named.etag.strip('"'), int(named.size or 0), 0.0)
    try:
        return location.describe(named.key)
    except FileNotFoundError as exc:
        raise InputError("the object no longer exists (deleted before it was read)") from exc


def _unreadable(named: EventObject, reason: str, catalog, notifier) -> ProcessedObject | None:
    uri = f"s3://{named.bucket}/{named.key}"
    version = (named.etag or "unknown").strip('"')
    record = ProcessedObject(f"s3://{named.bucket}/", uri, version, FAILED, error=reason)
    if not catalog.record(record, notifier.rows(failure_alert(uri, reason))):
        return None  # the same event again: recorded and alerted the first time
    log.warning("could not read %s: %s", uri, reason)
    return record


def _bad_event(problem: str, event: Any, catalog: Catalog, notifier: Notifier) -> ProcessedObject:
    text = event if isinstance(event, str) else json.dumps(event, default=str, sort_keys=True)
    digest = hashlib.sha256(str(text).encode()).hexdigest()[:16]
    record = ProcessedObject("s3-event", f"event:{digest}", digest, FAILED, error=problem)
    if not catalog.is_processed(record.key, record.version):
        catalog.record(record, notifier.rows(failure_alert("an S3 event", problem)))
    log.warning("could not read an S3 event: %s", problem)
    return record
