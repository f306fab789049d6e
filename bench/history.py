"""Metric-history detectors on seeded series: false alarms on series that did not
change, and level shifts caught at the point they happen.

    .venv/bin/python bench/history.py [--seeds 40]

Each series is 84 daily points (twelve weeks) with noise of sd 1: either flat, or
with a weekly pattern (five working days near 100 and a weekend near 55, a swing of
25 noise deviations). Points 28 to 83 are judged against the points before them, each
as a new execution would be; a false alarm is a flagged point of a series with no
shift. A level shift of 3 or 6 noise sd starts at point 59 (a Thursday); it is caught when that
point itself is flagged. The detectors: a rolling band over 14 and over 5 points (k 3), the
seasonal Holt-Winters band (period 7, k 3) and a rate of change bounded at
±3·√2 sd (the spread of a difference of two noisy points).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from watchkeeper.history import RateOfChange, RollingBand, Seasonal

DAYS = 84
FIRST_JUDGED = 28
SHIFT_AT = 59  # a Thursday: no weekly step into or out of it
SHIFTS = (3.0, 6.0)
WEEK = np.array([100.0, 104.0, 103.0, 101.0, 98.0, 60.0, 55.0])
DETECTORS = {
    "rolling, 14 points": RollingBand(window=14, k=3),
    "rolling, 5 points": RollingBand(window=5, k=3),
    "seasonal, period 7": Seasonal(period=7, k=3),
    "rate of change ±4.24": RateOfChange(max_increase=3 * 2**0.5, max_decrease=3 * 2**0.5),
}


def series(kind: str, seed: int, shift: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = WEEK[np.arange(DAYS) % 7] if kind == "weekly" else np.full(DAYS, 100.0)
    values = base + rng.normal(0.0, 1.0, DAYS)
    values[SHIFT_AT:] += shift
    return values


def false_alarms(detector, kind: str, seeds: int) -> float:
    flagged = judged = 0
    for seed in range(seeds):
        values = series(kind, seed)
        for index in range(FIRST_JUDGED, DAYS):
            flagged += detector.judge(values[:index], values[index]).anomalous
            judged += 1
    return flagged / judged


def detection(detector, kind: str, shift: float, seeds: int) -> float:
    caught = 0
    for seed in range(seeds):
        values = series(kind, 10_000 + seed, shift)
        caught += detector.judge(values[:SHIFT_AT], values[SHIFT_AT]).anomalous
    return caught / seeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=40)
    seeds = parser.parse_args().seeds
    started = time.perf_counter()
    head = " | ".join(f"caught, shift {s:g} sd" for s in SHIFTS)
    print(f"| series | detector | false alarms per point | {head} |")
    print("| --- | --- | ---: |" + " ---: |" * len(SHIFTS))
    for kind in ("flat", "weekly"):
        for name, detector in DETECTORS.items():
            alarms = false_alarms(detector, kind, seeds)
            caught = [detection(detector, kind, shift, seeds) for shift in SHIFTS]
            cells = " | ".join(f"{share:.0%}" for share in caught)
            print(f"| {kind} | {name} | {alarms:.1%} | {cells} |", flush=True)
    # one judgement's cost, as a job pays it per series and execution
    values = series("weekly", 0)
    for name, detector in DETECTORS.items():
        runs = 20
        begun = time.perf_counter()
        for _ in range(runs):
            detector.judge(values[:-1][-detector.span :], values[-1])
        print(f"{name}: {(time.perf_counter() - begun) / runs * 1000:.2f} ms per judgement")
    print(f"{seeds} seeds per row; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
