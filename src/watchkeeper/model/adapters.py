"""Adapters that give every kind of saved model the same small face.

An adapter takes the columns of the rows to predict (one NumPy array per feature, in the
model's feature order, already of the right dtype) and returns predictions and, when the
model has them, class probabilities. It also says what it knows about its inputs: feature
names, their number, the kind of value each takes, the classes, and whether missing
values (NaN) are allowed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from watchkeeper.errors import InputError, UsageError
from watchkeeper.io.messages import first_line

# What a request value must be for one feature.
NUMBER, INTEGER, TEXT = "number", "integer", "string"

_IMPUTER_SUFFIX = "Imputer"


@dataclass(frozen=True)
class Inference:
    """What a model answered for a batch of rows."""

    predictions: np.ndarray
    probabilities: np.ndarray | None = None


class Adapter:
    """Base of the adapters: describes the inputs and runs the model."""

    kind = "model"
    feature_names: list[str] | None = None
    n_features: int | None = None
    value_kinds: list[str] | None = None
    classes: list[Any] | None = None
    accepts_missing = False
    has_probabilities = False

    def run(self, columns: Sequence[np.ndarray], probabilities: bool) -> Inference:
        raise NotImplementedError

    def probabilities(self, columns: Sequence[np.ndarray]) -> np.ndarray:
        """The class probabilities alone; an adapter whose model computes them apart
        from the predictions skips the predictions (explanations and partial
        dependence ask for nothing else)."""
        inference = self.run(columns, True)
        if inference.probabilities is None:
            raise UsageError("this model gives no probabilities")
        return inference.probabilities


# -- scikit-learn and any object with predict -------------------------------------------


class EstimatorAdapter(Adapter):
    """A scikit-learn estimator or pipeline, or any object with ``predict``.

    A model fitted on a DataFrame (it has ``feature_names_in_``) gets a pandas DataFrame
    with those names when pandas is installed, so that column transformers that select
    columns by name work and scikit-learn does not warn about missing names.
    """

    def __init__(self, estimator: Any, kind: str = "sklearn") -> None:
        self.estimator = estimator
        self.kind = kind
        names = _names(getattr(estimator, "feature_names_in_", None))
        if names is None:
            names = _names(getattr(estimator, "feature_names", None))
        self.feature_names = names
        count = getattr(estimator, "n_features_in_", None)
        self.n_features = len(names) if names else (int(count) if _is_count(count) else None)
        self.classes = _class_list(getattr(estimator, "classes_", None))
        self.has_probabilities = callable(getattr(estimator, "predict_proba", None))
        self.accepts_missing = _estimator_accepts_missing(estimator)
        self._frame_names = _names(getattr(estimator, "feature_names_in_", None))

    def run(self, columns: Sequence[np.ndarray], probabilities: bool) -> Inference:
        table = self._table(columns)
        predictions = np.asarray(self.estimator.predict(table))
        proba = None
        if probabilities and self.has_probabilities:
            proba = np.asarray(self.estimator.predict_proba(table))
        return Inference(predictions, proba)

    def probabilities(self, columns: Sequence[np.ndarray]) -> np.ndarray:
        return np.asarray(self.estimator.predict_proba(self._table(columns)))

    def _table(self, columns: Sequence[np.ndarray]) -> Any:
        if self._frame_names is not None:
            frame = _pandas_frame(self._frame_names, columns)
            if frame is not None:
                return frame
        return stack(columns)


def _estimator_accepts_missing(estimator: Any) -> bool:
    """Whether scikit-learn's tags say the model takes NaN.

    A pipeline whose first step is an imputer takes NaN whatever its tags say (the
    imputer is what sees the raw values); otherwise the estimator's own tags decide.
    """
    steps = getattr(estimator, "steps", None)
    if isinstance(steps, list) and steps:
        first = steps[0][1]
        if type(first).__name__.endswith(_IMPUTER_SUFFIX):
            return True
    tags = getattr(estimator, "__sklearn_tags__", None)
    if callable(tags):
        try:
            return bool(tags().input_tags.allow_nan)
        except Exception:  # an object that only looks like an estimator
            return False
    return bool(getattr(estimator, "accepts_missing", False))


def _pandas_frame(names: list[str], columns: Sequence[np.ndarray]) -> Any:
    try:
        import pandas as pd
    except ImportError:
        return None
    return pd.DataFrame(dict(zip(names, columns, strict=True)), copy=False)


def stack(columns: Sequence[np.ndarray]) -> np.ndarray:
    """Columns as one 2-D array: float when every column is numeric, object otherwise."""
    if all(column.dtype.kind in "fiub" for column in columns):
        return np.column_stack(columns).astype(np.float64, copy=False)
    return np.column_stack([column.astype(object) for column in columns])


# -- XGBoost ----------------------------------------------------------------------------

_CLASSIFIER_OBJECTIVES = ("binary:logistic", "multi:softprob")
_REGRESSOR_PREFIXES = ("reg:", "count:", "survival:")


class XGBoostAdapter(Adapter):
    """An XGBoost model saved as JSON or UBJ.

    The saved objective decides how it is loaded: ``binary:logistic`` and
    ``multi:softprob`` as an ``XGBClassifier`` (labels and probabilities), ``reg:``,
    ``count:`` and ``survival:`` objectives as an ``XGBRegressor``, anything else
    (``binary:logitraw``, ``multi:softmax``, ranking) as a ``Booster`` whose raw
    output is the prediction. XGBoost treats NaN as a missing value.
    """

    kind = "xgboost"
    accepts_missing = True

    def __init__(self, path: str) -> None:
        xgb = _import_optional("xgboost", "xgboost-cpu", path)
        try:
            booster = xgb.Booster(model_file=path)
            objective = json.loads(booster.save_config())["learner"]["objective"]["name"]
        except (xgb.core.XGBoostError, KeyError, ValueError) as exc:
            raise InputError(f"{path}: not an XGBoost model ({first_line(exc)})") from exc
        self.objective = objective
        self._booster = booster
        self._model: Any = None
        if objective in _CLASSIFIER_OBJECTIVES:
            self._model = xgb.XGBClassifier()
        elif objective.startswith(_REGRESSOR_PREFIXES):
            self._model = xgb.XGBRegressor()
        if self._model is not None:
            self._model.load_model(path)
            self._booster = self._model.get_booster()
        self._xgb = xgb
        self.feature_names = _names(self._booster.feature_names)
        self.n_features = int(self._booster.num_features())
        if isinstance(self._model, xgb.XGBClassifier):
            self.classes = _class_list(self._model.classes_)
            self.has_probabilities = True

    def run(self, columns: Sequence[np.ndarray], probabilities: bool) -> Inference:
        matrix = stack(columns)
        if self._model is None:
            data = self._xgb.DMatrix(matrix, feature_names=self._booster.feature_names)
            return Inference(np.asarray(self._booster.predict(data)))
        predictions = np.asarray(self._model.predict(matrix))
        proba = None
        if probabilities and self.has_probabilities:
            proba = np.asarray(self._model.predict_proba(matrix))
        return Inference(predictions, proba)

    def probabilities(self, columns: Sequence[np.ndarray]) -> np.ndarray:
        if self._model is None or not self.has_probabilities:
            return super().probabilities(columns)
        return np.asarray(self._model.predict_proba(stack(columns)))


# -- ONNX -------------------------------------------------------------------------------

_ONNX_DTYPES = {
    "tensor(float)": (np.float32, NUMBER),
    "tensor(double)": (np.float64, NUMBER),
    "tensor(float16)": (np.float16, NUMBER),
    "tensor(int64)": (np.int64, INTEGER),
    "tensor(int32)": (np.int32, INTEGER),
    "tensor(string)": (object, TEXT),
    "tensor(bool)": (np.bool_, INTEGER),
}


class OnnxAdapter(Adapter):
    """An ONNX model run by onnxruntime.

    Either one 2-D input holding every feature (``[N, k]``), or one input per feature
    (``[N, 1]`` or ``[N]``, as skl2onnx writes a model with named columns; the input
    names are then the feature names). The first output is the prediction; a second
    output, when present, holds the class probabilities, either as a ``[N, classes]``
    tensor or as skl2onnx's ZipMap (a list of ``{class: probability}``), whose keys
    are the classes.
    """

    kind = "onnx"

    def __init__(self, path: str) -> None:
        ort = _import_optional("onnxruntime", "onnxruntime", path)
        try:
            self._session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors
            raise InputError(f"{path}: not a valid ONNX model ({first_line(exc)})") from exc
        inputs = self._session.get_inputs()
        outputs = self._session.get_outputs()
        self._outputs = [output.name for output in outputs[:2]]
        self.has_probabilities = len(outputs) > 1
        for tensor in inputs:
            if tensor.type not in _ONNX_DTYPES:
                raise UsageError(
                    f"{path}: input {tensor.name!r} has type {tensor.type}, which cannot "
                    "come from a request (numbers, integers, strings or booleans are)"
                )
        if len(inputs) == 1 and len(inputs[0].shape) == 2:
            self._wide = inputs[0]
            width = inputs[0].shape[1]
            self.n_features = width if isinstance(width, int) else None
            kind = _ONNX_DTYPES[inputs[0].type][1]
            self.value_kinds = [kind] * self.n_features if self.n_features else None
        elif all(_is_column(tensor.shape) for tensor in inputs):
            self._wide = None
            self.feature_names = [tensor.name for tensor in inputs]
            self.n_features = len(inputs)
            self.value_kinds = [_ONNX_DTYPES[tensor.type][1] for tensor in inputs]
        else:
            shapes = ", ".join(f"{tensor.name} {tensor.shape}" for tensor in inputs)
            raise UsageError(
                f"{path}: inputs {shapes} are not tabular; expected one [N, features] "
                "input or one [N, 1] input per feature"
            )
        self._inputs = inputs
        self.classes = self._probe_classes()

    def _probe_classes(self) -> list[Any] | None:
        """Run one row of zeros to read ZipMap's class labels; unknown if that fails."""
        if not self.has_probabilities or not self.n_features:
            return None
        kinds = self.value_kinds or [NUMBER] * self.n_features
        zeros = [np.array([""], dtype=object) if kind == TEXT else np.zeros(1) for kind in kinds]
        try:
            raw = self._session.run(self._outputs, self._feeds(zeros))[1]
        except Exception:  # a model that cannot take zeros still serves real rows
            return None
        if isinstance(raw, list) and raw and isinstance(raw[0], dict):
            return _class_list(np.array(list(raw[0].keys())))
        return None

    def _feeds(self, columns: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
        if self._wide is not None:
            dtype = _ONNX_DTYPES[self._wide.type][0]
            return {self._wide.name: np.column_stack(columns).astype(dtype, copy=False)}
        feeds = {}
        for tensor, column in zip(self._inputs, columns, strict=True):
            values = column.astype(_ONNX_DTYPES[tensor.type][0], copy=False)
            feeds[tensor.name] = values.reshape(-1, 1) if len(tensor.shape) == 2 else values
        return feeds

    def run(self, columns: Sequence[np.ndarray], probabilities: bool) -> Inference:
        names = self._outputs if probabilities else self._outputs[:1]
        raw = self._session.run(names, self._feeds(columns))
        predictions = np.asarray(raw[0])
        if predictions.ndim == 2 and predictions.shape[1] == 1:
            predictions = predictions[:, 0]
        proba = _probability_matrix(raw[1], self.classes) if len(raw) > 1 else None
        return Inference(predictions, proba)


def _probability_matrix(raw: Any, classes: list[Any] | None) -> np.ndarray:
    if isinstance(raw, list):  # ZipMap: one {class: probability} per row
        keys = list(raw[0].keys()) if raw else list(classes or [])
        return np.array([[row[key] for key in keys] for row in raw], dtype=np.float64)
    return np.asarray(raw)


def _is_column(shape: list[Any]) -> bool:
    return len(shape) == 1 or (len(shape) == 2 and shape[1] == 1)


# -- shared -----------------------------------------------------------------------------


def _names(values: Any) -> list[str] | None:
    if values is None:
        return None
    names = [str(value) for value in list(values)]
    return names or None


def _is_count(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool) and value > 0


def _class_list(values: Any) -> list[Any] | None:
    if values is None:
        return None
    array = np.asarray(values)
    if array.ndim != 1:  # multi-output classifiers keep one array of classes per output
        return None
    return array.tolist()


def _import_optional(module: str, package: str, path: str) -> Any:
    try:
        return __import__(module)
    except ImportError as exc:
        raise UsageError(
            f"{path}: serving this model needs {package} (pip install 'watchkeeper[models]')"
        ) from exc
