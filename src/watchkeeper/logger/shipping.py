"""Where logged profiles go: a watchkeeper server over HTTP, or a storage location.

A destination sends one profile and says how that went: *shipped*, *retry* (the
destination is unreachable or failing for now; the profile is kept and sent again) or
*rejected* (the destination refuses this profile for good; sending it again would not
help). Destinations never raise for a failed shipment and never put the server token
in what they report.

>>> is_server("https://watchkeeper.example.com"), is_server("s3://bucket/profiles")
(True, False)
>>> shown_location("http://alice:secret@127.0.0.1:8080/")
'http://127.0.0.1:8080'
"""

from __future__ import annotations

import json
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import httpx

from watchkeeper.datasets.segments import META_PROFILE_ID
from watchkeeper.io.messages import first_line
from watchkeeper.io.storage import is_local, join, write_bytes
from watchkeeper.logger.windows import as_datetime, compact_timestamp
from watchkeeper.profile import DatasetProfile, profile_to_bytes

SHIPPED, RETRY, REJECTED = "shipped", "retry", "rejected"
# Statuses that say "not now" rather than "not this" and that the request was not taken:
# time out, slow down, unavailable. Other 5xx answers may come after the server stored it.
_TEMPORARY_STATUSES = {408, 429, 503}
_MESSAGE_LIMIT = 300
_CREDENTIALS = re.compile(r"(?<=://)[^/@]*@")


@dataclass(frozen=True)
class Outcome:
    """How one shipment went; ``detail`` says why it failed, for a person."""

    status: Literal["shipped", "retry", "rejected"]
    detail: str = ""
    # the request may have been stored although no answer said so (a lost response)
    maybe_delivered: bool = False


class Destination(Protocol):
    location: str

    def send(self, profile: DatasetProfile, window_ms: int) -> Outcome: ...

    def close(self) -> None: ...


def is_server(to: str) -> bool:
    return to.lower().startswith(("http://", "https://"))


def shown_location(to: str) -> str:
    """``to`` as it may appear in messages: without user and password, trailing ``/``."""
    return _CREDENTIALS.sub("", to).rstrip("/")


def resolved_location(to: str | os.PathLike[str]) -> str:
    """``to`` with a relative local folder made absolute, so that the logger keeps
    writing to the same place if the process changes its working folder."""
    text = os.fspath(to)
    if is_server(text) or not is_local(text) or text.startswith("file://"):
        return text
    return str(Path(text).expanduser().absolute())


class ServerDestination:
    """``POST {base_url}/api/v1/datasets/{dataset}/profiles`` with the profile's bytes."""

    def __init__(self, base_url: str, dataset: str, token: str | None, timeout: float) -> None:
        self.location = shown_location(base_url)
        self.url = f"{base_url.rstrip('/')}/api/v1/datasets/{dataset}/profiles"
        headers = {"Content-Type": "application/octet-stream"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._token = token
        self._client = httpx.Client(timeout=timeout, headers=headers, follow_redirects=False)

    def send(self, profile: DatasetProfile, window_ms: int) -> Outcome:
        try:
            response = self._client.post(self.url, content=profile_to_bytes(profile))
        except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
            return Outcome(RETRY, self._hidden(f"{type(exc).__name__}: {first_line(exc)}"))
        except httpx.HTTPError as exc:
            # the request may have reached the server and only the answer was lost
            detail = self._hidden(f"{type(exc).__name__}: {first_line(exc)}")
            return Outcome(RETRY, detail, maybe_delivered=True)
        status = response.status_code
        if 200 <= status < 300:
            return Outcome(SHIPPED)
        detail = self._hidden(f"HTTP {status}: {_server_message(response)}")
        if status in _TEMPORARY_STATUSES:
            return Outcome(RETRY, detail)
        if status >= 500:
            return Outcome(RETRY, detail, maybe_delivered=True)
        return Outcome(REJECTED, detail)

    def _hidden(self, text: str) -> str:
        # a server or proxy may echo the request's headers back in its error page
        return text.replace(self._token, "***") if self._token else text

    def close(self) -> None:
        self._client.close()


class StorageDestination:
    """A file per profile: ``{root}/{dataset}/yyyy/mm/dd/HH/{window}-{profile id}.wkp``
    (named by the profile's id, so that writing it again replaces it)."""

    def __init__(self, root: str, dataset: str, storage_options: dict | None) -> None:
        self.location = shown_location(root)
        self.root = root
        self.dataset = dataset
        self.storage_options = storage_options

    def path(self, window_ms: int, profile_id: str | None = None) -> str:
        """The path of a profile of the window starting at ``window_ms``."""
        start = as_datetime(window_ms)
        name = f"{compact_timestamp(window_ms)}-{profile_id or uuid.uuid4().hex}.wkp"
        hour = [f"{start.year:04d}", f"{start.month:02d}", f"{start.day:02d}", f"{start.hour:02d}"]
        return join(self.root, self.dataset, *hour, name)

    def send(self, profile: DatasetProfile, window_ms: int) -> Outcome:
        try:
            where = self.path(window_ms, profile.metadata.get(META_PROFILE_ID))
            write_bytes(where, profile_to_bytes(profile), self.storage_options)
        except Exception as exc:
            # Storage failures come in many types (OSError, the cloud SDKs' own errors):
            # all of them keep the profile for the next attempt rather than lose it.
            return Outcome(RETRY, f"{type(exc).__name__}: {first_line(exc)}")
        return Outcome(SHIPPED)

    def close(self) -> None:
        pass


def _server_message(response: httpx.Response) -> str:
    """The server's own explanation: FastAPI's ``detail``, else the body's first line."""
    text = response.text.strip()
    try:
        detail = json.loads(text).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if detail is not None:
        text = detail if isinstance(detail, str) else json.dumps(detail)
    text = text.splitlines()[0] if text else response.reason_phrase
    return text if len(text) <= _MESSAGE_LIMIT else text[:_MESSAGE_LIMIT] + "…"
