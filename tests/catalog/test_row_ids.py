"""The largest row id the catalog keeps, which the HTTP faces accept in their paths."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, Integer, insert
from sqlalchemy.exc import DBAPIError

from watchkeeper.catalog import MAX_ID, Catalog, MonitoringStore
from watchkeeper.catalog.store import Base


def test_every_id_column_is_32_bit():
    for table in Base.metadata.sorted_tables:
        column = table.c.id
        assert column.primary_key, table.name
        assert isinstance(column.type, Integer) and not isinstance(column.type, BigInteger)
    assert MAX_ID == 2**31 - 1


def schedule_row(row_id: int, name: str) -> dict:
    return {"id": row_id, "name": name, "endpoint": "ep", "capture": "c", "baseline": "b",
            "report": "r", "cron": "0 * * * *"}  # fmt: skip


def test_the_largest_id_is_kept_and_one_more_is_refused_by_postgresql(database_url):
    catalog = Catalog(database_url)
    schedules = Base.metadata.tables["schedules"]
    with catalog.engine.begin() as connection:
        connection.execute(insert(schedules).values(**schedule_row(MAX_ID, "largest")))
    assert [s.name for s in MonitoringStore(catalog).schedules()] == ["largest"]
    if catalog.engine.dialect.name != "postgresql":
        return  # SQLite's integers are 64-bit: the 32-bit limit is PostgreSQL's
    with pytest.raises(DBAPIError, match="out of range"), catalog.engine.begin() as connection:
        connection.execute(insert(schedules).values(**schedule_row(MAX_ID + 1, "beyond")))
    catalog.close()
