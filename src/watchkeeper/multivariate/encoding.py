"""Rows as a standardised matrix: what both multivariate detectors read.

As NannyML prepares data for its reconstruction-error detector: a categorical column
becomes the share its value had in the reference (frequency encoding: one matrix column
whatever the number of categories, unseen values 0), missing numbers the reference's
mean; then every column is centred and scaled by the reference's mean and standard
deviation. Constant columns carry no information and are left out.

>>> import pyarrow as pa
>>> reference = pa.table({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "a", "b"]})
>>> encoding = fit_encoding(reference)
>>> encoding.columns
('x', 'c')
>>> encoding.matrix(pa.table({"x": [2.5, None], "c": ["b", "z"]})).round(2).tolist()
[[0.0, -1.73], [0.0, -2.89]]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.io.arrays import mask, values
from watchkeeper.multivariate.sample import (
    CATEGORICAL,
    EMBEDDING,
    NUMERIC,
    column_kind,
    normalised,
)


@dataclass(frozen=True)
class Categories:
    """A categorical column's reference shares: ``values[i]`` had ``shares[i]``."""

    values: pa.Array
    shares: np.ndarray
    null_share: float

    def encode(self, column: pa.Array) -> np.ndarray:
        index = pc.index_in(column, value_set=self.values)
        # unseen values and nulls both come back null: nulls get their own share
        found = mask(pc.is_valid(index))
        encoded = np.zeros(len(column))
        encoded[found] = self.shares[values(index.drop_null())]
        encoded[mask(pc.is_null(column))] = self.null_share
        return encoded


@dataclass(frozen=True)
class Encoding:
    """How to turn a table into the standardised matrix the reference defined."""

    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    centre: np.ndarray
    scale: np.ndarray
    categories: dict[str, Categories]

    def matrix(self, table: pa.Table | pa.RecordBatch) -> np.ndarray:
        """One row per row of ``table``, one column per encoded column; a column
        ``table`` lacks, or whose values are not of its kind, counts as missing."""
        rows = table.num_rows
        out = np.empty((rows, len(self.columns)))
        names = set(table.schema.names)
        for j, (name, kind) in enumerate(zip(self.columns, self.kinds, strict=True)):
            column = None
            if name in names:
                try:
                    column = normalised(table.column(name), kind)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    column = None
            if column is None:
                column = pa.nulls(rows, pa.float64() if kind == NUMERIC else pa.string())
            if kind == NUMERIC:
                out[:, j] = numbers(column)
            else:
                out[:, j] = self.categories[name].encode(column)
        out -= self.centre
        out /= self.scale
        # a missing number is the reference's mean: 0 once standardised
        np.nan_to_num(out, copy=False, nan=0.0, posinf=0.0, neginf=0.0)
        return out


def fit_encoding(reference: pa.Table, columns: Sequence[str] | None = None) -> Encoding:
    """The encoding of ``reference``'s ``columns`` (default: every column it has of a
    kind a detector reads), constant columns left out."""
    chosen, kinds, centres, scales = [], [], [], []
    categories: dict[str, Categories] = {}
    for name in reference.column_names if columns is None else columns:
        kind = column_kind(reference.schema.field(name).type)
        if kind is None or kind == EMBEDDING:  # read by the classifier, dimension by dimension
            continue
        column = normalised(reference.column(name), kind)
        if kind == CATEGORICAL:
            categories[name] = _shares(column)
            encoded = categories[name].encode(column)
        else:
            encoded = numbers(column)
            # missing numbers become the mean, which the centre must be
            encoded = encoded[np.isfinite(encoded)]
        if len(encoded) < 2:
            continue
        centre, scale = float(np.mean(encoded)), float(np.std(encoded))
        if not scale > 1e-12 * max(abs(centre), 1.0):
            continue
        chosen.append(name)
        kinds.append(kind)
        centres.append(centre)
        scales.append(scale)
    return Encoding(
        tuple(chosen),
        tuple(kinds),
        np.array(centres),
        np.array(scales),
        {name: categories[name] for name in chosen if name in categories},
    )


def _shares(column: pa.Array) -> Categories:
    counts = pc.value_counts(column.drop_null())
    total = max(len(column), 1)
    shares = values(counts.field("counts")).astype(float) / total
    return Categories(counts.field("values"), shares, column.null_count / total)


def numbers(column: pa.Array) -> np.ndarray:
    """A float64 column as NumPy numbers, nulls as NaN (without a detour through pandas)."""
    if not len(column):
        return np.empty(0)
    if column.null_count == len(column):
        return np.full(len(column), np.nan)
    data = column.buffers()[1]
    out = np.frombuffer(data, np.float64, count=len(column), offset=column.offset * 8).copy()
    if column.null_count:
        out[mask(pc.is_null(column))] = np.nan
    return out
