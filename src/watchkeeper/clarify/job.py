"""One Clarify processing job run locally: bias before and after training, SHAP values
and partial dependence from one ``analysis_config.json``, written as Clarify writes them.

Each method calls the function its own command uses (:func:`~watchkeeper.fairness.
pretraining_bias`, :func:`~watchkeeper.fairness.posttraining_bias`,
:func:`~watchkeeper.explain.explain`, :func:`~watchkeeper.explain.partial_dependence`),
so a combined run gives the numbers the separate runs give.

Written under the output folder: ``analysis.json`` (``version``,
``pre_training_bias_metrics``, ``post_training_bias_metrics``, ``explanations`` with
``kernel_shap`` and ``pdp``), ``explanations_shap/out.csv`` when local SHAP values are
kept, and the report page ``<report name>.html``. Every result is computed before the
first file is written, and ``analysis.json`` is written last.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from watchkeeper.artifacts import ANALYSIS
from watchkeeper.clarify.config import AnalysisConfig, Facet
from watchkeeper.errors import InputError
from watchkeeper.explain import Explanation, explain, partial_dependence
from watchkeeper.explain.kernel import model_output
from watchkeeper.explain.output import LOCAL_VALUES_FILE, analysis_document, local_values_csv
from watchkeeper.fairness import bias_report, posttraining_bias, pretraining_bias
from watchkeeper.fairness.analysis import dumps
from watchkeeper.io import CsvOptions, read_table, storage
from watchkeeper.model import LoadedModel, load_model
from watchkeeper.report.clarify_page import render_clarify_html

__all__ = ["ClarifyResult", "run_clarify"]

# the column of the model's positive-class probabilities, when post-training bias judges them
PROBABILITY_COLUMN = "__watchkeeper_probability"


@dataclass
class ClarifyResult:
    """What a run computed (the ``analysis.json`` document and the SHAP values) and the
    files it wrote, by name (``analysis``, ``local_values``, ``report``)."""

    analysis: dict[str, Any]
    explanation: Explanation | None = None
    files: dict[str, str] = field(default_factory=dict)


def run_clarify(
    config: AnalysisConfig,
    data: Any,
    out_dir: str | os.PathLike[str],
    *,
    subtitle: str | None = None,
    storage_options: dict | None = None,
) -> ClarifyResult:
    """Run every method ``config`` asks for on ``data`` (a file, folder, URI or table)
    and write Clarify's files under ``out_dir``."""
    table = _table(config, data)
    names = _Names(config, table)
    model = load_model(config.predictor.model) if config.predictor is not None else None
    document: dict[str, Any] = {}
    if config.pre_training is not None:
        document["pre"] = _merged(
            pretraining_bias(
                table,
                **names.bias(facet),
                group_variable=names.group_variable,
                methods=config.pre_training,
            )
            for facet in config.facets
        )
    if config.post_training is not None:
        document["post"] = _merged(
            _posttraining(config, names, table, model, facet) for facet in config.facets
        )
    analysis = bias_report(**document) if document else {"version": "1.0"}
    features = names.features(table)
    explanation = None
    if config.shap is not None:
        assert model is not None
        explanation = _shap(config, features, model)
        analysis["explanations"] = analysis_document(explanation)["explanations"]
    if config.pdp is not None:
        assert model is not None
        pdp = _pdp(config, names, features, model, explanation)
        analysis.setdefault("explanations", {})["pdp"] = pdp
    return _written(config, analysis, explanation, out_dir, subtitle, storage_options)


def _table(config: AnalysisConfig, data: Any) -> pa.Table:
    csv = None
    if config.format == "csv":
        # the header row, when the file has one, gives way to the config's headers
        csv = CsvOptions(column_names=tuple(config.headers) if config.headers else None)
    table = read_table(data, format=config.format, csv=csv)
    headers = config.headers
    if config.format != "csv" and headers is not None and table.column_names != headers:
        if len(headers) != table.num_columns:
            raise InputError(
                f"headers names {len(headers)} columns but the data has {table.num_columns}"
            )
        table = table.rename_columns(headers)
    return table


