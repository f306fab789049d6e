"""Logger: profiles of the rows an application logs, shipped every rotation.

``log`` puts the rows in the profile of their rotation window and segment (after a
short stay in a buffer, so that rows logged one at a time are profiled together).
Profiles of windows that have ended are *finished*: a background thread ships them,
and keeps those that failed to ship until the destination takes them.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from watchkeeper.datasets.segments import (
    META_DATASET,
    META_PROFILE_ID,
    META_SEGMENT,
    META_TIMESTAMP,
)
from watchkeeper.errors import UsageError
from watchkeeper.logger.buffer import RowBuffer
from watchkeeper.logger.mlflow_runs import MlflowDestination, run_of
from watchkeeper.logger.outbox import Outbox, Parcel
from watchkeeper.logger.settings import DEFAULT_MAX_PENDING, Clock, Settings, logger_settings
from watchkeeper.logger.shipping import (
    REJECTED,
    SHIPPED,
    Destination,
    Outcome,
    ServerDestination,
    StorageDestination,
)
from watchkeeper.logger.splitting import check_segment_columns, split_segments
from watchkeeper.logger.tables import logged_batches
from watchkeeper.logger.windows import (
    describe_rotation,
    epoch_ms,
    seconds_to_ms,
    timestamp_text,
    window_start,
)
from watchkeeper.profile import DatasetProfile

if TYPE_CHECKING:
    import pyarrow as pa

_log = logging.getLogger("watchkeeper.logger")

# After a failed shipment the next try waits one rotation (one minute at most), then
# twice as long after each further failure, up to this cap: a server back from an
# outage is not flooded, and is not left waiting long either.
FIRST_RETRY_MAX_MS = 60_000
MAX_RETRY_MS = 15 * 60_000
# Rows of a window held before they are profiled together (see buffer.py).
BUFFER_ROWS = 4096
BUFFER_BYTES = 8 << 20


class Logger:
    """Profile rows logged by an application and ship the profiles every rotation.

    Rows passed to :meth:`log` go into the profile of their *rotation window*: time is
    cut into windows of ``rotation`` counted from the Unix epoch (a one-day rotation
    starts at midnight UTC), so that every process logging the dataset fills the same
    windows. Once the clock leaves a window, its profiles are finished and a
    background thread ships them; :meth:`flush` ships everything at once and
    :meth:`close` (also run at interpreter exit) flushes and stops the thread. Rows
    logged a few at a time are held briefly (up to 4096 rows or 8 MiB per window, a
    second at most) and profiled together, so that logging one row per request costs
    microseconds rather than a millisecond. Each profile carries the dataset id, its
    window's start and its segment key in its metadata (``META_DATASET``,
    ``META_TIMESTAMP``, ``META_SEGMENT`` of :mod:`watchkeeper.datasets.segments`).
    Any number of threads may log at once. Whether a String column is free text is
    decided once, by the first rows of it the logger profiles, and every later window
    and segment follows (see :mod:`watchkeeper.profile.text`), so that each of its
    profiles describes the column the same way.

    A profile that fails to ship (the server is down, answers 5xx, 408 or 429, or
    storage fails) is kept and tried again, one rotation later at first (a minute at
    most), then twice as long after each further failure (15 minutes at most); later
    rows of its window and segment are merged into it, so nothing is lost to an
    outage. At most ``max_pending`` profiles wait: past that the oldest is dropped,
    counted in :attr:`dropped` and warned about once on the ``watchkeeper.logger``
    logging channel. A profile the server refuses for good (any other 4xx, or a
    redirect) is dropped and counted at once, with a warning carrying the server's
    message.

    Parameters
    ----------
    dataset : str
        The dataset id: 1 to 128 letters, digits, ``.``, ``_`` or ``-``.
    to : str or path
        A watchkeeper server's base URL (``http://host:8080``), to which profiles are
        posted at ``{to}/api/v1/datasets/{dataset}/profiles``; or a folder or fsspec
        URI (``s3://bucket/profiles``), where each profile becomes a new file
        ``{to}/{dataset}/yyyy/mm/dd/HH/{yyyymmddTHHMMSSfffZ}-{uuid}.wkp`` named after
        its window's start (UTC), written atomically; or ``"mlflow"``: the run active
        when the logger starts, else a new run per profile (see
        :mod:`watchkeeper.logger.mlflow_runs`; ``"mlflow:<run id>"`` names a run).
    token : str, optional
        Bearer token sent to the server; by default the ``WATCHKEEPER_TOKEN``
        environment variable (the first, if it lists several separated by commas).
        It never appears in messages or in the logger's repr.
    segment_columns : sequence of str, default ()
        Columns whose values split the rows into segments, each with its own profile
        keyed by :func:`~watchkeeper.datasets.segments.segment_key` (null values make
        a segment of their own). These columns are not profiled themselves.
    rotation : str, number or timedelta, default "5m"
        The window length: ``"30s"``, ``"5m"``, ``"1h"``, ``"1d"``, a number of
        seconds or a :class:`datetime.timedelta`; at least one second.
    max_rows : int, optional
        Finish a segment's profile early once it holds this many rows, so that a busy
        window ships in several profiles (the server merges them).
    clock : callable, optional
        Returns the current time as seconds since the epoch (like :func:`time.time`,
        the default) or as a :class:`datetime.datetime`.
    storage_options : dict, optional
        fsspec options (credentials, endpoint) for a storage ``to``.
    timeout : float, default 10.0
        Seconds to wait for the server to answer one profile.
    max_pending : int, default 1000
        The most profiles kept waiting to ship.

    Raises
    ------
    UsageError
        An option has a value that is not allowed; the message names it.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> with Logger("model-1", to=folder, segment_columns=["country"]) as logger:
    ...     logger.log(pd.DataFrame({"country": ["DE", "FR", "DE"], "score": [0.2, 0.9, 0.4]}))
    ...     logger.log({"country": "DE", "score": 0.7})
    >>> logger.shipped, logger.pending, logger.dropped
    (2, 0, 0)
    """

    def __init__(
        self,
        dataset: str,
        *,
        to: str | os.PathLike[str],
        token: str | None = None,
        segment_columns: Sequence[str] = (),
        rotation: str | float | dt.timedelta = "5m",
        max_rows: int | None = None,
        clock: Clock | None = None,
        storage_options: dict | None = None,
        timeout: float = 10.0,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self.settings: Settings = logger_settings(
            dataset, to=to, token=token, segment_columns=segment_columns, rotation=rotation,
            max_rows=max_rows, clock=clock, storage_options=storage_options, timeout=timeout,
            max_pending=max_pending,
        )  # fmt: skip
        settings = self.settings
        self._destination: Destination
        if settings.to_server:
            self._destination = ServerDestination(
                settings.to, settings.dataset, settings.token, settings.timeout
            )
        elif settings.to_mlflow:
            self._destination = MlflowDestination(settings.dataset, run_of(settings.to))
        else:
            self._destination = StorageDestination(
                settings.to, settings.dataset, settings.storage_options
            )
        self._lock = threading.Lock()
        # one shipment at a time: the thread and flush() never send a profile twice
        self._ship_lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._open: dict[tuple[int, str], DatasetProfile] = {}
        # each String column's free-text choice, made by the first profile to decide it
        self._text_columns: dict[str, bool] = {}
        self._buffer = RowBuffer(min(BUFFER_ROWS, settings.max_rows or BUFFER_ROWS), BUFFER_BYTES)
        self._outbox = Outbox(settings.max_pending)
        self._shipped = 0
        self._refused = 0
        self._lost_at_close = 0
        self._failed_attempts = 0
        self._failures_in_a_row = 0
        self._retry_at_ms = 0
        self._warned_full = False
        self._closed = False
        self._released = False
        self._stopping = False
        self._wake = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"watchkeeper-logger-{settings.dataset}", daemon=True
        )
        self._thread.start()
        # The thread is a daemon, so a forgotten logger never keeps a process alive;
        # closing at exit is what still ships its last profiles.
        atexit.register(self.close)

    # -- what users read ------------------------------------------------------------

    @property
    def dataset(self) -> str:
        return self.settings.dataset

    @property
    def to(self) -> str:
        """The destination, without any user or password written in it."""
        return self._destination.location

    @property
    def segment_columns(self) -> tuple[str, ...]:
        return self.settings.segment_columns

    @property
    def rotation(self) -> dt.timedelta:
        return dt.timedelta(milliseconds=self.settings.rotation_ms)

    @property
    def max_rows(self) -> int | None:
        return self.settings.max_rows

    @property
    def shipped(self) -> int:
        """Profiles the destination has taken."""
        return self._shipped

    @property
    def dropped(self) -> int:
        """Profiles given up: refused by the server, pushed out of a full queue of
        waiting profiles, or still unshipped when the logger closed."""
        with self._lock:
            return self._refused + self._outbox.dropped + self._lost_at_close

    @property
    def failed_attempts(self) -> int:
        """Shipments that failed and will be tried again."""
        return self._failed_attempts

    @property
    def pending(self) -> int:
        """Finished profiles waiting to ship (the open profiles of current windows aside)."""
        with self._lock:
            return len(self._outbox)

    @property
    def closed(self) -> bool:
        return self._closed

    def __repr__(self) -> str:
        return (
            f"Logger({self.dataset!r}, to={self.to!r}, "
            f"rotation={describe_rotation(self.settings.rotation_ms)!r}, "
            f"segment_columns={list(self.segment_columns)!r}, shipped={self.shipped}, "
            f"pending={self.pending}, dropped={self.dropped}"
            f"{', closed' if self._closed else ''})"
        )

    # -- logging --------------------------------------------------------------------

    def log(self, data: object, *, timestamp: dt.datetime | None = None) -> None:
        """Profile the rows of ``data`` into the current window (or ``timestamp``'s).

        Parameters
        ----------
        data : DataFrame, Table, RecordBatch, dict or list of dicts
            A pandas or polars DataFrame, a pyarrow Table or RecordBatch, a dict of
            columns (``{"x": [1, 2]}``), a list of dicts (one per row) or one dict
            whose values are not lists (one row).
        timestamp : datetime, optional
            When the rows happened, for rows logged late: they go into the profile of
            that moment's window (naive datetimes are read as UTC), which ships within
            a second if that window has already ended.

        Raises
        ------
        UsageError
            The data is of a kind that cannot be logged, lacks a segment column, or
            the logger is closed.
        """
        if timestamp is not None and not isinstance(timestamp, dt.datetime):
            raise UsageError(f"timestamp must be a datetime, not a {type(timestamp).__name__}")
        batches = logged_batches(data)
        for batch in batches:
            check_segment_columns(batch.schema, self.segment_columns)
        rotation = self.settings.rotation_ms
        with self._lock:
            if self._closed:
                raise UsageError(
                    f"this logger of dataset {self.dataset!r} is closed: create a new Logger"
                )
            current = window_start(self._now_ms(), rotation)
            window = current if timestamp is None else window_start(epoch_ms(timestamp), rotation)
            full = False
            for batch in batches:
                if batch.num_rows:
                    full = self._buffer.add(window, batch) or full
            if full:
                self._profile_held(window)
            # Finished after the rows were added, so that rows logged late for a window
            # that has ended leave with the rest of the ended windows.
            due = self._finish(lambda window: window < current)
        if due:
            self._wake.set()

    def flush(self) -> bool:
        """Finish every profile, the current windows' too, and ship them now.

        Returns True when nothing is left waiting; False when the destination failed
        (what did not ship is kept and tried again later).
        """
        if self._closed:
            return self.pending == 0
        with self._lock:
            self._finish(lambda window: True)
        return self._ship(force=True)

    def close(self) -> None:
        """Flush, stop the thread and release the connection; safe to call again.

        Profiles that still fail to ship are counted in :attr:`dropped`, with a warning.
        """
        with self._close_lock:
            if self._closed:
                return
            with self._lock:
                self._closed = True
            self._stopping = True
            self._wake.set()
            self._thread.join()
            atexit.unregister(self.close)
            with self._lock:
                self._finish(lambda window: True)
            if not self._ship(force=True):
                with self._lock:
                    lost = len(self._outbox.drain())
                    self._lost_at_close += lost
                _log.warning(
                    "closing the logger of dataset %r: %d profile(s) could not be shipped to "
                    "%s and are lost", self.dataset, lost, self.to,
                )  # fmt: skip
            with self._ship_lock:
                self._released = True
                self._destination.close()

    def __enter__(self) -> Logger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- finishing and shipping -------------------------------------------------------

    def _now_ms(self) -> int:
        now = self.settings.clock()
        if isinstance(now, dt.datetime):
            return epoch_ms(now)
        return seconds_to_ms(now)  # type: ignore[arg-type]

    def _new_profile(self, window: int, segment: str) -> DatasetProfile:
        return DatasetProfile(
            {
                META_DATASET: self.dataset,
                META_TIMESTAMP: timestamp_text(window),
                META_SEGMENT: segment,
            }
        )

    def _track(self, profile: DatasetProfile, rows: pa.RecordBatch) -> None:
        """Add ``rows`` to ``profile``, each String column read as free text or not as
        the logger first decided it; the choices ``rows`` make are kept for the rest."""
        profile.follow_text_choices(self._text_columns)
        profile.track(rows)
        for name, choice in profile.decided_text_choices().items():
            self._text_columns.setdefault(name, choice)

    def _finish(self, chosen: Callable[[int], bool]) -> bool:
        """Move the open profiles of the windows ``chosen`` accepts to the outbox, with
        the rows held for them; whether any moved. Called under the lock."""
        for window in self._buffer.windows():
            if chosen(window):
                self._profile_held(window)
        keys = [key for key in self._open if chosen(key[0])]
        for window, segment in keys:
            self._outbox_add(window, segment, self._open.pop((window, segment)))
        return bool(keys)

    def _profile_held(self, window: int) -> None:
        """Profile the rows held for ``window`` into its segments' profiles; finish a
        profile that reached ``max_rows``. Called under the lock."""
        for batch in self._buffer.take(window):
            for segment, rows in split_segments(batch, self.segment_columns):
                profile = self._open.get((window, segment))
                if profile is None:
                    profile = self._open[(window, segment)] = self._new_profile(window, segment)
                self._track(profile, rows)
                if self.max_rows is not None and profile.rows >= self.max_rows:
                    self._outbox_add(window, segment, self._open.pop((window, segment)))
                    self._wake.set()

    def _tick(self) -> None:
        """The thread's round: profile what is held, finish the ended windows, ship."""
        with self._lock:
            for window in self._buffer.windows():
                self._profile_held(window)
            current = window_start(self._now_ms(), self.settings.rotation_ms)
            self._finish(lambda window: window < current)
        self._ship(force=False)

    def _outbox_add(self, window: int, segment: str, profile: DatasetProfile) -> None:
        if self._outbox.add(window, segment, profile) and not self._warned_full:
            self._warned_full = True
            _log.warning(
                "the logger of dataset %r holds %d profiles that have not reached %s; it "
                "drops the oldest from now on (see Logger.dropped)",
                self.dataset, self.settings.max_pending, self.to,
            )  # fmt: skip

    def _ship(self, *, force: bool) -> bool:
        """Send waiting profiles in order until one fails; True when none is left.

        Without ``force`` nothing is sent before the time set for the next retry.
        """
        with self._ship_lock:
            while True:
                with self._lock:
                    if self._released:  # closed while this call waited for its turn
                        return not len(self._outbox)
                    if not force and self._now_ms() < self._retry_at_ms:
                        return False
                    parcel = self._outbox.take()
                    if parcel is None:
                        return True
                    parcel.profile.metadata[META_PROFILE_ID] = parcel.profile_id
                outcome = self._destination.send(parcel.profile, parcel.window_ms)
                with self._lock:
                    report = self._settle(parcel, outcome)
                if report is not None:
                    _log.log(*report)
                if outcome.status not in (SHIPPED, REJECTED):
                    return False

    def _settle(self, parcel: Parcel, outcome: Outcome) -> tuple | None:
        """Count a shipment's outcome (under the lock); what to log about it, if anything."""
        if outcome.status == SHIPPED:
            self._outbox.done(parcel)
            self._shipped += 1
            recovered, self._failures_in_a_row, self._retry_at_ms = self._failures_in_a_row, 0, 0
            if not recovered:
                return None
            return (
                logging.INFO, "profiles of dataset %r reach %s again, after %d failed attempt(s)",
                self.dataset, self.to, recovered,
            )  # fmt: skip
        if outcome.status == REJECTED:
            self._outbox.done(parcel)
            self._refused += 1
            segment = f", segment {parcel.segment!r}" if parcel.segment else ""
            return (
                logging.WARNING,
                "%s refused the profile of dataset %r for %s%s (%s); the profile is dropped",
                self.to, self.dataset, timestamp_text(parcel.window_ms), segment, outcome.detail,
            )  # fmt: skip
        self._outbox.failed(parcel, maybe_delivered=outcome.maybe_delivered)
        self._failed_attempts += 1
        self._failures_in_a_row += 1
        wait = self._retry_wait_ms()
        self._retry_at_ms = self._now_ms() + wait
        # the first failure of an outage is worth a warning; its repeats are not
        return (
            logging.WARNING if self._failures_in_a_row == 1 else logging.DEBUG,
            "cannot ship profiles of dataset %r to %s (%s); keeping %d profile(s) and trying "
            "again in %s",
            self.dataset, self.to, outcome.detail, len(self._outbox), describe_rotation(wait),
        )  # fmt: skip

    def _retry_wait_ms(self) -> int:
        first = min(self.settings.rotation_ms, FIRST_RETRY_MAX_MS)
        doublings = min(self._failures_in_a_row - 1, 30)
        return min(first * 2**doublings, max(MAX_RETRY_MS, first))

    def _run(self) -> None:
        interval = min(self.settings.rotation_ms / 1000, 1.0)
        while True:
            self._wake.wait(interval)
            self._wake.clear()
            if self._stopping:
                return
            try:
                self._tick()
            except Exception:
                # the thread must outlive any one bad shipment, or nothing ships again
                _log.exception("shipping profiles of dataset %r failed", self.dataset)
