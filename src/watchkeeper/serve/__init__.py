"""Serving a model behind a REST API, with validation, metrics and data capture.

Load a model saved in any of the usual formats, then serve it::

    from watchkeeper.capture import CaptureWriter
    from watchkeeper.serve import create_app, load_model

    model = load_model("churn.joblib", baseline="baseline/")
    app = create_app(model, name="churn", capture=CaptureWriter("captures/", "churn"))
    # uvicorn.run(app, port=8080), or: watchkeeper serve churn.joblib --capture captures/

See :mod:`watchkeeper.serve.app` for the routes and :mod:`watchkeeper.serve.payload`
for what a request may hold.
"""

from __future__ import annotations

from watchkeeper.serve.app import (
    DEFAULT_MAX_BODY_BYTES,
    INFERENCE_ID_HEADER,
    ServingApp,
    create_app,
)
from watchkeeper.serve.backends import Inference
from watchkeeper.serve.models import MODEL_EXTENSIONS, LoadedModel, load_model

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
