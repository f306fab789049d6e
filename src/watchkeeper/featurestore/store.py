"""The feature store: a registry of feature groups, their offline Parquet files under one
folder or S3 prefix, an online store, and SQL over the offline files through DuckDB.

Layout under the store's URI::

    _groups/{name}.json                                    the group's description
    {name}/event_date=YYYY-MM-DD/part-{commit}-{n}.parquet offline rows, by event date
    _staging/{name}/{commit}/…                             a call not yet in place
    _staging.lock                                          writers' lock (local folders)
    _online/online.db                                      the default online store

Writes are atomic per call, also under kill -9 (see :mod:`watchkeeper.featurestore.commit`);
the SQL is read-only and sees the feature groups only, unless
``allow_external_access=True`` (see :mod:`watchkeeper.featurestore.sql`).

>>> import tempfile
>>> import pandas as pd
>>> fs = FeatureStore(tempfile.mkdtemp(), online=None)
>>> fg = fs.feature_group("customers")
>>> frame = pd.DataFrame({"id": [1, 2], "t": ["2024-01-01T00:00:00Z"] * 2, "x": [0.5, 1.5]})
>>> _ = fg.load_feature_definitions(frame)
>>> _ = fg.create("id", "t", enable_online_store=False)
>>> fg.ingest(frame).ingested
2
>>> fs.query('SELECT sum(x) AS total FROM "customers"')["total"].tolist()
[2.0]
>>> fs.query("SELECT * FROM read_csv('/etc/passwd')")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
watchkeeper.errors.UsageError: query refused: Permission Error: Cannot access file "/etc/passwd" ...
"""

from __future__ import annotations

import logging
import os
from functools import cached_property
from pathlib import Path
from typing import Any

import duckdb
import fsspec
import pandas as pd
import pyarrow as pa

from watchkeeper.catalog.store import workspace
from watchkeeper.errors import SchemaError, UsageError
from watchkeeper.featurestore import sql
from watchkeeper.featurestore.commit import Staging
from watchkeeper.featurestore.definitions import parse_event_times, to_pandas
from watchkeeper.featurestore.group import FeatureGroup
from watchkeeper.io import storage

SQL_TYPES = {"Integral": "BIGINT", "Fractional": "DOUBLE", "String": "VARCHAR"}

log = logging.getLogger("watchkeeper.featurestore")


