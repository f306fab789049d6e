"""Calibration of watchkeeper's default drift detector (``watchkeeper.drift.detect``).

Measures, on seeded generated data:

1. the false-alarm rate: two independent samples of the same distribution, 100 to 10M
   rows per side, for numeric (normal, lognormal, exponential, uniform, Student-t(3),
   Poisson, 0/1, rare 0/1, with nulls) and categorical (boolean, 5 and 300 categories)
   columns; with a 95% Clopper-Pearson interval and the largest effect/threshold ratio
   any test reached ("headroom": below 1 means no effect came near its floor);
2. the detection rate of meaningful changes at 1k and 10k rows per side, and of a
   0.5 sd mean shift, a 1.5 times wider spread and a total-variation change of 0.2 at
   100 rows per side (pooled over distributions too), and of a category new in the
   current data or gone from it, at 5 % of the rows, from 100 to 10k rows;
3. small real changes below the effect floors at 1M rows, which a plain test flags;

and, on the same inputs, how often SageMaker's Robust (and Simple) L-infinity distance
exceeds its usual threshold 0.1.

Run: ``.venv/bin/python bench/drift_calibration.py`` (about 10-15 minutes on two
cores); ``--scale 0.1`` divides every repetition count by ten for a quick look, and
``--tables`` runs some of the tables (e.g. ``--tables small-samples,one-sided``) and
``--sizes`` and ``--distributions`` part of the false-alarm table, so that parts can
run side by side (each distribution and size keeps its seed).

Profiles of up to 10k rows, and every categorical profile, are built with
``DatasetProfile``. Numeric profiles of 100k rows and more are assembled from the same
parts ``DatasetProfile`` uses (counts, ``Moments.of``, the KLL sketch), leaving out the
distinct-count sketch: drift never reads it, and it takes most of the profiling time.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from scipy import stats

from watchkeeper.drift import DriftSettings, detect, ks_test, linf_robust, linf_simple
from watchkeeper.profile.column import ColumnProfile
from watchkeeper.profile.dataset import DatasetProfile
from watchkeeper.profile.moments import Moments
from watchkeeper.profile.types import FRACTIONAL, INTEGRAL

SEED = 20240611
SIZES = (100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)
FALSE_ALARM_REPETITIONS = {
    100: 4000,
    1_000: 4000,
    10_000: 1000,
    100_000: 300,
    1_000_000: 40,
    10_000_000: 8,
}
POWER_REPETITIONS = {1_000: 1000, 10_000: 300}
SMALL_SAMPLE_REPETITIONS = {100: 1000}
ONE_SIDED_REPETITIONS = {100: 1000, 1_000: 1000, 10_000: 300}
SAGEMAKER_THRESHOLD = 0.1
TABLES = ("false-alarms", "detection", "small-samples", "one-sided", "small-changes")
FAST_NUMERIC_FROM = 100_000


# -- data --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    """Generated column data: numeric values with a null count, or an Arrow array."""

    values: np.ndarray | pa.Array
    nulls: int = 0
    integral: bool = False


def numbers(values: np.ndarray, null_share: float = 0.0, rng=None) -> Sample:
    nulls = int(rng.binomial(len(values), null_share)) if null_share else 0
    kept = values[: len(values) - nulls]
    return Sample(kept, nulls, values.dtype.kind in "iu")


def categories(rng: np.random.Generator, shares: np.ndarray, n: int) -> Sample:
    names = pa.array([f"c{i}" for i in range(len(shares))])
    codes = rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int32)
    return Sample(pa.DictionaryArray.from_arrays(pa.array(codes), names))


def zipf_shares(count: int, exponent: float = 1.1) -> np.ndarray:
    shares = 1.0 / np.arange(1, count + 1) ** exponent
    return shares / shares.sum()


FIVE = np.array([40, 25, 20, 10, 5.0])
MANY = zipf_shares(300)
LOGNORMAL_SD = math.sqrt((math.e - 1) * math.e)

Generator = Callable[[np.random.Generator, int], Sample]

SAME_DISTRIBUTION: dict[str, Generator] = {
    "normal": lambda rng, n: numbers(rng.normal(10, 2, n)),
    "lognormal": lambda rng, n: numbers(rng.lognormal(0, 1, n)),
    "exponential": lambda rng, n: numbers(rng.exponential(1, n)),
    "uniform": lambda rng, n: numbers(rng.uniform(0, 1, n)),
    "student_t3": lambda rng, n: numbers(rng.standard_t(3, n)),
    "poisson(3)": lambda rng, n: numbers(rng.poisson(3, n)),
    "binary 30%": lambda rng, n: numbers(rng.binomial(1, 0.3, n)),
    "binary 1%": lambda rng, n: numbers(rng.binomial(1, 0.01, n)),
    "normal, 10% null": lambda rng, n: numbers(rng.normal(0, 1, n), 0.1, rng),
    "boolean": lambda rng, n: Sample(pa.array(rng.random(n) < 0.3)),
    "5 categories": lambda rng, n: categories(rng, FIVE, n),
    "300 categories": lambda rng, n: categories(rng, MANY, n),
}


def head_to_tail(shares: np.ndarray, distance: float) -> np.ndarray:
    """Move ``distance`` of probability mass from the commonest categories to the rarest
    half (in proportion to their shares): a change of total variation ``distance``."""
    moved = shares.copy()
    left = distance
    for index in np.argsort(-shares, kind="stable"):
        take = min(left, moved[index] * 0.5)
        moved[index] -= take
        left -= take
        if left <= 1e-12:
            break
    rare = np.argsort(shares, kind="stable")[: len(shares) // 2 or 1]
    moved[rare] += shares[rare] / shares[rare].sum() * distance
    return moved / moved.sum()


def centred_scale(values: np.ndarray, mean: float, factor: float) -> np.ndarray:
    return mean + (values - mean) * factor


ChangeGenerator = Callable[[np.random.Generator, int], tuple[Sample, Sample]]

CHANGES: dict[str, ChangeGenerator] = {
    "mean +0.3 sd, normal": lambda rng, n: (
        numbers(rng.normal(10, 2, n)),
        numbers(rng.normal(10.6, 2, n)),
    ),
    "mean +0.3 sd, lognormal": lambda rng, n: (
        numbers(rng.lognormal(0, 1, n)),
        numbers(rng.lognormal(0, 1, n) + 0.3 * LOGNORMAL_SD),
    ),
    "mean +0.3 sd, student_t3": lambda rng, n: (
        numbers(rng.standard_t(3, n)),
        numbers(rng.standard_t(3, n) + 0.3 * math.sqrt(3)),
    ),
    "mean +0.3 sd, poisson(3)": lambda rng, n: (
        numbers(rng.poisson(3, n)),
        numbers(rng.poisson(3 + 0.3 * math.sqrt(3), n)),
    ),
    "sd x1.5, normal": lambda rng, n: (
        numbers(rng.normal(10, 2, n)),
        numbers(rng.normal(10, 3, n)),
    ),
    "sd x1.5, lognormal": lambda rng, n: (
        numbers(rng.lognormal(0, 1, n)),
        numbers(centred_scale(rng.lognormal(0, 1, n), math.exp(0.5), 1.5)),
    ),
    "sd x1.5, exponential": lambda rng, n: (
        numbers(rng.exponential(1, n)),
        numbers(centred_scale(rng.exponential(1, n), 1.0, 1.5)),
    ),
    "sd x1.5, student_t3": lambda rng, n: (
        numbers(rng.standard_t(3, n)),
        numbers(rng.standard_t(3, n) * 1.5),
    ),
    "sd x1.5, uniform": lambda rng, n: (
        numbers(rng.uniform(0, 1, n)),
        numbers(centred_scale(rng.uniform(0, 1, n), 0.5, 1.5)),
    ),
    "TV 0.15, 5 categories": lambda rng, n: (
        categories(rng, FIVE, n),
        categories(rng, np.array([25, 25, 20, 15, 15.0]), n),
    ),
    "TV 0.15, 300 categories": lambda rng, n: (
        categories(rng, MANY, n),
        categories(rng, head_to_tail(MANY, 0.15), n),
    ),
    "nulls 0% -> 20%": lambda rng, n: (
        numbers(rng.normal(0, 1, n)),
        numbers(rng.normal(0, 1, n), 0.2, rng),
    ),
    "nulls 5% -> 25%": lambda rng, n: (
        numbers(rng.exponential(1, n), 0.05, rng),
        numbers(rng.exponential(1, n), 0.25, rng),
    ),
}

def with_new_category(shares: np.ndarray, share: float) -> np.ndarray:
    """The shares, scaled down to make room for one more category at ``share``."""
    return np.append(shares / shares.sum() * (1.0 - share), share)


SMALL_SAMPLE_CHANGES: dict[str, ChangeGenerator] = {
    "mean +0.5 sd, normal": lambda rng, n: (
        numbers(rng.normal(10, 2, n)),
        numbers(rng.normal(11, 2, n)),
    ),
    "mean +0.5 sd, lognormal": lambda rng, n: (
        numbers(rng.lognormal(0, 1, n)),
        numbers(rng.lognormal(0, 1, n) + 0.5 * LOGNORMAL_SD),
    ),
    "mean +0.5 sd, exponential": lambda rng, n: (
        numbers(rng.exponential(1, n)),
        numbers(rng.exponential(1, n) + 0.5),
    ),
    "mean +0.5 sd, uniform": lambda rng, n: (
        numbers(rng.uniform(0, 1, n)),
        numbers(rng.uniform(0, 1, n) + 0.5 / math.sqrt(12)),
    ),
    "mean +0.5 sd, student_t3": lambda rng, n: (
        numbers(rng.standard_t(3, n)),
        numbers(rng.standard_t(3, n) + 0.5 * math.sqrt(3)),
    ),
    "mean +0.5 sd, poisson(3)": lambda rng, n: (
        numbers(rng.poisson(3, n)),
        numbers(rng.poisson(3 + 0.5 * math.sqrt(3), n)),
    ),
    **{name: change for name, change in CHANGES.items() if name.startswith("sd x1.5")},
    "TV 0.2, 5 categories": lambda rng, n: (
        categories(rng, FIVE, n),
        categories(rng, head_to_tail(FIVE / FIVE.sum(), 0.2), n),
    ),
    "TV 0.2, 300 categories": lambda rng, n: (
        categories(rng, MANY, n),
        categories(rng, head_to_tail(MANY, 0.2), n),
    ),
}

ONE_SIDED_CHANGES: dict[str, ChangeGenerator] = {
    "new category 5%, 5 categories": lambda rng, n: (
        categories(rng, FIVE, n),
        categories(rng, with_new_category(FIVE, 0.05), n),
    ),
    "new category 5%, 300 categories": lambda rng, n: (
        categories(rng, MANY, n),
        categories(rng, with_new_category(MANY, 0.05), n),
    ),
    "vanished category 5%": lambda rng, n: (
        categories(rng, with_new_category(FIVE, 0.05), n),
        categories(rng, FIVE, n),
    ),
}

# Real but unimportant changes, below every effect floor.
SMALL_CHANGES: dict[str, ChangeGenerator] = {
    "mean +0.03 sd": lambda rng, n: (
        numbers(rng.normal(0, 1, n)),
        numbers(rng.normal(0.03, 1, n)),
    ),
    "sd x1.03": lambda rng, n: (
        numbers(rng.normal(0, 1, n)),
        numbers(rng.normal(0, 1.03, n)),
    ),
    "TV 0.02, 5 categories": lambda rng, n: (
        categories(rng, FIVE, n),
        categories(rng, np.array([38, 25, 20, 12, 5.0]), n),
    ),
    "nulls 5% -> 6%": lambda rng, n: (
        numbers(rng.normal(0, 1, n), 0.05, rng),
        numbers(rng.normal(0, 1, n), 0.06, rng),
    ),
}


# -- profiles ------------------------------------------------------------------------------


def profile(sample: Sample) -> ColumnProfile:
    if isinstance(sample.values, np.ndarray) and len(sample.values) >= FAST_NUMERIC_FROM:
        return assembled_numeric_profile(sample)
    values = sample.values
    if isinstance(values, np.ndarray) and sample.nulls:
        padding = np.zeros(sample.nulls, dtype=values.dtype)
        mask = np.concatenate((np.zeros(len(values), bool), np.ones(sample.nulls, bool)))
        values = pa.array(np.concatenate((values, padding)), mask=mask)
    table = DatasetProfile()
    table.track(pa.table({"x": values}))
    return table.columns["x"]


def assembled_numeric_profile(sample: Sample) -> ColumnProfile:
    """What ``DatasetProfile`` builds for a numeric column, minus the distinct sketch."""
    values = sample.values.astype(np.float64)
    column = ColumnProfile()
    column.count = len(values) + sample.nulls
    column.null_count = sample.nulls
    column.type_counts[INTEGRAL if sample.integral else FRACTIONAL] = len(values)
    column.moments = Moments.of(values)
    column.kll.update(values)
    return column


# -- measuring -----------------------------------------------------------------------------


@dataclass
class Tally:
    """Outcomes of repeated comparisons."""

    runs: int = 0
    ours: int = 0
    sagemaker_robust: int = 0
    sagemaker_simple: int = 0
    plain_test: int = 0
    headroom: float = 0.0
    deciders: dict[str, int] | None = None

    def add(self, baseline: ColumnProfile, current: ColumnProfile, settings: DriftSettings):
        result = detect(baseline, current, settings)
        self.runs += 1
        self.ours += result.drifted
        if result.drifted:
            self.deciders = self.deciders or {}
            self.deciders[result.test] = self.deciders.get(result.test, 0) + 1
        self.headroom = max([self.headroom, *(test.ratio for test in result.tests)])
        robust, simple = linf_robust(baseline, current), linf_simple(baseline, current)
        self.sagemaker_robust += bool(robust > SAGEMAKER_THRESHOLD)
        self.sagemaker_simple += bool(simple > SAGEMAKER_THRESHOLD)
        self.plain_test += plain_test_rejects(baseline, current)


def plain_test_rejects(baseline: ColumnProfile, current: ColumnProfile) -> bool:
    """A textbook test at 5% with no effect size: KS for numbers, chi-square for
    categories, and a two-proportion test for missing values."""
    p_values = [proportion_p_value(baseline, current)]
    if baseline.is_numeric:
        p_values.append(ks_test(baseline, current).p_value)
    else:
        first, second = baseline.categories.as_dict(), current.categories.as_dict()
        names = sorted(set(first) | set(second))
        table = np.array([[first.get(k, 0) for k in names], [second.get(k, 0) for k in names]])
        if table.shape[1] > 1:
            p_values.append(stats.chi2_contingency(table, correction=False).pvalue)
    return min(p for p in p_values if not math.isnan(p)) < 0.05


def proportion_p_value(baseline: ColumnProfile, current: ColumnProfile) -> float:
    table = np.array(
        [[baseline.null_count, baseline.present], [current.null_count, current.present]]
    )
    if table[:, 0].sum() == 0:
        return 1.0
    return float(stats.chi2_contingency(table, correction=False).pvalue)


def run(generate: ChangeGenerator, n: int, runs: int, seed: int, settings) -> Tally:
    rng = np.random.default_rng(seed)
    tally = Tally()
    for _ in range(runs):
        baseline, current = generate(rng, n)
        tally.add(profile(baseline), profile(current), settings)
    return tally


def same(generate: Generator) -> ChangeGenerator:
    return lambda rng, n: (generate(rng, n), generate(rng, n))


def interval(hits: int, runs: int) -> str:
    low, high = stats.binomtest(hits, runs).proportion_ci(0.95, method="exact")
    return f"[{100 * low:.2f}, {100 * high:.2f}]"


def percent(hits: int, runs: int) -> str:
    return f"{100 * hits / runs:6.2f}%"


# -- reports -------------------------------------------------------------------------------


def false_alarm_table(
    scale: float,
    settings: DriftSettings,
    sizes: tuple[int, ...] = SIZES,
    distributions: slice = slice(None),
) -> None:
    print("\n## False alarms: two samples of the same distribution")
    print(
        "headroom = largest effect/threshold of any test, significant or not "
        "(below 1: no effect reached its floor)."
    )
    header = (
        f"{'distribution':18} {'rows/side':>10} {'runs':>5} {'alarms':>6} {'rate':>7} "
        f"{'95% CI (%)':>16} {'headroom':>8} {'SM robust':>9} {'SM simple':>9} "
        f"{'plain 5%':>8}"
    )
    pooled: dict[int, list[int]] = {}
    for n in sizes:
        print("\n" + header)
        runs = max(3, round(FALSE_ALARM_REPETITIONS[n] * scale))
        started = time.perf_counter()
        chosen = list(enumerate(SAME_DISTRIBUTION.items()))[distributions]
        for index, (name, generate) in chosen:
            tally = run(same(generate), n, runs, SEED + 1000 * index + n % 997, settings)
            pooled.setdefault(n, [0, 0])
            pooled[n][0] += tally.ours
            pooled[n][1] += tally.runs
            print(
                f"{name:18} {n:>10,} {tally.runs:>5} {tally.ours:>6} "
                f"{percent(tally.ours, tally.runs)} {interval(tally.ours, tally.runs):>16} "
                f"{tally.headroom:>8.3f} {percent(tally.sagemaker_robust, tally.runs):>9} "
                f"{percent(tally.sagemaker_simple, tally.runs):>9} "
                f"{percent(tally.plain_test, tally.runs):>8}",
                flush=True,
            )
        hits, total = pooled[n]
        print(
            f"{'all distributions':18} {n:>10,} {total:>5} {hits:>6} {percent(hits, total)} "
            f"{interval(hits, total):>16}   ({time.perf_counter() - started:.0f} s)"
        )


def detection_table(
    title: str, changes: dict[str, ChangeGenerator], sizes: dict[int, int], scale: float, settings
) -> None:
    print(f"\n## {title}")
    print(
        f"{'change':28} {'rows/side':>10} {'runs':>5} {'ours':>7} {'95% CI (%)':>16} "
        f"{'SM robust':>9} {'SM simple':>9} {'plain 5%':>8}  deciding tests"
    )
    for n, base_runs in sizes.items():
        runs = max(3, round(base_runs * scale))
        groups: dict[str, list[int]] = {}
        for index, (name, generate) in enumerate(changes.items()):
            tally = run(generate, n, runs, SEED + 7 * index + n, settings)
            group = groups.setdefault(name.split(",")[0], [0, 0])
            group[0] += tally.ours
            group[1] += tally.runs
            deciders = ", ".join(f"{k} {v}" for k, v in sorted((tally.deciders or {}).items()))
            print(
                f"{name:28} {n:>10,} {tally.runs:>5} {percent(tally.ours, tally.runs)} "
                f"{interval(tally.ours, tally.runs):>16} "
                f"{percent(tally.sagemaker_robust, tally.runs):>9} "
                f"{percent(tally.sagemaker_simple, tally.runs):>9} "
                f"{percent(tally.plain_test, tally.runs):>8}  {deciders}",
                flush=True,
            )
        for group, (hits, total) in groups.items():
            if total > runs:
                print(
                    f"{group + ', pooled':28} {n:>10,} {total:>5} {percent(hits, total)} "
                    f"{interval(hits, total):>16}",
                    flush=True,
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply repetition counts")
    parser.add_argument(
        "--tables",
        default=",".join(TABLES),
        help=f"comma-separated tables to run, of: {', '.join(TABLES)} (default: all)",
    )
    parser.add_argument(
        "--sizes",
        default=",".join(map(str, SIZES)),
        help="comma-separated rows per side for the false-alarm table (default: all)",
    )
    parser.add_argument(
        "--distributions",
        default=":",
        help="START:STOP slice of the false-alarm table's distributions (default: all)",
    )
    args = parser.parse_args()
    start, _, stop = args.distributions.partition(":")
    distributions = slice(int(start) if start else None, int(stop) if stop else None)
    sizes = tuple(int(size) for size in args.sizes.split(","))
    if not set(sizes) <= set(SIZES):
        parser.error(f"--sizes takes some of {', '.join(map(str, SIZES))}")
    tables = set(args.tables.split(","))
    if not tables <= set(TABLES):
        parser.error(f"unknown table(s): {', '.join(sorted(tables - set(TABLES)))}")
    settings = DriftSettings()
    started = time.perf_counter()
    print("# watchkeeper drift calibration")
    print(f"settings: {settings}")
    print(f"SM = SageMaker L-infinity distance > {SAGEMAKER_THRESHOLD} (Robust: c(alpha) = 1.8)")
    print(
        "plain 5% = KS (on the sketches, no rank-error allowance) / chi-square / "
        "two-proportion test at p < 0.05, no effect size"
    )
    if "false-alarms" in tables:
        false_alarm_table(args.scale, settings, sizes, distributions)
    detections = {
        "detection": ("Detection of meaningful changes", CHANGES, POWER_REPETITIONS),
        "small-samples": (
            "Detection at 100 rows per side",
            SMALL_SAMPLE_CHANGES,
            SMALL_SAMPLE_REPETITIONS,
        ),
        "one-sided": (
            "Categories new or gone (5 % of the rows)",
            ONE_SIDED_CHANGES,
            ONE_SIDED_REPETITIONS,
        ),
        "small-changes": (
            "Small real changes below the effect floors (should stay quiet)",
            SMALL_CHANGES,
            {1_000_000: 30},
        ),
    }
    for table, (title, changes, sizes) in detections.items():
        if table in tables:
            detection_table(title, changes, sizes, args.scale, settings)
    print(f"\ntotal time: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
