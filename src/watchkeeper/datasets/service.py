"""Receiving profiles, merging them into batches, evaluating and alerting.

>>> import tempfile, pyarrow as pa
>>> from watchkeeper.catalog import Catalog
>>> from watchkeeper.profile import DatasetProfile, profile_to_bytes
>>> folder = tempfile.mkdtemp()
>>> service = DatasetService(Catalog(f"sqlite:///{folder}/catalog.db"))
>>> profile = DatasetProfile()
>>> profile.track(pa.table({"x": [1.0, 2.0, 3.0]}))
>>> for hour in ("09", "10"):
...     _ = service.receive("model-1", profile, timestamp=f"2026-11-20T{hour}:15Z")
>>> service.refresh("model-1")
>>> hours = service.batches("model-1", granularity="hour")
>>> [(batch.start.hour, batch.rows) for batch in hours]
[(9, 3), (10, 3)]
>>> [batch.rows for batch in service.batches("model-1", granularity="day")]
[6]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from watchkeeper.catalog import Catalog
from watchkeeper.catalog.datasets import (
    DAY,
    HOUR,
    Batch,
    Dataset,
    DatasetStore,
)
from watchkeeper.catalog.times import as_utc
from watchkeeper.datasets.anomalies import (
    KEPT,
    MAX_RULES,
    has_rules,
    judge_history,
    longest_span,
    parse_rule,
    scope_rules,
)
from watchkeeper.datasets.evaluate import batch_metrics, current, judge
from watchkeeper.datasets.merging import (
    ParsedParts,
    batch_deltas,
    check_mergeable,
    merged_bytes,
    one_line,
)
from watchkeeper.datasets.monitors import ANY, HISTORY, check_feature, check_settings, resolve
from watchkeeper.datasets.reads import DatasetReads
from watchkeeper.datasets.segments import (
    META_PROFILE_ID,
    META_SEGMENT,
    META_TIMESTAMP,
    WHOLE,
    check_dataset_id,
    check_segment_columns,
    check_segment_key,
    parse_segment_key,
    segment_label,
)
from watchkeeper.errors import UsageError, WatchkeeperError
from watchkeeper.notify.alert import Alert
from watchkeeper.notify.messages import violation_line
from watchkeeper.profile import DatasetProfile, profile_from_bytes, profile_to_bytes
from watchkeeper.profile.binary import is_binary_profile

log = logging.getLogger("watchkeeper.datasets")

COMPACT_LIMIT = 500  # parts merged per transaction: bounds memory and lock time
KNOWN_SECONDS = 5.0
PARSED_CACHE = 512  # received profiles kept parsed until merged (a few hundred KB each)
MAX_ALERT_LINES = 30
MAX_COOLDOWN = 10 * 365 * 24 * 60  # minutes
# received timestamps: a batch's hour and day, and their ends, stay valid datetimes
EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Received:
    """Where a received profile went."""

    dataset: str
    segment: str
    timestamp: dt.datetime
    rows: int
    duplicate: bool = False  # received before (same profile id): not counted again

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "segment": self.segment,
            "timestamp": _iso(self.timestamp),
            "rows": self.rows,
            "duplicate": self.duplicate,
        }


class DatasetService(DatasetReads):
    """The datasets of a catalog: receive profiles, merge, evaluate, alert; and read
    them (:class:`~watchkeeper.datasets.reads.DatasetReads`).

    ``notify`` gives the alert channels (apprise URLs) used for every dataset besides
    each dataset's own. ``clock`` gives the current time (UTC).
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        notify: Sequence[str] = (),
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self.catalog = catalog
        self.store = DatasetStore(catalog)
        self.notify = list(notify)
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._lock = threading.Lock()
        self._notifiers: dict[tuple[str, ...], Any] = {}
        self._parsed = ParsedParts(PARSED_CACHE)
        self._known: dict[str, tuple[float, Dataset]] = {}
        self._failing: dict[str, str] = {}  # dataset → why its last refresh failed

    # -- datasets ---------------------------------------------------------------------

    def create(
        self, name: str, *, segment_columns: Sequence[str] = (), description: str = ""
    ) -> Dataset:
        check_dataset_id(name)
        columns = check_segment_columns(segment_columns)
        return self.store.create(Dataset(name, columns, description))

    def ensure(self, name: str, segment_columns: Sequence[str] = ()) -> Dataset:
        """The dataset ``name``, created with ``segment_columns`` if it is new."""
        # receiving asks for every profile: a dataset seen in the last seconds is not
        # looked up again (its segment columns never change)
        known = self._known.get(name)
        if known is not None and time.monotonic() - known[0] < KNOWN_SECONDS:
            return known[1]
        found = self.store.find(check_dataset_id(name))
        if found is not None:
            self._known[name] = (time.monotonic(), found)
            return found
        try:
            return self.create(name, segment_columns=segment_columns)
        except UsageError:
            found = self.store.find(name)  # created meanwhile by another request
            if found is None:
                raise
            return found

    # -- receiving --------------------------------------------------------------------

    def receive(
        self,
        name: str,
        data: bytes | DatasetProfile,
        *,
        timestamp: str | dt.datetime | None = None,
        segment: str | None = None,
        source: str = "profile",
    ) -> Received:
        """Store a profile for merging into the batches of its hour and day.

        The timestamp and segment come from the arguments, else from the profile's
        metadata (``dataset_timestamp``, ``segment``, as :func:`watchkeeper.log`
        writes them), else now and the whole dataset. A dataset seen for the first time
        is created with the segment's columns. A profile whose ``profile_id`` was
        received before (a retry after a lost answer) is not counted again.
        """
        check_dataset_id(name)
        profile = data if isinstance(data, DatasetProfile) else profile_from_bytes(data, source)
        check_mergeable(profile, source)
        # stored in the compact binary form, whichever form was received
        received = not isinstance(data, DatasetProfile) and is_binary_profile(data)
        blob = bytes(data) if received else profile_to_bytes(profile)
        moment = _moment(timestamp or profile.metadata.get(META_TIMESTAMP), source, self._clock)
        key = segment if segment is not None else profile.metadata.get(META_SEGMENT, WHOLE)
        try:
            columns = list(parse_segment_key(check_segment_key(key)))
        except UsageError as exc:
            raise UsageError(f"{source}: {exc}") from None
        dataset = self.ensure(name, columns)
        if key != WHOLE and columns != list(dataset.segment_columns):
            expected = ", ".join(dataset.segment_columns) or "none"
            raise UsageError(
                f"{source}: segment {key!r} does not match dataset {name!r}'s segment columns "
                f"({expected})"
            )
        part = self.store.add_part(
            name, key, moment, profile.rows, blob, profile.metadata.get(META_PROFILE_ID)
        )
        if part is not None and not isinstance(data, DatasetProfile):
            self._parsed.put(part, profile)  # read here from bytes: this process owns it
        return Received(name, key, moment, profile.rows, duplicate=part is None)

    def delete(self, name: str) -> None:
        """Delete a dataset with its batches, monitor settings and channels."""
        self._known.pop(name, None)
        self.store.delete(name)

    def set_baseline(self, name: str, profile: DatasetProfile, source: str) -> None:
        """Make ``profile`` the dataset's reference (creating the dataset if new)."""
        self.ensure(name)
        blob = profile_to_bytes(profile)
        profile_from_bytes(blob, "baseline")  # what is stored is read again by every evaluation
        self.store.set_baseline(name, blob, source)

    def baseline(self, name: str) -> DatasetProfile | None:
        data = self.store.baseline(name)
        return None if data is None else profile_from_bytes(data, f"baseline of {name}")

    # -- merging and evaluating -------------------------------------------------------

    def refresh(self, name: str | None = None, *, settle: float = 0.0) -> None:
        """Merge pending profiles, evaluate what changed and send due alerts.

        With ``settle``, a batch that changed in the last ``settle`` seconds is left
        for a later round: while profiles stream in, a batch is evaluated once it is
        quiet rather than after every merge (pages and the API refresh with none).

        Each dataset is a unit of failure, and so is each received profile: one that
        cannot be merged is set aside with its reason (``failed_parts``) and its
        dataset's channels are told; a dataset whose merge or evaluation fails keeps
        the reason (``Dataset.error``, shown on its pages) and the others go on.
        """
        with self._lock:
            if name is not None:
                found = self.store.find(name)
                datasets = [found] if found is not None else []
            else:
                datasets = self.store.all()
            for dataset in datasets:
                self._refresh_dataset(dataset, settle)

    def _refresh_dataset(self, dataset: Dataset, settle: float) -> None:
        name = dataset.name
        try:
            self._compact(name)
            self._evaluate(name, settle)
            self._alert(name)
        except Exception as exc:
            reason = one_line(exc)
            if self._failing.get(name) != reason:  # once per new reason, not every round
                unexpected = not isinstance(exc, WatchkeeperError)
                log.warning("dataset %s: not merged and evaluated: %s", name, reason,
                            exc_info=exc if unexpected else None)  # fmt: skip
                self._failing[name] = reason
                try:  # the catalog itself may be what failed: the next dataset still goes on
                    self.store.set_error(name, reason)
                    self._tell(name, "could not be merged and evaluated", reason, "refresh")
                except Exception as again:
                    log.warning("dataset %s: failure not recorded: %s", name, one_line(again))
            return
        if self._failing.pop(name, None) is not None or dataset.error is not None:
            log.info("dataset %s: merged and evaluated again", name)
            self.store.set_error(name, None)

    def _tell(self, name: str, what: str, reason: str, kind: str) -> None:
        """Send a failure to the dataset's channels, once per dataset and reason."""
        channels = [*self.notify, *self.store.channels(name)]
        if not channels:
            return
        digest_of = hashlib.sha256(reason.encode()).hexdigest()[:16]
        alert = Alert(
            title=f"watchkeeper: {name}: {what}",
            body=f"Dataset **{name}** {what}: {reason}",
            key=f"dataset-{kind}:{name}:{digest_of}",
        )
        try:
            self._notifier(channels).send(alert)
        except Exception as exc:  # a channel's failure must never stop the evaluation
            log.warning("dataset %s: failure alert not queued: %s", name, type(exc).__name__)

    def _compact(self, name: str) -> int:
        claim = uuid.uuid4().hex
        merged = 0
        while True:
            parts = self.store.claim_parts(name, claim, COMPACT_LIMIT)
            if not parts:
                return merged
            try:
                deltas, rejected = batch_deltas(parts, self._parsed)
                if rejected:
                    self.store.fail_parts(claim, rejected)
                    self._parts_failed(name, rejected)
                if len(rejected) < len(parts):
                    self.store.merge_parts(
                        name,
                        claim,
                        len(parts) - len(rejected),
                        {key: (rows, count) for key, (_, rows, count) in deltas.items()},
                        lambda key, stored, deltas=deltas: merged_bytes(stored, deltas[key][0]),
                    )
            except BaseException:
                self.store.release_claims(claim)
                raise
            merged += len(parts) - len(rejected)
            if len(parts) < COMPACT_LIMIT:
                return merged

    def _parts_failed(self, name: str, rejected: dict[int, str]) -> None:
        for part_id, reason in rejected.items():
            log.warning("dataset %s: received profile %d set aside: %s", name, part_id, reason)
        first = min(rejected)
        more = f" (and {len(rejected) - 1} more)" if len(rejected) > 1 else ""
        what = f"received profile {first}{more} could not be merged"
        self._tell(name, what, rejected[first], f"part-{first}")

    def _evaluate(self, name: str, settle: float = 0.0) -> None:
        stale = self.store.batches(name, segment=None, granularity=HOUR, stale_only=True)
        stale += self.store.batches(name, segment=None, granularity=DAY, stale_only=True)
        if settle > 0:
            quiet_since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=settle)
            stale = [
                batch
                for batch in stale
                if not batch.metrics_stale
                or batch.updated_at is None
                or as_utc(batch.updated_at) <= quiet_since
            ]
        if not stale:
            return
        settings = self.store.monitor_settings(name)
        baseline = None
        if any(batch.metrics_stale for batch in stale):
            baseline = self.baseline(name)
        failed = []
        for batch in stale:
            try:
                self._evaluate_batch(batch, settings, baseline)
            except Exception as exc:  # this batch only: it is tried again once it changes
                start = f"{batch.start:%Y-%m-%d %H:%M}"
                reason = f"{batch.segment or 'all'}, {batch.granularity} {start}: "
                reason += one_line(exc)
                log.warning("dataset %s: batch not evaluated: %s", name, reason)
                self.store.save_batch_error(batch.id, batch.updated_at, reason)
                failed.append(reason)
        if failed:
            more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            self._tell(name, f"a batch could not be evaluated{more}", failed[0], "batch")

    def _evaluate_batch(self, batch: Batch, settings, baseline: DatasetProfile | None) -> None:
        metrics = batch.metrics
        if batch.metrics_stale or not current(metrics):
            full = self.store.batch_by_id(batch.id)
            if full is None:
                return
            previous = self.store.previous(full)
            metrics = batch_metrics(
                _profile(full),
                _profile(previous) if previous is not None else None,
                baseline,
            )
            if not self.store.save_metrics(batch.id, full.updated_at, metrics):
                return  # changed meanwhile: the next refresh evaluates it again
        violations, largest = judge(metrics, settings, batch.segment)
        judged = None
        if has_rules(settings) or any(KEPT in entry for entry in metrics.values()):
            earlier = self.store.batches(
                batch.dataset, segment=batch.segment, granularity=batch.granularity,
                end=batch.start, limit=longest_span(settings), newest_first=True,
            )  # fmt: skip
            figures = [b.metrics or {} for b in reversed(earlier)]
            judged, anomalies = judge_history(metrics, figures, settings, batch.segment)
            violations += anomalies
        found = [violation.to_dict() for violation in violations]
        self.store.save_verdict(batch.id, found, largest, judged)

    def _alert(self, name: str) -> None:
        batches = self.store.unalerted_violations(name)
        channels = [*self.notify, *self.store.channels(name)]
        if not batches:
            if channels:  # digests a channel refused before wait in the outbox
                try:
                    self._notifier(channels).flush()
                except Exception as exc:  # as below: never stops the evaluation
                    log.warning("dataset %s: alerts not flushed: %s", name, type(exc).__name__)
            return
        if not channels:
            self.store.mark_alerted(batch.id for batch in batches)
            return
        dataset = self.store.get(name)
        last = self.store.last_alert(name)
        now = self._clock()
        if last is not None and now - last < dt.timedelta(minutes=dataset.cooldown_minutes):
            return  # held back: the next digest after the cooldown carries them
        alert = digest(name, batches)
        try:
            self._notifier(channels).send(alert)
        except Exception as exc:  # a channel's failure must never stop the evaluation
            log.warning("dataset %s: alert not queued: %s", name, type(exc).__name__)
            return
        self.store.mark_alerted(batch.id for batch in batches)
        self.store.set_last_alert(name, now)

    def _notifier(self, channels: list[str]):
        from watchkeeper.notify import Notifier

        key = tuple(channels)
        if key not in self._notifiers:
            self._notifiers[key] = Notifier(channels, self.catalog, attempts=2, backoff=0.5)
        return self._notifiers[key]

    def test_channels(self, name: str) -> dict[str, bool]:
        """Send a test message to the dataset's channels now; redacted URL → accepted."""
        channels = [*self.notify, *self.store.channels(name)]
        if not channels:
            raise UsageError(f"dataset {name!r} has no alert channel")
        notifier = self._notifier(channels)
        results = notifier.test_message()
        return {notifier.channels[key]: ok for key, ok in results.items()}

    # -- monitors ---------------------------------------------------------------------

    def set_monitor(
        self, name: str, settings: dict[str, Any] | None, *, segment: str = ANY, feature: str = ANY
    ) -> None:
        """Store monitor settings for a segment (``*``: all) and feature (``*``: all)."""
        self.store.get(name)
        if segment != ANY:
            check_segment_key(segment)
        if feature != ANY:
            check_feature(feature)
        checked = None if settings is None else check_settings(settings)
        stored = self.store.monitor_settings(name)
        _check_combined(stored, segment, feature, checked)
        rules = scope_rules(stored, segment, feature)
        if rules:  # a scope's history rules stay until removed themselves
            checked = {**(checked or {}), HISTORY: rules}
        self.store.set_monitor(name, segment, feature, checked)

    def set_history_rules(
        self, name: str, rules: list[dict[str, Any]], *, segment: str = ANY, feature: str = ANY
    ) -> None:
        """Store the history rules of a segment (``*``: all) and feature (``*``: all),
        each checked first (:func:`watchkeeper.datasets.anomalies.parse_rule`)."""
        self.store.get(name)
        if segment != ANY:
            check_segment_key(segment)
        if feature != ANY:
            check_feature(feature)
        if len(rules) > MAX_RULES:
            raise UsageError(f"at most {MAX_RULES} history rules per segment and feature")
        checked = [parse_rule(rule).to_dict() for rule in rules]
        settings = {k: v for k, v in self.store.monitor_settings(name).get((segment, feature), {})
                    .items() if k != HISTORY}  # fmt: skip
        if checked:
            settings[HISTORY] = checked
        self.store.set_monitor(name, segment, feature, settings or None)

    # -- alert channels ---------------------------------------------------------------

    def add_channel(self, name: str, url: str) -> None:
        """Send the dataset's alerts to ``url`` (an apprise URL, checked now) too."""
        import apprise

        from watchkeeper.notify.urls import open_channel

        self.store.get(name)
        open_channel(url, apprise.AppriseAsset(), 10.0)
        self.store.add_channel(name, url)

    def remove_channel(self, name: str, url: str) -> None:
        self.store.remove_channel(name, url)

    def set_cooldown(self, name: str, minutes: float | None) -> int:
        """Send the dataset's alerts at most every ``minutes`` (a whole number from 0 to
        ten years); returns it."""
        if minutes is None or not 0 <= minutes <= MAX_COOLDOWN or minutes % 1:
            raise UsageError(f"the cooldown is a whole number of minutes from 0 to {MAX_COOLDOWN}")
        self.store.update(name, cooldown_minutes=int(minutes))
        return int(minutes)

    # -- reading ----------------------------------------------------------------------

    def profile(self, batch: Batch) -> DatasetProfile:
        """The merged profile of a batch."""
        full = batch if batch.profile is not None else self.store.batch_by_id(batch.id)
        return _profile(full)


