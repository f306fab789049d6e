"""What the offline HTML pages on a model share: reading the documents' numbers,
the page around their sections, and the look of their charts.

The pages themselves are :mod:`~watchkeeper.report.quality_page`,
:mod:`~watchkeeper.report.bias_page` and :mod:`~watchkeeper.report.explanations_page`.
Each reads a document watchkeeper (or SageMaker) already writes and looks like the
data-quality report of :func:`~watchkeeper.report.render_html`: one file that opens
offline, plain tables readable without JavaScript, plotly charts drawn as they scroll
into view.

Every text from the documents is escaped, in the tables by the template and in the
charts before it reaches plotly (which renders a subset of HTML in labels).
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Mapping
from typing import Any

from markupsafe import Markup

from watchkeeper.artifacts import REPORT_HTML
from watchkeeper.errors import UsageError
from watchkeeper.io.storage import join, write_text
from watchkeeper.report import charts, formatting
from watchkeeper.report.charts import BACKGROUND_COLOUR, FONT
from watchkeeper.report.page import plotly_js, template_environment

LABEL_LENGTH = 40


# -- documents ---------------------------------------------------------------------------


def as_document(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` when it is a parsed JSON object; a UsageError naming ``what`` otherwise.

    >>> as_document([], "analysis")
    Traceback (most recent call last):
    ...
    watchkeeper.errors.UsageError: analysis must be a dict (the parsed JSON), got list
    """
    if not isinstance(value, Mapping):
        raise UsageError(f"{what} must be a dict (the parsed JSON), got {type(value).__name__}")
    return value


def as_number(value: Any) -> float | None:
    """A number from a document's value: floats, ints and the strings Java and Clarify
    write (``"NaN"``, ``"Infinity"``, ``"-Infinity"``); None for anything else.

    >>> as_number("Infinity"), as_number(2), as_number(None), as_number("n/a")
    (inf, 2.0, None, None)
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def value_text(value: Any) -> str:
    """A document's value for people; infinities written out as ``Infinity``.

    >>> value_text(float("-inf")), value_text("Infinity"), value_text(0.123456), value_text("NaN")
    ('-Infinity', 'Infinity', '0.1235', '—')
    """
    number = as_number(value)
    if number is None or math.isnan(number):
        return formatting.MISSING
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return formatting.number(number)


# -- charts ------------------------------------------------------------------------------


def chart_label(text: Any, length: int = LABEL_LENGTH) -> str:
    """Text from the data as a plotly label: shortened, then escaped."""
    return html.escape(formatting.shorten(str(text), length))


def chart_layout(**extra: Any) -> dict[str, Any]:
    """The plotly layout every model page's chart starts from, with ``extra`` on top."""
    return {
        "margin": {"l": 10, "r": 10, "t": 40, "b": 40},
        "font": dict(FONT),
        "paper_bgcolor": BACKGROUND_COLOUR,
        "plot_bgcolor": BACKGROUND_COLOUR,
        "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
        **extra,
    }


def add_figure(figures: list, figure: dict[str, Any] | None) -> int | None:
    """Append ``figure`` and return its index (None stays None)."""
    if figure is None:
        return None
    figures.append(figure)
    return len(figures) - 1


# -- the page ----------------------------------------------------------------------------


def card(label: str, value: Any, detail: str | None = None, status: str | None = None) -> dict:
    """One summary card at the top of a page; ``status`` is a CSS class such as
    ``status-bad``."""
    return {"label": label, "value": value, "detail": detail, "status": status}


def render_page(
    template: str, context: dict[str, Any], figures: list, plotly_src: str | None
) -> str:
    """The page ``template`` (one of this package's templates) rendered with ``context``
    and ``figures``; plotly's JavaScript embedded unless ``plotly_src`` gives its address."""
    context = {
        **context,
        "plotly_src": plotly_src,
        "plotly_js": Markup(plotly_js()) if plotly_src is None else "",
        "charts_json": Markup(charts.script_json(figures)),
    }
    environment = template_environment("watchkeeper.report")
    return environment.get_template(template).render(**context)


def write_page(directory: str | os.PathLike[str], text: str, storage_options: dict | None) -> str:
    """Write ``text`` atomically as ``report.html`` under ``directory``; returns its URI."""
    return write_text(join(os.fspath(directory), REPORT_HTML), text, storage_options)
