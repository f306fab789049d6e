"""DuckDB over the offline store, sandboxed.

The store's SQL sees the feature groups and nothing else. A sandboxed connection gets a
view per group over the group's Parquet files as they are when it opens; those files
are DuckDB's ``allowed_paths``, then external access is turned off
(``enable_external_access = false``: no other file, URL, database or extension
directory can be read or written), extensions are neither installed nor loaded, and the
configuration is locked so that SQL cannot ``SET`` any of it back. The views keep
DuckDB's own Parquet reader (parallel, with column and row-group pruning), so the
sandbox costs no speed. :func:`check_read_only` further refuses any statement that is
not a query (``COPY``, ``ATTACH``, ``INSTALL``, ``LOAD``, ``SET``, ``CREATE`` …).

``sandboxed=False`` opens plain DuckDB, with every file and extension it can reach.

>>> con = connect({"numbers": "SELECT 1 AS n"}, [])
>>> run(con, "SELECT n + 1 AS m FROM numbers").to_pylist()
[{'m': 2}]
>>> run(con, "COPY numbers TO 'numbers.csv'")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
watchkeeper.errors.UsageError: query refused: COPY statements are not allowed; ...
>>> con.close()
"""

from __future__ import annotations

import os
import tempfile
import uuid
from typing import Any

import duckdb
import pyarrow as pa

from watchkeeper.errors import UsageError

READ_ONLY = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})
OPT_IN = "full DuckDB: allow_external_access=True, or --unsafe-sql"


def quote(name: str) -> str:
    """``name`` as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def connect(
    views: dict[str, str],
    readable: list[str],
    *,
    filesystem: Any = None,
    memory_limit: str | None = None,
    sandboxed: bool = True,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with ``views`` (name → SELECT). Sandboxed, the files in
    ``readable`` are the only ones it can read, and it writes none."""
    config = {}
    if sandboxed:
        config = {
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            "allow_community_extensions": False,
            "python_enable_replacements": False,
        }
    con = duckdb.connect(config=config)
    try:
        # a folder of this connection's own, which DuckDB creates only if it spills and
        # removes on close; the sandbox lets DuckDB (and so SQL) read nothing else there
        spill = os.path.join(tempfile.gettempdir(), f"watchkeeper-duckdb-{uuid.uuid4().hex}")
        con.execute(f"SET temp_directory = {literal(spill)}")
        if memory_limit:
            con.execute(f"SET memory_limit = {literal(memory_limit)}")
        if filesystem is not None:
            con.register_filesystem(filesystem)
        for name, select in views.items():
            con.execute(f"CREATE VIEW {quote(name)} AS {select}")
        if sandboxed:
            if readable:
                con.execute(f"SET allowed_paths = [{', '.join(map(literal, readable))}]")
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
    except duckdb.Error as exc:
        con.close()
        raise UsageError(f"cannot open the offline store's SQL: {_one_line(exc)}") from None
    except BaseException:
        con.close()
        raise
    return con


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise :class:`UsageError` unless ``sql`` is one query (SELECT, DESCRIBE, SHOW,
    SUMMARIZE, EXPLAIN, …)."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise UsageError(f"query failed: {_one_line(exc)}") from None
    if len(statements) != 1:
        raise UsageError(f"query refused: give one statement, not {len(statements)}")
    statement = statements[0]
    if statement.type not in READ_ONLY:
        # the statement's own first word (INSTALL, RESET) says more than its type (LOAD, SET)
        words = statement.query.split(maxsplit=1)
        keyword = words[0].upper() if words and words[0].isalpha() else statement.type.name
        raise UsageError(
            f"query refused: {keyword} statements are not allowed; the feature store's "
            f"SQL is read-only ({OPT_IN})"
        )


def run(con: duckdb.DuckDBPyConnection, sql: str, *, sandboxed: bool = True) -> pa.Table:
    """The result of ``sql`` as an Arrow table; bad or refused SQL raises
    :class:`UsageError` with one line saying why."""
    if sandboxed:
        check_read_only(con, sql)
    try:
        relation = con.sql(sql)
        if relation is None:  # a statement without a result
            return pa.table({})
        fetch = getattr(relation, "to_arrow_table", None) or relation.arrow  # DuckDB < 1.4
        return fetch()
    except duckdb.PermissionException as exc:
        raise UsageError(
            f"query refused: {_one_line(exc)}; only the feature groups can be read ({OPT_IN})"
        ) from None
    except duckdb.Error as exc:
        raise UsageError(f"query failed: {_one_line(exc)}") from None


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
