"""Time of Clarify's bias metrics on 1,000,000 rows (``watchkeeper.fairness``).

A seeded table of 1M rows: three numeric features, a categorical facet (5 values), a
continuous facet, a group variable of 100 values, a 0/1 label and a predicted label.
Timed, each the best of ``--repeat`` runs in this process (the table already in memory,
as an Arrow table; reading a file is the readers' benchmark):

- every pre-training metric, categorical facet (one value as group d);
- every pre-training metric, categorical facet, each value in turn against the rest;
- every pre-training metric, continuous facet (threshold);
- every post-training metric but FT, for the same three facet selections;
- FT alone (a k-nearest-neighbours fit and predict) on a ``--ft-rows`` sample;
- with ``--smclarify-rows N``, smclarify 0.5's ``bias_report`` (pre-training, and
  post-training but FT; categorical facet, one value) on the first N rows, for scale.

Run: ``.venv/bin/python bench/bias.py`` (about half a minute).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from watchkeeper.fairness import POSTTRAINING, posttraining_bias, pretraining_bias

SEED = 20261122
TARGET_SECONDS = 10.0


def make_table(rows: int, seed: int = SEED) -> pa.Table:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(rows, 3))
    region = rng.choice(np.array(["north", "south", "east", "west", "centre"]), size=rows)
    age = rng.uniform(18, 80, size=rows)
    logit = features @ np.array([1.0, -0.5, 0.25]) + 0.4 * (region == "north") - 0.01 * age
    label = rng.uniform(size=rows) < 1 / (1 + np.exp(-logit))
    predicted = np.where(rng.uniform(size=rows) < 0.8, label, rng.uniform(size=rows) < 0.5)
    return pa.table(
        {
            "x1": features[:, 0],
            "x2": features[:, 1],
            "x3": features[:, 2],
            "region": region,
            "age": age,
            "branch": rng.integers(0, 100, size=rows),
            "label": label.astype(np.int64),
            "predicted": predicted.astype(np.int64),
        }
    )


def best_of(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def time_smclarify(table: pa.Table, post_metrics: list[str]) -> tuple[float, float]:
    import warnings

    from smclarify.bias import report

    warnings.filterwarnings("ignore")
    frame = table.to_pandas()
    frame["region"] = frame["region"].astype(object)  # smclarify predates pandas' str dtype
    label = report.LabelColumn("label", frame["label"], [1])
    facet = report.FacetColumn("region", ["north"])
    started = time.perf_counter()
    report.bias_report(
        frame.drop(columns=["predicted"]),
        facet,
        label,
        report.StageType.PRE_TRAINING,
        group_variable=frame["branch"],
    )
    pre = time.perf_counter() - started
    started = time.perf_counter()
    report.bias_report(
        frame,
        facet,
        label,
        report.StageType.POST_TRAINING,
        predicted_label_column=report.LabelColumn("predicted", frame["predicted"], [1]),
        metrics=post_metrics,
        group_variable=frame["branch"],
    )
    return pre, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ft-rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--smclarify-rows", type=int, default=0)
    options = parser.parse_args()

    started = time.perf_counter()
    table = make_table(options.rows)
    print(f"{options.rows:,} rows generated in {time.perf_counter() - started:.1f} s")
    common = {"label": "label", "label_values": [1], "group_variable": "branch"}
    facets = {
        "categorical facet, one value": {"facet": "region", "facet_values": ["north"]},
        "categorical facet, each of 5 values": {"facet": "region"},
        "continuous facet, threshold": {"facet": "age", "facet_threshold": 60.0},
    }
    without_ft = [name for name in POSTTRAINING if name != "FT"]
    results = []
    for label, facet in facets.items():
        pre = best_of(options.repeat, lambda f=facet: pretraining_bias(table, **common, **f))
        post = best_of(
            options.repeat,
            lambda f=facet: posttraining_bias(
                table, **common, **f, predicted_label="predicted", methods=without_ft
            ),
        )
        results.append((label, pre, post))
    sample = table.slice(0, options.ft_rows)
    ft = best_of(
        options.repeat,
        lambda: posttraining_bias(
            sample,
            **common,
            facet="region",
            facet_values=["north"],
            predicted_label="predicted",
            methods=["FT"],
        ),
    )

    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, NumPy {np.__version__}, pyarrow {pa.__version__}"
    )
    print(
        f"| facet selection ({options.rows:,} rows) | pre-training, all 8 | "
        "post-training, all but FT (12) | both |"
    )
    print("| --- | ---: | ---: | ---: |")
    worst = 0.0
    for label, pre, post in results:
        worst = max(worst, pre + post)
        print(f"| {label} | {pre:.2f} s | {post:.2f} s | {pre + post:.2f} s |")
    print(f"FT alone on {options.ft_rows:,} rows: {ft:.2f} s")
    if options.smclarify_rows:
        pre, post = time_smclarify(table.slice(0, options.smclarify_rows), without_ft)
        print(
            f"smclarify on {options.smclarify_rows:,} rows, categorical facet, one value: "
            f"pre-training {pre:.2f} s, post-training but FT {post:.2f} s"
        )
    verdict = "met" if worst < TARGET_SECONDS else "MISSED"
    print(f"slowest pre + post: {worst:.2f} s (target < {TARGET_SECONDS:.0f} s: {verdict})")


if __name__ == "__main__":
    main()
