"""Guessing tokens is throttled per client address, on a real server on 127.0.0.1."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from live import LiveServer
from watchkeeper.catalog import Catalog
from watchkeeper.ui import create_ui_app
from watchkeeper.ui.auth import LoginThrottle

TOKEN = "a-long-test-token"


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def server(tmp_path, clock) -> Iterator[LiveServer]:
    app = create_ui_app(
        Catalog(f"sqlite:///{tmp_path / 'catalog.db'}"),
        tokens=[TOKEN],
        refresh_seconds=None,
        login_throttle=LoginThrottle(attempts=5, window=60, clock=clock),
    )
    live = LiveServer(app).start()
    yield live
    live.stop()


def log_in(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/login", data={"token": token, "next": "/"}, follow_redirects=False)


def test_five_wrong_tokens_a_minute_then_429_until_the_window_passes(server, clock):
    with server.client() as client:
        assert [log_in(client, f"wrong-{i}").status_code for i in range(5)] == [401] * 5
        refused = log_in(client, TOKEN)  # even the right token waits: it is not checked
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "60"
        assert "Too many wrong tokens from this address: try again in 60 s." in refused.text
        clock.now += 45
        assert log_in(client, TOKEN).headers["retry-after"] == "15"
        clock.now += 15
        accepted = log_in(client, TOKEN)
        assert accepted.status_code == 303 and "watchkeeper_session" in accepted.cookies


def test_a_right_token_resets_the_count(server):
    with server.client() as client:
        statuses = [log_in(client, "wrong").status_code for _ in range(4)]
        statuses.append(log_in(client, TOKEN).status_code)
        statuses += [log_in(client, "wrong").status_code for _ in range(4)]
        assert statuses == [401] * 4 + [303] + [401] * 4


def test_three_hundred_guesses_get_five_answers(server):
    with server.client() as client:
        answers = Counter(log_in(client, f"guess-{i}").status_code for i in range(300))
    assert answers == {401: 5, 429: 295}


def test_bearer_tokens_are_throttled_too_and_per_address(server):
    with server.client() as client:
        guesses = [
            client.get("/api/v1/datasets", headers={"Authorization": f"Bearer no-{i}"})
            for i in range(7)
        ]
        assert [answer.status_code for answer in guesses] == [401] * 5 + [429] * 2
        assert guesses[-1].json()["detail"].startswith("too many wrong tokens")
        right = {"Authorization": f"Bearer {TOKEN}"}
        assert client.get("/api/v1/datasets", headers=right).status_code == 429
    # another address of this machine is not held back by the first one's guesses
    other = httpx.Client(
        base_url=server.url, transport=httpx.HTTPTransport(local_address="127.0.0.2")
    )
    with other:
        assert other.get("/api/v1/datasets", headers=right).status_code == 200
        assert log_in(other, TOKEN).status_code == 303
