"""The report pages shown inline in a notebook (JupyterLab, classic Notebook, VS Code).

Each rich output is the same page the HTML report writes, in an ``<iframe srcdoc>``:
the page's styles stay inside it and the notebook's styles stay out. plotly's
JavaScript (4.8 MB) goes into the first rich output of a kernel only, as text; every
page's frame runs that copy from the notebook around it, so a notebook with twenty
profiles carries one copy, and nothing is fetched from the network. Wide tables are cut to the first
``options.max_features`` features, with a note saying how to see them all.

>>> import pyarrow as pa
>>> from watchkeeper.profile import DatasetProfile
>>> p = DatasetProfile()
>>> p.track(pa.table({"age": [31, 45, 52, None]}))
>>> print(profile_text(p))  # doctest: +NORMALIZE_WHITESPACE
DatasetProfile: 4 rows, 1 feature
  feature  type      count  missing  values              histogram
  age      Integral  4      1        mean 42.67 ± 8.731  █▁▁▁▁█▁█
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from watchkeeper.errors import UsageError
from watchkeeper.profile import DatasetProfile
from watchkeeper.report import charts, formatting
from watchkeeper.report.bias_page import render_bias_html
from watchkeeper.report.explanations_page import render_explanations_html
from watchkeeper.report.page import plotly_js, render_html
from watchkeeper.report.quality_page import render_quality_html
from watchkeeper.report.table import distinct_values, feature_row

HISTOGRAM_BINS = 8
_BLOCKS = "▁▂▃▄▅▆▇█"
# the address the page is rendered with, replaced by a script that runs the notebook's
# one copy of plotly inside the frame: a page never loads anything by itself
_BORROWED = "watchkeeper-inline-plotly.js"
PLOTLY_HOLDER = "watchkeeper-plotly-js"
# The notebook holds plotly's source as text, not as a running script: plotly drawing
# into another window's document would miss its styles and measure text in the wrong
# one, so each frame runs the source in its own window.
_BORROW_SCRIPT = """<script>
(function () {
  var holder = null;
  try { holder = window.parent.document.getElementById("HOLDER"); } catch (error) { return; }
  if (!holder) { return; }
  window.PlotlyConfig = {MathJaxConfig: "local"};
  var script = document.createElement("script");
  script.textContent = holder.textContent;
  document.head.appendChild(script);
})();
</script>""".replace("HOLDER", PLOTLY_HOLDER)
# a frame that grows to its page has no viewport height to take a share of: the
# page's tall tables (80vh) would grow with the frame
_FRAME_STYLE = "<style>.scroll.tall { max-height: 640px; }</style>"
# the frame grows to its page's height, so the notebook scrolls, not the frame
_FIT_SCRIPT = """<script>
(function () {
  var frame = window.frameElement;
  if (!frame) { return; }
  function fit() { frame.style.height = document.documentElement.scrollHeight + "px"; }
  fit();
  window.addEventListener("load", fit);
  if (window.ResizeObserver) { new ResizeObserver(fit).observe(document.body); }
})();
</script>"""


@dataclass
class Options:
    """How inline output looks; change ``watchkeeper.report.inline.options``.

    ``max_features``: features shown before the rest are left to ``watchkeeper.show(..., all=True)``
    (None shows every feature).
    """

    max_features: int | None = 30


options = Options()
_shipped = {"plotly": False}


def forget_plotly() -> None:
    """Ship plotly's JavaScript again with the next rich output (after the notebook
    page was reloaded with its outputs cleared, the kernel still running)."""
    _shipped["plotly"] = False


def plotly_once() -> str:
    """plotly's JavaScript, held as text, the first time a kernel shows a page; else
    nothing."""
    if _shipped["plotly"]:
        return ""
    _shipped["plotly"] = True
    return f'<script type="text/plain" id="{PLOTLY_HOLDER}">{plotly_js()}</script>'


class InlinePage:
    """A report page that a notebook shows inline; ``to_html()`` is the standalone page.

    ``render`` takes ``plotly_src`` (None embeds plotly) and returns the page.
    """

    def __init__(self, render: Callable[[str | None], str], text: str, title: str) -> None:
        self._render = render
        self.text = text
        self.title = title

    def to_html(self) -> str:
        """The standalone page, plotly embedded: what the HTML report would hold."""
        return self._render(None)

    def _repr_html_(self) -> str:
        return self.notebook_html()

    def notebook_html(self) -> str:
        """What a notebook shows: plotly's source the first time, and the page in a frame
        that runs it."""
        page = self._render(_BORROWED)
        tag = f'<script src="{_BORROWED}"></script>'
        if tag not in page:
            raise UsageError(f"the page of {self.title!r} does not load plotly as expected")
        page = page.replace(tag, _BORROW_SCRIPT).replace("</head>", _FRAME_STYLE + "</head>")
        page = page.replace("</body>", _FIT_SCRIPT + "</body>")
        frame = (
            f'<iframe class="watchkeeper-inline" title="{html.escape(self.title)}" '
            f'srcdoc="{html.escape(page, quote=True)}" '
            'style="width: 100%; min-height: 160px; border: 0;"></iframe>'
        )
        return plotly_once() + frame

    def __repr__(self) -> str:
        return self.text


def report_page(
    current: DatasetProfile,
    *,
    baseline: DatasetProfile | None = None,
    violations: Iterable[Mapping[str, Any]] = (),
    drift: Mapping[str, Any] | None = None,
    multivariate: Mapping[str, Any] | None = None,
    title: str = "watchkeeper report",
    subtitle: str | None = None,
    text: str = "",
    all: bool = False,
) -> InlinePage:
    """The report page of :func:`~watchkeeper.report.render_html` for a notebook: every
    feature with a violation or drift, then the others in column order up to
    ``options.max_features`` (all of them with ``all=True``)."""
    found = [dict(item) for item in violations]
    marked = {str(item.get("feature_name")) for item in found}
    marked |= {name for name, value in (drift or {}).items() if _drifted(value)}
    names = list(current.columns) + [
        name for name in (baseline.columns if baseline else ()) if name not in current.columns
    ]
    limit = None if all else options.max_features
    shown = _first(names, marked, limit)
    note = _cut_note(len(shown), len(names))
    subtitle = " · ".join(part for part in (subtitle, note) if part) or None
    drift = {name: value for name, value in (drift or {}).items() if name in shown}
    current_shown = _only(current, shown)
    baseline_shown = None if baseline is None else _only(baseline, shown)

    def render(plotly_src: str | None) -> str:
        return render_html(
            current_shown,
            baseline=baseline_shown,
            violations=found,
            drift=drift,
            multivariate=multivariate,
            title=title,
            subtitle=subtitle,
            plotly_src=plotly_src,
            max_charts=len(shown),
        )

    return InlinePage(render, text, title)


def profile_page(profile: DatasetProfile, *, all: bool = False) -> InlinePage:
    """A profile's page: the feature table and each feature's distribution."""
    return report_page(
        profile,
        title="watchkeeper profile",
        text=profile_text(profile, all=all),
        all=all,
    )


def quality_page(
    statistics: Mapping[str, Any],
    *,
    baseline: Mapping[str, Any] | None = None,
    violations: Iterable[Any] = (),
) -> InlinePage:
    """A model-quality ``statistics.json`` document's page (its metrics and curves)."""
    found = list(violations)

    def render(plotly_src: str | None) -> str:
        return render_quality_html(
            statistics, baseline=baseline, violations=found, plotly_src=plotly_src
        )

    return InlinePage(render, _document_text("model quality", statistics), "model quality")


