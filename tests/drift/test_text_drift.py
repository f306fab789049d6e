"""Drift of free-text columns (descriptors and vocabulary) and embedding columns (mean
vector), judged from profiles."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from text_samples import text_column, texts
from watchkeeper.drift.judge import judge_column
from watchkeeper.profile import DatasetProfile


@pytest.mark.parametrize("rows", [200, 1000, 3000])
def test_unchanged_text_is_quiet(rows):
    for seed in range(2):
        result = judge_column(
            text_column(texts(rows, seed)), text_column(texts(rows, seed + 100))
        )
        assert result.kind == "text"
        assert not result.drifted, result


def test_a_shift_in_length_is_flagged_by_its_descriptor():
    result = judge_column(
        text_column(texts(1000, 1)), text_column(texts(1000, 2, extra_words=3))
    )
    assert result.drifted
    assert result.test.split(":")[0] in ("text_length", "word_count")


def test_a_fifth_of_tokens_unseen_is_flagged_as_new_vocabulary():
    result = judge_column(text_column(texts(1000, 3)), text_column(texts(1000, 4, unseen=0.2)))
    assert result.drifted
    assert result.test == "out_of_vocabulary_share"
    assert result.effect == pytest.approx(0.2, abs=0.04)


def embedding(rows: int, seed: int, shift: float = 0.0):
    rng = np.random.default_rng(seed)
    mixing = np.random.default_rng(0).normal(size=(8, 16)) / 4  # correlated dimensions
    vectors = rng.normal(size=(rows, 8)) @ mixing + shift
    profile = DatasetProfile()
    profile.track(pa.table({"v": pa.array(vectors.tolist(), pa.list_(pa.float32(), 16))}))
    return profile.columns["v"]


def test_embeddings_unchanged_are_quiet_and_shifted_are_flagged():
    for seed in range(3):
        assert not judge_column(embedding(1000, seed), embedding(1000, seed + 50)).drifted
    result = judge_column(embedding(1000, 1), embedding(1000, 2, shift=0.15))
    assert result.drifted and result.test == "embedding_mean"
    assert result.effect > 0.2
