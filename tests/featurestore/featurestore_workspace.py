"""Feature stores in these tests profile their batches into a catalog of their own."""

import pytest


@pytest.fixture(autouse=True)
def workspace(tmp_path, monkeypatch):
    """A workspace per test: the default catalog is never the repository's."""
    monkeypatch.setenv("WATCHKEEPER_HOME", str(tmp_path / "workspace"))
    monkeypatch.delenv("WATCHKEEPER_DATABASE_URL", raising=False)
    return tmp_path / "workspace"
