"""The alert: what a channel receives."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Alert:
    """One finding to tell the team about.

    ``body`` is Markdown; apprise renders it for each channel (Slack's mrkdwn, HTML
    mail, plain text). ``key`` identifies the finding, not the message: two alerts
    with the same key are the same news, and each channel gets it once.
    """

    title: str
    body: str
    key: str
