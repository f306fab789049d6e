"""Clarify's processing-job configuration, ``analysis_config.json``, read and checked.

The fields are Clarify's (``dataset_type``, ``headers``, ``label``,
``label_values_or_threshold``, ``facet``, ``group_variable``, ``excluded_columns``,
``probability_threshold``, ``predicted_label``, ``methods`` with ``pre_training_bias``,
``post_training_bias``, ``shap``, ``pdp`` and ``report``, and ``predictor``). Every
field is checked before any data is read; a bad one is a FormatError of one line that
names it, e.g. ``methods.pdp.grid_resolution must be a positive integer``.

The model runs here, not behind an endpoint: ``predictor`` names it with ``model`` (a
model file or ``module:attr``, a relative path read from the config's folder), and
SageMaker's endpoint fields (``endpoint_name``, ``model_name``, ``instance_type`` ...)
are refused.

>>> config = parse_analysis_config({"dataset_type": "text/csv", "label": "y",
...     "label_values_or_threshold": [1], "facet": [{"name_or_index": "sex"}],
...     "methods": {"pre_training_bias": {"methods": ["CI"]}}})
>>> config.pre_training, [facet.name for facet in config.facets]
(['CI'], ['sex'])
"""

from __future__ import annotations

import json
import numbers
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from watchkeeper.errors import FormatError
from watchkeeper.explain import AGG_METHODS
from watchkeeper.explain.pdp import DEFAULT_GRID_RESOLUTION, DEFAULT_TOP_K_FEATURES
from watchkeeper.fairness import POSTTRAINING, PRETRAINING

__all__ = [
    "DATASET_TYPES",
    "AnalysisConfig",
    "Facet",
    "PdpSettings",
    "Predictor",
    "ShapSettings",
    "parse_analysis_config",
    "read_analysis_config",
]

# Clarify's dataset types watchkeeper reads, and the reader each one takes
DATASET_TYPES = {
    "text/csv": "csv",
    "application/jsonlines": "jsonl",
    "application/x-parquet": "parquet",
}
TOP_LEVEL = (
    "version",
    "dataset_type",
    "headers",
    "label",
    "label_values_or_threshold",
    "facet",
    "group_variable",
    "excluded_columns",
    "probability_threshold",
    "predicted_label",
    "methods",
    "predictor",
)
METHODS = ("pre_training_bias", "post_training_bias", "shap", "pdp", "report")
SHAP_FIELDS = (
    "baseline",
    "num_clusters",
    "num_samples",
    "agg_method",
    "use_logit",
    "save_local_shap_values",
    "seed",
)
PDP_FIELDS = ("features", "grid_resolution", "top_k_features")
PREDICTOR_FIELDS = ("model", "content_type", "accept_type", "label", "probability", "label_headers")
# SageMaker's ways to reach a model that runs elsewhere; watchkeeper runs it in process
ENDPOINT_FIELDS = (
    "endpoint_name",
    "endpoint_name_prefix",
    "model_name",
    "instance_type",
    "initial_instance_count",
    "target_model",
    "custom_attributes",
    "accelerator_type",
)
CONTENT_TYPES = ("text/csv", "application/jsonlines", "application/json")
DEFAULT_REPORT = {"name": "report", "title": "Analysis Report"}


@dataclass(frozen=True)
class Facet:
    """One sensitive attribute: a column, and its sensitive values or threshold (both
    None: each value in turn)."""

    name: str | int
    values: list[Any] | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class ShapSettings:
    baseline: Any = None
    num_clusters: int | None = None
    num_samples: int | None = None
    agg_method: str = "mean_abs"
    use_logit: bool = False
    save_local_shap_values: bool = True
    seed: int = 0


@dataclass(frozen=True)
class PdpSettings:
    features: list[str | int] | None = None
    grid_resolution: int = DEFAULT_GRID_RESOLUTION
    top_k_features: int = DEFAULT_TOP_K_FEATURES


