"""The kinds of monitoring schedule, and for each how it is validated and run.

A kind is its name (the schedule's stored ``kind``), the options it takes, what it
checks when a schedule is created (its options, that its baseline can be read, ...:
a mistake is an error at creation, not a failed run at 3 a.m.) and the judge that runs
one window. Schedule creation, the job runner, the CLI and the REST API read this
registry; adding a kind means adding an entry here and the module that judges it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from watchkeeper.artifacts import ANALYSIS, CONSTRAINTS
from watchkeeper.catalog.monitoring import (
    DATA_QUALITY,
    KINDS,
    MODEL_BIAS,
    MODEL_EXPLAINABILITY,
    MODEL_QUALITY,
)
from watchkeeper.errors import UsageError
from watchkeeper.io.storage import join, read_json
from watchkeeper.monitor import clarify_jobs, data_quality_job, quality_job


@dataclass(frozen=True)
class Kind:
    """One kind of schedule.

    ``check`` validates a schedule's options and baseline (``(baseline, options,
    storage_options)``, raising :class:`UsageError` or a format error); ``judge`` runs
    a window: ``(store, schedule, execution, storage_options, folder, now)`` →
    ``(execution, violations)``.
    """

    name: str
    description: str
    check: Callable[[str, dict[str, Any], dict | None], None]
    judge: Callable[..., tuple[Any, list]]


def _data_quality(baseline: str, options: dict[str, Any], storage_options: dict | None) -> None:
    from watchkeeper.baseline import load_baseline

    unknown = set(options) - DATA_QUALITY_OPTIONS
    if unknown:
        raise UsageError(
            f"option(s) {', '.join(map(repr, sorted(unknown)))} do not apply to a "
            f"data-quality schedule; it takes {', '.join(sorted(DATA_QUALITY_OPTIONS))}"
        )
    _engine_options(options)
    load_baseline(baseline, storage_options)


DATA_QUALITY_OPTIONS = {"engine", "spark_master", "spark_conf"}


def _engine_options(options: dict[str, Any]) -> None:
    """engine=local|spark; spark_master (a URL) and spark_conf (KEY: VALUE texts) with
    engine=spark, whose library must be installed now rather than at the first run."""
    from watchkeeper.engines import check_engine, spark_engine

    engine = check_engine(str(options.get("engine", "local")))
    if engine != "spark" and ({"spark_master", "spark_conf"} & set(options)):
        raise UsageError("options spark_master and spark_conf need engine=spark")
    if not isinstance(options.get("spark_master", ""), str):
        raise UsageError("option spark_master must be a Spark master URL, e.g. local[4]")
    confs = options.get("spark_conf", {})
    if not isinstance(confs, dict) or not all(
        isinstance(key, str) and isinstance(value, str) for key, value in confs.items()
    ):
        raise UsageError(
            "option spark_conf must map Spark options to text values, "
            'e.g. {"spark.executor.memory": "4g"}'
        )
    if engine == "spark":
        spark_engine()


def _model_quality(baseline: str, options: dict[str, Any], storage_options: dict | None) -> None:
    quality_job.check_options(options)
    read_json(join(baseline, CONSTRAINTS), storage_options)


def _model_bias(baseline: str, options: dict[str, Any], storage_options: dict | None) -> None:
    from watchkeeper.fairness.analysis import read_analysis

    clarify_jobs.check_bias_options(options)
    read_analysis(join(baseline, ANALYSIS), storage_options)


def _explainability(baseline: str, options: dict[str, Any], storage_options: dict | None) -> None:
    from watchkeeper.explain.output import read_explanations
    from watchkeeper.model import load_model

    clarify_jobs.check_explain_options(options)
    read_explanations(join(baseline, ANALYSIS), storage_options)
    load_model(options["model"])  # a model that does not load fails now, not at 3 a.m.


REGISTRY: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind(
            DATA_QUALITY,
            "a profile of the captured inputs against a data baseline",
            _data_quality,
            data_quality_job.judge_data_quality,
        ),
        Kind(
            MODEL_QUALITY,
            "captured predictions joined to ground truth, against a model-quality baseline",
            _model_quality,
            quality_job.judge_model_quality,
        ),
        Kind(
            MODEL_BIAS,
            "Clarify's bias metrics of the window against a baseline analysis.json",
            _model_bias,
            clarify_jobs.judge_bias,
        ),
        Kind(
            MODEL_EXPLAINABILITY,
            "SHAP attributions of the window against a baseline analysis.json",
            _explainability,
            clarify_jobs.judge_explainability,
        ),
    )
}
assert tuple(REGISTRY) == KINDS, "every stored kind has its entry, in the catalog's order"


def kind_of(name: str) -> Kind:
    """The kind named ``name``; a :class:`UsageError` listing the kinds otherwise."""
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise UsageError(f"kind must be one of {', '.join(REGISTRY)}; got {name!r}") from None
