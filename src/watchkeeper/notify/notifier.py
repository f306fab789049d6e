"""Delivery of alerts through the catalog's outbox.

An alert is first written to the outbox (one row per channel), then delivered; a row
leaves the outbox's pending state only once its channel has accepted it. A channel
that is down therefore delays its messages but never loses them, and never stops the
caller: the next flush, in this process or after a restart, tries again.

Several processes may flush one catalog's outbox at once: each message is claimed by one
of them before delivery (see :meth:`Catalog.claim_message`), so it is sent once; the
claim of a process that died expires and another process delivers the message.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import apprise

from watchkeeper.catalog import Catalog, Message
from watchkeeper.errors import UsageError
from watchkeeper.notify.alert import Alert
from watchkeeper.notify.urls import channel_id, open_channel, redact, scrub

log = logging.getLogger("watchkeeper.notify")

TEST_TITLE = "watchkeeper test message"
TEST_BODY = "watchkeeper test message: this channel will receive watchkeeper's alerts."


@dataclass(frozen=True)
class FlushReport:
    """What one flush did: messages ``sent``, ``failed`` (still pending, to be retried),
    ``skipped`` (pending for a channel that is no longer configured) and ``elsewhere``
    (being delivered by another process sharing the catalog)."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    elsewhere: int = 0


@dataclass(frozen=True)
class _Channel:
    id: str
    url: str
    shown: str  # the redacted URL, for logs
    apprise: apprise.Apprise


MAX_REST = 300.0  # seconds a failing channel is left alone, at most


