"""The feature store's HTTP face: a feature group's latest records, as the dashboard
server answers them (``watchkeeper ui``).

>>> from fastapi import FastAPI
>>> app = FastAPI()
>>> app.include_router(feature_store_router())
>>> list(app.openapi()["paths"])
['/api/v1/feature-groups/{name}/records/{record_id}']
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from watchkeeper.catalog import Catalog
from watchkeeper.errors import WatchkeeperError
from watchkeeper.featurestore.store import FeatureStore


def feature_store_router(
    store: FeatureStore | None = None, *, catalog: Catalog | None = None
) -> APIRouter:
    """``GET /api/v1/feature-groups/{name}/records/{record_id}``: the latest record of an
    id from a feature group's online store (``feature`` query parameters choose the
    features). ``store`` is the feature store to read; without it, the workspace's, with
    ``catalog``, is opened for each request, so groups created meanwhile by other
    processes are found.

    A record or group that is not there answers 404, a name or feature the group cannot
    have 422, with one line saying why.
    """
    router = APIRouter(prefix="/api/v1", tags=["feature store"])

    @router.get("/feature-groups/{name}/records/{record_id}")
    def feature_record(
        name: str, record_id: str, feature: Annotated[list[str] | None, Query()] = None
    ) -> dict[str, Any]:
        """The latest record of an id from a feature group's online store."""
        reading = store if store is not None else FeatureStore(catalog=catalog)
        try:
            group = reading.feature_group(name)  # checks the name
            if not group.exists():
                raise HTTPException(404, f"no feature group named {name!r}")
            record = group.get_record(record_id, feature_names=feature)
        except WatchkeeperError as exc:
            raise HTTPException(422, str(exc)) from None
        finally:
            if reading is not store:
                reading.close()
        if record is None:
            raise HTTPException(404, f"feature group {name!r} has no record {record_id!r}")
        return record

    return router
