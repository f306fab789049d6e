"""Start-up of the command line: import time and wall time of `--help`, `profile` and
`check`, for this checkout and for a git ref (by default `main`), in the same run.

    .venv/bin/python bench/startup.py                   # this checkout against main
    .venv/bin/python bench/startup.py --ref HEAD~3 --repeat 9

Each figure is the best of ``--repeat`` fresh processes of `python -m watchkeeper ...`:
*import* is the interpreter's own account (`python -X importtime`: the sum of every
module's self time, which is also the sum of the top-level cumulative times), *wall*
is the whole process measured from outside, in separate runs without `-X importtime`.
The ref's `src/` is exported with `git archive` into a temporary folder. Both trees run
with compiled bytecode, as an installed package has: every process shares one
`PYTHONPYCACHEPREFIX`, filled by a first run that is not counted, so nothing is written
into the source folders. The input is a 10,000-row CSV of five mixed columns, small
enough that start-up dominates.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

ROOT = Path(__file__).resolve().parents[1]
IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|")
COMMANDS = ("--help", "profile", "check")


def arguments(command: str, work: Path) -> list[str]:
    data = str(work / "data.csv")
    if command == "--help":
        return ["--help"]
    if command == "profile":
        return ["profile", data, "-o", str(work / "data.profile.json")]
    return ["check", data, "--baseline", str(work / "baseline"), "-o", str(work / "checked")]


def write_input(work: Path, rows: int = 10_000) -> None:
    rng = np.random.default_rng(5)
    table = pa.table(
        {
            "amount": np.round(rng.normal(100, 15, rows), 2),
            "score": rng.random(rows),
            "items": rng.integers(1, 10, rows),
            "channel": rng.choice(["web", "store", "phone"], rows),
            "active": rng.random(rows) < 0.7,
        }
    )
    pacsv.write_csv(table, work / "data.csv")


def environment(source: Path, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {
        "PYTHONPATH": str(source),
        "PYTHONPYCACHEPREFIX": str(cache),
        "COLUMNS": "120",
        "NO_COLOR": "1",
    }


def run(args: list[str], env: dict[str, str], cwd: Path, importtime: bool) -> tuple[float, str]:
    flags = ["-X", "importtime"] if importtime else []
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *flags, "-m", "watchkeeper", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):  # check exits 1 when it finds violations
        raise SystemExit(f"watchkeeper {' '.join(args)} failed:\n{done.stderr[-2000:]}")
    return wall, done.stderr


def import_seconds(stderr: str) -> float:
    return sum(int(m[1]) for line in stderr.splitlines() if (m := IMPORT_LINE.match(line))) / 1e6


def measure(
    trees: dict[str, Path], base: Path, repeat: int
) -> dict[str, dict[str, tuple[float, float]]]:
    """{tree: {command: (import seconds, wall seconds)}}, best of ``repeat``. The trees
    take turns run by run, so that a burst of load elsewhere falls on both alike."""
    setups = {}
    for number, (name, source) in enumerate(trees.items()):
        work = base / f"work-{number}"
        work.mkdir()
        write_input(work)
        env = environment(source, base / "pycache")
        run(["baseline", str(work / "data.csv"), "-o", str(work / "baseline")], env, work, False)
        setups[name] = (env, work)
    best = {name: {} for name in trees}
    for command in COMMANDS:
        for env, work in setups.values():
            run(arguments(command, work), env, work, False)  # fills the bytecode cache
        imports = {name: [] for name in trees}
        walls = {name: [] for name in trees}
        for _ in range(repeat):
            for name, (env, work) in setups.items():
                args = arguments(command, work)
                imports[name].append(import_seconds(run(args, env, work, True)[1]))
                walls[name].append(run(args, env, work, False)[0])
        for name in trees:
            best[name][command] = (min(imports[name]), min(walls[name]))
    return best


def export(ref: str, into: Path) -> Path:
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src"], capture_output=True, check=True
    )
    into.mkdir()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="git ref measured as 'before'")
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs")
    options = parser.parse_args()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="wk-startup-") as folder:
        base = Path(folder)
        trees = {options.ref: export(options.ref, base / "ref"), "this checkout": ROOT / "src"}
        figures = measure(trees, base, options.repeat)
    print(
        f"{dt.date.today()}, Python {sys.version.split()[0]}, {os.cpu_count()} cores, "
        f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; best of {options.repeat}\n"
    )
    print("| command | tree | import (s) | wall (s) |")
    print("| --- | --- | ---: | ---: |")
    for command in COMMANDS:
        for name, results in figures.items():
            imports, wall = results[command]
            print(f"| `watchkeeper {command}` | {name} | {imports:.3f} | {wall:.3f} |")


if __name__ == "__main__":
    main()
