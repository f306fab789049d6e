"""S3 event notifications: the objects they name, checked as the watcher checks them."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from watchkeeper.catalog import Catalog, ProcessedObject
from watchkeeper.errors import InputError
from watchkeeper.notify import Notifier
from watchkeeper.notify.messages import failure_alert
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
    """
    if isinstance(event, bytes | str):
        try:
            event = json.loads(event)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return [], [f"the event is not valid JSON ({exc})"]
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        return [], ["the event has no Records list"]
    found, problems = [], []
    for position, record in enumerate(records):
        try:
            s3 = record["s3"]
            name = s3["bucket"]["name"]
            raw_key = s3["object"]["key"]
            if not isinstance(name, str) or not isinstance(raw_key, str) or not name or not raw_key:
                raise TypeError("bucket name and object key must be non-empty text")
        except (KeyError, TypeError) as exc:
            problems.append(f"record {position + 1} names no bucket and key ({exc})")
            continue
        details = s3["object"]
        found.append(
            EventObject(
                name,
                unquote_plus(raw_key),
                details.get("eTag") or details.get("etag"),
                details.get("size"),
            )
        )
    return found, problems


def handle_event(
    event: Any,
    *,
    settings: WatchSettings,
    catalog: Catalog,
    notifier: Notifier,
    filters: Filters | None = None,
) -> list[ProcessedObject]:
    """Check every object an S3 event names (the code path of the watcher).

    An object already processed at the same version is not checked again; an object
    that cannot be read, and a record or event that cannot be parsed, gives a failure
    record and a message, and the other records are still handled.
    """
    objects, problems = parse_event(event)
    results = [_bad_event(problem, event, catalog, notifier) for problem in problems]
    for named in objects:
        location = Location(f"s3://{named.bucket}/", settings.storage_options)
        wanted = filters or Filters(exclude=(settings.reports_key(location) or "",))
        if not wanted.wants(named.key):
            log.info("s3://%s/%s: filtered out", named.bucket, named.key)
            continue
        try:
            item = _object(location, named)
        except (InputError, OSError) as exc:
            results.append(_unreadable(location, named, exc, catalog, notifier))
            continue
        if catalog.is_processed(item.uri, item.version):
            continue
        results.append(FileChecker(location, settings, catalog, notifier).process(item))
    notifier.flush()
    return results


def _object(location: Location, named: EventObject) -> LandedObject:
    if named.etag:
        uri = location.uri(named.key)
        return LandedObject(uri, named.key, named.etag.strip('"'), int(named.size or 0), 0.0)
    try:
        return location.describe(named.key)
    except FileNotFoundError as exc:
        raise InputError("the object no longer exists (deleted before it was read)") from exc


def _unreadable(location, named, exc, catalog, notifier) -> ProcessedObject:
    uri = location.uri(named.key)
    reason = str(exc)
    record = ProcessedObject(location.display, uri, named.etag or "unknown", FAILED, error=reason)
    catalog.record(record, notifier.rows(failure_alert(uri, reason)))
    return record


def _bad_event(problem: str, event: Any, catalog: Catalog, notifier: Notifier) -> ProcessedObject:
    text = event if isinstance(event, str) else json.dumps(event, default=str, sort_keys=True)
    digest = hashlib.sha256(str(text).encode()).hexdigest()[:16]
    record = ProcessedObject("s3-event", f"event:{digest}", digest, FAILED, error=problem)
    if not catalog.is_processed(record.key, record.version):
        catalog.record(record, notifier.rows(failure_alert("an S3 event", problem)))
    log.warning("could not read an S3 event: %s", problem)
    return record