class Notifier:
    """Sends alerts to a set of channels (apprise URLs), through the catalog's outbox.

    Every URL is checked when the notifier is built, so a typo fails at start-up
    rather than at the first alert. ``attempts`` deliveries are tried per message and
    flush, waiting ``backoff * 2**i`` seconds after the i-th failure; ``timeout`` bounds
    one delivery. ``sleep`` is how it waits (tests pass one that does not).
    """

    def __init__(
        self,
        urls: Sequence[str],
        catalog: Catalog,
        *,
        attempts: int = 3,
        backoff: float = 1.0,
        timeout: float = 10.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        _check_settings(urls, attempts, backoff, timeout)
        self.catalog = catalog
        self.attempts = attempts
        self.backoff = float(backoff)
        self.timeout = float(timeout)
        self._sleep = sleep
        self._clock = clock
        # one flush at a time: two would both see a message pending and both send it
        self._lock = threading.Lock()
        # channel id -> (monotonic time before which it rests, failures in a row)
        self._resting: dict[str, tuple[float, int]] = {}
        asset = apprise.AppriseAsset(
            app_id="watchkeeper", app_desc="watchkeeper", service_timeout=self.timeout
        )
        self._channels: dict[str, _Channel] = {}
        for url in urls:
            channel = _Channel(
                channel_id(url), url.strip(), redact(url), open_channel(url, asset, self.timeout)
            )
            self._channels.setdefault(channel.id, channel)

    @property
    def channels(self) -> dict[str, str]:
        """The configured channels: id → redacted URL."""
        return {channel.id: channel.shown for channel in self._channels.values()}

    def rows(self, alert: Alert) -> list[tuple[str, str, str, str]]:
        """The outbox rows ``(dedup_key, channel, title, body)`` of ``alert``.

        One per channel. For callers that record a processed file and its alerts in
        one transaction with ``Catalog.record``, then call :meth:`flush`.
        """
        return [
            (dedup_key(alert.key, channel), channel, alert.title, alert.body)
            for channel in self._channels
        ]

    def send(self, alert: Alert) -> FlushReport:
        """Queue ``alert`` for every channel (once per key and channel), then flush."""
        for row in self.rows(alert):
            self.catalog.enqueue(*row)
        return self.flush()

    def flush(self) -> FlushReport:
        """Deliver every pending message whose channel is configured.

        Messages go out in the order they were queued. When a channel fails a
        message after all attempts, its later messages wait, and the channel rests
        (is not tried) for a while that doubles with each failure in a row, up to
        ``MAX_REST`` seconds; a channel's alerts never arrive out of order. Never
        raises for a channel's failure.
        """
        with self._lock:
            sent = failed = skipped = elsewhere = 0
            now = self._clock()
            down = {key for key, (until, _) in self._resting.items() if now < until}
            for message in self.catalog.pending():
                channel = self._channels.get(message.channel)
                if channel is None:
                    skipped += 1
                elif channel.id in down:
                    failed += 1
                elif not self.catalog.claim_message(message.id):
                    elsewhere += 1
                elif self._deliver(channel, message):
                    sent += 1
                    self._resting.pop(channel.id, None)
                else:
                    failed += 1
                    down.add(channel.id)
                    self._rest(channel.id)
        return _logged(FlushReport(sent, failed, skipped, elsewhere))

    def _rest(self, channel: str) -> None:
        """Leave a failing channel alone for a while, longer each time it fails again
        (up to ``MAX_REST`` seconds): a watcher flushing after every file must not spend
        a round of retries on a dead channel for each one."""
        _, failures = self._resting.get(channel, (0.0, 0))
        pause = min(self.backoff * 2 ** (self.attempts + failures), MAX_REST)
        self._resting[channel] = (self._clock() + pause, failures + 1)

    def test_message(self) -> dict[str, bool]:
        """Send a short test message to every channel now (no outbox, one attempt).

        Returns channel id → whether the channel accepted it; :attr:`channels` names
        the ids.
        """
        results = {}
        for channel in self._channels.values():
            error = _notify(channel, TEST_TITLE, TEST_BODY)
            if error is not None:
                log.warning("test message to %s failed: %s", channel.shown, error)
            results[channel.id] = error is None
        return results

    def _deliver(self, channel: _Channel, message: Message) -> bool:
        """Deliver a message this process has claimed; the claim ends either way."""
        delivered = False
        try:
            delivered = self._attempts(channel, message)
        finally:
            if not delivered:
                self.catalog.release_message(message.id)
        return delivered

    def _attempts(self, channel: _Channel, message: Message) -> bool:
        for attempt in range(self.attempts):
            if attempt:
                self._sleep(self.backoff * 2 ** (attempt - 1))
            error = _notify(channel, message.title, message.body)
            if error is None:
                self.catalog.mark_sent(message.id)
                log.info("sent %r to %s", message.title, channel.shown)
                return True
            self.catalog.mark_failed_attempt(message.id, error)
            log.warning(
                "sending %r to %s failed (attempt %d of %d): %s",
                message.title,
                channel.shown,
                attempt + 1,
                self.attempts,
                error,
            )
        log.error(
            "%s did not accept %r; it stays in the outbox and is retried at the next flush",
            channel.shown,
            message.title,
        )
        return False


def dedup_key(alert_key: str, channel: str) -> str:
    """The outbox key of an alert for one channel: the same finding, once per channel."""
    return hashlib.sha256(f"{alert_key}\0{channel}".encode()).hexdigest()


def _check_settings(urls: Sequence[str], attempts: int, backoff: float, timeout: float) -> None:
    if isinstance(urls, str):
        raise UsageError("urls must be a list of notification URLs, not one string")
    if not isinstance(attempts, int) or attempts < 1:
        raise UsageError(f"attempts must be a whole number of at least 1, not {attempts!r}")
    if not backoff >= 0:
        raise UsageError(f"backoff must be zero or more seconds, not {backoff!r}")
    if not timeout > 0:
        raise UsageError(f"timeout must be more than zero seconds, not {timeout!r}")


def _notify(channel: _Channel, title: str, body: str) -> str | None:
    """Deliver one message; None on success, else why not (credentials scrubbed)."""
    try:
        result = channel.apprise.notify(
            body=body, title=title, body_format=apprise.NotifyFormat.MARKDOWN
        )
    except Exception as error:  # a fault in a channel's plugin must not stop the watcher
        return scrub(f"{type(error).__name__}: {error}", channel.url)
    if result:
        return None
    return scrub(_failure_text(result), channel.url)


def _failure_text(result: apprise.AppriseResult) -> str:
    lines: list[str] = []
    for entry in result.logs():
        if entry.level in ("WARNING", "ERROR", "CRITICAL") and entry.message not in lines:
            lines.append(entry.message)
    return "; ".join(lines) or f"not delivered ({result.status.name.lower()})"


def _logged(report: FlushReport) -> FlushReport:
    if report.skipped:
        log.info(
            "%d pending message(s) are for channels no longer configured; left in the outbox",
            report.skipped,
        )
    return report
