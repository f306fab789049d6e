"""What a notebook shows of watchkeeper's objects.

Profiles, check outcomes, comparisons and explanations render themselves as their
report page when they are the last value of a cell; :func:`show` gives the page of
the documents that are plain dicts (model-quality statistics, bias and explanations
analyses) and shows every feature with ``all=True``. The pages are
:mod:`watchkeeper.report.inline`'s.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from watchkeeper.errors import UsageError
from watchkeeper.explain import Explanation, analysis_document
from watchkeeper.profile import DatasetProfile
from watchkeeper.report.inline import (
    InlinePage,
    bias_page,
    explanations_page,
    profile_page,
    profile_text,
    quality_page,
)


def show(value: Any, *, all: bool = False) -> InlinePage:
    """The page a notebook shows of ``value``: a profile, a check's outcome, a
    comparison, an explanation, or a model-quality ``statistics.json``, bias or
    explanations ``analysis.json`` document; every feature with ``all=True``.

    >>> import pyarrow as pa
    >>> p = DatasetProfile()
    >>> p.track(pa.table({"x": [1.0, 2.0]}))
    >>> show(p).to_html().startswith("<!DOCTYPE html>")
    True
    """
    if isinstance(value, DatasetProfile):
        return profile_page(value, all=all)
    if isinstance(value, Explanation):
        return explanations_page(analysis_document(value), local=value)
    if callable(getattr(value, "inline", None)):
        return value.inline(all=all)
    if isinstance(value, Mapping):
        if "explanations" in value:
            return explanations_page(value)
        if any(str(key).endswith("_bias_metrics") for key in value):
            return bias_page(value)
        if any(str(key).endswith("_metrics") for key in value):
            return quality_page(value)
    raise UsageError(
        "show() takes a DatasetProfile, a check's outcome, a comparison, an explanation, "
        f"or a model-quality, bias or explanations document; got {type(value).__name__}"
    )


def html(value: Any) -> str:
    """``value``'s rich output in a notebook (IPython's ``text/html`` formatter)."""
    return show(value).notebook_html()


def text(value: Any) -> str:
    """``value`` as a notebook prints it: a profile's table, an explanation's ranking."""
    if isinstance(value, DatasetProfile):
        return profile_text(value)
    if isinstance(value, Explanation):
        rows = len(next(iter(value.local_values.values()), ()))
        lines = [f"Explanation of {rows:,} rows ({value.agg_method} of the SHAP values):"]
        for label, values in value.global_values.items():
            ranked = sorted(values.items(), key=lambda item: -abs(item[1]))
            lines.append(f"  {label}: " + ", ".join(f"{n} {v:.4g}" for n, v in ranked))
        return "\n".join(lines)
    return repr(value)


def pretty(value: Any, printer: Any, cycle: bool) -> None:
    """``value``'s plain-text output (IPython's ``text/plain`` formatter)."""
    printer.text(text(value))
