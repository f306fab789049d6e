"""Multivariate drift: detection, false alarms and speed of the PCA reconstruction error,
and of the domain classifier.

1. A flipped correlation with unchanged columns: ``x`` and ``y`` standard normal with
   correlation +0.8 in the baseline, -0.8 in the current data, beside an independent
   normal ``z`` and a three-category ``plan`` (the tests' table). Each seeded run builds
   the baseline's row sample with :class:`RowSample` from 5,000 rows, fits the model on
   it and scores 5,000 current rows in 1,000-row batches: the share of runs flagged, for
   the flip and for unchanged data (a 95% Clopper-Pearson interval beside it).
2. False alarms at other sizes: a 10,000-row sample against 100, 1,000 and 100,000
   current rows, for normal columns and for heavy-tailed (lognormal) ones.
3. Speed: fitting on a 10,000-row sample and scoring 1M rows × 50 float64 columns,
   given as 65,536-row Arrow batches (as a check reads them), best of three.
4. The domain classifier (``--multivariate classifier``) on the flip and on unchanged
   data, and its time at 10,000 vs 10,000 rows × 50 columns.
5. The whole check (profile, constraints, drift) of those 1M rows × 50 columns with
   ``multivariate="off"`` and ``"pca"``.

Run: ``.venv/bin/python bench/multivariate.py`` (about 4 minutes on two cores;
``--runs 100``, ``--quiet-runs 1000``, ``--size-runs 100``, ``--classifier-runs 20`` by
default).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pyarrow as pa
from scipy import stats

from watchkeeper.multivariate import RowSample
from watchkeeper.multivariate.classifier import domain_classifier
from watchkeeper.multivariate.pca import fit_reconstruction


def correlated(rows: int, rho: float, seed: int, heavy: bool = False) -> pa.Table:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    y = rho * x + np.sqrt(1 - rho**2) * rng.normal(size=rows)
    z = rng.normal(size=rows)
    columns = {"x": x, "y": y, "z": np.exp(z) if heavy else z}
    if heavy:
        columns["w"] = np.exp(1.5 * rng.normal(size=rows))
    columns["plan"] = rng.choice(["basic", "plus", "premium"], size=rows, p=[0.5, 0.3, 0.2])
    return pa.Table.from_pydict(columns)


def sampled(table: pa.Table, seed: int) -> pa.Table:
    sample = RowSample(seed=seed)
    for batch in table.to_batches(max_chunksize=65_536):
        sample.observe(batch)
    return sample.table()


def flagged(sample: pa.Table, current: pa.Table, seed: int) -> bool:
    score = fit_reconstruction(sample, seed=seed).scorer()
    for batch in current.to_batches(max_chunksize=1_000):
        score.observe(batch)
    return score.result().drifted


def interval(hits: int, runs: int) -> str:
    low = stats.beta.ppf(0.025, hits, runs - hits + 1) if hits else 0.0
    high = stats.beta.ppf(0.975, hits + 1, runs - hits) if hits < runs else 1.0
    return f"{hits}/{runs} = {hits / runs:.1%} (95% CI {low:.1%} to {high:.1%})"


def seeded_runs(runs: int, quiet_runs: int) -> None:
    print(f"## 1. flipped correlation, 5,000 rows a side, {runs} seeded runs")
    print(f"(unchanged data: {quiet_runs} runs, for a narrower interval)")
    started = time.perf_counter()
    flips = quiet = 0
    for seed in range(max(runs, quiet_runs)):
        sample = sampled(correlated(5_000, 0.8, seed), seed)
        if seed < runs:
            flips += flagged(sample, correlated(5_000, -0.8, 10_000 + seed), seed)
        if seed < quiet_runs:
            quiet += flagged(sample, correlated(5_000, 0.8, 20_000 + seed), seed)
    print(f"flip flagged:      {interval(flips, runs)}")
    print(f"unchanged flagged: {interval(quiet, quiet_runs)}")
    print(f"({time.perf_counter() - started:.1f} s)\n")


def other_sizes(runs: int) -> None:
    print(f"## 2. false alarms, 10,000-row sample vs n current rows, {runs} runs each")
    print("| columns | n | unchanged flagged | flip flagged |")
    print("| --- | ---: | --- | --- |")
    for heavy in (False, True):
        for rows in (100, 1_000, 100_000):
            quiet = flips = 0
            for seed in range(runs):
                sample = correlated(10_000, 0.8, seed, heavy)
                quiet += flagged(sample, correlated(rows, 0.8, 30_000 + seed, heavy), seed)
                flips += flagged(sample, correlated(rows, -0.8, 40_000 + seed, heavy), seed)
            kind = "normal + lognormal" if heavy else "normal"
            print(f"| {kind} | {rows:,} | {interval(quiet, runs)} | {interval(flips, runs)} |")
    print()


def wide(rows: int, columns: int, seed: int, factors: int = 5) -> pa.Table:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=(rows, columns))
    if factors:
        # a few latent factors, so that the columns are related as real features are; the
        # same loadings for every seed: one distribution, different rows
        loadings = np.random.default_rng(0).normal(size=(factors, columns))
        values += rng.normal(size=(rows, factors)) @ loadings
    return pa.Table.from_arrays(
        [pa.array(values[:, j]) for j in range(columns)], names=[f"f{j}" for j in range(columns)]
    )


def speed(rows: int, columns: int) -> None:
    print(f"## 3. speed: {rows:,} rows × {columns} columns, 65,536-row batches, best of 3")
    for factors in (5, 0):
        sample = wide(10_000, columns, 1, factors)
        batches = wide(rows, columns, 2, factors).to_batches(max_chunksize=65_536)
        best_fit = best_score = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            model = fit_reconstruction(sample)
            fitted = time.perf_counter()
            score = model.scorer()
            for batch in batches:
                score.observe(batch)
            result = score.result()
            best_fit = min(best_fit, fitted - started)
            best_score = min(best_score, time.perf_counter() - fitted)
        kind = f"{factors} latent factors" if factors else "independent columns"
        print(f"{kind}: fit on 10,000 rows {best_fit:.3f} s; score {rows:,} rows "
              f"{best_score:.2f} s; {result.details['components']} of {columns} components; "
              f"{'drift' if result.drifted else 'no drift'}")  # fmt: skip
    print(f"load average {os.getloadavg()[0]:.1f}\n")


def whole_check(rows: int, columns: int) -> None:
    from watchkeeper.baseline import Baseline
    from watchkeeper.checks.pipeline import run_check
    from watchkeeper.profile import build_profile

    print(f"## 5. the whole check of {rows:,} rows × {columns} columns (in memory), once each")
    training = wide(10_000, columns, 1)
    baseline = Baseline.from_profile(build_profile(training), sample=training)
    current = wide(rows, columns, 2)
    for mode in ("off", "pca"):
        started = time.perf_counter()
        run_check(current, baseline=baseline, multivariate=mode)
        print(f"--multivariate {mode}: {time.perf_counter() - started:.1f} s")
    print()


def classifier(runs: int) -> None:
    print(f"## 4. domain classifier, 5,000 rows a side, {runs} seeded runs")
    flips = quiet = 0
    started = time.perf_counter()
    for seed in range(runs):
        sample = sampled(correlated(5_000, 0.8, seed), seed)
        flipped = correlated(5_000, -0.8, 10_000 + seed)
        same = correlated(5_000, 0.8, 20_000 + seed)
        flips += domain_classifier(sample, flipped, seed=seed).drifted
        quiet += domain_classifier(sample, same, seed=seed).drifted
    print(f"flip flagged:      {interval(flips, runs)}")
    print(f"unchanged flagged: {interval(quiet, runs)}")
    print(f"({(time.perf_counter() - started) / (2 * runs):.2f} s per judgement)")
    sample, current = wide(10_000, 50, 3), wide(10_000, 50, 4)
    started = time.perf_counter()
    result = domain_classifier(sample, current)
    print(f"10,000 vs 10,000 rows × 50 columns: {time.perf_counter() - started:.1f} s, "
          f"AUC {result.figure:.3f}\n")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--quiet-runs", type=int, default=1_000)
    parser.add_argument("--size-runs", type=int, default=100)
    parser.add_argument("--classifier-runs", type=int, default=20)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--columns", type=int, default=50)
    options = parser.parse_args()
    print(f"load average at start {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores\n")
    speed(options.rows, options.columns)
    seeded_runs(options.runs, options.quiet_runs)
    other_sizes(options.size_runs)
    classifier(options.classifier_runs)
    whole_check(options.rows, options.columns)


if __name__ == "__main__":
    main()