@dataclass(frozen=True)
class Predictor:
    """The local model: ``model`` is a model file or ``module:attr``. ``probability``
    set (to anything but null) makes post-training bias judge the positive class's
    probability against ``probability_threshold``; otherwise the model's predicted
    labels are judged."""

    model: str
    label_headers: list[str] | None = None
    probability: bool = False


@dataclass(frozen=True)
class AnalysisConfig:
    format: str
    headers: list[str] | None
    label: str | int | None
    label_values: list[Any] | None
    label_threshold: float | None
    facets: list[Facet]
    group_variable: str | int | None
    excluded_columns: list[str | int]
    probability_threshold: float
    predicted_label: str | int | None
    pre_training: list[str] | None
    post_training: list[str] | None
    shap: ShapSettings | None
    pdp: PdpSettings | None
    report_name: str
    report_title: str
    predictor: Predictor | None


def read_analysis_config(path: str | os.PathLike[str]) -> AnalysisConfig:
    """Read and check ``analysis_config.json``; a relative ``predictor.model`` or
    ``shap.baseline`` path is read from the file's folder."""
    source = Path(path)
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FormatError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{source}: not a JSON analysis config ({exc})") from None
    return parse_analysis_config(document, source=str(source), folder=source.parent)


def parse_analysis_config(
    document: Any, *, source: str = "analysis_config.json", folder: Path | None = None
) -> AnalysisConfig:
    """The checked config of a parsed ``analysis_config.json`` document."""
    return _Parser(source, folder).config(document)


