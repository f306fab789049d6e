"""Small seeded datasets and models for the explainability tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier

SCHOLARSHIP_FEATURES = ["sex", "math", "science", "technology", "random1", "random2"]


def scholarship(rows: int = 400, seed: int = 7) -> pd.DataFrame:
    """Scholarship applications: approval follows the three grades, with a smaller bonus
    for sex = 1 (the biased decisions a model learns); random1 and random2 are noise."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "approved": np.zeros(rows, dtype=np.int64),
            "sex": (rng.random(rows) < 0.7).astype(np.int64),
            "math": rng.integers(50, 101, rows),
            "science": rng.integers(50, 101, rows),
            "technology": rng.integers(50, 101, rows),
            "random1": rng.integers(0, 101, rows),
            "random2": rng.integers(0, 101, rows),
        }
    )
    grades = frame[["math", "science", "technology"]].mean(axis=1)
    frame["approved"] = (grades + 4 * frame["sex"] + rng.normal(0, 2, rows) > 78).astype(np.int64)
    return frame


def scholarship_model(frame: pd.DataFrame) -> RandomForestClassifier:
    model = RandomForestClassifier(n_estimators=30, max_depth=5, random_state=0)
    return model.fit(frame[SCHOLARSHIP_FEATURES], frame["approved"])
