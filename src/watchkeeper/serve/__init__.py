"""Serving a model behind a REST API, with validation, metrics and data capture.

Load a model saved in any of the usual formats (see :mod:`watchkeeper.model`), then
serve it::

    from watchkeeper.capture import CaptureWriter
    from watchkeeper.model import load_model
    from watchkeeper.serve import create_app

    model = load_model("churn.joblib", baseline="baseline/")
    app = create_app(model, name="churn", capture=CaptureWriter("captures/", "churn"))
    # uvicorn.run(app, port=8080), or: watchkeeper serve churn.joblib --capture captures/

See :mod:`watchkeeper.serve.app` for the routes and :mod:`watchkeeper.serve.payload`
for what a request may hold. ``load_model``, ``LoadedModel``, ``Inference`` and
``MODEL_EXTENSIONS`` are re-exported here, so ``from watchkeeper.serve import
load_model`` works too.
"""

from __future__ import annotations

from watchkeeper.model import MODEL_EXTENSIONS, Inference, LoadedModel, load_model
from watchkeeper.serve.app import (
    DEFAULT_MAX_BODY_BYTES,
    INFERENCE_ID_HEADER,
    ServingApp,
    create_app,
)

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "INFERENCE_ID_HEADER",
    "MODEL_EXTENSIONS",
    "Inference",
    "LoadedModel",
    "ServingApp",
    "create_app",
    "load_model",
]
