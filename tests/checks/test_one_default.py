"""One default: a baseline read back from its folder judges exactly as the one held in memory.

``watchkeeper check CUR --baseline DIR`` reads the baseline from ``statistics.json``
and ``constraints.json``; ``watchkeeper.check(CUR, suggest_baseline(REF, DIR))`` judges
with the profile the files were written from. Over seeded pairs of every size from 60
to 5,000 rows, with numeric, count and categorical columns, changed or not, both give
the same violations to the last digit.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

import watchkeeper

SIZES = (60, 200, 1_000, 5_000)
CHANGES = ("none", "location", "scale", "categories")
COLOURS = np.array(["red", "green", "blue", "amber", "violet"])
SHARES = np.array([0.4, 0.3, 0.15, 0.1, 0.05])
MOVED_SHARES = np.array([0.25, 0.25, 0.2, 0.15, 0.15])
# Every size of reference with every size of current; each size meets each change
# once (a Latin square), and every third pair has missing values.
PAIRS = [
    (rows, current_rows, CHANGES[(i + i // len(SIZES)) % len(CHANGES)], i % 3 == 0)
    for i, (rows, current_rows) in enumerate(itertools.product(SIZES, SIZES))
]


def table(rng: np.random.Generator, rows: int, change: str, nulls: float) -> pa.Table:
    shift = 0.3 if change == "location" else 0.0
    spread = 1.3 if change == "scale" else 1.0
    shares = MOVED_SHARES if change == "categories" else SHARES
    amount = rng.normal(100 + 15 * shift, 15 * spread, rows)
    return pa.table(
        {
            "amount": pa.array(amount, mask=_gaps(rng, rows, nulls)),
            # heavy tails: the scale test leans on the fourth moment
            "ratio": rng.standard_t(3, rows) * spread + shift,
            "count": rng.poisson(3 + 2 * shift, rows),
            "colour": pa.array(rng.choice(COLOURS, rows, p=shares), mask=_gaps(rng, rows, nulls)),
            # thousands of values: past 1,000 distinct ones the counts become a sketch
            "code": np.char.add("c", (rng.zipf(1.2, rows) % 3000).astype(str)),
        }
    )


def _gaps(rng: np.random.Generator, rows: int, share: float) -> np.ndarray:
    return rng.random(rows) < share


def write(data: pa.Table, path) -> None:
    if path.suffix == ".parquet":
        pq.write_table(data, path)
    else:
        pacsv.write_csv(data, path)


def cli_check(current, baseline, *options: str) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "watchkeeper", "check", str(current), "--baseline", str(baseline),
         "--json", *options],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=300,
    )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def judged(violations: list[dict]) -> str:
    """The violations as the figures that make them, NaN and all, in one comparable text."""
    keys = ("feature_name", "constraint_check_type", "description", "observed", "threshold")
    return json.dumps([[violation[key] for key in keys] for violation in violations])


@pytest.mark.parametrize(
    ("rows", "current_rows", "change", "with_nulls"),
    PAIRS,
    ids=[f"{n}-vs-{m}-{change}{'-nulls' if nulls else ''}" for n, m, change, nulls in PAIRS],
)
def test_the_cli_with_a_baseline_folder_judges_as_the_api_with_one_in_memory(
    tmp_path, rows, current_rows, change, with_nulls
):
    rng = np.random.default_rng([rows, current_rows, CHANGES.index(change)])
    suffix = ".parquet" if (rows + current_rows) % 3 == 0 else ".csv"
    reference, current = tmp_path / f"reference{suffix}", tmp_path / f"current{suffix}"
    write(table(rng, rows, "none", 0.05 if with_nulls else 0.0), reference)
    write(table(rng, current_rows, change, 0.08 if with_nulls else 0.0), current)
    in_memory = watchkeeper.suggest_baseline(reference, tmp_path / "baseline")

    api = watchkeeper.check(current, in_memory)
    cli = cli_check(current, tmp_path / "baseline")

    assert judged(cli["violations"]) == judged([v.to_dict() for v in api.violations])
    # every test of every feature, p-values included, and not only those that alarmed
    from_folder = watchkeeper.check(current, tmp_path / "baseline")
    assert repr(from_folder.drift) == repr(api.drift)


@pytest.mark.parametrize("method", ["LInfinity", "ChiSquared"])
def test_sagemaker_mode_judges_alike_from_the_folder(tmp_path, method):
    rng = np.random.default_rng(17)
    reference, current = tmp_path / "reference.csv", tmp_path / "current.csv"
    write(table(rng, 5_000, "none", 0.05), reference)
    write(table(rng, 1_000, "categories", 0.05), current)
    in_memory = watchkeeper.suggest_baseline(reference, tmp_path / "baseline")
    constraints = tmp_path / "baseline" / "constraints.json"
    document = json.loads(constraints.read_text())
    document["monitoring_config"]["distribution_constraints"]["categorical_drift_method"] = method
    constraints.write_text(json.dumps(document))
    in_memory = watchkeeper.baseline.Baseline(
        in_memory.statistics, watchkeeper.baseline.read_constraints(constraints)
    )

    api = watchkeeper.check(current, in_memory, drift="sagemaker")
    cli = cli_check(current, tmp_path / "baseline", "--drift", "sagemaker")

    assert api.violations
    assert judged(cli["violations"]) == judged([v.to_dict() for v in api.violations])