class _Parser:
    def __init__(self, source: str, folder: Path | None) -> None:
        self.source = source
        self.folder = folder

    def fail(self, message: str) -> FormatError:
        return FormatError(f"{self.source}: {message}")

    def mapping(self, value: Any, where: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(f"{where} must be a JSON object, not {_kind(value)}")
        unknown = [key for key in value if key not in allowed]
        if unknown:
            field = unknown[0] if where == "the config" else f"{where}.{unknown[0]}"
            raise self.fail(
                f"{field} is not a field watchkeeper knows (known: {', '.join(allowed)})"
            )
        return value

    def config(self, document: Any) -> AnalysisConfig:
        if not isinstance(document, dict):
            raise self.fail(f"the config must be a JSON object, not {_kind(document)}")
        self.mapping(document, "the config", TOP_LEVEL)
        dataset_type = document.get("dataset_type")
        if dataset_type not in DATASET_TYPES:
            raise self.fail(
                f"dataset_type must be one of {', '.join(DATASET_TYPES)}, not {dataset_type!r}"
            )
        headers = self.names(document.get("headers"), "headers")
        methods = self.mapping(document.get("methods"), "methods", METHODS)
        if not any(name in methods for name in METHODS[:4]):
            raise self.fail(
                "methods must ask for at least one of pre_training_bias, post_training_bias, "
                "shap, pdp"
            )
        pre = self.bias_methods(methods, "pre_training_bias", PRETRAINING)
        post = self.bias_methods(methods, "post_training_bias", POSTTRAINING)
        shap = self.shap(methods["shap"]) if "shap" in methods else None
        pdp = self.pdp(methods["pdp"], shap is not None) if "pdp" in methods else None
        report = self.report(methods.get("report"))
        predictor = self.predictor(document.get("predictor"))
        label = self.column(document.get("label"), "label")
        label_values, label_threshold = self.values_or_threshold(
            document.get("label_values_or_threshold"), "label_values_or_threshold"
        )
        facets = self.facets(document.get("facet"))
        predicted_label = self.column(document.get("predicted_label"), "predicted_label")
        if pre is not None or post is not None:
            if label is None:
                raise self.fail("label is required for bias metrics: name the label column")
            if label_values is None and label_threshold is None:
                raise self.fail(
                    "label_values_or_threshold is required for bias metrics: the positive "
                    "label values (a list) or a threshold (a number)"
                )
            if not facets:
                raise self.fail("facet is required for bias metrics: list at least one")
        if post is not None and predictor is None and predicted_label is None:
            raise self.fail(
                "post_training_bias needs the model's answers: give predictor.model or "
                "predicted_label"
            )
        for method in ("shap", "pdp"):
            if method in methods and predictor is None:
                raise self.fail(f"methods.{method} needs a model: give predictor.model")
        return AnalysisConfig(
            format=DATASET_TYPES[dataset_type],
            headers=headers,
            label=label,
            label_values=label_values,
            label_threshold=label_threshold,
            facets=facets,
            group_variable=self.column(document.get("group_variable"), "group_variable"),
            excluded_columns=self.columns(document.get("excluded_columns"), "excluded_columns"),
            probability_threshold=self.number(
                document.get("probability_threshold", 0.5), "probability_threshold"
            ),
            predicted_label=predicted_label,
            pre_training=pre,
            post_training=post,
            shap=shap,
            pdp=pdp,
            report_name=report["name"],
            report_title=report["title"],
            predictor=predictor,
        )

    # -- fields --------------------------------------------------------------------------

    def names(self, value: Any, where: str) -> list[str] | None:
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(f"{where} must be a list of non-empty names")
        if len(set(value)) != len(value):
            raise self.fail(f"{where} names a column twice")
        return list(value)

    def column(self, value: Any, where: str) -> str | int | None:
        if value is None:
            return None
        if isinstance(value, str) and value:
            return value
        if _whole(value) and value >= 0:
            return int(value)
        raise self.fail(f"{where} must be a column name or a column index, not {value!r}")

    def columns(self, value: Any, where: str) -> list[str | int]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{where} must be a list of column names or indexes")
        return [self.column(item, f"{where}[{i}]") for i, item in enumerate(value)]

    def number(self, value: Any, where: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise self.fail(f"{where} must be a number, not {value!r}")
        return value

    def positive(self, value: Any, where: str) -> int:
        if not _whole(value) or value < 1:
            raise self.fail(f"{where} must be a positive integer, not {value!r}")
        return int(value)

    def flag(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(f"{where} must be true or false, not {value!r}")
        return value

    def values_or_threshold(self, value: Any, where: str) -> tuple[list | None, float | None]:
        if value is None:
            return None, None
        if isinstance(value, list):
            if not value or not all(isinstance(v, str | int | float) for v in value):
                raise self.fail(f"{where} must be a non-empty list of values or a number")
            return list(value), None
        return None, self.number(value, where)

    def facets(self, value: Any) -> list[Facet]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail("facet must be a list of {name_or_index, value_or_threshold}")
        facets = []
        for i, entry in enumerate(value):
            where = f"facet[{i}]"
            entry = self.mapping(entry, where, ("name_or_index", "value_or_threshold"))
            name = self.column(entry.get("name_or_index"), f"{where}.name_or_index")
            if name is None:
                raise self.fail(f"{where}.name_or_index is required")
            values, threshold = self.values_or_threshold(
                entry.get("value_or_threshold"), f"{where}.value_or_threshold"
            )
            facets.append(Facet(name, values, threshold))
        return facets

    def bias_methods(self, methods: dict, stage: str, known: dict) -> list[str] | None:
        if stage not in methods:
            return None
        where = f"methods.{stage}"
        entry = self.mapping(methods[stage], where, ("methods",))
        chosen = entry.get("methods", "all")
        if chosen == "all":
            return list(known)
        if not isinstance(chosen, list) or not chosen:
            raise self.fail(f"{where}.methods must be \"all\" or a list of metric names")
        names = [str(name).upper() for name in chosen]
        unknown = [name for name in names if name not in known]
        if unknown:
            raise self.fail(
                f"{where}.methods: unknown metric {unknown[0]} (known: {', '.join(known)})"
            )
        return sorted(set(names))

    def shap(self, value: Any) -> ShapSettings:
        entry = self.mapping(value, "methods.shap", SHAP_FIELDS)
        where = "methods.shap"
        if "baseline" in entry and "num_clusters" in entry:
            raise self.fail(f"{where}: give baseline or num_clusters, not both")
        baseline = entry.get("baseline")
        if isinstance(baseline, str):
            baseline = self.path(baseline)
        elif baseline is not None and not (
            isinstance(baseline, list) and baseline and all(isinstance(r, list) for r in baseline)
        ):
            raise self.fail(f"{where}.baseline must be a file or a list of rows (lists)")
        agg_method = entry.get("agg_method", "mean_abs")
        if agg_method not in AGG_METHODS:
            raise self.fail(
                f"{where}.agg_method must be one of {', '.join(AGG_METHODS)}, not {agg_method!r}"
            )
        seed = entry.get("seed", 0)
        if not _whole(seed) or not 0 <= seed < 2**32:
            raise self.fail(f"{where}.seed must be a whole number from 0 to 2**32 - 1")
        return ShapSettings(
            baseline=baseline,
            num_clusters=self.optional(entry, "num_clusters", where),
            num_samples=self.optional(entry, "num_samples", where),
            agg_method=agg_method,
            use_logit=self.flag(entry.get("use_logit", False), f"{where}.use_logit"),
            save_local_shap_values=self.flag(
                entry.get("save_local_shap_values", True), f"{where}.save_local_shap_values"
            ),
            seed=int(seed),
        )

    def optional(self, entry: dict, name: str, where: str) -> int | None:
        value = entry.get(name)
        return None if value is None else self.positive(value, f"{where}.{name}")

    def pdp(self, value: Any, has_shap: bool) -> PdpSettings:
        entry = self.mapping(value, "methods.pdp", PDP_FIELDS)
        features = entry.get("features")
        if features is not None:
            features = self.columns(features, "methods.pdp.features")
            if not features:
                raise self.fail("methods.pdp.features must name at least one feature")
        elif not has_shap:
            raise self.fail(
                "methods.pdp.features is required without methods.shap (the SHAP values "
                "pick the top features otherwise)"
            )
        return PdpSettings(
            features=features,
            grid_resolution=self.positive(
                entry.get("grid_resolution", DEFAULT_GRID_RESOLUTION),
                "methods.pdp.grid_resolution",
            ),
            top_k_features=self.positive(
                entry.get("top_k_features", DEFAULT_TOP_K_FEATURES), "methods.pdp.top_k_features"
            ),
        )

    def report(self, value: Any) -> dict[str, str]:
        if value is None:
            return dict(DEFAULT_REPORT)
        entry = self.mapping(value, "methods.report", ("name", "title"))
        report = {**DEFAULT_REPORT, **entry}
        name = report["name"]
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            raise self.fail("methods.report.name must be a file name (without folders)")
        if not isinstance(report["title"], str):
            raise self.fail("methods.report.title must be text")
        return report

    def predictor(self, value: Any) -> Predictor | None:
        if value is None:
            return None
        if isinstance(value, dict):
            for field in ENDPOINT_FIELDS:
                if field in value:
                    raise self.fail(
                        f"predictor.{field} is for a SageMaker endpoint; watchkeeper runs the "
                        "model itself: give predictor.model (a model file or module:attr)"
                    )
        entry = self.mapping(value, "predictor", PREDICTOR_FIELDS)
        model = entry.get("model")
        if not isinstance(model, str) or not model:
            raise self.fail("predictor.model is required: a model file or module:attr")
        for field in ("content_type", "accept_type"):
            if field in entry and entry[field] not in CONTENT_TYPES:
                raise self.fail(
                    f"predictor.{field} must be one of {', '.join(CONTENT_TYPES)}, "
                    f"not {entry[field]!r}"
                )
        if "label" in entry and entry.get("probability") is not None:
            raise self.fail("predictor: give label or probability, not both")
        return Predictor(
            model=self.model(model),
            label_headers=self.names(entry.get("label_headers"), "predictor.label_headers"),
            probability=entry.get("probability") is not None,
        )

    def model(self, text: str) -> str:
        # a file beside the config; module:attr as given (a missing file is then named
        # with the config's folder)
        beside = self.path(text)
        if ":" in text and not Path(beside).exists():
            return text
        return beside

    def path(self, text: str) -> str:
        if "://" in text or self.folder is None or Path(text).is_absolute():
            return text
        return str(self.folder / text)


def _whole(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        return True
    return isinstance(value, float) and value.is_integer()


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__
