"""Capture settings changed while the server runs: ``GET`` and ``PUT /api/v1/capture``.

SageMaker changes an endpoint's data capture by updating the endpoint; here the running
writer is told (:meth:`watchkeeper.capture.CaptureWriter.configure`), so no request is
lost to a restart. ``{"enabled": false}`` stops capture, ``{"enabled": true}`` starts
it again, ``{"sampling_percent": 10}`` captures one request in ten.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

from watchkeeper.capture import CaptureWriter
from watchkeeper.serve.payload import RequestProblem

log = logging.getLogger("watchkeeper.serve")


class CaptureSettings(BaseModel):
    """A change of the capture settings: the ones named change, the others stay."""

    enabled: bool | None = Field(None, description="Whether requests are captured at all.")
    sampling_percent: float | None = Field(
        None, ge=0, le=100, description="The share of requests captured, in percent."
    )


class CaptureState(BaseModel):
    """The capture settings in force."""

    enabled: bool
    sampling_percent: float
    capture_mode: str = Field(description="both, input or output.")
    destination: str


def add_capture_routes(app: FastAPI, error_answer: type[BaseModel]) -> None:
    """The two routes, on an app whose ``capture`` is a writer or None; its error
    answers are documented as ``error_answer``."""
    conflict = {"model": error_answer, "description": "The server captures nothing."}
    invalid = {"model": error_answer, "description": "A setting out of range."}

    @app.get(
        "/api/v1/capture", response_model=CaptureState, tags=["capture"],
        responses={409: conflict},
    )  # fmt: skip
    def capture_settings() -> dict[str, Any]:
        """The capture settings in force."""
        return _state(_writer(app))

    @app.put(
        "/api/v1/capture", response_model=CaptureState, tags=["capture"],
        responses={409: conflict, 422: invalid},
    )  # fmt: skip
    def change_capture(settings: CaptureSettings) -> dict[str, Any]:
        """Switch capture off or on, or change its sampling percentage, without a
        restart. Records sampled before the change are written either way."""
        writer = _writer(app)
        writer.configure(enabled=settings.enabled, sampling_percent=settings.sampling_percent)
        log.warning(
            "capture %s, %g%% sampled",
            "on" if writer.enabled else "off", writer.sampling_percent,
        )  # fmt: skip
        return _state(writer)


def _writer(app: FastAPI) -> CaptureWriter:
    writer = getattr(app, "capture", None)
    if writer is None:
        raise RequestProblem(
            409, "this server captures nothing: start it with --capture to capture traffic"
        )
    return writer


def _state(writer: CaptureWriter) -> dict[str, Any]:
    return {
        "enabled": writer.enabled,
        "sampling_percent": writer.sampling_percent,
        "capture_mode": writer.capture_mode,
        "destination": writer.destination,
    }
