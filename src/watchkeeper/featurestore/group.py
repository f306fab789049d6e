"""A feature group: its definitions in the registry, its offline Parquet files and its
records in the online store.

Every write follows one order: validate the whole frame first, stage the call's offline
Parquet files, then commit the call (by the online write, in one transaction, when the
group has an online store) and rename the files into place (see
:mod:`watchkeeper.featurestore.commit`). A call is either in both stores or in neither,
also when its process is killed: the next opening of the store settles it.

A group reaches its store only through :class:`GroupStore`, the few things it needs of
it; :class:`~watchkeeper.featurestore.store.FeatureStore` is one, and this module does
not import it (the store makes its groups, so the import goes the other way).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchkeeper.errors import InputError, UsageError
from watchkeeper.featurestore.athena import AthenaQuery
from watchkeeper.featurestore.commit import Call, Staging
from watchkeeper.featurestore.definitions import (
    TIME_TYPE,
    IngestReport,
    check_definitions,
    check_group_name,
    format_event_times,
    infer_definitions,
    parse_event_times,
    to_pandas,
    validate_frame,
)
from watchkeeper.featurestore.online import OnlineStore, event_time_us
from watchkeeper.io import storage

log = logging.getLogger("watchkeeper.featurestore")

EXTRA_COLUMNS = ("write_time", "api_invocation_time", "is_deleted")
# the ingested event times as they were written, carried beside the rows to the online store
_TIME_TEXT = "__event_time_text"
_ROW = "__row"


def _now() -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.now(dt.UTC)).as_unit("us")


class GroupStore(Protocol):
    """What a feature group needs of the store it belongs to."""

    uri: str
    storage_options: dict | None

    @property
    def staging(self) -> Staging:
        """Where the group's calls are staged before they are committed."""
        ...

    @property
    def online_store(self) -> OnlineStore:
        """The online store, opened on first use."""
        ...

    def recover(self, again: bool = False) -> int:
        """Settle the calls that killed writers left behind."""
        ...

    def remove(self, uri: str) -> None:
        """Remove a file or a folder of the store, if it is there."""
        ...

    def profile_batch(self, name: str, table: pa.Table, when: dt.datetime) -> None:
        """Add an ingested batch's profile to the group's dataset."""
        ...

    def query(self, sql_text: str, *, allow_external_access: bool = False) -> pd.DataFrame:
        """Run one read-only SQL query over the offline stores."""
        ...