class _Names:
    """The config's columns (names or indexes) as the table's column names."""

    def __init__(self, config: AnalysisConfig, table: pa.Table) -> None:
        self.config = config
        self.columns = table.column_names
        self.label = self.name(config.label, "label")
        self.predicted_label = self.name(config.predicted_label, "predicted_label")
        self.group_variable = self.name(config.group_variable, "group_variable")
        self.excluded = self.all(config.excluded_columns, "excluded_columns")

    def name(self, column: str | int | None, where: str) -> str | None:
        if column is None or isinstance(column, str):
            if column is not None and column not in self.columns:
                shown = ", ".join(self.columns[:10])
                raise InputError(f"{where} {column!r} is not a column of the data ({shown})")
            return column
        if column >= len(self.columns):
            raise InputError(
                f"{where} is column index {column}, but the data has {len(self.columns)} columns"
            )
        return self.columns[column]

    def all(self, columns: list[str | int], where: str) -> list[str]:
        return [self.name(column, where) for column in columns]

    def bias(self, facet: Facet) -> dict[str, Any]:
        return {
            "label": self.label,
            "label_values": self.config.label_values,
            "label_threshold": self.config.label_threshold,
            "facet": self.name(facet.name, "facet"),
            "facet_values": facet.values,
            "facet_threshold": facet.threshold,
        }

    def features(self, table: pa.Table) -> pa.Table:
        """The model's input: every column but the label, the predicted label and the
        excluded columns."""
        dropped = {self.label, self.predicted_label, *self.excluded} - {None}
        return table.drop_columns([name for name in self.columns if name in dropped])


def _merged(sections) -> dict[str, Any]:
    """One section holding every facet's groups (each facet is computed on its own)."""
    merged: dict[str, Any] | None = None
    for section in sections:
        if merged is None:
            merged = section
        else:
            merged["facets"].update(section["facets"])
    assert merged is not None
    return merged


def _posttraining(config, names, table, model, facet) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    if names.predicted_label is not None:
        answers["predicted_label"] = names.predicted_label
        bias_table = table
    elif config.predictor.probability:
        output, _ = model_output(model, names.features(table), False, None)
        scores = np.asarray(output(names.features(table)), dtype=np.float64)
        if scores.shape[1] != 1:
            raise InputError(
                "predictor.probability judges one probability, but the model gives "
                f"{scores.shape[1]} (one per class); leave it out to judge predicted labels"
            )
        bias_table = table.append_column(PROBABILITY_COLUMN, pa.array(scores[:, 0]))
        answers["probability"] = PROBABILITY_COLUMN
        answers["probability_threshold"] = config.probability_threshold
    else:
        # the model sees its features; the label, facet and group stay for the metrics
        kept = {names.label, names.name(facet.name, "facet"), names.group_variable}
        dropped = [name for name in names.excluded if name not in kept]
        bias_table = table.drop_columns(dropped)
        answers["model"] = model
    return posttraining_bias(
        bias_table,
        **names.bias(facet),
        **answers,
        group_variable=names.group_variable,
        methods=config.post_training,
    )


def _shap(config: AnalysisConfig, features: pa.Table, model: LoadedModel) -> Explanation:
    shap = config.shap
    assert shap is not None and config.predictor is not None
    baseline = shap.baseline
    if isinstance(baseline, list):
        try:
            baseline = np.asarray(baseline, dtype=np.float64)
        except ValueError:
            raise InputError("methods.shap.baseline rows must hold numbers only") from None
    return explain(
        model,
        features,
        baseline=baseline,
        num_clusters=shap.num_clusters,
        num_samples=shap.num_samples,
        agg_method=shap.agg_method,
        seed=shap.seed,
        label_headers=config.predictor.label_headers,
        features=None if model.feature_names is not None else features.column_names,
        use_logit=shap.use_logit,
    )


def _pdp(config, names, features, model, explanation) -> list[dict[str, Any]]:
    """Partial dependence of the features the config names, else of the top ones by the
    first label's global SHAP values."""
    pdp = config.pdp
    plotted = None
    if pdp.features is not None:
        plotted = names.all(pdp.features, "methods.pdp.features")
    importance = None
    if explanation is not None:
        importance = explanation.global_values[explanation.labels[0]]
    return partial_dependence(
        model,
        features,
        features=plotted,
        importance=importance,
        grid_resolution=pdp.grid_resolution,
        top_k_features=pdp.top_k_features,
        label_headers=config.predictor.label_headers,
    )


def _written(config, analysis, explanation, out_dir, subtitle, storage_options) -> ClarifyResult:
    text = dumps(analysis) + "\n"
    local = None
    if explanation is not None and config.shap.save_local_shap_values:
        local = local_values_csv(explanation)
    page = render_clarify_html(
        analysis, local=explanation, title=config.report_title, subtitle=subtitle
    )
    result = ClarifyResult(analysis=analysis, explanation=explanation)
    base = os.fspath(out_dir)
    if local is not None:
        result.files["local_values"] = storage.write_text(
            storage.join(base, *LOCAL_VALUES_FILE.split("/")), local, storage_options
        )
    result.files["report"] = storage.write_text(
        storage.join(base, f"{config.report_name}.html"), page, storage_options
    )
    result.files["analysis"] = storage.write_text(
        storage.join(base, ANALYSIS), text, storage_options
    )
    return result
