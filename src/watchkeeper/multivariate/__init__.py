"""Multivariate drift: changes no single column shows, judged from rows.

A baseline keeps a bounded sample of its rows (:class:`RowSample`, written as
:data:`watchkeeper.artifacts.SAMPLE`). Against it, :class:`ReconstructionDrift` (the
default) measures how well the baseline's principal components reconstruct the current
rows; :func:`domain_classifier` asks whether a classifier tells the two samples apart.
"""

from __future__ import annotations

from watchkeeper.multivariate.sample import (
    MAX_CATEGORIES,
    SAMPLE_ROWS,
    RowSample,
    sample_bytes,
    sample_from_bytes,
)

__all__ = [
    "MAX_CATEGORIES",
    "SAMPLE_ROWS",
    "RowSample",
    "sample_bytes",
    "sample_from_bytes",
]
