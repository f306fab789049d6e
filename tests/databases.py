"""The catalog's databases for tests: SQLite in a temporary folder, and PostgreSQL.

PostgreSQL is the server ``.ci/run`` starts (``.ci/postgres``), named by
``WATCHKEEPER_TEST_POSTGRES_URL``; without it those cases are skipped, which CI never
does. Each test gets empty tables. When the run is split over processes (pytest-xdist),
each process has a database of its own beside the named one, so no test drops another's
tables.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text

from watchkeeper.catalog.store import Base

POSTGRES = os.environ.get("WATCHKEEPER_TEST_POSTGRES_URL")


@functools.cache
def _postgres_of_this_process() -> str | None:
    """The named database, or, in a pytest-xdist worker, that worker's own (created once)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not POSTGRES or not worker:
        return POSTGRES
    url = make_url(POSTGRES)
    name = f"{url.database}_{worker}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> Iterator[str]:
    """A catalog URL on each database the catalog supports, with no tables in it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'catalog.db'}"
        return
    if not POSTGRES:
        pytest.skip("WATCHKEEPER_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    url = _postgres_of_this_process()
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    engine.dispose()
    yield url
    engine = create_engine(url)
    Base.metadata.drop_all(engine)
    engine.dispose()
