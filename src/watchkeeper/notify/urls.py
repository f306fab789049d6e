"""Channel URLs: stable ids, redaction for logs, and validation with apprise.

A channel URL carries its credentials (a webhook token, an SMTP password), so it is
never stored or logged: the outbox keeps ``channel_id(url)`` and logs show
``redact(url)``.
"""

from __future__ import annotations

import difflib
import hashlib
import ipaddress
import logging
import re
from dataclasses import dataclass
from functools import cache
from urllib.parse import unquote

import apprise

from watchkeeper.errors import UsageError

MASK = "****"

# what a credential looks like when it sits in a path segment or a query value:
# long, and either long enough to be random or mixing in digits or capitals
_MIN_TOKEN = 8
_LONG_TOKEN = 20
_DIGIT_OR_UPPER = re.compile(r"[0-9A-Z]")


def channel_id(url: str) -> str:
    """A stable id for a channel URL, safe to store: the URL's hash, not the URL.

    >>> channel_id("json://127.0.0.1:8080/alerts")
    '0b6dc5e2def9280d'
    """
    return hashlib.sha256(url.strip().encode()).hexdigest()[:16]


def redact(url: str) -> str:
    """The URL with passwords and tokens masked, for logs and error messages.

    Where apprise understands the URL, its own privacy rendering decides which parts
    are secret; on top of that, token-like path segments (a generic webhook's key) are
    masked and the query string is dropped. A URL apprise rejects is masked more
    bluntly: its password, a host that is not a host name, and token-like segments.

    >>> redact("mailto://team:hunter2@mail.example.com")
    'mailto://team:****@mail.example.com'
    >>> redact("https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/cccccccccccccccccccccccc")
    'slack://T...A/B...B/c...c'
    """
    plugin = _instantiate(url.strip())
    if plugin is None:
        return _mask(url.strip(), host_may_be_secret=True)
    # apprise already masked the tokens it knows of, the host among them when the
    # host is a token (slack://T.../B.../...)
    return _mask(plugin.url(privacy=True), host_may_be_secret=False)


