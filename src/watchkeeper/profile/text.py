"""Free text and embeddings: what a column of prose or of vectors keeps beyond categories.

A String column is *free text* when its values are long or wordy and mostly distinct
(:func:`looks_like_text`); it is decided from the column's first batch with text, or
forced by the caller (a baseline's text columns force the current side's, so both are
judged alike). A text column keeps a :class:`TextProfile`: three descriptors, each a
numeric distribution (moments and a small KLL sketch) —

* ``text_length``: characters per value;
* ``word_count``: whitespace-separated words per value;
* ``non_letter_share``: share of the non-space characters that are not letters
  (digits, punctuation, symbols, emoji), in any script —

and a :class:`Vocabulary` of its tokens (its words lower-cased, punctuation trimmed
from both ends), from which the share of one profile's tokens that another never saw
is estimated.

A column of fixed-length numeric lists (an embedding) keeps an
:class:`EmbeddingProfile`: the count and the per-dimension sums and sums of squares.

Everything here merges exactly (sums, KLL merges, bucket counts added), so hourly
profiles and Spark partitions merge into the day's profile.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from watchkeeper.io.arrays import values as values_of
from watchkeeper.io.vectors import embedding_matrix
from watchkeeper.profile.distinct import hash_strings_each
from watchkeeper.profile.kll import KLLSketch
from watchkeeper.profile.moments import Moments

TEXT_LENGTH, WORD_COUNT, NON_LETTER_SHARE = "text_length", "word_count", "non_letter_share"
DESCRIPTORS = (TEXT_LENGTH, WORD_COUNT, NON_LETTER_SHARE)
OUT_OF_VOCABULARY = "out_of_vocabulary_share"
# a descriptor needs less precision than a feature; a small k compacts far more often
DESCRIPTOR_KLL_K = 1024
BUCKET_BITS = 15
VOCABULARY_BUCKETS = 1 << BUCKET_BITS
# tokens are hashed on their first characters: ids and blobs of any length stay distinct
TOKEN_PREFIX = 32
# trimmed from both ends of a word to give its token: ASCII and common Unicode punctuation
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~«»‹›‘’‚“”„¡¿…–—·•、。，！？：；（）「」『』【】"
# characters of one value read for its words, character classes and tokens
DESCRIBED_CHARACTERS = 1 << 16

# free text: long or wordy values, and few of them repeated
MIN_TEXT_CHARACTERS = 30.0
MIN_TEXT_WORDS = 4.0
MIN_DISTINCT_RATIO = 0.5


def looks_like_text(texts: pa.Array, counts: np.ndarray) -> bool:
    """Whether distinct values ``texts`` seen ``counts`` times each read as free text.

    >>> import numpy as np, pyarrow as pa
    >>> looks_like_text(pa.array(["red", "green"]), np.array([40, 60]))
    False
    >>> looks_like_text(pa.array(["the parcel came late and was damp", "all good, thanks"]),
    ...                 np.array([1, 1]))
    True
    >>> looks_like_text(pa.array(["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd",
    ...                           "https://example.com/orders/2024/05/01/12345?ref=mail"]),
    ...                 np.array([1, 1]))
    False
    """
    present = int(counts.sum())
    if present == 0 or not pa.types.is_string(texts.type):
        return False
    if len(texts) / present < MIN_DISTINCT_RATIO:
        return False
    characters = float(values_of(pc.utf8_length(texts)).astype(np.float64) @ counts)
    if characters >= MIN_TEXT_CHARACTERS * present:
        return not _names_things(texts, counts, present)
    # a value has at most one word more than it has whitespace: most columns (codes,
    # identifiers, labels) are ruled out here without the word-splitting regex
    if _most_words(texts, counts) < MIN_TEXT_WORDS * present:
        return False
    words = float(values_of(pc.count_substring_regex(texts, r"\S+")).astype(np.float64) @ counts)
    return words >= MIN_TEXT_WORDS * present


# The characters RE2's ``\s`` matches, which separate the words the regex counts.
_WHITESPACE = np.zeros(256, dtype=bool)
_WHITESPACE[[9, 10, 11, 12, 13, 32]] = True


def _most_words(texts: pa.Array, counts: np.ndarray) -> float:
    """An upper bound of the words in ``texts`` (each seen ``counts`` times): a value has
    at most one word more than whitespace bytes, read from the UTF-8 buffer in one pass."""
    _, offsets, data = texts.buffers()
    ends = np.frombuffer(offsets, dtype=np.int32, count=len(texts) + 1, offset=4 * texts.offset)
    if data is None or ends[-1] == ends[0]:
        return float(counts.sum())
    spaces = int(np.count_nonzero(_WHITESPACE[np.frombuffer(data, np.uint8)[ends[0] : ends[-1]]]))
    return float(counts.max()) * spaces + float(counts.sum())


def _names_things(texts: pa.Array, counts: np.ndarray, present: int) -> bool:
    """Whether long values are mostly one ASCII token each: hashes, UUIDs, URLs, paths and
    keys name things and are not prose (text in a script written without spaces, such
    as Chinese or Japanese, is not ASCII and stays text)."""
    spaced = values_of(pc.match_substring_regex(texts, r"\s")).astype(np.float64) @ counts
    ascii = values_of(pc.string_is_ascii(texts)).astype(np.float64) @ counts
    return spaced < 0.5 * present and ascii >= 0.5 * present


class Distribution:
    """A descriptor's values: exact moments and a small KLL sketch, as a numeric
    feature keeps them."""

    __slots__ = ("kll", "moments")

    def __init__(self, moments: Moments | None = None, kll: KLLSketch | None = None) -> None:
        self.moments = moments if moments is not None else Moments()
        self.kll = kll if kll is not None else KLLSketch(k=DESCRIPTOR_KLL_K)

    def update(self, values: np.ndarray) -> None:
        if len(values):
            self.moments = self.moments.merge(Moments.of(values))
            self.kll.update(values)

    def merge(self, other: Distribution) -> Distribution:
        return Distribution(self.moments.merge(other.moments), self.kll.merge(other.kll))


class Vocabulary:
    """Token occurrences counted in ``VOCABULARY_BUCKETS`` hash buckets.

    A bucket with a count means some token of it was seen. The share of another
    profile's token occurrences that fall in this one's empty buckets, divided by the
    share of empty buckets, estimates the share of its tokens this vocabulary never saw:
    a token unseen here lands in an occupied bucket (and is missed) with probability
    ``fill``, uniformly over tokens, so the division removes that bias on average. Its
    error is the sampling of the unseen tokens over the buckets: with ``u`` equally
    frequent unseen tokens, a relative standard error of ``sqrt(fill / ((1 - fill) u))``
    (2 % for 1,000 unseen tokens against a vocabulary filling a third of the buckets:
    ~13,000 distinct tokens). Frequent unseen tokens weigh more: one that is a tenth
    of the occurrences is missed whole when its bucket is taken. Above ``MAX_FILL``
    the estimate is not given.
    """

    __slots__ = ("counts",)
    MAX_FILL = 0.9

    def __init__(self, counts: np.ndarray | None = None) -> None:
        if counts is None:
            counts = np.zeros(VOCABULARY_BUCKETS, dtype=np.int64)
        self.counts = counts

    def update(self, words: pa.Array, weights: np.ndarray) -> None:
        """Count the tokens of ``words`` (whitespace-separated pieces of text), each
        seen ``weights`` times."""
        # text repeats its words: each distinct one is cleaned and hashed once
        encoded = pc.dictionary_encode(words)
        distinct = len(encoded.dictionary)
        occurrences = np.bincount(values_of(encoded.indices), weights=weights, minlength=distinct)
        tokens = pc.utf8_trim(pc.utf8_lower(encoded.dictionary), PUNCTUATION)
        tokens = pc.utf8_slice_codeunits(tokens, 0, TOKEN_PREFIX)
        real = values_of(pc.greater(pc.utf8_length(tokens), 0)).astype(bool)
        if not real.any():
            return
        # theta hashes have 63 bits: their top bits pick the bucket
        buckets = hash_strings_each(tokens.filter(pa.array(real))) >> np.uint64(63 - BUCKET_BITS)
        self.counts += np.bincount(
            buckets.astype(np.int64), weights=occurrences[real], minlength=VOCABULARY_BUCKETS
        ).astype(np.int64)

    def merge(self, other: Vocabulary) -> Vocabulary:
        return Vocabulary(self.counts + other.counts)

    @property
    def total(self) -> int:
        """Token occurrences counted."""
        return int(self.counts.sum())

    @property
    def fill(self) -> float:
        """Share of the buckets holding some token."""
        return float(np.count_nonzero(self.counts)) / VOCABULARY_BUCKETS

    def unseen_share(self, other: Vocabulary) -> float:
        """Estimated share of ``other``'s token occurrences whose token this vocabulary
        never saw (NaN when either side has no token or this one is too full)."""
        fill = self.fill
        if not self.total or not other.total or fill > self.MAX_FILL:
            return math.nan
        outside = int(other.counts[self.counts == 0].sum())
        return min(1.0, outside / other.total / (1.0 - fill))

    def expected_unseen_share(self) -> float:
        """The share of tokens of a new sample of the same text that this vocabulary
        would not have seen: Good–Turing's missing mass, the share of occurrences that
        are tokens seen exactly once (a bucket holding one occurrence holds one token
        alone, which happens to a singleton with probability ``1 - fill``)."""
        fill = self.fill
        if not self.total or fill > self.MAX_FILL:
            return math.nan
        singletons = np.count_nonzero(self.counts == 1) / (1.0 - fill)
        return min(1.0, singletons / self.total)


class TextProfile:
    """The descriptors and vocabulary of a free-text column (see the module's text)."""

    __slots__ = ("descriptors", "vocabulary")

    def __init__(
        self,
        descriptors: dict[str, Distribution] | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.descriptors = descriptors or {name: Distribution() for name in DESCRIPTORS}
        self.vocabulary = vocabulary if vocabulary is not None else Vocabulary()

    def update(self, texts: pa.Array, counts: np.ndarray) -> None:
        """Add distinct ``texts`` (strings without nulls) seen ``counts`` times each."""
        if not len(texts):
            return
        lengths = values_of(pc.utf8_length(texts)).astype(np.float64)
        read = texts
        if lengths.max() > DESCRIBED_CHARACTERS:
            # a huge value is described by its beginning, its words counted pro rata
            read = pc.utf8_slice_codeunits(texts, 0, DESCRIBED_CHARACTERS)
        pieces = pc.utf8_split_whitespace(read)
        owners = values_of(pc.list_parent_indices(pieces))
        flat = pc.list_flatten(pieces)
        sizes = values_of(pc.utf8_length(flat)).astype(np.float64)
        words = np.bincount(owners, weights=sizes > 0, minlength=len(read))
        visible = np.bincount(owners, weights=sizes, minlength=len(read))
        other = values_of(pc.count_substring_regex(read, r"[^\p{L}\s]")).astype(np.float64)
        share = np.divide(other, visible, out=np.zeros_like(other), where=visible > 0)
        if read is not texts:
            words *= lengths / np.maximum(np.minimum(lengths, DESCRIBED_CHARACTERS), 1.0)
        for name, per_text in zip(DESCRIPTORS, (lengths, words, share), strict=True):
            self.descriptors[name].update(np.repeat(per_text, counts))
        self.vocabulary.update(flat, counts[owners])

    def merge(self, other: TextProfile) -> TextProfile:
        return TextProfile(
            {name: self.descriptors[name].merge(other.descriptors[name]) for name in DESCRIPTORS},
            self.vocabulary.merge(other.vocabulary),
        )

    def copy(self) -> TextProfile:
        return self.merge(TextProfile())

    @property
    def count(self) -> int:
        """Values described."""
        return self.descriptors[TEXT_LENGTH].moments.n


def merged_parts(mine, theirs):
    """The merge of two optional parts (a column keeps a part only when it is text or an
    embedding): a copy of one side's part when the other has none, so that tracking the
    merge never changes its inputs."""
    if mine is None or theirs is None:
        part = theirs if mine is None else mine
        return None if part is None else part.copy()
    return mine.merge(theirs)


class EmbeddingProfile:
    """Count, per-dimension sums and sums of squares of a column of equal-length numeric
    vectors: its mean vector and per-dimension spread, exactly mergeable.

    >>> import pyarrow as pa
    >>> e = EmbeddingProfile.of(pa.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> e.count, e.mean.tolist()
    (2, [2.0, 3.0])
    """

    __slots__ = ("count", "squares", "sums")

    def __init__(self, count: int, sums: np.ndarray, squares: np.ndarray) -> None:
        self.count, self.sums, self.squares = count, sums, squares

    @classmethod
    def of(cls, array: pa.Array) -> EmbeddingProfile | None:
        """The profile of a list column whose present vectors all have one length and
        no missing element, else None (not an embedding)."""
        matrix = embedding_matrix(array)
        if matrix is None or not len(matrix):
            return None
        return cls(len(matrix), matrix.sum(axis=0), np.einsum("ij,ij->j", matrix, matrix))

    @property
    def dimensions(self) -> int:
        return len(self.sums)

    @property
    def mean(self) -> np.ndarray:
        return self.sums / self.count if self.count else np.full(self.dimensions, math.nan)

    @property
    def variance(self) -> np.ndarray:
        """Per-dimension sample variance."""
        if self.count < 2:
            return np.full(self.dimensions, math.nan)
        centred = self.squares - self.sums * self.sums / self.count
        return np.maximum(centred, 0.0) / (self.count - 1)

    def copy(self) -> EmbeddingProfile:
        return EmbeddingProfile(self.count, self.sums.copy(), self.squares.copy())

    def merge(self, other: EmbeddingProfile | None) -> EmbeddingProfile | None:
        """Both sides' vectors; None when their lengths differ (no longer an embedding)."""
        if other is None or other.dimensions != self.dimensions:
            return None
        return EmbeddingProfile(
            self.count + other.count, self.sums + other.sums, self.squares + other.squares
        )
