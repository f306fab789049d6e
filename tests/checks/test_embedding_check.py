"""A check on data with an embedding column: the mean-vector test, and the domain
classifier reading the embedding's dimensions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from watchkeeper.api import suggest_baseline
from watchkeeper.checks.pipeline import run_check
from watchkeeper.multivariate.sample import sample_bytes, sample_from_bytes


def rows(count: int, seed: int, flip: bool = False, shift: float = 0.0) -> pa.Table:
    rng = np.random.default_rng(seed)
    first = rng.normal(size=count)
    second = (-0.9 if flip else 0.9) * first + np.sqrt(1 - 0.81) * rng.normal(size=count)
    vectors = np.column_stack([first, second, rng.normal(size=(count, 4))]) + shift
    return pa.table(
        {
            "amount": rng.normal(size=count),
            "vector": pa.array(vectors.tolist(), pa.list_(pa.float32(), 6)),
        }
    )


@pytest.fixture(scope="module")
def baseline():
    return suggest_baseline(rows(1000, seed=1))


def test_the_baseline_sample_keeps_the_embedding_whole(baseline):
    assert baseline.sample.schema.field("vector").type == pa.list_(pa.float64())
    again = sample_from_bytes(sample_bytes(baseline.sample), "sample")
    assert again.equals(baseline.sample)


def test_a_moved_mean_vector_is_drift_and_an_unchanged_one_is_not(baseline):
    quiet = run_check(rows(1000, seed=2), baseline=baseline, multivariate="off")
    assert quiet.violations == []
    moved = run_check(rows(1000, seed=3, shift=0.3), baseline=baseline, multivariate="off")
    (violation,) = moved.violations
    assert violation.feature_name == "vector"
    assert violation.description.startswith("embedding_mean: the mean vector moved")


def test_the_domain_classifier_finds_a_flip_inside_the_embedding(baseline):
    # every dimension keeps its mean and spread: only the classifier sees the change
    flipped = run_check(rows(600, seed=4, flip=True), baseline=baseline, multivariate="classifier")
    assert [v.constraint_check_type for v in flipped.violations] == ["multivariate_drift_check"]
    assert set(flipped.multivariate.details["separating"][:2]) == {"vector[0]", "vector[1]"}