def bias_page(analysis: Mapping[str, Any]) -> InlinePage:
    """A bias ``analysis.json`` document's page (each facet's metrics)."""

    def render(plotly_src: str | None) -> str:
        return render_bias_html(analysis, plotly_src=plotly_src)

    return InlinePage(render, _document_text("bias analysis", analysis), "bias analysis")


def explanations_page(analysis: Mapping[str, Any], *, local: Any = None) -> InlinePage:
    """An explanations ``analysis.json`` document's page (global and local SHAP values)."""

    def render(plotly_src: str | None) -> str:
        return render_explanations_html(analysis, local=local, plotly_src=plotly_src)

    return InlinePage(render, _document_text("explanations", analysis), "explanations")


def profile_text(profile: DatasetProfile, *, all: bool = False) -> str:
    """A profile as text: one row per feature with its type, count, missing values,
    mean ± standard deviation or most frequent values, and a small histogram."""
    rows = profile.rows
    count = len(profile.columns)
    head = f"DatasetProfile: {rows:,} rows, {count:,} feature{'' if count == 1 else 's'}"
    names = _first(list(profile.columns), set(), None if all else options.max_features)
    table = [("feature", "type", "count", "missing", "values", "histogram")]
    table += [_text_row(name, profile) for name in names]
    lines = [head, *_aligned(table)]
    note = _cut_note(len(names), count)
    return "\n".join([*lines, note] if note else lines)


