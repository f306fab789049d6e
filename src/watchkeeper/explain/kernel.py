"""Kernel SHAP attributions of a model's output, as SageMaker Clarify computes them.

:func:`explain` runs ``shap.KernelExplainer`` over every row of the data and keeps the
local values (one per row, feature and label) and their global aggregate.

What is explained:

- a regressor (a model without ``predict_proba``): ``predict``, one label;
- a binary classifier: the probability of the positive class (the second column of
  ``predict_proba``), one label, as a SageMaker binary model answers with one score;
- a classifier with more classes: the probability of each class, one label per class.

``use_logit=True`` explains probabilities in log-odds (shap's ``link="logit"``), as
Clarify's ``use_logit`` does.
"""

from __future__ import annotations

import contextlib
import numbers
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from watchkeeper.errors import InputError, UsageError
from watchkeeper.explain.table import feature_matrix
from watchkeeper.io import CsvOptions
from watchkeeper.model import LoadedModel, load_model

__all__ = [
    "AGG_METHODS",
    "DEFAULT_CLUSTERS",
    "Explanation",
    "aggregate",
    "explain",
    "loaded_model",
    "model_output",
]

AGG_METHODS = ("mean_abs", "median", "mean_sq")
# Clarify computes its own number of clusters when neither a baseline nor num_clusters is
# given and does not document how; ten centres keeps the cost (rows × samples × centres
# model evaluations) modest while still covering the data's main modes.
DEFAULT_CLUSTERS = 10


@dataclass(frozen=True)
class Explanation:
    """Kernel SHAP values of one model on one dataset.

    ``local_values[label]`` is a ``(rows, features)`` array of φ; each row's values add up
    to the model's output for that row minus ``expected_values[label]``, the output
    averaged over the baseline. ``global_values`` aggregates the local values per
    feature with ``agg_method``.
    """

    features: list[str]
    labels: list[str]
    local_values: dict[str, np.ndarray]
    expected_values: dict[str, float]
    agg_method: str = "mean_abs"

    @property
    def global_values(self) -> dict[str, dict[str, float]]:
        """``{label: {feature: aggregate}}`` with this explanation's ``agg_method``."""
        return self.aggregated(self.agg_method)

    def aggregated(self, agg_method: str) -> dict[str, dict[str, float]]:
        """``{label: {feature: aggregate}}`` of the local values with ``agg_method``."""
        return {
            label: dict(zip(self.features, aggregate(values, agg_method).tolist(), strict=True))
            for label, values in self.local_values.items()
        }


def aggregate(values: np.ndarray, agg_method: str) -> np.ndarray:
    """One global value per column of local SHAP values ``values`` (rows × features).

    ``mean_abs`` is the mean of |φ|, ``median`` the median of φ, ``mean_sq`` the mean of φ².

    >>> aggregate(np.array([[1.0, -2.0], [-3.0, 4.0], [2.0, 0.0]]), "mean_abs").tolist()
    [2.0, 2.0]
    >>> aggregate(np.array([[1.0, -2.0], [-3.0, 4.0], [2.0, 0.0]]), "median").tolist()
    [1.0, 0.0]
    """
    if agg_method == "mean_abs":
        return np.mean(np.abs(values), axis=0)
    if agg_method == "median":
        return np.median(values, axis=0)
    if agg_method == "mean_sq":
        return np.mean(np.square(values), axis=0)
    raise UsageError(f"agg_method must be one of {', '.join(AGG_METHODS)}, not {agg_method!r}")


