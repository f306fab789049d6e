"""A long random search of the data path for inputs that end in anything but a result
or one of watchkeeper's own errors.

    .venv/bin/python bench/fuzz.py                    # 2,000 examples per format (minutes)
    .venv/bin/python bench/fuzz.py --examples 20000   # an overnight search

Runs the property tests of ``tests/checks/test_fuzz_files.py`` (CSV, TSV, JSON Lines and
Parquet files, plain and compressed, through profile → check → report) with
``WATCHKEEPER_FUZZ`` set to a number: random examples instead of the fixed set CI runs, and
hypothesis' statistics of how the examples ended. A failure prints the smallest input
found and a ``@reproduce_failure`` line that replays it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests" / "checks" / "test_fuzz_files.py"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000, help="examples per format")
    args = parser.parse_args()
    env = {**os.environ, "WATCHKEEPER_FUZZ": str(args.examples)}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += ["--hypothesis-show-statistics", str(TESTS)]
    return subprocess.call(command, env=env, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