def verdict_lines(verdicts: Mapping[str, Any], limit: int | None) -> list[str]:
    """One line per feature's drift verdict (drifted first), as a comparison prints."""
    names = sorted(verdicts, key=lambda name: not _drifted(verdicts[name]))
    shown = names if limit is None else names[:limit]
    lines = [f"  {'drift' if _drifted(verdicts[n]) else 'ok':<6} {n}: {verdicts[n]}" for n in shown]
    note = _cut_note(len(shown), len(names))
    return [*lines, note] if note else lines


def _text_row(name: str, profile: DatasetProfile) -> tuple[str, ...]:
    column = profile.columns[name]
    row = feature_row(name, column)
    if row["mean"] is not None:
        values = f"mean {formatting.number(row['mean'])} ± {formatting.number(row['std'])}"
    elif distinct_values(column).all_unique:
        values = "all values unique"
    else:
        top = column.categories.items(3)
        total = column.categories.total or 1
        values = ", ".join(f"{formatting.shorten(v, 12)} {c / total:.0%}" for v, c in top)
    return (
        formatting.shorten(name, 30),
        str(row["type"]),
        formatting.number(row["rows"]),
        formatting.number(row["missing"]),
        values or formatting.MISSING,
        _sparkline(column) if row["mean"] is not None else "",
    )


def _sparkline(column: Any) -> str:
    edges, shares = charts.histogram_shares([column.kll], HISTOGRAM_BINS)
    if len(edges) == 0 or not shares[0].max():
        return ""
    levels = (shares[0] / shares[0].max() * (len(_BLOCKS) - 1)).round().astype(int)
    return "".join(_BLOCKS[level] for level in levels)


def _aligned(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def _document_text(kind: str, document: Mapping[str, Any]) -> str:
    sections = ", ".join(key for key in document if key != "version")
    return f"{kind}: {sections or 'empty'} (shown as a page in a notebook)"


def _drifted(value: Any) -> bool:
    if isinstance(value, Mapping):
        return bool(value.get("drifted"))
    return bool(getattr(value, "drifted", False))


def _first(names: list[str], marked: set[str], limit: int | None) -> list[str]:
    """The marked names, then the others in order, ``limit`` in all (at least the marked)."""
    if limit is None or len(names) <= limit:
        return names
    first = [name for name in names if name in marked]
    rest = [name for name in names if name not in marked]
    chosen = set(first + rest[: max(0, limit - len(first))])
    return [name for name in names if name in chosen]


def _cut_note(shown: int, total: int) -> str | None:
    if shown >= total:
        return None
    return (
        f"showing {shown:,} of {total:,} features: watchkeeper.show(..., all=True) shows "
        "them all, or set watchkeeper.report.inline.options.max_features = None"
    )


def _only(profile: DatasetProfile, names: list[str]) -> DatasetProfile:
    if len(names) >= len(profile.columns) and all(n in profile.columns for n in names):
        return profile
    part = DatasetProfile(profile.metadata)
    part.rows = profile.rows
    part.columns = {name: column for name, column in profile.columns.items() if name in names}
    return part
