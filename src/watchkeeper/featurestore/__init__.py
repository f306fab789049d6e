"""Feature store: feature groups with an offline store of Parquet files (queried with
DuckDB, joined point in time) and an online store of each record's latest values.

The model is SageMaker Feature Store's: a feature group has feature definitions
(``Integral``, ``Fractional``, ``String``), a record identifier and an event time; the
offline store keeps every version of every record with ``write_time``,
``api_invocation_time`` and ``is_deleted``; the online store keeps the latest.
"""

from __future__ import annotations

from watchkeeper.featurestore.definitions import IngestReport, infer_definitions
from watchkeeper.featurestore.group import FeatureGroup
from watchkeeper.featurestore.store import FeatureStore

__all__ = ["FeatureGroup", "FeatureStore", "IngestReport", "infer_definitions"]