class FeatureStore:
    """Feature groups with an offline store (Parquet files under ``uri``: a local folder or
    ``s3://…``; default the workspace's ``featurestore/`` folder) and an online store
    (``online``: a spec for :func:`open_online_store`, or an object with its methods;
    default SQLite beside the offline files).

    Every ingested batch is also profiled into the dataset named after its group, in
    ``catalog`` (default: the workspace's, or ``WATCHKEEPER_DATABASE_URL``), so the
    group's feature quality and drift show in the dashboard and can have monitors;
    ``monitor=False`` leaves that out.
    """

    def __init__(
        self,
        uri: str | os.PathLike[str] | None = None,
        online: Any = None,
        storage_options: dict | None = None,
        *,
        catalog: Any = None,
        monitor: bool = True,
    ) -> None:
        self.uri = os.fspath(uri) if uri is not None else str(workspace() / "featurestore")
        self.storage_options = storage_options
        self._online_spec = online
        self._online: Any = None
        self._catalog = catalog
        self.monitor = monitor
        self._recovered = False

    @cached_property
    def staging(self) -> Staging:
        """Where calls are staged before they are committed and put in place."""
        return Staging(self.uri, self.storage_options)

    def recover(self, again: bool = False) -> int:
        """Settle the calls that writers killed mid-way left behind (roll back what did
        not commit, put in place what did, remove staged files); returns how many.

        Runs once per store object, before its first read or write of records (and of
        SQL); ``again=True`` runs it anew. Calls of writers still at work are left alone.
        """
        if self._recovered and not again:
            return 0
        self._recovered = True
        return self.staging.recover(
            self._offline_uri_of,
            lambda: self.online_store,
            registry=storage.join(self.uri, "_groups") if storage.is_local(self.uri) else None,
        )

    def _offline_uri_of(self, name: str) -> str | None:
        try:
            group = self.feature_group(name)
        except UsageError:  # not a group's name: nothing of ours to keep there
            return None
        return group.offline_uri if group.exists() else None

    def profile_batch(self, name: str, table: Any, when: Any) -> None:
        """Add an ingested batch's profile to the group's dataset; a failure here is
        logged, never the ingest's failure (the features are stored by then)."""
        if not self.monitor:
            return
        from watchkeeper.catalog import Catalog
        from watchkeeper.datasets.service import DatasetService
        from watchkeeper.errors import WatchkeeperError
        from watchkeeper.profile import DatasetProfile

        try:
            if self._catalog is None:
                self._catalog = Catalog()
            profile = DatasetProfile()
            profile.track(table)
            DatasetService(self._catalog).receive(name, profile, timestamp=when)
        except WatchkeeperError as exc:
            log.warning("feature group %s: batch not profiled: %s", name, exc)

    def __repr__(self) -> str:
        return f"FeatureStore({self.uri!r})"

    # -- groups -------------------------------------------------------------------------

    def feature_group(self, name: str) -> FeatureGroup:
        """The group called ``name`` (it need not exist yet: see :meth:`FeatureGroup.create`)."""
        return FeatureGroup(self, name)

    def list(self) -> list[str]:
        """The names of the registered groups, sorted."""
        folder = storage.join(self.uri, "_groups")
        if storage.is_local(folder):
            path = Path(folder.removeprefix("file://"))
            names = [p.stem for p in path.glob("*.json")] if path.is_dir() else []
        else:
            fs, root = fsspec.core.url_to_fs(folder, **(self.storage_options or {}))
            names = [Path(p).stem for p in fs.glob(root + "/*.json")]
        return sorted(names)

    def _group(self, group: str | FeatureGroup) -> FeatureGroup:
        found = group if isinstance(group, FeatureGroup) else self.feature_group(group)
        if not found.exists():
            raise UsageError(
                f"feature group '{found.name}' does not exist; groups: "
                f"{', '.join(self.list()) or '(none)'}"
            )
        found.describe()
        return found

    # -- online -------------------------------------------------------------------------

    @property
    def online_store(self) -> Any:
        """The online store, opened on first use."""
        if self._online is None:
            spec = self._online_spec
            if spec is not None and not isinstance(spec, str | os.PathLike):
                self._online = spec
            else:
                from watchkeeper.featurestore.online import open_online_store

                if storage.is_local(self.uri):
                    default = Path(storage.join(self.uri, "_online", "online.db"))
                else:
                    default = workspace() / "featurestore-online.db"
                default.parent.mkdir(parents=True, exist_ok=True)
                self._online = open_online_store(
                    os.fspath(spec) if spec is not None else None, default
                )
        return self._online

    def close(self) -> None:
        """Close the online store if it was opened."""
        if self._online is not None and hasattr(self._online, "close"):
            self._online.close()
        self._online = None

    # -- files --------------------------------------------------------------------------

    def filesystem(self, uri: str) -> tuple[Any, str]:
        """The fsspec filesystem of ``uri`` (with the store's options) and its path there."""
        return fsspec.core.url_to_fs(uri, **(self.storage_options or {}))

    def remove(self, uri: str) -> None:
        """Remove a file or a folder of the store, if it is there."""
        fs, path = self.filesystem(uri)
        if fs.exists(path):
            fs.rm(path, recursive=True)

    def offline_files(self, group: FeatureGroup) -> list[str]:
        """The group's Parquet files, as paths (local) or URIs DuckDB can open."""
        fs, path = self.filesystem(group.offline_uri)
        found = sorted(fs.glob(path.rstrip("/") + "/*/*.parquet"))
        if storage.is_local(self.uri):
            return found
        return [fs.unstrip_protocol(p) for p in found]

    # -- SQL ----------------------------------------------------------------------------

    def connect(
        self, memory_limit: str | None = None, *, allow_external_access: bool = False
    ) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with a view per group named after it over its offline
        files as they are now (with the ``event_date`` partition column).

        It reads those files and nothing else, writes nothing, and its configuration is
        locked (see :mod:`watchkeeper.featurestore.sql`); ``allow_external_access=True``
        gives plain DuckDB, which reads and writes whatever the process can.
        """
        self.recover()
        views: dict[str, str] = {}
        readable: list[str] = []
        for name in self.list():
            group = self.feature_group(name)
            files = self.offline_files(group)
            views[name] = self._source(group, files)
            readable += files
        filesystem = None if storage.is_local(self.uri) else self.filesystem(self.uri)[0]
        return sql.connect(
            views,
            readable,
            filesystem=filesystem,
            memory_limit=memory_limit,
            sandboxed=not allow_external_access,
        )

    def _source(self, group: FeatureGroup, files: list[str]) -> str:
        description = group.describe()
        if files:
            return (
                f"SELECT * FROM read_parquet([{', '.join(map(sql.literal, files))}], "
                "hive_partitioning = true, union_by_name = true)"
            )
        time_name = description["EventTimeFeatureName"]
        columns = [
            f"CAST(NULL AS {'TIMESTAMPTZ' if d['FeatureName'] == time_name else SQL_TYPES[d['FeatureType']]}) "  # noqa: E501
            f"AS {sql.quote(d['FeatureName'])}"
            for d in description["FeatureDefinitions"]
        ]
        columns += [
            "CAST(NULL AS TIMESTAMPTZ) AS write_time",
            "CAST(NULL AS TIMESTAMPTZ) AS api_invocation_time",
            "CAST(NULL AS BOOLEAN) AS is_deleted",
            "CAST(NULL AS DATE) AS event_date",
        ]
        return f"SELECT {', '.join(columns)} WHERE false"

    def query(self, sql_text: str, *, allow_external_access: bool = False) -> pd.DataFrame:
        """Run one SQL query over the offline stores (each group a view named after it)
        and return a pandas DataFrame, e.g. the latest row of each id::

            SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY id
                ORDER BY event_time DESC, write_time DESC) AS row_number FROM "name")
            WHERE row_number = 1 AND NOT is_deleted

        The query sees the feature groups and nothing else: reading other files or URLs,
        writing files (``COPY``), ``ATTACH``, ``INSTALL``/``LOAD``, ``SET`` and any other
        statement that is not a query raise :class:`UsageError`.
        ``allow_external_access=True`` runs it in full DuckDB instead, with the process's
        access to files, network and extensions, for SQL you trust.
        """
        con = self.connect(allow_external_access=allow_external_access)
        try:
            return sql.run(con, sql_text, sandboxed=not allow_external_access).to_pandas()
        finally:
            con.close()

    # -- point in time ------------------------------------------------------------------

    def point_in_time(
        self,
        entity_df: Any,
        groups: list[str | FeatureGroup] | str | FeatureGroup,
        event_time_column: str = "event_time",
        write_time_cutoff: Any = None,
        memory_limit: str | None = "2GB",
    ) -> pd.DataFrame:
        """For each entity row, the features of each group as they were at the row's time.

        ``entity_df`` needs each group's record identifier column and ``event_time_column``.
        A group contributes the offline row of the entity's id with the latest event time
        at or before the row's time, leaving out rows written after ``write_time_cutoff``;
        if that row is a deletion (or there is none) its features are null. Among rows of
        one id and one event time, a deletion wins, then the one written last.

        The result is the entity frame (same rows, same order, same index) with the
        groups' features added: a feature keeps its name unless the entity frame has a
        column of that name or another of the groups has a feature of that name; then it
        is ``{group}__{feature}``. The join runs in DuckDB (ASOF JOIN over the Parquet
        files), within ``memory_limit``.
        """
        if isinstance(groups, str | FeatureGroup):
            groups = [groups]
        resolved = [self._group(group) for group in groups]
        if len({g.name for g in resolved}) != len(resolved):
            raise UsageError("a feature group is named twice in groups")
        frame = to_pandas(entity_df)
        if event_time_column not in frame.columns:
            raise SchemaError(f"entity frame has no column '{event_time_column}'")
        entity: dict[str, Any] = {
            "__row": pa.array(range(len(frame)), pa.int64()),
            "__t": pa.array(
                parse_event_times(frame[event_time_column].reset_index(drop=True), "String")
            ),
        }
        counts: dict[str, int] = {}
        for group in resolved:
            for name in self._features(group):
                counts[name] = counts.get(name, 0) + 1
        selects: list[str] = []
        joins: list[str] = []
        cutoff = None
        if write_time_cutoff is not None:
            cutoff = pd.Timestamp(write_time_cutoff)
            cutoff = cutoff.tz_localize("UTC") if cutoff.tzinfo is None else cutoff
        for index, group in enumerate(resolved):
            description = group.describe()
            id_name = description["RecordIdentifierFeatureName"]
            time_name = description["EventTimeFeatureName"]
            if id_name not in frame.columns:
                raise SchemaError(
                    f"entity frame has no column '{id_name}', the record identifier of "
                    f"feature group '{group.name}'"
                )
            types = {d["FeatureName"]: d["FeatureType"] for d in description["FeatureDefinitions"]}
            ids = frame[id_name].reset_index(drop=True)
            if types[id_name] == "Integral":
                key = pa.array(pd.to_numeric(ids, errors="coerce").astype("Int64"), pa.int64())
            else:
                key = pa.array(ids.astype("string"), pa.string())
            entity[f"__k{index}"] = key
            alias = f"g{index}"
            where = (
                "" if cutoff is None else f"WHERE write_time <= TIMESTAMPTZ '{cutoff.isoformat()}'"
            )
            features = self._features(group)
            feature_list = "".join(f", {sql.quote(name)}" for name in features)
            key_name, event_name = sql.quote(id_name), sql.quote(time_name)
            source = (
                f"SELECT {key_name} AS __k, {event_name} AS __t, "
                f"is_deleted AS __del{feature_list} FROM {sql.quote(group.name)} {where} "
                f"QUALIFY row_number() OVER (PARTITION BY {key_name}, {event_name} "
                "ORDER BY is_deleted DESC, write_time DESC) = 1"
            )
            joins.append(
                f"ASOF LEFT JOIN ({source}) {alias} "
                f"ON e.__k{index} = {alias}.__k AND e.__t >= {alias}.__t"
            )
            for name in features:
                label = name
                if counts[name] > 1 or name in frame.columns:
                    label = f"{group.name}__{name}"
                selects.append(
                    f"CASE WHEN {alias}.__del THEN NULL ELSE {alias}.{sql.quote(name)} END "
                    f"AS {sql.quote(label)}"
                )
        entity_table = pa.table(entity)
        query = (
            f"SELECT {', '.join(selects or ['e.__row'])} FROM entity_table e "
            f"{' '.join(joins)} ORDER BY e.__row"
        )
        con = self.connect(memory_limit)
        try:
            con.register("entity_table", entity_table)
            result = sql.run(con, query)
        finally:
            con.close()
        # hand the Arrow buffers over to pandas column by column rather than copy them all
        features = result.to_pandas(self_destruct=True, split_blocks=True)
        del result
        features = features[[c for c in features.columns if c != "__row"]]
        features.index = frame.index
        return pd.concat([frame, features], axis=1)

    @staticmethod
    def _features(group: FeatureGroup) -> list[str]:
        description = group.describe()
        skip = {description["RecordIdentifierFeatureName"], description["EventTimeFeatureName"]}
        return [name for name in group.feature_names() if name not in skip]