def secrets_of(url: str) -> list[str]:
    """Every part of the URL that might be a credential, longest first.

    Used to scrub text that did not come from us (a channel's error message) before
    it is logged or stored; over-masking a harmless word there costs nothing.
    """
    parts = _split(url.strip())
    found = {parts.user, parts.password}
    if not _is_host_name(parts.host):
        found.add(parts.host)
    found.update(piece for piece in re.split(r"[/?&=#]", parts.rest) if len(piece) >= 6)
    found.update({unquote(piece) for piece in found})
    return sorted((piece for piece in found if len(piece) >= 4), key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """``text`` with every possible credential of ``url`` replaced by ``****``."""
    for secret in secrets_of(url):
        text = text.replace(secret, MASK)
    return text


def open_channel(url: str, asset: apprise.AppriseAsset, timeout: float) -> apprise.Apprise:
    """An apprise object that delivers to ``url``; ``UsageError`` if it is not valid.

    ``timeout`` bounds connecting to the service and each wait for its answer.
    """
    plugin = _instantiate(url.strip(), asset)
    if plugin is None:
        raise UsageError(_invalid_url_message(url))
    plugin.socket_connect_timeout = timeout
    plugin.socket_read_timeout = timeout
    channel = apprise.Apprise(asset=asset)
    channel.add(plugin)
    return channel


def _instantiate(url: str, asset: apprise.AppriseAsset | None = None):
    # apprise returns None (it logs why) for a URL it cannot use; never raises
    return apprise.Apprise.instantiate(url, asset=asset, suppress_exceptions=True)


# a few services named when a scheme is unknown, rather than all of apprise's
_COMMON_SCHEMES = ("slack", "mailto", "json", "msteams", "discord", "pagerduty")
_EVERY_SERVICE = "https://github.com/caronc/apprise/wiki"


def _invalid_url_message(url: str) -> str:
    """One line naming the part of ``url`` that is wrong: the scheme, or what the
    service's own check refused."""
    shown = redact(url)
    text = url.strip()
    if "://" not in text:
        return (
            f"notification URL {shown!r} has no scheme: start it with the service, "
            "as in slack://…, mailto://… or json://…"
        )
    scheme = text.partition("://")[0].lower()
    service = _services().get(scheme)
    if service is not None:
        name, help_url = service
        reason = _refusal(text)
        because = f": {reason}" if reason else ""
        return f"notification URL {shown!r} is not a valid {name} URL{because}; see {help_url}"
    if scheme in ("http", "https"):
        return (
            f"notification URL {shown!r} is not a web address apprise recognises "
            "(such as a Slack webhook); for a plain JSON webhook write json:// or jsons:// "
            "instead of http:// or https://"
        )
    close = difflib.get_close_matches(scheme, list(_services()), n=1, cutoff=0.75)
    guess = f"did you mean {close[0]}://? " if close else ""
    common = ", ".join(f"{name}://" for name in _COMMON_SCHEMES)
    return (
        f"notification URL {shown!r} has a scheme apprise does not know ({scheme or 'none'!r}); "
        f"{guess}services are written as {common} … (every one: {_EVERY_SERVICE})"
    )


def _refusal(url: str) -> str:
    """Why apprise refused ``url``, in its own words (its first warning), with any
    credential of the URL masked."""
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as captured:
        _instantiate(url)
    lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    if not lines:
        return ""
    return scrub(lines[0], url).rstrip(".: ")


@cache
def _services() -> dict[str, tuple[str, str]]:
    """Each scheme apprise knows: the service's name and its set-up page."""
    services: dict[str, tuple[str, str]] = {}
    for entry in apprise.Apprise().details()["schemas"]:
        for scheme in (entry.get("protocols") or ()) + (entry.get("secure_protocols") or ()):
            services[scheme] = (entry["service_name"], entry.get("setup_url") or "")
    return services


@dataclass(frozen=True)
class _Parts:
    scheme: str
    user: str
    password: str
    host: str
    port: str
    path: str
    rest: str  # path, query and fragment as written


def _split(url: str) -> _Parts:
    # urllib's own split lower-cases host names and rejects some apprise URLs (a
    # Telegram bot token looks like host:port), so the authority is split here
    scheme, has_scheme, remainder = url.partition("://")
    if not has_scheme:
        scheme, remainder = "", url
    authority, slash, path = remainder.partition("/")
    authority, query_mark, query = authority.partition("?")
    login, _, hostport = authority.rpartition("@")
    user, colon, password = login.partition(":")
    host, port = hostport, ""
    if re.fullmatch(r".*:[0-9]{1,5}", hostport) and not hostport.endswith("]"):
        host, _, port = hostport.rpartition(":")
    rest = slash + path + query_mark + query
    return _Parts(scheme, user, password if colon else "", host, port, path, rest)


def _mask(url: str, *, host_may_be_secret: bool) -> str:
    parts = _split(url)
    login = ""
    if parts.user or parts.password:
        login = _mask_piece(unquote(parts.user))
        login += f":{MASK}@" if parts.password else "@"
    host = parts.host
    if host_may_be_secret and host and not _is_host_name(host):
        host = _mask_piece(host, always=True)
    netloc = login + host + (f":{parts.port}" if parts.port else "")
    # the query and fragment are dropped: they hold options, and sometimes keys
    path = parts.path.partition("?")[0].partition("#")[0]
    masked = "/".join(_mask_piece(unquote(piece)) for piece in path.split("/"))
    scheme = f"{parts.scheme}://" if parts.scheme else ""
    return (scheme + netloc + ("/" + masked if masked else "")).rstrip("/")


def _mask_piece(piece: str, *, always: bool = False) -> str:
    if _is_masked(piece):
        return piece
    token_like = len(piece) >= _MIN_TOKEN and (
        len(piece) >= _LONG_TOKEN or _DIGIT_OR_UPPER.search(piece) is not None
    )
    if not (always or token_like):
        return piece
    # the first and last characters tell two tokens apart without giving one away
    return f"{piece[0]}...{piece[-1]}" if len(piece) >= _MIN_TOKEN else MASK


def _is_masked(piece: str) -> bool:
    return MASK in piece or "..." in piece


def _is_host_name(host: str) -> bool:
    if host == "localhost" or "." in host.strip("."):
        return True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
