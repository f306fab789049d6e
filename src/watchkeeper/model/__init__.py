"""Loading a saved model, whatever its format, behind one small face.

scikit-learn estimators and pipelines (joblib, pickle), XGBoost models (JSON, UBJ),
ONNX models (onnxruntime) and ``module:attr`` objects with ``predict`` all load as a
:class:`LoadedModel`, which names and types its features (from the model or a
baseline's ``statistics.json``) and predicts on arrays, DataFrames, Arrow tables or
mappings of columns. The prediction server, the explainer, the bias metrics and the
monitoring jobs all load models through here::

    from watchkeeper.model import load_model

    model = load_model("churn.joblib", baseline="baseline/")
    model.predict_proba(frame)

:mod:`watchkeeper.model.loading` holds :func:`load_model` and :class:`LoadedModel`;
:mod:`watchkeeper.model.adapters` one adapter per kind of saved model.
"""

from __future__ import annotations

from watchkeeper.model.adapters import INTEGER, NUMBER, TEXT, Inference
from watchkeeper.model.loading import MODEL_EXTENSIONS, LoadedModel, load_model

__all__ = [
    "INTEGER",
    "MODEL_EXTENSIONS",
    "NUMBER",
    "TEXT",
    "Inference",
    "LoadedModel",
    "load_model",
]
