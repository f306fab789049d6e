"""Profiling throughput and memory: watchkeeper against whylogs and a vectorised floor.

Each run is a fresh process that goes from a file on disk to a finished profile; the
harness records that process's wall time and peak RSS. See bench/README.md.

    .venv/bin/python bench/profile.py                 # everything (about 10 minutes)
    .venv/bin/python bench/profile.py --quick         # small inputs, a smoke run
    .venv/bin/python bench/profile.py --only whylogs,floor --cases mixed-csv
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import _datagen
from _peers import TOOLS, Run, run_once

BENCH_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Case:
    """One input file and the tools measured on it."""

    key: str
    label: str
    dataset: Callable[[_datagen.Sizes], _datagen.Dataset]
    fmt: str
    tools: tuple[str, ...]
    timed: bool = True  # False: a memory test, measured once per tool
    slow_tools: tuple[str, ...] = ()  # measured only with --slow


CASES = (
    Case("mixed-csv", "mixed CSV", lambda s: _datagen.mixed(s.mixed_rows), "csv", TOOLS),
    Case(
        "mixed-parquet", "mixed Parquet", lambda s: _datagen.mixed(s.mixed_rows), "parquet", TOOLS
    ),
    Case(
        "wide",
        "wide Parquet",
        lambda s: _datagen.wide(s.wide_rows, s.wide_columns),
        "parquet",
        TOOLS,
    ),
    Case(
        "big",
        "big Parquet (memory)",
        lambda s: _datagen.big(s.big_rows),
        "parquet",
        ("watchkeeper", "floor", "whylogs"),
        timed=False,
        slow_tools=("whylogs",),
    ),
)


@dataclass
class Result:
    case: str
    input: str
    tool: str
    rows: int
    runs: list[Run]

    @property
    def ok_runs(self) -> list[Run]:
        return [run for run in self.runs if run.status == "ok"]

    @property
    def best(self) -> Run | None:
        return min(self.ok_runs, key=lambda run: run.wall_seconds, default=None)

    @property
    def rows_per_second(self) -> float | None:
        best = self.best
        return self.rows / best.wall_seconds if best else None

    @property
    def peak_rss_mib(self) -> float | None:
        return max((run.peak_rss_mib for run in self.ok_runs), default=None)

    @property
    def note(self) -> str:
        if self.best:
            return ""
        last = self.runs[-1]
        return f"{'not available' if last.status == 'unavailable' else 'failed'}: {last.reason}"


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small inputs, for a smoke run")
    parser.add_argument("--only", default=",".join(TOOLS), help=f"tools, from {','.join(TOOLS)}")
    keys = ",".join(case.key for case in CASES)
    parser.add_argument("--cases", default=keys, help=f"inputs, from {keys}")
    parser.add_argument("--repeat", type=int, default=3, help="runs of watchkeeper and floor")
    parser.add_argument("--whylogs-repeat", type=int, default=1, help="runs of whylogs (slow)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per run")
    parser.add_argument(
        "--slow", action="store_true", help="also whylogs on the 10M-row file (minutes, GiBs)"
    )
    parser.add_argument("--json", type=Path, help="also write every run to this file")
    parser.add_argument(
        "--no-sizes", action="store_true", help="skip writing each input's profile file twice"
    )
    args = parser.parse_args(argv)
    args.only = _choices(parser, "--only", args.only, TOOLS)
    args.cases = _choices(parser, "--cases", args.cases, tuple(case.key for case in CASES))
    if args.repeat < 1 or args.whylogs_repeat < 1:
        parser.error("--repeat and --whylogs-repeat must be at least 1")
    return args


def _choices(parser: argparse.ArgumentParser, flag: str, text: str, allowed: tuple) -> tuple:
    chosen = tuple(item.strip() for item in text.split(",") if item.strip())
    unknown = [item for item in chosen if item not in allowed]
    if unknown or not chosen:
        parser.error(f"{flag}: unknown {unknown or 'empty'}; allowed: {', '.join(allowed)}")
    return chosen


def machine() -> dict[str, str]:
    with open("/proc/meminfo") as meminfo:
        total_kib = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
    cpu = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), cpu)
    revision = subprocess.run(
        ["git", "-C", str(BENCH_DIR), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return {
        "date": dt.date.today().isoformat(),
        "nproc": str(os.cpu_count()),
        "ram": f"{total_kib / 2**20:.1f} GiB",
        "cpu": cpu,
        "python": platform.python_version(),
        "commit": revision or "unknown",
        # Other work on the machine skews timings; this says how busy it was at the start.
        "load": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    }


def repeats_for(tool: str, case: Case, args: argparse.Namespace) -> int:
    if not case.timed:
        return 1
    return args.whylogs_repeat if tool == "whylogs" else args.repeat


def measure(case: Case, dataset: _datagen.Dataset, tool: str, args) -> Result:
    path = dataset.path(case.fmt)
    result = Result(case.key, case.label, tool, dataset.rows, [])
    for attempt in range(repeats_for(tool, case, args)):
        run = run_once(tool, path, args.timeout)
        result.runs.append(run)
        shown = f"{run.wall_seconds:7.2f} s  {run.peak_rss_mib:7.0f} MiB"
        print(
            f"  {case.label:<22} {tool:<12} run {attempt + 1}: {run.status:<11} {shown}", flush=True
        )
        if run.status != "ok":
            break
    return result


def profile_file_sizes(path: Path, timeout: float) -> dict[str, int] | str:
    """Bytes of the profile file `watchkeeper profile PATH -o FILE` writes, in the binary
    form (the default) and as JSON (a name ending in .json), or why there are none."""
    sizes = {}
    with tempfile.TemporaryDirectory() as folder:
        for form, name in (("binary", "profile.wkp"), ("json", "profile.json")):
            written = Path(folder) / name
            command = [
                sys.executable,
                "-m",
                "watchkeeper",
                "profile",
                str(path),
                "-o",
                str(written),
            ]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                return "timed out"
            if done.returncode != 0 or not written.exists():
                said = (done.stderr or done.stdout).strip().splitlines()
                return said[-1] if said else f"exit {done.returncode}"
            sizes[form] = written.stat().st_size
    return sizes


def print_sizes(sizes: dict[str, dict[str, int] | str]) -> None:
    if not sizes:
        return
    print("\nprofile file written by `watchkeeper profile -o` (binary, and JSON for a .json name):")
    for label, found in sizes.items():
        if isinstance(found, str):
            print(f"  {label:<22} n/a: {found}")
            continue
        binary, text = found["binary"], found["json"]
        print(
            f"  {label:<22} binary {binary / 1024:9.1f} KiB   JSON {text / 1024:9.1f} KiB   "
            f"{text / binary:.2f}x smaller"
        )


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def report(results: list[Result]) -> None:
    print("\nwall = whole fresh process, file -> profile (start-up and imports included);")
    print("work = read + profile inside it. Best of the runs shown; RSS = highest peak.")
    header = (
        f"{'input':<22} {'tool':<12} {'runs':>4} {'wall s':>8} {'work s':>8} "
        f"{'rows/s':>11} {'peak MiB':>9}  note"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        best = result.best
        print(
            f"{result.input:<22} {result.tool:<12} {len(result.runs):>4} "
            f"{_fmt(best and best.wall_seconds, '8.2f'):>8} "
            f"{_fmt(best and best.work_seconds, '8.2f'):>8} "
            f"{_fmt(result.rows_per_second, '11,.0f'):>11} "
            f"{_fmt(result.peak_rss_mib, '9.0f'):>9}  {result.note}"
        )
    print_ratios(results)
    print_versions(results)


def print_ratios(results: list[Result]) -> None:
    by_key = {(r.case, r.tool): r for r in results}
    print("\nratios (wall time):")
    for case in CASES:
        ours = by_key.get((case.key, "watchkeeper"))
        if ours is None:
            continue
        parts = []
        for peer, label in (("whylogs", "rows/s vs whylogs"), ("floor", "time vs floor")):
            theirs = by_key.get((case.key, peer))
            if theirs is None:
                continue
            if ours.best and theirs.best:
                ratio = (
                    theirs.best.wall_seconds / ours.best.wall_seconds
                    if peer == "whylogs"
                    else ours.best.wall_seconds / theirs.best.wall_seconds
                )
                parts.append(f"{label} {ratio:.2f}x")
            else:
                parts.append(f"{label} n/a")
        if parts:
            print(f"  watchkeeper on {case.label}: {'; '.join(parts)}")


def print_versions(results: list[Result]) -> None:
    print("\nversions:")
    seen: dict[str, dict[str, str]] = {}
    for result in results:
        for run in result.runs:
            if run.versions:
                seen.setdefault(result.tool, run.versions)
    for tool, versions in seen.items():
        print(f"  {tool:<12} " + ", ".join(f"{k} {v}" for k, v in versions.items()))


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    sizes = _datagen.QUICK if args.quick else _datagen.FULL
    host = machine()
    print("  ".join(f"{k}: {v}" for k, v in host.items()), flush=True)
    chosen = [case for case in CASES if case.key in args.cases]
    datasets = {case.key: case.dataset(sizes) for case in chosen}
    for case in chosen:
        data = datasets[case.key]
        size_mib = data.path(case.fmt).stat().st_size / 2**20
        print(
            f"{case.label}: {data.rows:,} rows x {data.columns} columns, "
            f"{size_mib:.0f} MiB on disk, {data.arrow_bytes / 2**20:.0f} MiB as Arrow"
        )

    results = []
    for case in chosen:
        for tool in case.tools:
            if tool in args.only and (args.slow or tool not in case.slow_tools):
                results.append(measure(case, datasets[case.key], tool, args))
    report(results)
    sizes: dict[str, dict[str, int] | str] = {}
    if not args.no_sizes and "watchkeeper" in args.only:
        for case in chosen:
            if case.timed and "watchkeeper" in case.tools:
                sizes[case.label] = profile_file_sizes(
                    datasets[case.key].path(case.fmt), args.timeout
                )
        print_sizes(sizes)
    if args.json:
        payload = {
            "machine": host,
            "quick": args.quick,
            "results": [asdict(r) for r in results],
            "profile_file_bytes": sizes,
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