def digest(name: str, batches: list[Batch]) -> Alert:
    """One message for every violation found since the last one."""
    features = sorted({v["feature_name"] for batch in batches for v in batch.violations})
    days = sorted({batch.start.date() for batch in batches})
    span = str(days[0]) if len(days) == 1 else f"{days[0]} to {days[-1]}"
    title = (
        f"watchkeeper: {name}: {len(features)} feature{'s' if len(features) != 1 else ''} "
        f"flagged ({span})"
    )
    lines = []
    for batch in batches:
        where = f"{batch.start.date()}" + (
            f" [{segment_label(batch.segment)}]" if batch.segment else ""
        )
        for violation in batch.violations:
            lines.append(f"- {where} {violation_line(violation)}")
    if len(lines) > MAX_ALERT_LINES:
        rest = len(lines) - MAX_ALERT_LINES
        lines = [*lines[:MAX_ALERT_LINES], f"- … and {rest} more"]
    body = "\n".join([f"Dataset **{name}**, {len(batches)} batch(es) with violations:", *lines])
    key = f"dataset:{name}:" + ",".join(str(batch.id) for batch in batches)
    if len(key) > 200:
        key = f"dataset:{name}:{batches[0].id}-{batches[-1].id}:{len(batches)}"
    return Alert(title=title, body=body, key=key)


