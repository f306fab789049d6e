"""The profiles a logger has finished and not yet shipped, in bounded memory.

A profile that failed to ship stays here and absorbs the later profiles of its window
and segment, so an outage costs one profile per window and segment however often it
was due; a profile that has not failed yet ships as it is. Each parcel carries an id
that the server uses to count a profile sent twice once; absorbing changes the
content, so it gives the parcel a new id, and a parcel that may have reached the
server (the answer was lost) is *sealed*: it is sent again as it was, never absorbs.
Past ``limit`` profiles the one covering the oldest window is dropped, so a long outage
costs the oldest data rather than the process's memory.

>>> box = Outbox(limit=2)
>>> for window in (0, 1000, 2000):
...     _ = box.add(window, "", DatasetProfile())
>>> [parcel.window_ms for parcel in box], box.dropped
([1000, 2000], 1)
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

from watchkeeper.profile import DatasetProfile


@dataclass(eq=False)
class Parcel:
    """One profile waiting to ship, with the window and segment it belongs to."""

    window_ms: int
    segment: str
    profile: DatasetProfile
    order: int
    failures: int = field(default=0)
    sealed: bool = field(default=False)
    profile_id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def absorb(self, profile: DatasetProfile) -> None:
        self.profile = self.profile.merge(profile)
        self.profile_id = uuid.uuid4().hex


class Outbox:
    """Finished profiles in the order they are to ship; one of them may be in flight.

    Not thread-safe on its own: the logger calls it under its lock.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.dropped = 0
        self._parcels: list[Parcel] = []
        self._in_flight: Parcel | None = None
        self._orders = itertools.count()

    def __len__(self) -> int:
        return len(self._parcels)

    def __iter__(self) -> Iterator[Parcel]:
        return iter(self._parcels)

    def add(self, window_ms: int, segment: str, profile: DatasetProfile) -> int:
        """Queue a finished profile; returns how many profiles were dropped to make room."""
        for parcel in self._parcels:
            waiting_to_retry = parcel.failures and parcel is not self._in_flight
            if waiting_to_retry and not parcel.sealed and _same(parcel, window_ms, segment):
                parcel.absorb(profile)
                return 0
        self._parcels.append(Parcel(window_ms, segment, profile, next(self._orders)))
        return self._trim()

    def take(self) -> Parcel | None:
        """The next parcel to send (now in flight), or None when there is none."""
        if self._in_flight is not None:
            raise RuntimeError("a parcel is already in flight")
        self._in_flight = self._parcels[0] if self._parcels else None
        return self._in_flight

    def done(self, parcel: Parcel) -> None:
        """The parcel in flight has shipped, or was refused for good: forget it."""
        self._in_flight = None
        if parcel in self._parcels:
            self._parcels.remove(parcel)

    def failed(self, parcel: Parcel, *, maybe_delivered: bool = False) -> None:
        """The parcel in flight did not ship: keep it, with what came for its window since
        (unless it may have been delivered: then it is sealed and sent again as it is)."""
        self._in_flight = None
        if parcel not in self._parcels:
            return  # dropped to make room while it was in flight
        parcel.failures += 1
        parcel.sealed = parcel.sealed or maybe_delivered
        if parcel.sealed:
            return
        for other in [p for p in self._parcels if p is not parcel]:
            if _same(other, parcel.window_ms, parcel.segment) and not other.sealed:
                parcel.absorb(other.profile)
                self._parcels.remove(other)

    def drain(self) -> list[Parcel]:
        """Remove and return every parcel (what is left when the logger closes)."""
        parcels, self._parcels = self._parcels, []
        return parcels

    def _trim(self) -> int:
        dropped = 0
        # the parcel in flight is left out: it may ship in a moment
        while len(waiting := [p for p in self._parcels if p is not self._in_flight]) > self.limit:
            oldest = min(waiting, key=lambda p: (p.window_ms, p.order))
            self._parcels.remove(oldest)
            dropped += 1
        self.dropped += dropped
        return dropped


def _same(parcel: Parcel, window_ms: int, segment: str) -> bool:
    return parcel.window_ms == window_ms and parcel.segment == segment
