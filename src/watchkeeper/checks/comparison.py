"""Two profiles side by side: each feature's drift verdict and its two distributions.

>>> import pyarrow as pa
>>> from watchkeeper.profile import DatasetProfile
>>> before, after = DatasetProfile(), DatasetProfile()
>>> before.track(pa.table({"x": [float(i % 50) for i in range(2000)]}))
>>> after.track(pa.table({"x": [float(i % 50) + 30 for i in range(2000)]}))
>>> comparison = compare_profiles(before, after)
>>> comparison.drifted
['x']
"""

from __future__ import annotations

from dataclasses import dataclass, field

from watchkeeper.checks.drift_checks import verdict_view
from watchkeeper.drift import DriftResult, DriftSettings, detect
from watchkeeper.errors import UsageError
from watchkeeper.profile import DatasetProfile
from watchkeeper.report.inline import InlinePage, options, report_page, verdict_lines


@dataclass
class Comparison:
    """``current`` judged against ``reference``: ``verdicts`` maps each feature the two
    share to its :class:`~watchkeeper.drift.DriftResult`."""

    reference: DatasetProfile
    current: DatasetProfile
    verdicts: dict[str, DriftResult] = field(default_factory=dict)

    @property
    def drifted(self) -> list[str]:
        """The features that drifted, in column order."""
        return [name for name, verdict in self.verdicts.items() if verdict.drifted]

    def inline(self, *, all: bool = False) -> InlinePage:
        """The comparison's page as a notebook shows it (every feature with ``all``)."""
        return report_page(
            self.current,
            baseline=self.reference,
            drift={name: verdict_view(verdict) for name, verdict in self.verdicts.items()},
            title="watchkeeper comparison",
            subtitle=f"{len(self.drifted):,} of {len(self.verdicts):,} features drifted",
            text=repr(self),
            all=all,
        )

    def _repr_html_(self) -> str:
        return self.inline().notebook_html()

    def __repr__(self) -> str:
        head = (
            f"Comparison of {self.current.rows:,} rows against {self.reference.rows:,}: "
            f"{len(self.drifted):,} of {len(self.verdicts):,} features drifted"
        )
        return "\n".join([head, *verdict_lines(self.verdicts, options.max_features)])


def compare_profiles(
    reference: DatasetProfile, current: DatasetProfile, settings: DriftSettings | None = None
) -> Comparison:
    """Judge every feature of ``current`` that ``reference`` has too, with the judgement
    the checks use (:func:`watchkeeper.drift.detect`: free text and embeddings too)."""
    for name, value in (("reference", reference), ("current", current)):
        if not isinstance(value, DatasetProfile):
            raise UsageError(f"{name} must be a DatasetProfile, got {type(value).__name__}")
    return Comparison(reference, current, detect(reference, current, settings))
