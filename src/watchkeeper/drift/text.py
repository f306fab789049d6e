"""Drift of free-text and embedding columns, judged on what their profiles keep.

A free-text column (one whose baseline and current profiles both hold a
:class:`~watchkeeper.profile.text.TextProfile`) is judged by the default detector on
each descriptor's distribution (``text_length``, ``word_count``, ``non_letter_share``:
location, spread and shape, as a numeric feature), by the missing-value test, and by
the ``out_of_vocabulary_share`` test: the estimated share of the current tokens that
the baseline's vocabulary never saw, against the share a new sample of the baseline's
own text would show (Good–Turing's missing mass). Its effect is the excess share,
its floor ``MIN_UNSEEN_EXCESS``; its p-value is one-sided, counting each current text
as one trial (tokens of one text are not independent). Category shares are not
judged: values of free text are nearly all distinct.

An embedding column is judged on its mean vector: each dimension's shift over its
standard error, Bonferroni over the dimensions (valid whatever their correlation),
with the root-mean-square shift in per-dimension standard deviations as the effect
(floor ``min_mean_shift``).

Each column's family error stays at ``alpha``: the judgements share it (Bonferroni).
Test names say what moved: ``text_length:location``, ``out_of_vocabulary_share``,
``embedding_mean``.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from watchkeeper.drift.detector import detect_distribution
from watchkeeper.drift.result import DriftResult, DriftSettings, DriftTest, verdict
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.distinct import DistinctSketch
from watchkeeper.profile.frequent import CategoryCounts
from watchkeeper.profile.text import DESCRIPTORS, OUT_OF_VOCABULARY, Distribution
from watchkeeper.profile.types import BOOLEAN, FRACTIONAL, INTEGRAL, STRING

TEXT, EMBEDDING = "text", "embedding"
EMBEDDING_MEAN = "embedding_mean"
MIN_UNSEEN_EXCESS = 0.05
NULL_FRACTION = "null_fraction"


def detect_text(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings | None = None
) -> DriftResult:
    """Judge a free-text column on its descriptors and vocabulary (see the module)."""
    settings = settings or DriftSettings()
    judgements = 2 + len(DESCRIPTORS)  # missing values, descriptors, vocabulary
    tests = [
        _adjusted(test, judgements, settings.alpha)
        for test in detect_distribution(baseline, current, settings).tests
        if test.name == NULL_FRACTION
    ]
    for name in DESCRIPTORS:
        found = detect_distribution(
            _as_column(baseline.text.descriptors[name]),
            _as_column(current.text.descriptors[name]),
            settings,
        )
        tests += [
            replace(_adjusted(test, judgements, settings.alpha), name=f"{name}:{test.name}")
            for test in found.tests
        ]
    unseen = _unseen_test(baseline, current, judgements, settings.alpha)
    if unseen is not None:
        tests.append(unseen)
    return verdict(tests, TEXT, baseline, current)


def detect_embedding(
    baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings | None = None
) -> DriftResult:
    """Judge an embedding column on the distance between its mean vectors."""
    settings = settings or DriftSettings()
    first, second = baseline.embedding, current.embedding
    tests = []
    if first.dimensions == second.dimensions and first.count >= 2 and second.count >= 2:
        from scipy import stats  # loaded only when needed: it is slow to import

        shift = second.mean - first.mean
        spread = (first.variance * (first.count - 1) + second.variance * (second.count - 1)) / (
            first.count + second.count - 2
        )
        error = np.sqrt(first.variance / first.count + second.variance / second.count)
        moving = error > 0
        if moving.any():
            z = np.abs(shift[moving]) / error[moving]
            p_value = min(1.0, len(shift) * 2.0 * float(stats.norm.sf(z.max())))
            effect = float(np.sqrt(np.mean(shift[moving] ** 2 / spread[moving])))
            ratio = effect / settings.min_mean_shift
            distance = float(np.linalg.norm(shift))
            significant = p_value <= settings.alpha
            tests.append(
                DriftTest(
                    EMBEDDING_MEAN, distance, p_value, effect, settings.min_mean_shift, ratio,
                    significant,
                )
            )  # fmt: skip
    return verdict(tests, EMBEDDING, baseline, current)


def _unseen_test(
    baseline: ColumnProfile, current: ColumnProfile, judgements: int, alpha: float
) -> DriftTest | None:
    known, new = baseline.text.vocabulary, current.text.vocabulary
    share, expected = known.unseen_share(new), known.expected_unseen_share()
    texts = current.text.count
    if math.isnan(share) or math.isnan(expected) or texts == 0:
        return None
    from scipy import stats  # loaded only when needed: it is slow to import

    excess = float(share - expected)
    rate = min(max(expected, 0.5 / texts), 0.5)
    z = excess / math.sqrt(rate * (1.0 - rate) / texts)
    p_value = min(1.0, judgements * float(stats.norm.sf(z)))
    return DriftTest(
        OUT_OF_VOCABULARY, share, p_value, excess, MIN_UNSEEN_EXCESS,
        excess / MIN_UNSEEN_EXCESS, p_value <= alpha,
    )  # fmt: skip


def _adjusted(test: DriftTest, judgements: int, alpha: float) -> DriftTest:
    """Bonferroni over the column's judgements, on top of each one's own."""
    p_value = min(1.0, test.p_value * judgements)
    return replace(test, p_value=p_value, significant=p_value <= alpha)


def _as_column(distribution: Distribution) -> ColumnProfile:
    """A descriptor's distribution as the numeric feature the detector judges."""
    n = distribution.moments.n
    return ColumnProfile.assembled(
        (n, 0, 0),
        {INTEGRAL: 0, FRACTIONAL: n, BOOLEAN: 0, STRING: 0},
        ["double"],
        distribution.moments,
        distribution.kll,
        DistinctSketch(),
        CategoryCounts(),
    )
