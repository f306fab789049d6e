"""Seeded free text for the text-column tests: words of random letters, a fixed
vocabulary, and a second vocabulary of words the first never uses."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from watchkeeper.profile import DatasetProfile

_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def _words(size: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    words = {"".join(rng.choice(_LETTERS, rng.integers(3, 10))) for _ in range(2 * size)}
    return np.array(sorted(words)[:size])


_BOTH = _words(6000, seed=7)
WORDS, NEW_WORDS = _BOTH[::2], _BOTH[1::2]  # disjoint
_ZIPF = 1.0 / np.arange(1, len(WORDS) + 1)
_ZIPF /= _ZIPF.sum()


def texts(rows: int, seed: int, *, unseen: float = 0.0, extra_words: int = 0) -> list[str]:
    """``rows`` texts of 4 to 19 (+ ``extra_words``) Zipf-distributed words, a share
    ``unseen`` of them drawn from words the plain generator never writes."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(4, 20, rows) + extra_words
    tokens = rng.choice(WORDS, int(sizes.sum()), p=_ZIPF)
    if unseen:
        swap = rng.random(len(tokens)) < unseen
        tokens[swap] = rng.choice(NEW_WORDS, int(swap.sum()), p=_ZIPF)
    ends = np.cumsum(sizes)
    return [" ".join(tokens[end - size : end]) for end, size in zip(ends, sizes, strict=True)]


def text_column(values: list[str], name: str = "review"):
    profile = DatasetProfile()
    profile.track(pa.table({name: values}))
    return profile.columns[name]
