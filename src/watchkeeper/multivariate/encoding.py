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

from watchkeeper.multivariate.sample import CATEGORICAL, NUMERIC, column_kind, normalised


@dataclass(frozen=True)
class Categories:
    """A categorical column's reference shares: ``values[i]`` had ``shares[i]``."""

    values: pa.Array
    shares: np.ndarray
    null_share: float

    def encode(self, column: pa.Array) -> np.ndarray:
        index = pc.index_in(column, value_set=self.values)
        # unseen values and nulls both come back null: nulls get their own share
        unseen = len(self.shares)
        positions = index.fill_null(unseen).to_numpy(zero_copy_only=False)
        encoded = np.append(self.shares, 0.0)[positions]
        nulls = column.is_null().to_numpy(zero_copy_only=False)
        encoded[nulls] = self.null_share
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
            values = None
            if name in names:
                try:
                    values = normalised(table.column(name), kind)
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                    values = None
            if values is None:
                values = pa.nulls(rows, pa.float64() if kind == NUMERIC else pa.string())
            if kind == NUMERIC:
                out[:, j] = values.to_numpy(zero_copy_only=False)
            else:
                out[:, j] = self.categories[name].encode(values)
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
        if kind is None:
            continue
        values = normalised(reference.column(name), kind)
        if kind == CATEGORICAL:
            categories[name] = _shares(values)
            encoded = categories[name].encode(values)
        else:
            encoded = values.to_numpy(zero_copy_only=False)
            finite = encoded[np.isfinite(encoded)]
            # missing numbers become the mean, which the centre must be
            encoded = finite
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


def _shares(values: pa.Array) -> Categories:
    counts = pc.value_counts(values.drop_null())
    total = len(values)
    shares = counts.field("counts").to_numpy().astype(float) / max(total, 1)
    return Categories(counts.field("values"), shares, values.null_count / max(total, 1))
