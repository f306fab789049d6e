"""What a multivariate detector found: one figure, its band, the columns it read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

METHODS = {"pca": "PCA reconstruction error", "classifier": "domain classifier AUC"}


@dataclass(frozen=True)
class MultivariateResult:
    """A multivariate verdict. ``figure`` is the judged number (the current rows' mean
    reconstruction error, or the classifier's AUC), ``band`` where it may lie without
    drift; ``note`` says why nothing was judged (no sample in the baseline …).

    >>> MultivariateResult("pca", ("x", "y"), figure=1.07, band=(0.34, 0.39),
    ...                    drifted=True, baseline_rows=5000, current_rows=5000).description
    'PCA reconstruction error 1.07 outside the baseline band 0.34 to 0.39 over 2 columns, 5,000 vs 5,000 rows'
    """  # noqa: E501

    method: str
    columns: tuple[str, ...]
    figure: float | None = None
    band: tuple[float, float] | None = None
    drifted: bool = False
    baseline_rows: int = 0
    current_rows: int = 0
    note: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def judged(self) -> bool:
        return self.figure is not None and self.band is not None

    @property
    def description(self) -> str:
        if not self.judged:
            return f"multivariate drift not judged: {self.note}"
        low, high = self.band
        where = "outside" if self.drifted else "within"
        text = (
            f"{METHODS[self.method]} {self.figure:.3g} {where} the baseline band "
            f"{low:.3g} to {high:.3g} over {len(self.columns)} columns, "
            f"{self.baseline_rows:,} vs {self.current_rows:,} rows"
        )
        separating = self.details.get("separating")
        if separating:
            text += "; most separating: " + ", ".join(separating)
        return text

    @property
    def threshold(self) -> float | None:
        """The band's limit the figure crossed (its upper limit when within it)."""
        if not self.judged:
            return None
        low, high = self.band
        return low if self.figure < low else high

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "method_name": METHODS[self.method],
            "columns": list(self.columns),
            "figure": self.figure,
            "band": list(self.band) if self.band else None,
            "drifted": self.drifted,
            "baseline_rows": self.baseline_rows,
            "current_rows": self.current_rows,
            "note": self.note,
            "description": self.description,
            "details": dict(self.details),
        }
