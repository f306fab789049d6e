"""Cost follows bytes: one long text field against the same bytes as short strings.

    .venv/bin/python bench/long_text.py            # 4 MB and 30 MB fields (about a minute)
    .venv/bin/python bench/long_text.py --quick    # 4 MB only

For each size and format (CSV, JSON Lines, Parquet) two files hold the same text:

* *one field*: a single row whose ``text`` column holds all of it;
* *short strings*: the same bytes cut into 64-byte strings, one per row.

Both are profiled with ``watchkeeper.profile(path)`` in this process, best of
``REPEAT`` runs, and the ratio of the two times is printed (target: at most 3×). Three
kinds of text exercise the three paths a text value takes through the profile: words
(distinct-count hashing), digits (type classification parses it as one huge number)
and 512-byte strings (short enough to be counted as categories, i.e. the frequent-items
path).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

import watchkeeper

REPEAT = 3
SHORT_BYTES = 64
SEED = 20_261_122


def best_of(path: Path, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        watchkeeper.profile(path)
        times.append(time.perf_counter() - started)
    return min(times)


def text_of(kind: str, size: int) -> str:
    """``size`` bytes of ASCII text: words, digits or letters."""
    rng = np.random.default_rng(SEED)
    alphabet = {"words": b"abcdefghijklmnopqrstuvwxyz    ", "digits": b"0123456789"}[kind]
    codes = np.frombuffer(alphabet, dtype=np.uint8)[rng.integers(0, len(alphabet), size)]
    if kind == "digits":
        codes[0] = ord("1")  # a number, never a leading space or sign
    return codes.tobytes().decode("ascii")


def write(folder: Path, name: str, values: list[str], fmt: str) -> Path:
    table = pa.table({"id": np.arange(len(values)), "text": pa.array(values)})
    path = folder / f"{name}.{fmt}"
    if fmt == "csv":
        pacsv.write_csv(table, path)
    elif fmt == "parquet":
        pq.write_table(table, path)
    else:
        with path.open("w") as out:
            for row, value in enumerate(values):
                out.write(json.dumps({"id": row, "text": value}) + "\n")
    return path


def measure(folder: Path, size: int, kind: str, piece: int, fmt: str) -> tuple[float, float]:
    text = text_of(kind, size)
    pieces = [text[start : start + piece] for start in range(0, size, piece)]
    one = write(folder, f"{kind}-{size}-one", [text], fmt)
    short = write(folder, f"{kind}-{size}-short", pieces, fmt)
    return best_of(one), best_of(short)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="4 MB only")
    args = parser.parse_args()
    sizes = [4 << 20] if args.quick else [4 << 20, 30 << 20]
    cases = [("words", SHORT_BYTES), ("digits", SHORT_BYTES), ("words", 512)]
    print("profile of one text field vs the same bytes as short strings (best of 3)")
    print(f"{'size':>6} {'text':<14} {'format':<8} {'one field':>10} {'short':>10} {'ratio':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for size in sizes:
            for kind, piece in cases:
                label = f"{kind} /{piece}"
                for fmt in ("csv", "jsonl", "parquet"):
                    one, short = measure(Path(folder), size, kind, piece, fmt)
                    print(
                        f"{size >> 20:>4} MB {label:<14} {fmt:<8} {one:>9.3f}s {short:>9.3f}s"
                        f" {one / short:>6.2f}×",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