def _check_combined(
    stored: dict[tuple[str, str], dict[str, Any]],
    segment: str,
    feature: str,
    settings: dict[str, Any] | None,
) -> None:
    """Settings merge field by field, so two valid ones can make an invalid one (the
    Hellinger method from one, a threshold above 1 from another), which would fail every
    later evaluation: refuse the change instead."""
    combined = {key: value for key, value in stored.items() if key != (segment, feature)}
    if settings is not None:
        combined[(segment, feature)] = settings
    segments = sorted({ANY} | {key[0] for key in combined})
    features = sorted({ANY} | {key[1] for key in combined})
    for each_segment in segments:
        for each_feature in features:
            try:
                resolve(combined, each_segment, each_feature)
            except UsageError as exc:
                raise UsageError(
                    f"with the settings stored for segment {each_segment!r} and feature "
                    f"{each_feature!r}: {exc}"
                ) from None


def _profile(batch: Batch | None) -> DatasetProfile:
    assert batch is not None and batch.profile is not None
    return profile_from_bytes(batch.profile, f"batch {batch.id}")


def _moment(value: str | dt.datetime | None, source: str, clock) -> dt.datetime:
    if value is None:
        return clock()
    if isinstance(value, dt.datetime):
        return as_utc(value)
    try:
        parsed = as_utc(dt.datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        raise UsageError(
            f"{source}: timestamp {_shown(value)} is not an ISO-8601 time "
            "(e.g. 2026-11-20T09:00:00Z)"
        ) from None
    if not EARLIEST <= parsed < LATEST:
        raise UsageError(
            f"{source}: timestamp {_shown(value)} is not between the years 1900 and 9998"
        )
    return parsed


def as_time(moment: dt.datetime | None, what: str = "time") -> dt.datetime | None:
    """``moment`` in UTC (a naive one is taken as UTC), if it is between the years 1900
    and 9998."""
    if moment is None:
        return None
    try:
        found = as_utc(moment)
    except OverflowError:
        found = None
    if found is None or not EARLIEST <= found < LATEST:
        raise UsageError(f"{what} {moment.isoformat()} is not between the years 1900 and 9998")
    return found


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _iso(moment: dt.datetime) -> str:
    return as_utc(moment).isoformat().replace("+00:00", "Z")


def default_notify() -> list[str]:
    """Alert channels from ``WATCHKEEPER_NOTIFY`` (space-separated apprise URLs)."""
    return os.environ.get("WATCHKEEPER_NOTIFY", "").split()
