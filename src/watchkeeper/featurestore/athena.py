"""SQL over a feature group's offline store the way SageMaker's ``athena_query()`` reads:
``run`` a query string with an output location, ``wait``, then ``as_dataframe``.

The query runs in the store's DuckDB, in its sandbox (see
:mod:`watchkeeper.featurestore.sql`), at once: ``run`` returns when the result is
there, and ``wait`` has nothing left to wait for. As Athena does, the result is also
written as CSV to ``{output_location}/{query id}.csv``; times in it are ISO-8601 to the
microsecond.

>>> import tempfile
>>> import pandas as pd
>>> from watchkeeper.featurestore import FeatureStore
>>> fs = FeatureStore(tempfile.mkdtemp(), online=None, monitor=False)
>>> fg = fs.feature_group("scores")
>>> frame = pd.DataFrame({"index": [1, 2], "event_time": ["2024-05-01T00:00:00Z"] * 2,
...                       "math": [0.5, 0.75]})
>>> _ = fg.load_feature_definitions(frame)
>>> _ = fg.create("index", "event_time", enable_online_store=False)
>>> _ = fg.ingest(frame)
>>> query = fg.athena_query()
>>> query_id = query.run(f'SELECT math FROM "{query.table_name}" ORDER BY index',
...                      output_location=tempfile.mkdtemp())
>>> query.wait()
>>> query.as_dataframe()["math"].tolist()
[0.5, 0.75]
"""

from __future__ import annotations

import os
import uuid
from typing import Any, Protocol

import pandas as pd

from watchkeeper.errors import UsageError
from watchkeeper.featurestore.definitions import with_iso_times
from watchkeeper.io import storage


class QueryRunner(Protocol):
    """What a query needs of the store: its SQL and where its files may be written."""

    storage_options: dict | None

    def query(self, sql_text: str, *, allow_external_access: bool = False) -> pd.DataFrame:
        """Run one read-only SQL query over the offline stores."""
        ...


class AthenaQuery:
    """One query over the offline store, named as SageMaker's ``AthenaQuery``.

    ``table_name`` is the name the group's rows go by in the SQL (its view, SageMaker's
    ``DataCatalogConfig.TableName``); ``database`` is there for code that prints it.
    """

    def __init__(self, store: QueryRunner, table_name: str) -> None:
        self.store = store
        self.table_name = table_name
        self.database = "watchkeeper"
        self._result: pd.DataFrame | None = None
        self._execution: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"AthenaQuery(table_name={self.table_name!r})"

    def run(
        self,
        query_string: str,
        output_location: str | os.PathLike[str],
        kms_key: str | None = None,
        workgroup: str | None = None,
    ) -> str:
        """Run the query and write its result as CSV under ``output_location`` (a folder
        or an ``s3://`` prefix); returns the query's id, which names the CSV file.

        ``kms_key`` and ``workgroup`` are accepted for SageMaker code and ignored. SQL the
        sandbox refuses, or that fails, raises :class:`UsageError` here, and no file is
        written.
        """
        if not isinstance(query_string, str) or not query_string.strip():
            raise UsageError("query_string must be a SQL query, got an empty one")
        if output_location is None or not os.fspath(output_location).strip():
            raise UsageError("output_location must be a folder or an s3:// prefix for the CSV")
        result = self.store.query(query_string)
        query_id = str(uuid.uuid4())
        location = storage.join(os.fspath(output_location), f"{query_id}.csv")
        storage.write_text(
            location, with_iso_times(result).to_csv(index=False), self.store.storage_options
        )
        self._result = result
        self._execution = {
            "QueryExecutionId": query_id,
            "Query": query_string,
            "StatementType": "DML",
            "ResultConfiguration": {"OutputLocation": location},
            "QueryExecutionContext": {"Database": self.database},
            "Status": {"State": "SUCCEEDED"},
        }
        return query_id

    def wait(self) -> None:
        """Return: :meth:`run` finished the query already."""
        self._ran()

    def get_query_execution(self) -> dict[str, Any]:
        """The query as Athena's GetQueryExecution describes it: its id, SQL, state and
        the CSV's location (``ResultConfiguration.OutputLocation``)."""
        return {"QueryExecution": dict(self._ran())}

    def as_dataframe(self) -> pd.DataFrame:
        """The result as a pandas DataFrame, with the column types the SQL gave."""
        self._ran()
        assert self._result is not None
        return self._result.copy()

    def _ran(self) -> dict[str, Any]:
        if self._execution is None:
            raise UsageError("no query has run yet: call run(query_string, output_location)")
        return self._execution
