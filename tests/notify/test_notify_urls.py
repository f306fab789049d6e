"""Channel ids, redaction and validation of channel URLs (no network)."""

from __future__ import annotations

import pytest

from watchkeeper.catalog import Catalog
from watchkeeper.errors import UsageError
from watchkeeper.notify import Notifier, channel_id, redact

SLACK_TOKENS = "T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7"


@pytest.fixture
def catalog(tmp_path):
    catalog = Catalog(f"sqlite:///{tmp_path / 'catalog.db'}")
    yield catalog
    catalog.close()


def test_channel_id_is_stable_and_hides_the_url():
    url = f"slack://{SLACK_TOKENS}"

    assert channel_id(url) == channel_id(f"  {url}\n")
    assert channel_id(url) != channel_id("slack://T1JJ3T3L2/A1BRTD4JD/other")
    assert len(channel_id(url)) == 16
    assert "TIiajk" not in channel_id(url)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (f"slack://{SLACK_TOKENS}", "slack://T...2/A...D/T...7"),
        (f"https://hooks.slack.com/services/{SLACK_TOKENS}", "slack://T...2/A...D/T...7"),
        ("mailto://alerts:hunter2@mail.example.com", "mailto://alerts:****@mail.example.com"),
        ("json://127.0.0.1:8080/alerts?+X-Api-Key=abc123", "json://127.0.0.1:8080/alerts"),
        (
            "json://hooks.example.com/webhook/3f2a9c1e-0b6d-4c1a",
            "json://hooks.example.com/webhook/3...a",
        ),
        ("mmost://chat.example.com/8gq6uyzyxxq7jx7rbnsc1cs5ia", "mmost://chat.example.com/8...a"),
        # URLs apprise rejects are masked too, since they are quoted in errors
        ("slack://T1JJ3T3L2/A1BRTD4JD", "slack://T...2/A...D"),
        ("bogus://user:hunter2@xoxbsecrettoken/abc", "bogus://user:****@x...n/abc"),
    ],
)
def test_redact_masks_passwords_and_tokens(url, shown):
    assert redact(url) == shown


def test_an_invalid_url_is_refused_up_front_by_its_redacted_form(catalog):
    with pytest.raises(UsageError) as caught:
        Notifier(["json://127.0.0.1:9/ok", "slack://T1JJ3T3L2/A1BRTD4JD"], catalog)

    message = str(caught.value)
    assert "'slack://T...2/A...D' is not a valid Slack URL" in message
    assert "appriseit.com/services/slack" in message
    assert "A1BRTD4JD" not in message


def test_an_unknown_scheme_lists_the_known_ones(catalog):
    with pytest.raises(UsageError) as caught:
        Notifier(["slak://alerts:hunter2@example.com/room"], catalog)

    message = str(caught.value)
    assert "'slak://alerts:****@example.com/room'" in message
    assert "scheme apprise does not know ('slak')" in message
    assert "mailto" in message and "slack" in message and "json" in message
    assert "hunter2" not in message


def test_a_plain_web_address_points_to_json(catalog):
    with pytest.raises(UsageError, match="write json:// or jsons://"):
        Notifier(["https://alerts.example.com/hook"], catalog)


@pytest.mark.parametrize(
    "settings",
    [{"attempts": 0}, {"attempts": 1.5}, {"backoff": -1.0}, {"timeout": 0.0}],
)
def test_bad_settings_are_refused(catalog, settings):
    with pytest.raises(UsageError):
        Notifier(["json://127.0.0.1:9/ok"], catalog, **settings)


def test_one_string_instead_of_a_list_is_refused(catalog):
    with pytest.raises(UsageError, match="list of notification URLs"):
        Notifier("json://127.0.0.1:9/ok", catalog)  # type: ignore[arg-type]
