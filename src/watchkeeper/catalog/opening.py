"""The catalog as callers open it: with the tables of every store defined first, so a
catalog opened before the dataset or monitoring stores are used already holds theirs
(SQLAlchemy creates only the tables it has been told of)."""

from __future__ import annotations

from watchkeeper.catalog import dataset_records, monitoring  # noqa: F401  (their tables)
from watchkeeper.catalog.store import Catalog

__all__ = ["Catalog"]
