"""Loading a saved model, whatever its format, behind one small face.

:func:`load_model` accepts

- a scikit-learn estimator or pipeline saved with joblib or pickle (``.joblib``,
  ``.pkl``, ``.pickle``);
- an XGBoost model saved as JSON or UBJ (``.json``, ``.ubj``);
- an ONNX model (``.onnx``), run with onnxruntime;
- ``module:attr``, an object with ``predict`` (and optionally ``predict_proba``)
  importable from the current directory or from the installed packages; a class is
  instantiated without arguments.

and returns a :class:`LoadedModel`. Unpickling runs code from the file: load only
models you trust.

Feature names come from the model (``feature_names_in_``, XGBoost's feature names, the
ONNX input names when there is one input per feature) or from a baseline's
``statistics.json``; the baseline also gives each feature's type. When both name the
features, the baseline wins: requests use its names and types. If the baseline lists
every feature of the model and more (a baseline dataset often carries the label too),
the model's features are used, in the model's order, with the baseline's types. A
baseline with exactly one column more than a model without names is read as
SageMaker lays out a baseline dataset and a captured row: the first column (the label
or output) is dropped.

>>> import numpy as np
>>> from sklearn.linear_model import LinearRegression
>>> model = LoadedModel.from_object(LinearRegression().fit([[0.0], [1.0]], [0.0, 2.0]))
>>> model.predict(np.array([[3.0]])).round(6).tolist()
[6.0]
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from watchkeeper.errors import InputError, UsageError, WatchkeeperError
from watchkeeper.io.messages import first_line
from watchkeeper.model.adapters import (
    INTEGER,
    NUMBER,
    TEXT,
    Adapter,
    EstimatorAdapter,
    Inference,
    OnnxAdapter,
    XGBoostAdapter,
)

__all__ = ["MODEL_EXTENSIONS", "Inference", "LoadedModel", "load_model"]

log = logging.getLogger(__name__)

MODEL_EXTENSIONS = (".joblib", ".pkl", ".pickle", ".json", ".ubj", ".onnx")
_PICKLES = (".joblib", ".pkl", ".pickle")
_MODULE_ATTR = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*")
# Deequ types that arrive as text; Integral, Fractional and Unknown arrive as numbers.
_TEXT_TYPES = ("String", "Boolean")


class LoadedModel:
    """A model ready to predict, with what is known of its inputs and outputs.

    ``feature_names`` lists the features in the order the model takes them (``None``
    when neither the model nor a baseline names them); ``feature_types`` gives each
    feature's baseline type (``Integral``, ``Fractional`` or ``String``) when a
    baseline was given; ``n_features`` is their number when known; ``classes`` the
    class labels of a classifier whose labels are known. ``value_kinds`` says what a
    request value must be for each feature: ``"number"``, ``"integer"`` (an ONNX
    integer input) or ``"string"``. ``accepts_missing`` says whether NaN may reach the
    model: XGBoost models, scikit-learn models whose tags allow NaN, pipelines that
    start with an imputer, and objects with a true ``accepts_missing`` attribute do;
    ``load_model(..., accepts_missing=...)`` overrides it.
    """

    def __init__(
        self,
        adapter: Adapter,
        *,
        source: str,
        feature_names: list[str] | None,
        feature_types: list[str] | None,
        value_kinds: list[str] | None,
        accepts_missing: bool | None = None,
    ) -> None:
        self._adapter = adapter
        self.source = source
        self.kind = adapter.kind
        self.feature_names = feature_names
        self.feature_types = feature_types
        self.value_kinds = value_kinds
        self.n_features = len(value_kinds) if value_kinds is not None else None
        self.classes = adapter.classes
        self.accepts_missing = (
            adapter.accepts_missing if accepts_missing is None else bool(accepts_missing)
        )

    @classmethod
    def from_object(
        cls,
        model: Any,
        *,
        source: str = "<object>",
        baseline: str | os.PathLike[str] | None = None,
        accepts_missing: bool | None = None,
    ) -> LoadedModel:
        """Wrap an in-memory object with ``predict`` (a fitted estimator, a pipeline, ...)."""
        return _described(_estimator_adapter(model, source), source, baseline, accepts_missing)

    @property
    def has_probabilities(self) -> bool:
        """Whether the model gives class probabilities."""
        return self._adapter.has_probabilities

    def predict(self, data: Any) -> np.ndarray:
        """Predictions for ``data``: a 2-D array (one row per prediction, columns in
        feature order), a pandas DataFrame, a pyarrow Table, or a mapping of column
        name to values (selected by feature name when the model knows its names)."""
        return self.infer_columns(self.columns_of(data), probabilities=False).predictions

    def predict_proba(self, data: Any) -> np.ndarray:
        """Class probabilities for ``data`` (as :meth:`predict`), one column per class."""
        if not self.has_probabilities:
            raise UsageError(f"{self.source}: this model gives no probabilities")
        return self._adapter.probabilities(self.columns_of(data))

    def infer_columns(self, columns: Sequence[np.ndarray], probabilities: bool = True) -> Inference:
        """Predictions (and probabilities when asked and available) for columns already
        in feature order and of the right dtype, as :meth:`columns_of` returns them."""
        return self._adapter.run(columns, probabilities and self.has_probabilities)

    def columns_of(self, data: Any) -> list[np.ndarray]:
        """``data`` as one NumPy array per feature, in feature order, converted to the
        dtype each feature takes (float, int64 or text)."""
        columns = _columns(data, self.feature_names)
        if self.n_features is not None and len(columns) != self.n_features:
            raise InputError(
                f"the model takes {self.n_features} features, the data has {len(columns)} columns"
            )
        kinds = self.value_kinds or [NUMBER] * len(columns)
        return [
            _converted(column, kind, index)
            for index, (column, kind) in enumerate(zip(columns, kinds, strict=True))
        ]

    def describe(self) -> dict[str, Any]:
        """What the model takes and gives, as JSON-ready values."""
        return {
            "kind": self.kind,
            "source": self.source,
            "features": self.feature_names,
            "feature_types": self.feature_types,
            "n_features": self.n_features,
            "classes": self.classes,
            "probabilities": self.has_probabilities,
            "accepts_missing": self.accepts_missing,
        }

    def __repr__(self) -> str:
        return f"LoadedModel({self.source!r}, kind={self.kind!r}, n_features={self.n_features})"


def load_model(
    spec: str | os.PathLike[str],
    *,
    baseline: str | os.PathLike[str] | None = None,
    accepts_missing: bool | None = None,
) -> LoadedModel:
    """Load the model named by ``spec``: a model file or ``module:attr``.

    ``baseline`` is a baseline folder or URI whose ``statistics.json`` names and types
    the features. ``accepts_missing`` overrides what the model's type says about NaN.

    Raises :class:`~watchkeeper.errors.InputError` for a missing or unreadable file and
    :class:`~watchkeeper.errors.UsageError` for a spec that names no model.
    """
    text = os.fspath(spec)
    path = Path(text)
    if not path.exists() and _MODULE_ATTR.fullmatch(text):
        adapter = _estimator_adapter(_import_object(text), text)
    else:
        adapter = _adapter_for_file(path)
    return _described(adapter, text, baseline, accepts_missing)


def _adapter_for_file(path: Path) -> Adapter:
    extension = path.suffix.lower()
    if extension not in MODEL_EXTENSIONS:
        raise UsageError(
            f"{path}: unknown model format {extension or '(no extension)'!r}; expected "
            f"{', '.join(MODEL_EXTENSIONS)} or module:attr"
        )
    if not path.exists():
        raise InputError(f"{path}: no such model file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a model file")
    if extension in _PICKLES:
        return _estimator_adapter(_unpickle(path), str(path))
    if extension == ".onnx":
        return OnnxAdapter(str(path))
    return XGBoostAdapter(str(path))


def _unpickle(path: Path) -> Any:
    import joblib

    try:
        return joblib.load(path)
    except ModuleNotFoundError as exc:
        raise InputError(
            f"{path}: the model needs the package {exc.name!r}, which is not installed"
        ) from exc
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({first_line(exc)})") from exc
    except Exception as exc:  # a damaged pickle fails in any of the unpickler's steps
        raise InputError(f"{path}: not a readable pickle ({first_line(exc)})") from exc


def _import_object(spec: str) -> Any:
    module_name, _, attribute = spec.partition(":")
    # the current folder is searched first, as `python -m` would, only for this import
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise UsageError(
                f"{spec}: no module {module_name!r} in the current folder or the installed "
                "packages (and no model file of that name)"
            ) from exc
        raise InputError(f"{spec}: importing {module_name!r} failed ({first_line(exc)})") from exc
    except Exception as exc:  # the module's own code failed while importing
        raise InputError(f"{spec}: importing {module_name!r} failed ({first_line(exc)})") from exc
    finally:
        if added:
            with contextlib.suppress(ValueError):
                sys.path.remove(os.getcwd())
    target: Any = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise UsageError(f"{spec}: module {module_name!r} has no attribute {attribute!r}")
        target = getattr(target, part)
    if isinstance(target, type):
        try:
            target = target()
        except Exception as exc:
            raise UsageError(
                f"{spec}: the class cannot be made without arguments ({first_line(exc)}); "
                "name an instance instead"
            ) from exc
    return target


def _estimator_adapter(model: Any, source: str) -> EstimatorAdapter:
    if not callable(getattr(model, "predict", None)):
        raise UsageError(
            f"{source}: holds a {type(model).__name__}, not a model (it has no predict method)"
        )
    kind = "sklearn" if type(model).__module__.startswith(("sklearn", "xgboost")) else "python"
    return EstimatorAdapter(model, kind)


# -- features ---------------------------------------------------------------------------


def _described(
    adapter: Adapter,
    source: str,
    baseline: str | os.PathLike[str] | None,
    accepts_missing: bool | None,
) -> LoadedModel:
    described = _baseline_features(baseline) if baseline is not None else None
    names, types, kinds = _resolve(adapter, described, source)
    return LoadedModel(
        adapter,
        source=source,
        feature_names=names,
        feature_types=types,
        value_kinds=kinds,
        accepts_missing=accepts_missing,
    )


def _baseline_features(location: str | os.PathLike[str]) -> list[tuple[str, str]]:
    # the baseline package is the one reader of statistics.json; imported on use, as
    # most models are loaded without a baseline and predicting needs none of it
    from watchkeeper.baseline import load_baseline

    try:
        baseline = load_baseline(location)
    except WatchkeeperError as exc:
        raise InputError(f"--baseline: {exc}") from exc
    if baseline.statistics is not None:
        columns = baseline.statistics.columns
        return [(name, column.inferred_type) for name, column in columns.items()]
    return [
        (name, feature.inferred_type) for name, feature in baseline.constraints.features.items()
    ]


def _resolve(
    adapter: Adapter, described: list[tuple[str, str]] | None, source: str
) -> tuple[list[str] | None, list[str] | None, list[str] | None]:
    """Feature names, baseline types and value kinds, the baseline winning on names."""
    names, count = adapter.feature_names, adapter.n_features
    if described is None:
        kinds = adapter.value_kinds or ([NUMBER] * count if count else None)
        return names, None, kinds
    types = dict(described)
    listed = [name for name, _ in described]
    if names is not None and set(names) <= set(types):
        chosen = names
    elif count is None or len(listed) == count:
        chosen = listed
    elif names is None and len(listed) == count + 1:
        log.info("baseline has one column more than %s takes; dropping %r", source, listed[0])
        chosen = listed[1:]
    else:
        unknown = [name for name in names or [] if name not in types]
        raise UsageError(
            f"the baseline describes {len(listed)} features, {source} takes {count}"
            + (f" (the baseline lacks {_quoted(unknown)})" if unknown else "")
        )
    model_kinds = adapter.value_kinds or [NUMBER] * len(chosen)
    kinds = [
        # the model's own demand (an ONNX integer or text input) comes first
        kind if kind != NUMBER else (TEXT if types[name] in _TEXT_TYPES else NUMBER)
        for name, kind in zip(chosen, model_kinds, strict=True)
    ]
    return list(chosen), [types[name] for name in chosen], kinds


def _quoted(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(repr(name) for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# -- data for the Python face -----------------------------------------------------------


def _columns(data: Any, names: list[str] | None) -> list[np.ndarray]:
    if isinstance(data, Mapping):
        return _by_name(data, list(data.keys()), names, lambda key: np.asarray(data[key]))
    column_names = getattr(data, "column_names", None)
    if column_names is not None and hasattr(data, "column"):  # pyarrow Table / RecordBatch
        return _by_name(
            data,
            list(column_names),
            names,
            lambda key: data.column(key).to_numpy(zero_copy_only=False),
        )
    if hasattr(data, "columns") and hasattr(data, "iloc"):  # pandas DataFrame
        return _by_name(data, list(data.columns), names, lambda key: data[key].to_numpy())
    array = np.asarray(data)
    if array.ndim != 2:
        raise InputError(
            f"expected a 2-D table (one row per prediction), got an array of shape {array.shape}"
        )
    return [array[:, index] for index in range(array.shape[1])]


def _by_name(data: Any, present: list[Any], names: list[str] | None, column) -> list[np.ndarray]:
    if names is not None:
        missing = [name for name in names if name not in present]
        if not missing:
            return [np.asarray(column(name)) for name in names]
        if len(present) != len(names):
            raise InputError(f"the data lacks the features {_quoted(missing)}")
    return [np.asarray(column(key)) for key in present]


def _converted(column: np.ndarray, kind: str, index: int) -> np.ndarray:
    try:
        if kind == TEXT:
            return column.astype(str).astype(object)
        values = column.astype(np.float64)
        if kind == INTEGER:
            if not np.all(np.isfinite(values) & (values == np.round(values))):
                raise ValueError("not every value is a whole number")
            return values.astype(np.int64)
        return values
    except (TypeError, ValueError) as exc:
        raise InputError(f"column #{index + 1}: {first_line(exc)}") from exc
