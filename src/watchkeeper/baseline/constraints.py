"""``constraints.json``: suggested from a baseline profile, read from any SageMaker variant.

Suggestion follows what SageMaker's analyzer writes: per feature its inferred type,
its completeness in the baseline, ``num_constraints.is_non_negative`` for numeric
features, and ``string_constraints.domains`` for String features of small cardinality
(Deequ's categorical-range rule: at most 120 distinct values of which at most 10% were
seen only once), listed most frequent first. ``monitoring_config`` carries SageMaker's
defaults; the categorical drift settings are written when the baseline has a String or
Boolean feature they could apply to.

Reading accepts the current layout, the legacy ``distribution_constraints``
(``enable_comparisons`` / ``min_domain_mass``), and per-feature overrides written either
as a feature-level ``monitoringConfigOverrides`` or as the SDK's
``string_constraints.monitoring_config_overrides`` / ``num_constraints....``.

The drift methods are this format's vocabulary: ``comparison_method`` ``Simple`` or
``Robust`` (also ``linf_simple`` / ``linf_robust``, any case) and
``categorical_drift_method`` ``LInfinity`` or ``ChiSquared``. Reading turns every
spelling into the one name :func:`watchkeeper.drift.baseline_drift_distance` takes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from watchkeeper.baseline import fields
from watchkeeper.baseline.fields import parse_json
from watchkeeper.baseline.jackson import JavaDouble, dumps
from watchkeeper.errors import FormatError, UsageError
from watchkeeper.io.storage import read_bytes, write_text
from watchkeeper.profile import BOOLEAN, FRACTIONAL, INTEGRAL, STRING, UNKNOWN, DatasetProfile

# The spellings of the drift methods that SageMaker's files and documents use, and the
# one name each stands for (the name watchkeeper.drift takes).
COMPARISON_METHOD_SPELLINGS = {
    "simple": "Simple",
    "linf_simple": "Simple",
    "robust": "Robust",
    "linf_robust": "Robust",
}
CATEGORICAL_DRIFT_METHOD_SPELLINGS = {"linfinity": "LInfinity", "chisquared": "ChiSquared"}
DOMAIN_MAX_DISTINCT = 120
DOMAIN_MAX_SINGLETON_RATIO = 0.1
TYPES = (INTEGRAL, FRACTIONAL, BOOLEAN, STRING, UNKNOWN)


@dataclass(frozen=True)
class MonitoringConfig:
    """``monitoring_config``: which checks run and their thresholds.

    Where each is honoured: ``evaluate_constraints`` (no check at all when off, per
    feature too), ``datatype_check_threshold`` and ``domain_content_threshold`` in
    :mod:`watchkeeper.checks.constraints`; ``perform_comparison`` (no drift check when
    off) there too, with ``comparison_*`` and ``categorical_*`` judging drift under
    ``drift="sagemaker"`` (the default detector has its own floors);
    ``emit_metrics`` (no metric series when off, per feature too) in
    :mod:`watchkeeper.checks.metrics`.
    """

    evaluate_constraints: bool = True
    emit_metrics: bool = True
    datatype_check_threshold: float = 1.0
    domain_content_threshold: float = 1.0
    perform_comparison: bool = True
    comparison_threshold: float = 0.1
    comparison_method: str = "Robust"
    categorical_comparison_threshold: float = 0.1
    categorical_drift_method: str = "LInfinity"


@dataclass(frozen=True)
class FeatureConstraints:
    """What the baseline expects of one feature."""

    name: str
    inferred_type: str
    completeness: float | None = None
    is_non_negative: bool | None = None
    domains: tuple[str, ...] | None = None
    evaluate_constraints: bool = True
    emit_metrics: bool = True
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Constraints:
    """A parsed ``constraints.json``."""

    features: dict[str, FeatureConstraints]
    config: MonitoringConfig = MonitoringConfig()


# -- suggestion -------------------------------------------------------------------------


def suggest_constraints(profile: DatasetProfile) -> dict[str, Any]:
    """The ``constraints.json`` document SageMaker would suggest for ``profile``."""
    features = []
    categorical = False
    for name, column in profile.columns.items():
        kind = column.inferred_type
        entry: dict[str, Any] = {
            "name": name,
            "inferred_type": kind,
            "completeness": JavaDouble(column.completeness),
        }
        if kind in (INTEGRAL, FRACTIONAL):
            entry["num_constraints"] = {"is_non_negative": bool(column.moments.min >= 0)}
        elif kind in (STRING, BOOLEAN):
            categorical = True
            domains = _domains(column)
            if domains is not None:
                entry["string_constraints"] = {"domains": domains}
        features.append(entry)
    comparison: dict[str, Any] = {
        "perform_comparison": "Enabled",
        "comparison_threshold": JavaDouble(0.1),
        "comparison_method": "Robust",
    }
    if categorical:
        comparison["categorical_comparison_threshold"] = JavaDouble(0.1)
        comparison["categorical_drift_method"] = "LInfinity"
    return {
        "version": JavaDouble(0.0),
        "features": features,
        "monitoring_config": {
            "evaluate_constraints": "Enabled",
            "emit_metrics": "Enabled",
            "datatype_check_threshold": JavaDouble(1.0),
            "domain_content_threshold": JavaDouble(1.0),
            "distribution_constraints": comparison,
        },
    }


def _domains(column) -> list[str] | None:
    categories = column.categories
    if not categories.is_exact:
        return None
    items = categories.items()
    if not items or len(items) > DOMAIN_MAX_DISTINCT:
        return None
    singletons = sum(1 for _, count in items if count == 1)
    if singletons / len(items) > DOMAIN_MAX_SINGLETON_RATIO:
        return None
    return [value for value, _ in items]


def constraints_json(document: dict[str, Any]) -> str:
    return dumps(document)


def write_constraints(
    document: dict[str, Any], uri: str | os.PathLike[str], storage_options: dict | None = None
) -> str:
    return write_text(uri, constraints_json(document), storage_options)


# -- reading ----------------------------------------------------------------------------


def read_constraints(
    uri: str | os.PathLike[str], storage_options: dict | None = None
) -> Constraints:
    source = os.fspath(uri)
    return parse_constraints(parse_json(read_bytes(uri, storage_options), source), source)


def parse_constraints(document: Any, source: str = "constraints.json") -> Constraints:
    """Validate and read a ``constraints.json`` document; errors name the field."""
    if not isinstance(document, dict):
        raise FormatError(f"{source}: not a constraints file (expected a JSON object)")
    raw_features = document.get("features", [])
    if not isinstance(raw_features, list):
        raise FormatError(f'{source}: "features" must be a list')
    features: dict[str, FeatureConstraints] = {}
    for position, raw in enumerate(raw_features):
        feature = _parse_feature(raw, f"{source}: features[{position}]")
        if feature.name in features:
            raise FormatError(
                f"{source}: features[{position}] ({fields.shown(feature.name)}): "
                "a feature of this name is listed before"
            )
        features[feature.name] = feature
    config = _parse_config(document.get("monitoring_config", {}), f"{source}: monitoring_config")
    return Constraints(features=features, config=config)


def _parse_feature(raw: Any, where: str) -> FeatureConstraints:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise FormatError(f'{where} must be an object with a "name"')
    where = f"{where} ({fields.shown(raw['name'])})"
    kind = raw.get("inferred_type", UNKNOWN)
    if not isinstance(kind, str) or kind not in TYPES:
        raise FormatError(
            f"{where}: inferred_type {fields.shown(kind)} is not one of {', '.join(TYPES)}"
        )
    completeness = raw.get("completeness")
    if completeness is not None:
        completeness = fields.fraction(completeness, f"{where}: completeness")
    numeric = raw.get("num_constraints") or {}
    strings = raw.get("string_constraints") or {}
    if not isinstance(numeric, dict) or not isinstance(strings, dict):
        raise FormatError(f"{where}: num_constraints and string_constraints must be objects")
    non_negative = numeric.get("is_non_negative")
    if non_negative is not None and not isinstance(non_negative, bool):
        raise FormatError(f"{where}: is_non_negative must be true or false")
    domains = strings.get("domains")
    if domains is not None:
        if not isinstance(domains, list):
            raise FormatError(f"{where}: string_constraints.domains must be a list")
        if any(isinstance(value, dict | list) for value in domains):
            raise FormatError(f"{where}: string_constraints.domains must list values")
        domains = tuple(str(value) for value in domains)
    overrides: dict[str, Any] = {}
    for candidate in (
        raw.get("monitoringConfigOverrides"),
        raw.get("monitoring_config_overrides"),
        numeric.get("monitoring_config_overrides"),
        strings.get("monitoring_config_overrides"),
    ):
        if isinstance(candidate, dict):
            overrides.update(candidate)
    return FeatureConstraints(
        name=raw["name"],
        inferred_type=kind,
        completeness=completeness,
        is_non_negative=non_negative,
        domains=domains,
        evaluate_constraints=_enabled(
            overrides.get("evaluate_constraints", "Enabled"), f"{where}: evaluate_constraints"
        ),
        emit_metrics=_enabled(overrides.get("emit_metrics", "Enabled"), f"{where}: emit_metrics"),
        overrides=overrides,
    )


def _parse_config(raw: Any, where: str) -> MonitoringConfig:
    if not isinstance(raw, dict):
        raise FormatError(f"{where} must be an object")
    defaults = MonitoringConfig()
    distribution = raw.get("distribution_constraints", {}) or {}
    if not isinstance(distribution, dict):
        raise FormatError(f"{where}.distribution_constraints must be an object")
    perform = distribution.get("perform_comparison", distribution.get("enable_comparisons", True))
    threshold = _threshold(
        distribution.get("comparison_threshold", defaults.comparison_threshold),
        f"{where}.distribution_constraints.comparison_threshold",
    )
    method = _method(
        COMPARISON_METHOD_SPELLINGS,
        distribution.get("comparison_method", defaults.comparison_method),
        f"{where}.distribution_constraints",
        "comparison_method",
    )
    categorical_method = _method(
        CATEGORICAL_DRIFT_METHOD_SPELLINGS,
        distribution.get("categorical_drift_method", defaults.categorical_drift_method),
        f"{where}.distribution_constraints",
        "categorical_drift_method",
    )
    domain_threshold = raw.get(
        "domain_content_threshold",
        distribution.get("min_domain_mass", defaults.domain_content_threshold),
    )
    return MonitoringConfig(
        evaluate_constraints=_enabled(
            raw.get("evaluate_constraints", "Enabled"), f"{where}.evaluate_constraints"
        ),
        emit_metrics=_enabled(raw.get("emit_metrics", "Enabled"), f"{where}.emit_metrics"),
        datatype_check_threshold=fields.fraction(
            raw.get("datatype_check_threshold", defaults.datatype_check_threshold),
            f"{where}.datatype_check_threshold",
        ),
        domain_content_threshold=fields.fraction(
            domain_threshold, f"{where}.domain_content_threshold"
        ),
        perform_comparison=_enabled(
            perform, f"{where}.distribution_constraints.perform_comparison"
        ),
        comparison_threshold=threshold,
        comparison_method=method,
        categorical_comparison_threshold=_threshold(
            distribution.get("categorical_comparison_threshold", threshold),
            f"{where}.distribution_constraints.categorical_comparison_threshold",
        ),
        categorical_drift_method=categorical_method,
    )


def comparison_method_name(value: str) -> str:
    """The name (``Simple``/``Robust``) of a ``comparison_method`` as SageMaker's files
    and documents spell it, in any case; UsageError naming the allowed spellings otherwise.

    >>> comparison_method_name("linf_robust"), comparison_method_name("SIMPLE")
    ('Robust', 'Simple')
    """
    return _choose(value, COMPARISON_METHOD_SPELLINGS, "comparison_method")


def categorical_drift_method_name(value: str) -> str:
    """The name (``LInfinity``/``ChiSquared``) of a ``categorical_drift_method``, in any case.

    >>> categorical_drift_method_name("chisquared")
    'ChiSquared'
    """
    return _choose(value, CATEGORICAL_DRIFT_METHOD_SPELLINGS, "categorical_drift_method")


def _choose(value: str, allowed: dict[str, str], name: str) -> str:
    choice = allowed.get(str(value).lower())
    if choice is None:
        names = sorted(set(allowed.values())) + sorted(
            key for key in allowed if key.startswith("linf_")
        )
        raise UsageError(f"{name} must be one of {', '.join(names)}; got {value!r}")
    return choice


def _method(allowed: dict[str, str], value: Any, where: str, key: str) -> str:
    shown = fields.text(value, f"{where}.{key}")[: fields.SHOWN_LENGTH]
    try:
        return _choose(shown, allowed, key)
    except UsageError as exc:
        raise FormatError(f"{where}: {exc}") from None


def _enabled(value: Any, where: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("Enabled", "enabled", "ENABLED"):
        return True
    if value in ("Disabled", "disabled", "DISABLED"):
        return False
    raise FormatError(f'{where} is {fields.shown(value)}; expected "Enabled" or "Disabled"')


def _threshold(value: Any, where: str) -> float:
    number = fields.number(value, where, finite=True)
    if number < 0:
        raise FormatError(f"{where} is {fields.shown(value)}; expected a number of 0 or more")
    return number
