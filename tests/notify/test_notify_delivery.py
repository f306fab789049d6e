"""Delivery to real servers on 127.0.0.1: webhooks, a Slack-format webhook and email.

Nothing here is mocked: apprise speaks HTTP and SMTP to the servers of
``tests/servers.py``, and the outbox is a SQLite file.
"""

from __future__ import annotations

import logging
import time

import pytest

from servers import closed_address
from watchkeeper.catalog import Catalog, ProcessedObject
from watchkeeper.notify import Alert, FlushReport, Notifier, check_alert, failure_alert

MISSING = {
    "feature_name": "feature_2",
    "constraint_check_type": "missing_values_check",
    "description": "12.5% of the values are missing",
    "observed": 0.125,
    "threshold": 0.05,
}
SINGLE = {
    "feature_name": "feature_11",
    "constraint_check_type": "single_value_check",
    "description": "only one distinct value",
    "observed": 1,
}
REPORT = "https://reports.example.com/input-training.html"


def alert_for(*violations: dict) -> Alert:
    return check_alert(
        "s3://my-ml-project-bucket", "input-training.csv", 1000, list(violations), REPORT
    )


@pytest.fixture
def database(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'catalog.db'}"


@pytest.fixture
def catalog(database):
    catalog = Catalog(database)
    yield catalog
    catalog.close()


@pytest.fixture
def sleeps() -> list[float]:
    """The waits a notifier asked for; none of them is slept."""
    return []


