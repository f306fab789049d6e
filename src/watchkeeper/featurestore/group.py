"""A feature group: its definitions in the registry, its offline Parquet files and its
records in the online store.

Every write follows one order: validate the whole frame first, write the offline
Parquet files of a batch (each atomically: temp file + rename, or one object put), then
the online batch in one transaction; if the online write fails, the batch's offline files
are removed again, so a batch is either in both stores or in neither.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from watchkeeper.errors import InputError, UsageError
from watchkeeper.featurestore.definitions import (
    TIME_TYPE,
    IngestReport,
    check_definitions,
    infer_definitions,
    parse_event_times,
    to_pandas,
    validate_frame,
)
from watchkeeper.io import storage

if TYPE_CHECKING:
    from watchkeeper.featurestore.store import FeatureStore

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
EXTRA_COLUMNS = ("write_time", "api_invocation_time", "is_deleted")


def check_name(name: str) -> str:
    """The group name, checked: 1 to 64 letters, digits, ``-`` or ``_``, starting with a
    letter or digit."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise UsageError(
            f"feature group name {name!r} is not allowed: use 1 to 64 letters, digits, "
            "'-' or '_', starting with a letter or digit"
        )
    return name


def _now() -> pd.Timestamp:
    return pd.Timestamp(dt.datetime.now(dt.UTC)).as_unit("us")


def _iso(times: pa.Array) -> pa.Array:
    return pc.strftime(times, format="%Y-%m-%dT%H:%M:%S.%fZ")


class FeatureGroup:
    """A named set of features keyed by a record identifier and versioned by event time.

    Obtain one with :meth:`FeatureStore.feature_group`; define it with
    :meth:`load_feature_definitions` and :meth:`create`, then :meth:`ingest` frames.
    """

    def __init__(self, store: FeatureStore, name: str) -> None:
        self.store = store
        self.name = check_name(name)
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
        return storage.join(self.store.uri, self.name)

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
    ) -> dict[str, Any]:
        """Register the group; returns its description (see :meth:`describe`)."""
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
                "S3StorageConfig": {"S3Uri": self.offline_uri},
                "DataCatalogConfig": {"TableName": self.name},
            },
            "CreationTime": dt.datetime.now(dt.UTC).isoformat(),
            "Description": description or "",
            "Tags": list(tags or []),
        }
        storage.write_text(self.registry_uri, _dumps(description_doc), self.store.storage_options)
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

    def feature_names(self) -> list[str]:
        """The names of the group's features, in definition order."""
        return [item["FeatureName"] for item in self.describe()["FeatureDefinitions"]]

    def delete(self) -> None:
        """Remove the group: its online records, its offline files, its registry entry."""
        self.describe()
        if self.online_enabled:
            self.store.online_store.drop(self.name)
        self.store._remove_tree(self.offline_uri)
        self.store._remove(self.registry_uri)
        self._description = None

    # -- writes -------------------------------------------------------------------------

    def ingest(self, data_frame: Any, max_workers: int = 1) -> IngestReport:
        """Validate a frame against the definitions and write the rows that fit.

        Rows with a missing record identifier, an event time that cannot be read, a value
        of the wrong type or a value in a column the group does not define are left out
        and listed in the report's ``rejected`` as ``(row number, reason)``. The rest is
        split into ``max_workers`` chunks written in parallel threads, each an atomic
        batch (offline files, then the online records). A failing chunk raises after the
        others have finished; the chunks written before stay written.
        """
        if max_workers < 1:
            raise UsageError(f"max_workers must be at least 1, got {max_workers}")
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
        size = -(-table.num_rows // max_workers)
        chunks = [table.slice(start, size) for start in range(0, table.num_rows, size)]
        if len(chunks) == 1:
            results = [self._write_batch(chunks[0], invoked)]
        else:
            with ThreadPoolExecutor(max_workers=max_workers) as pool:
                futures = [pool.submit(self._write_batch, chunk, invoked) for chunk in chunks]
                errors = [f.exception() for f in futures]
                first = next((e for e in errors if e is not None), None)
                if first is not None:
                    raise first
                results = [f.result() for f in futures]
        for files in results:
            report.files.extend(files)
        report.ingested = table.num_rows
        self.store._profile_batch(self.name, table, invoked.to_pydatetime())
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
        written = self._write_offline(table, _now(), deleted=True)
        if not self.online_enabled:
            return False
        time_text = _iso(table.column(time_name)).to_pylist()[0]
        try:
            return bool(
                self.store.online_store.delete(
                    self.name, str(table.column(id_name).to_pylist()[0]), time_text
                )
            )
        except BaseException:
            for uri in written:
                self.store._remove(uri)
            raise

    def _write_batch(self, table: pa.Table, invoked: pd.Timestamp) -> list[str]:
        written = self._write_offline(table, invoked, deleted=False)
        if not self.online_enabled:
            return written
        try:
            self.store.online_store.write(
                self.name,
                self._online_records(table),
                self.record_identifier_name,
                self.event_time_feature_name,
            )
        except BaseException:
            for uri in written:
                self.store._remove(uri)
            raise
        return written

    def _online_records(self, table: pa.Table) -> list[dict[str, Any]]:
        id_name = self.record_identifier_name
        time_name = self.event_time_feature_name
        # only the latest event of each id can matter online
        order = pc.sort_indices(
            table, sort_keys=[(id_name, "ascending"), (time_name, "descending")]
        )
        ordered = table.take(order)
        ids = ordered.column(id_name).to_numpy(zero_copy_only=False)
        first = np.ones(len(ids), dtype=bool)
        first[1:] = ids[1:] != ids[:-1]
        latest = ordered.filter(pa.array(first))
        times = latest.column(time_name)
        latest = latest.set_column(latest.schema.get_field_index(time_name), time_name, _iso(times))
        return latest.to_pylist()

    def _write_offline(self, table: pa.Table, invoked: pd.Timestamp, deleted: bool) -> list[str]:
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
        try:
            for index, day in enumerate(values.tolist()):
                part = table.slice(bounds[index], bounds[index + 1] - bounds[index])
                sink = pa.BufferOutputStream()
                pq.write_table(part, sink, compression="zstd")
                uri = storage.join(
                    self.offline_uri, f"event_date={day}", f"part-{uuid.uuid4().hex}.parquet"
                )
                storage.write_bytes(uri, sink.getvalue().to_pybytes(), self.store.storage_options)
                written.append(uri)
        except BaseException:
            for uri in written:
                self.store._remove(uri)
            raise
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
        self._check_features(feature_names)
        return self._online_or_fail().get(
            self.name, self._key(record_identifier_value), feature_names
        )

    def batch_get_record(
        self, record_identifier_values: list[Any], feature_names: list[str] | None = None
    ) -> list[dict[str, Any] | None]:
        """The latest records of several ids (None for an id without one), in their order."""
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


def _dumps(document: dict[str, Any]) -> str:
    import json

    return json.dumps(document, indent=2, sort_keys=False) + "\n"


__all__ = ["FeatureGroup", "parse_event_times"]