class FeatureGroup:
    """A named set of features keyed by a record identifier and versioned by event time.

    Obtain one with :meth:`FeatureStore.feature_group`; define it with
    :meth:`load_feature_definitions` and :meth:`create`, then :meth:`ingest` frames.
    """

    def __init__(self, store: GroupStore, name: str) -> None:
        self.store = store
        self.name = check_group_name(name)
        self.feature_definitions: list[dict[str, str]] = []
        self._description: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"FeatureGroup({self.name!r})"

    # -- definition -------------------------------------------------------------------

    def load_feature_definitions(self, data_frame: Any) -> list[dict[str, str]]:
        """Infer the definitions from a pandas, polars or Arrow frame (ints ``Integral``,
        floats ``Fractional``, anything else ``String``) and keep them for :meth:`create`."""
        self.feature_definitions = infer_definitions(data_frame)
        return self.feature_definitions

    @property
    def registry_uri(self) -> str:
        return storage.join(self.store.uri, "_groups", f"{self.name}.json")

    @property
    def offline_uri(self) -> str:
        """Where the group's offline Parquet files live."""
        config = self.describe()["OfflineStoreConfig"]["S3StorageConfig"]
        # groups registered before s3_uri was accepted record their folder as S3Uri
        return config.get("ResolvedOutputS3Uri") or config["S3Uri"]

    def _offline_root(self, s3_uri: Any) -> str:
        """The folder the group's offline folder goes in: ``s3_uri``, checked to be on
        the filesystem the store stages its writes on, or the store's own."""
        if s3_uri is None:
            return self.store.uri
        if not isinstance(s3_uri, str | os.PathLike) or not os.fspath(s3_uri).strip():
            raise UsageError(f"s3_uri must be a folder or an s3:// URI, got {s3_uri!r}")
        root = os.fspath(s3_uri).rstrip("/")
        if storage.is_local(root):
            root = str(Path(root.removeprefix("file://")).resolve())
        if storage.is_local(root) != storage.is_local(self.store.uri) or (
            not storage.is_local(root)
            and root.split("://")[0] != str(self.store.uri).split("://")[0]
        ):
            raise UsageError(
                f"s3_uri '{s3_uri}' is on another filesystem than this feature store "
                f"('{self.store.uri}'): open FeatureStore('{s3_uri}') to keep the offline "
                "store there"
            )
        return root

    def exists(self) -> bool:
        """Whether the group is in the registry."""
        return storage.exists(self.registry_uri, self.store.storage_options)

    def create(
        self,
        record_identifier_name: str,
        event_time_feature_name: str,
        enable_online_store: bool = True,
        description: str | None = None,
        tags: list[dict[str, str]] | dict[str, str] | None = None,
        feature_definitions: list[dict[str, str]] | None = None,
        *,
        s3_uri: str | os.PathLike[str] | None = None,
        role_arn: str | None = None,
    ) -> dict[str, Any]:
        """Register the group; returns its description (see :meth:`describe`).

        The offline files go to ``{s3_uri}/{name}/`` when ``s3_uri`` is given (a folder
        or bucket prefix on the store's own filesystem, as SageMaker's offline store
        location), else to the store's folder. ``role_arn`` is accepted so that
        SageMaker code runs as written, and ignored: files are written with the
        process's own credentials.
        """
        definitions = check_definitions(feature_definitions or self.feature_definitions)
        if not definitions:
            raise UsageError(
                f"feature group '{self.name}' has no feature definitions: call "
                "load_feature_definitions(frame) or pass feature_definitions"
            )
        types = {item["FeatureName"]: item["FeatureType"] for item in definitions}
        for label, name in (
            ("record identifier", record_identifier_name),
            ("event time feature", event_time_feature_name),
        ):
            if name not in types:
                raise UsageError(
                    f"{label} '{name}' is not among the features of '{self.name}': "
                    f"{', '.join(types)}"
                )
        if record_identifier_name == event_time_feature_name:
            raise UsageError("the record identifier and the event time must be two features")
        if types[record_identifier_name] == "Fractional":
            raise UsageError(
                f"record identifier '{record_identifier_name}' must be Integral or String"
            )
        if types[event_time_feature_name] == "Integral":
            raise UsageError(
                f"event time feature '{event_time_feature_name}' must be String (ISO-8601) "
                "or Fractional (seconds since the epoch)"
            )
        clash = sorted(set(types) & {*EXTRA_COLUMNS, "event_date"})
        if clash:
            raise UsageError(f"feature name '{clash[0]}' is reserved by the offline store")
        if self.exists():
            raise UsageError(f"feature group '{self.name}' already exists")
        offline_root = self._offline_root(s3_uri)
        default_uri = storage.join(self.store.uri, self.name)
        if role_arn is not None:
            log.info(
                "feature group %s: role_arn ignored; files are written with this process's "
                "own credentials",
                self.name,
            )
        if isinstance(tags, dict):
            tags = [{"Key": k, "Value": v} for k, v in tags.items()]
        description_doc = {
            "FeatureGroupName": self.name,
            "FeatureGroupStatus": "Created",
            "RecordIdentifierFeatureName": record_identifier_name,
            "EventTimeFeatureName": event_time_feature_name,
            "FeatureDefinitions": definitions,
            "OnlineStoreConfig": {"EnableOnlineStore": bool(enable_online_store)},
            "OfflineStoreConfig": {
                "S3StorageConfig": {
                    "S3Uri": offline_root if s3_uri is not None else default_uri,
                    "ResolvedOutputS3Uri": storage.join(offline_root, self.name),
                },
                "DataCatalogConfig": {"TableName": self.name},
            },
            "CreationTime": dt.datetime.now(dt.UTC).isoformat(),
            "Description": description or "",
            "Tags": list(tags or []),
        }
        with self.store.staging.writing():
            storage.write_text(
                self.registry_uri, _dumps(description_doc), self.store.storage_options
            )
        self._description = description_doc
        self.feature_definitions = definitions
        return description_doc

    def describe(self) -> dict[str, Any]:
        """The group as SageMaker's DescribeFeatureGroup shows it: FeatureGroupName,
        RecordIdentifierFeatureName, EventTimeFeatureName, FeatureDefinitions,
        OnlineStoreConfig, OfflineStoreConfig (with the folder or S3 URI), CreationTime,
        Description, Tags."""
        if self._description is None:
            if not self.exists():
                raise UsageError(f"feature group '{self.name}' does not exist")
            self._description = storage.read_json(self.registry_uri, self.store.storage_options)
            self.feature_definitions = self._description["FeatureDefinitions"]
        return dict(self._description)

    @property
    def record_identifier_name(self) -> str:
        return self.describe()["RecordIdentifierFeatureName"]

    @property
    def event_time_feature_name(self) -> str:
        return self.describe()["EventTimeFeatureName"]

    @property
    def online_enabled(self) -> bool:
        return bool(self.describe()["OnlineStoreConfig"]["EnableOnlineStore"])

    def athena_query(self) -> AthenaQuery:
        """An object to run SQL over the offline store as SageMaker's ``athena_query()``
        does: ``run(query_string, output_location)``, ``wait()``, ``as_dataframe()``;
        its ``table_name`` names the group in the SQL (see
        :mod:`watchkeeper.featurestore.athena`)."""
        return AthenaQuery(
            self.store, self.describe()["OfflineStoreConfig"]["DataCatalogConfig"]["TableName"]
        )

    def feature_names(self) -> list[str]:
        """The names of the group's features, in definition order."""
        return [item["FeatureName"] for item in self.describe()["FeatureDefinitions"]]

    def delete(self) -> None:
        """Remove the group: its online records, its offline files, its registry entry."""
        self.store.recover()
        self.describe()
        with self.store.staging.writing():
            if self.online_enabled:
                self.store.online_store.drop(self.name)
            self.store.staging.discard(self.name)
            self.store.remove(self.offline_uri)
            self.store.remove(self.registry_uri)
        self._description = None

    # -- writes -------------------------------------------------------------------------

    def ingest(
        self,
        data_frame: Any,
        max_workers: int = 1,
        max_processes: int = 1,
        wait: bool = True,
        timeout: float | None = None,
        profile_name: str | None = None,
    ) -> IngestReport:
        """Validate a frame against the definitions and write the rows that fit.

        The ingest is synchronous: it returns once the rows are in both stores, so
        ``wait`` (and SageMaker's ``max_processes``, ``timeout``, ``profile_name``) is
        accepted for SageMaker code to run as written and changes nothing; the report's
        :meth:`~IngestReport.wait` returns at once.

        Rows with a missing record identifier, an event time that cannot be read, a value
        of the wrong type or a value in a column the group does not define are left out
        and listed in the report's ``rejected`` as ``(row number, reason)``. The rest
        lands whole or not at all, in the offline and the online store alike, even if
        the process is killed meanwhile; its Parquet files are written by ``max_workers``
        parallel threads.
        """
        if max_workers < 1:
            raise UsageError(f"max_workers must be at least 1, got {max_workers}")
        self.store.recover()
        description = self.describe()
        frame = to_pandas(data_frame)
        table, rejected = validate_frame(
            frame,
            description["FeatureDefinitions"],
            description["RecordIdentifierFeatureName"],
            description["EventTimeFeatureName"],
        )
        report = IngestReport(rejected=rejected)
        if table.num_rows == 0:
            return report
        invoked = _now()
        with self.store.staging.call(self.name, self.offline_uri) as call:
            size = -(-table.num_rows // max_workers)
            chunks = [table.slice(start, size) for start in range(0, table.num_rows, size)]
            if len(chunks) == 1:
                report.files = self._stage(call, chunks[0], invoked, deleted=False)
            else:
                with ThreadPoolExecutor(max_workers=max_workers) as pool:
                    futures = [
                        pool.submit(self._stage, call, chunk, invoked, False) for chunk in chunks
                    ]
                    for future in futures:
                        report.files.extend(future.result())
            online = self.store.online_store if self.online_enabled else None
            call.seal(online)
            if online is not None:
                records = self._online_records(
                    table, _event_time_texts(frame[description["EventTimeFeatureName"]], rejected)
                )
                call.commit_online(
                    online,
                    lambda commit: online.write(
                        self.name,
                        records,
                        self.record_identifier_name,
                        self.event_time_feature_name,
                        commit=commit,
                    ),
                )
            call.publish()
        report.ingested = table.num_rows
        self.store.profile_batch(self.name, table, invoked.to_pydatetime())
        return report

    def put_record(self, record: dict[str, Any]) -> None:
        """Write one record (a dict of feature name to value); a record that does not fit
        raises :class:`InputError` with the reason."""
        report = self.ingest(pd.DataFrame([record]))
        if report.rejected:
            raise InputError(f"{self.name}: record rejected: {report.rejected[0][1]}")

    def delete_record(self, record_identifier_value: Any, event_time: Any) -> bool:
        """Delete a record from the online store (unless a newer event is there) and add an
        offline row with ``is_deleted`` true at ``event_time``; returns whether the online
        record was removed."""
        description = self.describe()
        id_name = description["RecordIdentifierFeatureName"]
        time_name = description["EventTimeFeatureName"]
        frame = pd.DataFrame({id_name: [record_identifier_value], time_name: [event_time]})
        table, rejected = validate_frame(
            frame, description["FeatureDefinitions"], id_name, time_name
        )
        if rejected:
            raise InputError(f"{self.name}: cannot delete: {rejected[0][1]}")
        self.store.recover()
        removed = False
        with self.store.staging.call(self.name, self.offline_uri) as call:
            self._stage(call, table, _now(), deleted=True)
            online = self.store.online_store if self.online_enabled else None
            call.seal(online)
            if online is not None:
                record_id = str(table.column(id_name).to_pylist()[0])
                time_text = format_event_times(table.column(time_name)).to_pylist()[0]
                removed = call.commit_online(
                    online,
                    lambda commit: online.delete(self.name, record_id, time_text, commit=commit),
                )
            call.publish()
        return bool(removed)

    def _online_records(self, table: pa.Table, time_texts: pa.Array) -> pa.Table:
        """The latest record of each id (of equal event times, the later row, as the online
        store would keep), its event time in the form it was written in when that was
        text naming the same instant, else as :func:`format_event_times`."""
        id_name = self.record_identifier_name
        time_name = self.event_time_feature_name
        table = table.append_column(_TIME_TEXT, time_texts)
        table = table.append_column(_ROW, pa.array(np.arange(table.num_rows, dtype=np.int64)))
        # only the latest event of each id can matter online
        order = pc.sort_indices(
            table,
            sort_keys=[(id_name, "ascending"), (time_name, "descending"), (_ROW, "descending")],
        )
        ids = table.column(id_name).take(order).to_numpy(zero_copy_only=False)
        first = np.ones(len(ids), dtype=bool)
        first[1:] = ids[1:] != ids[:-1]
        # only the winning rows are gathered, each column once
        latest = table.take(order.filter(pa.array(first)))
        times = latest.column(time_name)
        written = latest.column(_TIME_TEXT).combine_chunks()
        rendered = format_event_times(times)
        # text already in the rendered form needs no second reading; the rest is read
        # as the online store reads it
        other = pc.invert(pc.fill_null(pc.equal(written, rendered), False)).to_numpy(
            zero_copy_only=False
        ) & written.is_valid().to_numpy(zero_copy_only=False)
        if other.any():
            micros = times.cast(pa.int64()).to_numpy(zero_copy_only=False)
            keep = np.zeros(len(other), dtype=bool)
            for row in np.flatnonzero(other).tolist():
                keep[row] = _same_instant(written[row].as_py(), int(micros[row]))
            rendered = pc.if_else(pa.array(keep), written, rendered)
        position = latest.schema.get_field_index(time_name)
        latest = latest.set_column(position, time_name, rendered)
        return latest.drop_columns([_TIME_TEXT, _ROW])

    def _stage(
        self, call: Call, table: pa.Table, invoked: pd.Timestamp, deleted: bool
    ) -> list[str]:
        """Stage the rows as one Parquet file per event date; returns their final URIs."""
        time_name = self.event_time_feature_name
        n = table.num_rows
        table = table.append_column(
            "write_time", pa.array(np.full(n, _now().value // 1000, dtype="int64"), TIME_TYPE)
        )
        table = table.append_column(
            "api_invocation_time",
            pa.array(np.full(n, invoked.value // 1000, dtype="int64"), TIME_TYPE),
        )
        table = table.append_column("is_deleted", pa.array(np.full(n, deleted)))
        dates = pc.strftime(table.column(time_name), format="%Y-%m-%d")
        order = pc.sort_indices(dates)
        table = table.take(order)
        dates = dates.take(order).to_numpy(zero_copy_only=False)
        values, starts = np.unique(dates, return_index=True)
        bounds = [*starts.tolist(), n]
        written: list[str] = []
        for index, day in enumerate(values.tolist()):
            part = table.slice(bounds[index], bounds[index + 1] - bounds[index])
            sink = pa.BufferOutputStream()
            pq.write_table(part, sink, compression="zstd")
            written.append(call.stage(f"event_date={day}", sink.getvalue().to_pybytes()))
        return written

    # -- online reads -----------------------------------------------------------------

    def _online_or_fail(self):
        if not self.online_enabled:
            raise UsageError(f"feature group '{self.name}' has no online store")
        return self.store.online_store

    def get_record(
        self, record_identifier_value: Any, feature_names: list[str] | None = None
    ) -> dict[str, Any] | None:
        """The latest record of an id from the online store, or None."""
        self.store.recover()
        self._check_features(feature_names)
        return self._online_or_fail().get(
            self.name, self._key(record_identifier_value), feature_names
        )

    def batch_get_record(
        self, record_identifier_values: list[Any], feature_names: list[str] | None = None
    ) -> list[dict[str, Any] | None]:
        """The latest records of several ids (None for an id without one), in their order."""
        self.store.recover()
        self._check_features(feature_names)
        keys = [self._key(value) for value in record_identifier_values]
        return self._online_or_fail().get_many(self.name, keys, feature_names)

    def _key(self, value: Any) -> Any:
        kind = {d["FeatureName"]: d["FeatureType"] for d in self.describe()["FeatureDefinitions"]}
        if kind[self.record_identifier_name] == "Integral":
            try:
                return str(int(value))
            except (TypeError, ValueError):
                raise UsageError(
                    f"record identifier '{self.record_identifier_name}' is Integral, got {value!r}"
                ) from None
        return str(value)

    def _check_features(self, feature_names: list[str] | None) -> None:
        if feature_names is None:
            return
        known = set(self.feature_names())
        for name in feature_names:
            if name not in known:
                raise UsageError(f"feature '{name}' is not in feature group '{self.name}'")


def _event_time_texts(values: pd.Series, rejected: list[tuple[int, str]]) -> pa.Array:
    """The event times of the rows validation kept, in their order: the text as written,
    null where it was not text (a datetime, epoch seconds)."""
    keep = np.ones(len(values), dtype=bool)
    keep[[row for row, _ in rejected]] = False
    kept = values.reset_index(drop=True)[keep]
    if pd.api.types.infer_dtype(kept, skipna=True) != "string":
        return pa.nulls(len(kept), pa.string())
    return pa.array(kept.astype("string"), pa.string(), from_pandas=True)


def _same_instant(text: str | None, micros: int) -> bool:
    """Whether ``text`` reads, as the online store reads it, as this very microsecond."""
    if text is None:
        return False
    try:
        return event_time_us(text) == micros
    except UsageError:
        return False


def _dumps(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document, indent=2, sort_keys=False) + "\n"


__all__ = ["FeatureGroup", "GroupStore", "parse_event_times"]
