"""Seeded metric series for the history detectors' tests."""

from __future__ import annotations

import numpy as np

# a daily metric with a weekly pattern: five working days, a low weekend
WEEK = np.array([100.0, 104.0, 103.0, 101.0, 98.0, 60.0, 55.0])
NOISE = 2.0


def weekly(days: int, seed: int, shift_at: int | None = None, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    values = WEEK[np.arange(days) % 7] + rng.normal(0.0, NOISE, days)
    if shift_at is not None:
        values[shift_at:] += shift
    return values


def level(points: int, seed: int, shift_at: int | None = None, shift: float = 0.0) -> np.ndarray:
    """A flat metric (mean 0.12, sd 0.01, as a drift figure) with an optional shift."""
    rng = np.random.default_rng(seed)
    values = rng.normal(0.12, 0.01, points)
    if shift_at is not None:
        values[shift_at:] += shift
    return values


def flagged(judgements) -> list[int]:
    return [index for index, judgement in enumerate(judgements) if judgement.anomalous]
