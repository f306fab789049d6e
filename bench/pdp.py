"""Time of partial dependence (``watchkeeper.explain.partial_dependence``).

A seeded table of ``--rows`` rows and 10 numeric features; a logistic regression and a
histogram gradient-boosting classifier fitted on it. Timed, each the best of
``--repeat`` runs in this process (the table in memory as Arrow): the partial dependence
of all 10 features on a grid of 15 (Clarify's default resolution), that is 150 batched
predictions over every row. For scale, scikit-learn's own
``sklearn.inspection.partial_dependence`` (``method="brute"``, the same grids given as
``custom_values``) on the same model and features, and the largest difference between
the two.

Run: ``.venv/bin/python bench/pdp.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import partial_dependence as sklearn_partial_dependence
from sklearn.linear_model import LogisticRegression

from watchkeeper.explain import partial_dependence

SEED = 20261207
FEATURES = [f"x{i}" for i in range(10)]
GRID = 15


def make_data(rows: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(SEED)
    values = rng.normal(size=(rows, len(FEATURES))) * np.linspace(1, 5, len(FEATURES))
    logit = values @ np.linspace(-0.5, 0.5, len(FEATURES))
    label = (rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(values, columns=FEATURES), label


def best_of(repeat: int, run) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    print("| model | rows | watchkeeper | sklearn brute | largest difference |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for rows in args.rows:
        frame, label = make_data(rows)
        table = pa.Table.from_pandas(frame, preserve_index=False)
        for name, model in (
            ("logistic regression", LogisticRegression(max_iter=200)),
            ("gradient boosting", HistGradientBoostingClassifier(max_iter=50, random_state=0)),
        ):
            model.fit(frame, label)
            ours_time, ours = best_of(
                args.repeat,
                lambda model=model, table=table: partial_dependence(
                    model, table, features=FEATURES, grid_resolution=GRID
                ),
            )
            grids = {entry["feature_name"]: entry["feature_values"] for entry in ours}

            def sklearn_run(model=model, grids=grids, frame=frame):
                return [
                    sklearn_partial_dependence(
                        model,
                        frame,
                        [feature],
                        method="brute",
                        custom_values={feature: grids[feature]},
                        response_method="predict_proba",
                    )["average"][0]
                    for feature in FEATURES
                ]

            theirs_time, theirs = best_of(args.repeat, sklearn_run)
            difference = max(
                float(np.max(np.abs(np.asarray(entry["model_predictions"][0]) - average)))
                for entry, average in zip(ours, theirs, strict=True)
            )
            print(
                f"| {name} | {rows:,} | {ours_time:.2f} s | {theirs_time:.2f} s | "
                f"{difference:.1e} |"
            )


if __name__ == "__main__":
    main()
