"""The share of missing values above a limit, as a check unit.

A rules file's ``max_missing`` and a dashboard monitor's ``null_fraction_threshold``
are this one check: :meth:`MissingValues.measure` reads a column profile,
:meth:`MissingValues.judge` the figures (stored ones too).

>>> MissingValues(0.05).judge("age", {"share": 0.125, "missing": 150, "rows": 1200}).description
'12.5% of values are missing (150 of 1200 rows); the limit is 5%.'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchkeeper.checks.violations import MISSING_VALUES, Violation
from watchkeeper.profile.column import ColumnProfile


def percent(share: float) -> str:
    return f"{share * 100:.4g}%"


@dataclass(frozen=True)
class MissingValues:
    """Flags a column whose share of missing values exceeds ``limit``."""

    limit: float

    @staticmethod
    def measure(column: ColumnProfile) -> dict[str, Any]:
        return {"share": column.null_fraction, "missing": column.null_count, "rows": column.count}

    def judge(self, feature: str, figures: dict[str, Any]) -> Violation | None:
        share, rows = figures["share"], figures["rows"]
        if not rows or share is None or share <= self.limit:
            return None
        text = (
            f"{percent(share)} of values are missing ({figures['missing']} of {rows} rows); "
            f"the limit is {percent(self.limit)}."
        )
        return Violation(feature, MISSING_VALUES, text, share, self.limit)
