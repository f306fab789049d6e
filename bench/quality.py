"""Model quality on a million merged records: metrics and the ground-truth merge.

    .venv/bin/python bench/quality.py

1. ``model_quality`` for binary classification with probabilities on 1,000,000 rows:
   every metric, the ROC and precision-recall curves, and the five 80 % subsamples of
   the standard deviations (each subsample sorts its scores again for its AUC).
2. ``merge_with_captures``: 1,000,000 captured rows (half with an inference id) joined
   to 1,000,000 labels, 10 % of each side without a partner.
3. For comparison: regression with ``r2="sagemaker"``, whose online variance is a
   Python loop (the only way to reproduce the container's rounding).

Target: each under 30 s.
"""

from __future__ import annotations

import time

import numpy as np
import pyarrow as pa

from watchkeeper.quality import merge_with_captures, model_quality

N = 1_000_000
TARGET = 30.0


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def scored_table(rng: np.random.Generator) -> pa.Table:
    label = (rng.random(N) < 0.3).astype(np.int64)
    probability = np.clip(0.3 * label + 0.7 * rng.random(N), 0.0, 1.0)
    return pa.table(
        {"label": label, "prediction": (probability >= 0.5).astype(np.int64),
         "probability": probability}
    )  # fmt: skip


def merge_inputs(rng: np.random.Generator) -> tuple[pa.Table, pa.Table]:
    ids = np.char.add("id-", np.arange(N).astype(str))
    inference = np.where(np.arange(N) % 2 == 0, np.char.add("inf-", ids), None)
    captures = pa.table({
        "prediction": rng.random(N).round(4).astype(str),
        "__event_id": ids,
        "__inference_id": pa.array(inference.tolist(), pa.string()),
        "__inference_time": pa.array(["2024-05-01T10:00:00Z"] * N),
    })  # fmt: skip
    # 90 % of the labels belong to captures (by inference id when it has one), 10 % do not.
    keys = np.where(inference == None, ids, inference).astype(str)  # noqa: E711  (element-wise)
    chosen = rng.permutation(N)[: N * 9 // 10]
    extra = np.char.add("orphan-", np.arange(N - len(chosen)).astype(str))
    labels = pa.table({
        "eventId": np.concatenate([keys[chosen], extra]),
        "label": (rng.random(N) < 0.3).astype(int).astype(str),
    })  # fmt: skip
    return captures, labels


def main() -> None:
    rng = np.random.default_rng(0)
    table = scored_table(rng)
    seconds, doc = timed(lambda: model_quality(
        table, problem_type="BinaryClassification", inference_attribute="prediction",
        probability_attribute="probability", ground_truth_attribute="label", seed=0,
    ))  # fmt: skip
    auc = doc["binary_classification_metrics"]["auc"]
    print(
        f"binary metrics, {N:,} rows with probabilities: {seconds:.2f} s "
        f"(auc {auc['value']:.4f} ± {auc['standard_deviation']:.5f}; target < {TARGET:.0f} s)"
    )

    captures, labels = merge_inputs(rng)
    seconds, merged = timed(lambda: merge_with_captures(captures, labels))
    print(
        f"merge {N:,} captures with {N:,} labels: {seconds:.2f} s "
        f"({merged.table.num_rows:,} matched, {merged.unmatched_captures:,} captures and "
        f"{merged.unmatched_ground_truth:,} labels unmatched; target < {TARGET:.0f} s)"
    )

    regression = pa.table({"y": rng.normal(size=N), "p": rng.normal(size=N)})
    for r2 in ("standard", "sagemaker"):
        seconds, _ = timed(lambda r2=r2: model_quality(
            regression, problem_type="Regression", inference_attribute="p",
            ground_truth_attribute="y", r2=r2,
        ))  # fmt: skip
        print(f"regression metrics, {N:,} rows, r2={r2}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