def explain(
    model: Any,
    data: Any,
    *,
    baseline: Any = None,
    num_clusters: int | None = None,
    num_samples: int | None = None,
    agg_method: str = "mean_abs",
    seed: int = 0,
    label_headers: Sequence[str] | None = None,
    features: Sequence[str] | None = None,
    use_logit: bool = False,
    csv: CsvOptions | None = None,
) -> Explanation:
    """Kernel SHAP values of ``model``'s output for every row of ``data``.

    Args:
        model: a fitted estimator or any object with ``predict`` (and ``predict_proba``),
            a :class:`~watchkeeper.model.LoadedModel`, or a model file or
            ``module:attr`` that :func:`~watchkeeper.model.load_model` loads.
        data: the rows to explain: a 2-D array, a DataFrame or Arrow table, or a file,
            folder or URI. Extra columns (the label, an id) are left out when the model
            or ``features`` names the features.
        baseline: the reference rows features are replaced with, in the same forms as
            ``data``. Cannot be given with ``num_clusters``.
        num_clusters: summarise ``data`` by this many k-means centres (``shap.kmeans``,
            weighted by cluster size) and use them as the baseline. Without a baseline
            or ``num_clusters``, ``data`` is clustered into
            ``min(DEFAULT_CLUSTERS, rows)`` centres, as Clarify clusters when it has no
            baseline.
        num_samples: feature coalitions evaluated per row; ``None`` lets shap choose
            (2 × features + 2048). Coalitions are enumerated exactly when there are few
            enough features.
        agg_method: how local values become global ones: ``mean_abs``, ``median`` or
            ``mean_sq``.
        seed: seeds the coalition sampling: the same seed gives the same values.
        label_headers: names of the explained outputs (see the module docstring), by
            default ``label0``, ``label1``, ...
        features: the feature columns, in the order the model takes them; by default
            the model's own feature names, else every column of ``data``.
        use_logit: explain probabilities in log-odds.
        csv: how to parse ``data`` and ``baseline`` when they are CSV files.

    Raises:
        UsageError: an argument has a value that is not allowed.
        InputError: the data cannot be read or does not fit the model.

    >>> from sklearn.linear_model import LinearRegression
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0], [3.0, 1.0]])
    >>> model = LinearRegression().fit(X, X @ [2.0, -1.0])
    >>> result = explain(model, X[:2], baseline=X.mean(axis=0, keepdims=True))
    >>> result.local_values["label0"].round(6).tolist()
    [[-3.0, 0.0], [-1.0, 1.0]]
    >>> round(result.expected_values["label0"], 6)
    2.0
    """
    _check_options(baseline, num_clusters, num_samples, agg_method, seed, use_logit)
    loaded = loaded_model(model)
    names = _feature_names(features, loaded.feature_names)
    rows, names = feature_matrix(data, names, what="data", csv=csv)
    if loaded.n_features is not None and len(names) != loaded.n_features:
        raise InputError(
            f"the model takes {loaded.n_features} features and the data has {len(names)} "
            "columns; name the features (features=...)"
        )
    background = _background(baseline, num_clusters, rows, names, csv)
    function, labels = model_output(loaded, rows, use_logit, label_headers)

    import shap  # imported here: it loads numba, which takes seconds

    with _seeded(seed), warnings.catch_warnings():
        # shap warns about large backgrounds and slow runs: the caller chose them
        warnings.simplefilter("ignore")
        link = "logit" if use_logit else "identity"
        explainer = shap.KernelExplainer(function, background, link=link)
        values = explainer.shap_values(
            rows, nsamples=num_samples or "auto", l1_reg=False, silent=True
        )
    values = np.asarray(values, dtype=np.float64).reshape(len(rows), len(names), len(labels))
    expected = np.atleast_1d(np.asarray(explainer.expected_value, dtype=np.float64))
    return Explanation(
        features=names,
        labels=labels,
        local_values={label: values[:, :, index] for index, label in enumerate(labels)},
        expected_values={label: float(expected[index]) for index, label in enumerate(labels)},
        agg_method=agg_method,
    )


def _check_options(
    baseline: Any,
    num_clusters: int | None,
    num_samples: int | None,
    agg_method: str,
    seed: int,
    use_logit: bool,
) -> None:
    if baseline is not None and num_clusters is not None:
        raise UsageError(
            "baseline and num_clusters cannot both be given: num_clusters makes a baseline "
            "by clustering the data"
        )
    if num_clusters is not None and not _positive_int(num_clusters):
        raise UsageError(f"num_clusters must be a positive whole number, not {num_clusters!r}")
    if num_samples is not None and not _positive_int(num_samples):
        raise UsageError(f"num_samples must be a positive whole number, not {num_samples!r}")
    if agg_method not in AGG_METHODS:
        raise UsageError(f"agg_method must be one of {', '.join(AGG_METHODS)}, not {agg_method!r}")
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
        raise UsageError(f"seed must be a whole number from 0 to 2**32 - 1, not {seed!r}")
    if not isinstance(use_logit, bool):
        raise UsageError(f"use_logit must be True or False, not {use_logit!r}")


