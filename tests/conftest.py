"""Fixtures shared by every test folder."""

from servers import smtp_server, webhook_server  # noqa: F401  (fixtures, used by name)
