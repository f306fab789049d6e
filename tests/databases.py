"""The catalog's databases for tests: SQLite in a temporary folder, and PostgreSQL.

PostgreSQL is the server ``.ci/run`` starts (``.ci/postgres``), named by
``WATCHKEEPER_TEST_POSTGRES_URL``; without it those cases are skipped, which CI never
does. Each test gets empty tables.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine

from watchkeeper.catalog.store import Base

POSTGRES = os.environ.get("WATCHKEEPER_TEST_POSTGRES_URL")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A catalog URL on each database the catalog supports, with no tables in it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    if not POSTGRES:
        pytest.skip("WATCHKEEPER_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    engine = create_engine(POSTGRES)
    Base.metadata.drop_all(engine)
    engine.dispose()
    yield POSTGRES
    engine = create_engine(POSTGRES)
    Base.metadata.drop_all(engine)
    engine.dispose()