def _positive_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, numbers.Integral) and value > 0


def loaded_model(model: Any) -> LoadedModel:
    """``model`` as a :class:`~watchkeeper.model.LoadedModel`: a model file or
    ``module:attr`` is loaded, an object with ``predict`` wrapped."""
    if isinstance(model, LoadedModel):
        return model
    if isinstance(model, str) or hasattr(model, "__fspath__"):
        return load_model(model)
    return LoadedModel.from_object(model)


def _feature_names(features: Sequence[str] | None, known: list[str] | None) -> list[str] | None:
    if features is None:
        return known
    if isinstance(features, str):
        raise UsageError("features must be a list of column names, not one string")
    chosen = [str(name) for name in features]
    if known is None or chosen == known:
        return chosen
    if set(chosen) == set(known):
        return known  # the model takes its columns in its own order
    raise UsageError(f"features {chosen!r} are not the features the model takes: {known!r}")


def _background(
    baseline: Any,
    num_clusters: int | None,
    rows: np.ndarray,
    names: list[str],
    csv: CsvOptions | None,
) -> Any:
    if baseline is not None:
        matrix, _ = feature_matrix(baseline, names, what="baseline", csv=csv)
        return matrix
    clusters = num_clusters if num_clusters is not None else min(DEFAULT_CLUSTERS, len(rows))
    if clusters > len(rows):
        raise UsageError(f"num_clusters is {clusters} but the data has only {len(rows)} rows")
    import shap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # k-means warns when rows repeat; fewer centres is fine
        return shap.kmeans(rows, clusters)


def model_output(
    model: LoadedModel, rows: Any, use_logit: bool, label_headers: Sequence[str] | None
) -> tuple[Callable[[Any], np.ndarray], list[str]]:
    """The function that is explained (rows → one column per label, as the module
    docstring says) and the labels' names; ``rows`` (an array or a table) probes the
    model's output."""
    if model.has_probabilities:
        width = np.asarray(model.predict_proba(rows[:1])).shape[1]
        if width == 2:

            def function(batch: np.ndarray) -> np.ndarray:
                return np.asarray(model.predict_proba(batch), dtype=np.float64)[:, 1:]

        else:

            def function(batch: np.ndarray) -> np.ndarray:
                return np.asarray(model.predict_proba(batch), dtype=np.float64)

        count = 1 if width == 2 else width
    else:
        if use_logit:
            raise UsageError("use_logit needs a model with probabilities (predict_proba)")

        def function(batch: np.ndarray) -> np.ndarray:
            predictions = np.asarray(model.predict(batch), dtype=np.float64)
            return predictions.reshape(len(batch), -1)

        try:
            count = function(rows[:1]).shape[1]
        except (TypeError, ValueError) as exc:
            raise UsageError(
                "the model predicts values that are not numbers and gives no probabilities "
                "(predict_proba); Kernel SHAP explains numeric outputs"
            ) from exc
    return function, _labels(label_headers, count)


def _labels(label_headers: Sequence[str] | None, count: int) -> list[str]:
    if label_headers is None:
        return [f"label{index}" for index in range(count)]
    if isinstance(label_headers, str):
        raise UsageError("label_headers must be a list of names, not one string")
    headers = [str(header) for header in label_headers]
    if len(headers) != count or len(set(headers)) != count or not all(headers):
        raise UsageError(
            f"label_headers must name the {count} explained output(s) with distinct, "
            f"non-empty names, got {headers!r}"
        )
    return headers


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed NumPy's global generator, which shap's coalition sampling draws from, and
    give the caller's generator back afterwards."""
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        yield
    finally:
        np.random.set_state(state)
