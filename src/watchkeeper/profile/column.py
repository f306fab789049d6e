"""The profile of one column: counts, types, moments and sketches, mergeable."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.io.arrays import from_mask, values
from watchkeeper.io.vectors import is_vector_type
from watchkeeper.profile.distinct import DistinctSketch
from watchkeeper.profile.frequent import CategoryCounts
from watchkeeper.profile.kll import KLLSketch
from watchkeeper.profile.moments import Moments
from watchkeeper.profile.text import (
    EmbeddingProfile,
    TextProfile,
    looks_like_text,
    merged_parts,
)
from watchkeeper.profile.types import (
    BOOLEAN,
    FRACTIONAL,
    INTEGRAL,
    STRING,
    ClassifiedBatch,
    column_type,
)

MAX_CATEGORY_LENGTH = 1024


def _categorical(texts: pa.Array, counts: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Texts short enough to be categories: long free text would make the profile as
    large as the data without being a category anyone monitors."""
    if not pa.types.is_string(texts.type):
        return texts, counts
    long = values(pc.binary_length(texts)) > MAX_CATEGORY_LENGTH
    if not long.any():
        return texts, counts
    keep = ~long
    return texts.filter(from_mask(keep)), counts[keep]


class ColumnProfile:
    """Everything watchkeeper keeps about a column.

    ``count`` is the number of rows the column was seen in and ``null_count`` how many
    of them were missing (null, NaN, or absent because the column was not in a batch).
    ``type_counts`` counts present values by Deequ type; ``integral_valued`` counts the
    whole numbers among Fractional values of floating-point columns, whose text (``3``
    or ``3.0``) is not known. Numeric values (numbers and
    numeric text) feed ``moments`` and the quantile sketch ``kll``; text and boolean
    values feed ``categories`` (except texts longer than ``MAX_CATEGORY_LENGTH`` bytes);
    every present value feeds the ``distinct`` sketch.

    A free-text column also keeps ``text`` (its descriptors and vocabulary), a column of
    equal-length numeric lists ``embedding`` (its mean vector); both are None otherwise
    (see :mod:`watchkeeper.profile.text`). ``text_choice`` says whether the column is
    free text: None until its first batch of text decides, unless the caller forced it.
    """

    __slots__ = (
        "arrow_types",
        "categories",
        "count",
        "distinct",
        "embedding",
        "integral_valued",
        "kll",
        "moments",
        "null_count",
        "stated_distinct",
        "text",
        "text_choice",
        "type_counts",
    )

    def __init__(self) -> None:
        self.count = 0
        self.null_count = 0
        self.type_counts = {INTEGRAL: 0, FRACTIONAL: 0, BOOLEAN: 0, STRING: 0}
        self.integral_valued = 0
        self.arrow_types: list[str] = []
        self.moments = Moments()
        self.kll = KLLSketch()
        self.distinct = DistinctSketch()
        self.categories = CategoryCounts()
        self.stated_distinct: float | None = None
        self.text: TextProfile | None = None
        self.text_choice: bool | None = None
        self.embedding: EmbeddingProfile | None = None

    @classmethod
    def assembled(
        cls,
        counts: tuple[int, int, int],
        type_counts: dict[str, int],
        arrow_types: list[str],
        moments: Moments,
        kll: KLLSketch,
        distinct: DistinctSketch,
        categories: CategoryCounts,
    ) -> ColumnProfile:
        """A column from its parts, as a reader of profile files has them; ``counts`` are
        ``(count, null_count, integral_valued)``. Builds no empty parts to replace."""
        column = cls.__new__(cls)
        column.count, column.null_count, column.integral_valued = counts
        column.type_counts, column.arrow_types = type_counts, arrow_types
        column.moments, column.kll, column.distinct = moments, kll, distinct
        column.categories, column.stated_distinct = categories, None
        column.text = column.text_choice = column.embedding = None
        return column

    # -- building -------------------------------------------------------------------

    def update(self, batch: ClassifiedBatch) -> None:
        """Add one classified batch of this column."""
        self.count += batch.count
        self.null_count += batch.null_count
        self.type_counts[INTEGRAL] += batch.integral
        self.type_counts[FRACTIONAL] += batch.fractional
        self.type_counts[BOOLEAN] += batch.boolean
        self.type_counts[STRING] += batch.string
        self.integral_valued += batch.integral_valued
        if batch.arrow_type not in self.arrow_types and batch.count > batch.null_count:
            self.arrow_types = sorted([*self.arrow_types, batch.arrow_type])
        if len(batch.numbers):
            self.moments = self.moments.merge(Moments.of(batch.numbers))
            self.kll.update(batch.numbers)
        if len(batch.distinct_numbers):
            self.distinct.update_doubles(batch.distinct_numbers)
        if batch.texts is not None and len(batch.texts):
            if pa.types.is_string(batch.texts.type):
                self.distinct.update_strings(batch.texts)
            texts, counts = _categorical(batch.texts, batch.text_counts)
            if len(texts):
                self.categories.update(texts, counts)
            if batch.arrow_type == "string" and self.text_choice is not False:
                self._track_text(batch)

    def _track_text(self, batch: ClassifiedBatch) -> None:
        texts, counts = batch.texts, batch.text_counts
        if self.text_choice is None:
            # numbers written as text are numbers, however long and distinct
            wordy = 2 * batch.string > batch.count - batch.null_count
            self.text_choice = wordy and looks_like_text(texts, counts)
        if self.text_choice:
            if self.text is None:
                self.text = TextProfile()
            self.text.update(texts, counts)

    def track_vectors(self, array: pa.Array) -> None:
        """Add the vectors of a list column of numbers to its embedding profile."""
        if is_vector_type(array.type):
            self.embedding = merged_parts(self.embedding, EmbeddingProfile.of(array))

    def add_missing(self, rows: int) -> None:
        """Count ``rows`` rows in which the column did not exist as missing."""
        self.count += rows
        self.null_count += rows

    def merge(self, other: ColumnProfile) -> ColumnProfile:
        """A new profile of both inputs; neither input changes."""
        merged = ColumnProfile()
        merged.count = self.count + other.count
        merged.null_count = self.null_count + other.null_count
        merged.type_counts = {
            key: self.type_counts[key] + other.type_counts[key] for key in self.type_counts
        }
        merged.integral_valued = self.integral_valued + other.integral_valued
        merged.arrow_types = sorted(set(self.arrow_types) | set(other.arrow_types))
        merged.moments = self.moments.merge(other.moments)
        merged.kll = self.kll.merge(other.kll)
        merged.distinct = self.distinct.merge(other.distinct)
        merged.categories = self.categories.merge(other.categories)
        merged.text = merged_parts(self.text, other.text)
        merged.embedding = merged_parts(self.embedding, other.embedding)
        merged.text_choice = self.text_choice if self.text_choice is not None else other.text_choice
        return merged

    def copy(self) -> ColumnProfile:
        return ColumnProfile().merge(self)

    # -- reading ----------------------------------------------------------------------

    @property
    def present(self) -> int:
        return self.count - self.null_count

    @property
    def inferred_type(self) -> str:
        """The column's Deequ type: Integral, Fractional, Boolean, String or Unknown."""
        counts = self.type_counts
        return column_type(counts[INTEGRAL], counts[FRACTIONAL], counts[BOOLEAN], counts[STRING])

    @property
    def completeness(self) -> float:
        """Share of rows with a value (1.0 for a column seen in no rows)."""
        return self.present / self.count if self.count else 1.0

    @property
    def null_fraction(self) -> float:
        return self.null_count / self.count if self.count else 0.0

    @property
    def is_numeric(self) -> bool:
        return self.inferred_type in (INTEGRAL, FRACTIONAL)

    def type_fraction(self, kind: str) -> float:
        """Share of present values whose own type is ``kind``."""
        return self.type_counts.get(kind, 0) / self.present if self.present else 0.0

    def distinct_count(self) -> float:
        """Estimated number of distinct present values (exact below 4096).

        A profile read from a ``statistics.json`` knows only what the file states (NaN
        for numeric features, whose distinct count SageMaker does not write).
        """
        if self.stated_distinct is not None:
            return self.stated_distinct
        categories = self.categories
        if categories.is_exact and self.moments.n == 0 and categories.total == self.present:
            return float(len(self.categories.exact))
        return self.distinct.estimate()

    def quantiles(self, fractions: list[float] | np.ndarray) -> np.ndarray:
        return self.kll.quantiles(fractions)

    @property
    def mean(self) -> float:
        return self.moments.average

    @property
    def std_dev(self) -> float:
        return self.moments.std_dev

    @property
    def min(self) -> float:
        return self.moments.min if self.moments.n else math.nan

    @property
    def max(self) -> float:
        return self.moments.max if self.moments.n else math.nan