class Clock:
    """A clock the test moves by hand (for how long a failing channel rests)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_notifier(catalog, sleeps, clock):
    def make(*urls: str, on: Catalog | None = None, **settings) -> Notifier:
        return Notifier(list(urls), on or catalog, sleep=sleeps.append, clock=clock, **settings)

    return make


def test_json_webhook_receives_title_and_markdown_body(webhook_server, make_notifier, catalog):
    notifier = make_notifier(f"json://{webhook_server.address}/alerts")
    alert = alert_for(MISSING, SINGLE)

    assert notifier.send(alert) == FlushReport(sent=1)

    [post] = webhook_server.posts
    assert post.path == "/alerts"
    assert post.headers["Content-Type"].startswith("application/json")
    assert post.json["title"] == "watchkeeper: 2 problems in input-training.csv"
    assert post.json["message"] == alert.body
    [message] = catalog.messages()
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, None)


def test_slack_format_webhook(webhook_server, make_notifier):
    """Slack's incoming-webhook format, delivered through apprise's Mattermost plugin.

    apprise's Slack plugin always posts to hooks.slack.com (the address is fixed in
    the plugin, not taken from the URL), so it cannot be pointed at a local server.
    Mattermost's incoming webhooks take Slack's payload, ``{"text": ...}``, and
    apprise's Mattermost plugin posts it to any host: that is what is checked here.
    The Slack URLs themselves are checked by ``test_slack_urls_are_accepted``.
    """
    notifier = make_notifier(f"mmost://{webhook_server.address}/wk7token42")
    alert = alert_for(MISSING)

    assert notifier.send(alert).sent == 1

    [post] = webhook_server.posts
    assert post.path == "/hooks/wk7token42"
    text = post.json["text"]
    assert text.startswith("watchkeeper: 1 problem in input-training.csv")
    assert "- **Where:** s3://my-ml-project-bucket" in text
    assert "1. `feature_2` (missing_values_check)" in text
    assert f"<{REPORT}>" in text
    assert post.json["username"] == "watchkeeper"


def test_slack_urls_are_accepted(make_notifier, catalog):
    """Both ways of writing a Slack webhook pass validation (nothing is sent)."""
    tokens = "T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"

    notifier = make_notifier(f"slack://{tokens}", f"https://hooks.slack.com/services/{tokens}")

    assert sorted(notifier.channels.values()) == ["slack://T...2/A...D/T...7"] * 2
    assert notifier.rows(alert_for(MISSING))[0][1] in notifier.channels
    assert catalog.messages() == []


def test_email_to_a_plain_smtp_server(smtp_server, make_notifier):
    """``mailto://`` (not ``mailtos://``) is plain SMTP: no TLS and, without a user, no login.

    The port goes in the host part; ``from`` and ``to`` are query parameters.
    """
    url = f"mailto://{smtp_server.address}?from=watchkeeper@example.com&to=data-team@example.com"
    notifier = make_notifier(url)
    alert = alert_for(MISSING, SINGLE)

    assert notifier.send(alert).sent == 1

    [mail] = smtp_server.messages
    assert mail.sender == "watchkeeper@example.com"
    assert mail.recipients == ["data-team@example.com"]
    assert mail.subject == alert.title
    assert "s3://my-ml-project-bucket" in mail.body
    assert "feature_11" in mail.body and "single_value_check" in mail.body
    assert REPORT in mail.body
    html = mail.message.get_body(preferencelist=("html",)).get_content()
    assert f'<a href="{REPORT}">' in html


def test_same_alert_is_sent_once_even_after_a_restart(webhook_server, make_notifier, database):
    url = f"json://{webhook_server.address}/alerts"
    notifier = make_notifier(url)

    notifier.send(alert_for(MISSING, SINGLE))
    assert notifier.send(alert_for(SINGLE, MISSING)) == FlushReport()

    reopened = Catalog(database)
    try:
        restarted = make_notifier(url, on=reopened)
        assert restarted.send(alert_for(MISSING, SINGLE)) == FlushReport()
        assert len(webhook_server.posts) == 1

        assert restarted.send(alert_for(MISSING)).sent == 1
    finally:
        reopened.close()
    assert len(webhook_server.posts) == 2


def test_rows_recorded_with_the_file_are_delivered_by_flush(webhook_server, make_notifier, catalog):
    first, second = (f"json://{webhook_server.address}/{path}" for path in ("a", "b"))
    notifier = make_notifier(first, second)
    alert = failure_alert("input.csv", "not a CSV file")
    processed = ProcessedObject("s3://bucket", "input.csv", "v1", "failed", error="not a CSV file")

    rows = notifier.rows(alert)
    catalog.record(processed, rows)
    catalog.record(ProcessedObject("s3://bucket", "input.csv", "v2", "failed"), rows)

    assert len(rows) == 2
    assert notifier.flush() == FlushReport(sent=2)
    assert sorted(post.path for post in webhook_server.posts) == ["/a", "/b"]
    assert webhook_server.posts[0].json["message"] == "could not read input.csv: not a CSV file"


def test_retries_until_the_channel_answers(webhook_server, make_notifier, catalog, sleeps):
    webhook_server.fail(2)
    notifier = make_notifier(f"json://{webhook_server.address}/alerts", backoff=0.5)

    assert notifier.send(alert_for(MISSING)) == FlushReport(sent=1)

    assert len(webhook_server.failures) == 2
    assert len(webhook_server.posts) == 1
    assert sleeps == [0.5, 1.0]
    [message] = catalog.messages()
    assert (message.status, message.attempts) == ("sent", 3)
    assert "500" in message.last_error


def test_a_channel_that_is_down_keeps_its_message_for_later(
    webhook_server, make_notifier, catalog, caplog, clock
):
    token = "s3cr3tT0ken99"
    notifier = make_notifier(f"mmost://{webhook_server.address}/{token}")
    webhook_server.down()

    with caplog.at_level(logging.INFO, logger="watchkeeper.notify"):
        report = notifier.send(alert_for(MISSING))

    assert report == FlushReport(failed=1)
    [message] = catalog.pending()
    assert message.attempts == 3
    assert message.last_error
    assert token not in message.last_error
    assert token not in caplog.text
    assert "did not accept" in caplog.text

    webhook_server.up()
    assert notifier.flush() == FlushReport(failed=1)  # the channel rests a while first
    assert webhook_server.posts == []
    clock.now += 60
    assert notifier.flush() == FlushReport(sent=1)
    assert notifier.flush() == FlushReport()
    assert len(webhook_server.posts) == 1
    assert catalog.pending() == []


def test_a_dead_channel_rests_between_tries_and_keeps_the_order(
    webhook_server, make_notifier, catalog, clock, sleeps
):
    notifier = make_notifier(f"json://{webhook_server.address}/alerts", attempts=2)
    webhook_server.down()

    notifier.send(failure_alert("a.csv", "empty"))
    # while it rests, the channel is not tried at all: no attempt, no waiting
    waited = len(sleeps)
    assert notifier.send(failure_alert("b.csv", "empty")) == FlushReport(failed=2)
    assert [m.attempts for m in catalog.pending()] == [2, 0]
    assert len(sleeps) == waited
    clock.now += 5  # the first rest (4 s) is over: another round of tries, then 8 s of rest
    assert notifier.flush() == FlushReport(failed=2)
    assert [m.attempts for m in catalog.pending()] == [4, 0]
    clock.now += 5
    assert notifier.flush() == FlushReport(failed=2)
    assert [m.attempts for m in catalog.pending()] == [4, 0]

    webhook_server.up()
    clock.now += 600
    assert notifier.flush() == FlushReport(sent=2)
    assert [post.json["title"] for post in webhook_server.posts] == [
        "watchkeeper: could not read a.csv",
        "watchkeeper: could not read b.csv",
    ]


def test_a_channel_that_does_not_answer_is_given_up_after_the_timeout(
    webhook_server, make_notifier, catalog
):
    webhook_server.delay(2.0)
    notifier = make_notifier(f"json://{webhook_server.address}/slow", attempts=1, timeout=0.2)

    started = time.monotonic()
    assert notifier.send(alert_for(MISSING)) == FlushReport(failed=1)

    assert time.monotonic() - started < 1.5
    assert catalog.pending()[0].last_error


def test_one_channel_down_does_not_hold_back_another(webhook_server, make_notifier, catalog):
    notifier = make_notifier(
        f"json://{webhook_server.address}/up", f"json://{closed_address()}/down", attempts=1
    )

    assert notifier.send(alert_for(MISSING)) == FlushReport(sent=1, failed=1)
    assert [post.path for post in webhook_server.posts] == ["/up"]
    assert len(catalog.pending()) == 1


def test_messages_for_channels_no_longer_configured_are_left_pending(
    webhook_server, make_notifier, catalog
):
    old = make_notifier(f"json://{closed_address()}/retired", attempts=1)
    old.send(alert_for(MISSING))

    new = make_notifier(f"json://{webhook_server.address}/alerts")
    assert new.flush() == FlushReport(skipped=1)
    assert new.send(alert_for(MISSING)) == FlushReport(sent=1, skipped=1)
    assert len(catalog.pending()) == 1


def test_test_message_reports_each_channel(webhook_server, make_notifier, catalog):
    up, down = f"json://{webhook_server.address}/alerts", f"json://{closed_address()}/down"
    notifier = make_notifier(up, down)

    results = notifier.test_message()

    assert results == {
        next(i for i, shown in notifier.channels.items() if shown.endswith("/alerts")): True,
        next(i for i, shown in notifier.channels.items() if shown.endswith("/down")): False,
    }
    [post] = webhook_server.posts
    assert post.json["title"] == "watchkeeper test message"
    assert catalog.messages() == []
