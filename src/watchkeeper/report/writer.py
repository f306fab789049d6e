"""Writing the report files: ``report.html``, ``report.csv`` and ``report.json``."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from watchkeeper.artifacts import REPORT_FILES
from watchkeeper.errors import UsageError
from watchkeeper.io.storage import exists, join, write_files, write_text
from watchkeeper.profile import DatasetProfile
from watchkeeper.report.page import drift_verdict, plotly_bundle_name, plotly_js, render_html
from watchkeeper.report.table import feature_table, table_csv, table_json

REPORT_NAMES = tuple(REPORT_FILES)


def write_report(
    directory: str | os.PathLike[str],
    current: DatasetProfile,
    *,
    baseline: DatasetProfile | None = None,
    violations: Iterable[Mapping[str, Any]] = (),
    drift: Mapping[str, Any] | None = None,
    title: str = "watchkeeper report",
    subtitle: str | None = None,
    generated_at: str | dt.datetime | None = None,
    names: Sequence[str] = REPORT_NAMES,
    storage_options: dict | None = None,
    plotly_src: str | None = None,
) -> dict[str, str]:
    """Write ``report.<name>`` for each of ``names`` under ``directory`` (a folder or
    URI, created as needed); returns name → URI.

    ``html`` is the page of :func:`render_html` (the other arguments, ``plotly_src``
    included, are its own),
    ``csv`` and ``json`` the feature table of :func:`feature_table` (with ``drift``,
    three more fields: ``drifted``, ``drift_figure`` and ``drift``, the verdict's
    words). Every file is
    rendered before any is written, and they are written as one set
    (:func:`watchkeeper.io.storage.write_files`): a failure leaves the folder as it was.

    >>> import pyarrow as pa, tempfile
    >>> p = DatasetProfile()
    >>> p.track(pa.table({"x": [1, 2, 3]}))
    >>> sorted(write_report(tempfile.mkdtemp(), p, names=("csv",)))
    ['csv']
    """
    texts = render_report(
        current,
        baseline=baseline,
        violations=violations,
        drift=drift,
        title=title,
        subtitle=subtitle,
        generated_at=generated_at,
        names=names,
        plotly_src=plotly_src,
    )
    written = write_files(directory, texts, storage_options)
    return {name: written[REPORT_FILES[name]] for name in dict.fromkeys(names)}


def render_report(
    current: DatasetProfile,
    *,
    baseline: DatasetProfile | None = None,
    violations: Iterable[Mapping[str, Any]] = (),
    drift: Mapping[str, Any] | None = None,
    title: str = "watchkeeper report",
    subtitle: str | None = None,
    generated_at: str | dt.datetime | None = None,
    names: Sequence[str] = REPORT_NAMES,
    plotly_src: str | None = None,
    suggested: Mapping[str, Any] | None = None,
    multivariate: Mapping[str, Any] | None = None,
) -> dict[str, str]:
    """The text of ``report.<name>`` for each of ``names``, by file name, for writing
    with other artefacts as one set (see :func:`write_report` for the arguments;
    ``suggested`` makes the page a baseline's and ``multivariate`` adds its section,
    as :func:`render_html` says)."""
    unknown = [name for name in names if name not in REPORT_NAMES]
    if isinstance(names, str) or unknown:
        raise UsageError(f"report names must be some of {', '.join(REPORT_NAMES)}; got {names!r}")
    rows = feature_table(current) if {"csv", "json"} & set(names) else []
    if drift is not None:
        # the drift verdict of each compared feature, in the words and figure of the page
        rows = [{**row, **_drift_fields(drift.get(row["feature"]))} for row in rows]
    texts = {
        "csv": lambda: table_csv(rows),
        "json": lambda: table_json(rows),
        "html": lambda: render_html(
            current,
            baseline=baseline,
            violations=violations,
            drift=drift,
            title=title,
            subtitle=subtitle,
            generated_at=generated_at,
            plotly_src=plotly_src,
            suggested=suggested,
            multivariate=multivariate,
        ),
    }
    return {REPORT_FILES[name]: texts[name]() for name in dict.fromkeys(names)}


def _drift_fields(verdict: Any) -> dict[str, Any]:
    if verdict is None:
        return {"drifted": None, "drift_figure": None, "drift": None}
    shown = drift_verdict(verdict)
    return {"drifted": shown["drifted"], "drift_figure": shown["figure"], "drift": shown["text"]}


def write_plotly_bundle(
    directory: str | os.PathLike[str], storage_options: dict | None = None
) -> str:
    """Write plotly's JavaScript once under ``directory`` (if not there yet) for reports
    that share it (``plotly_src``); returns its URI."""
    target = join(directory, plotly_bundle_name())
    if not exists(target, storage_options):
        write_text(target, plotly_js(), storage_options)
    return target
