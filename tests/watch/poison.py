"""Landed files that broke the watcher once, beside good ones.

Each poison file failed in its own way: ``null.jsonl`` crashed pyarrow's JSON reader
(SIGSEGV), ``inf.csv`` raised an IndexError while charting, ``deep.jsonl`` a
RecursionError, ``badutf8.parquet`` a UnicodeDecodeError. A watcher must name each in
a message or check it, and check every good file whatever they do.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from landing import write_csv

POISON = ("null.jsonl", "inf.csv", "deep.jsonl", "badutf8.parquet")
# the good files have 150 rows; a poison file that is read breaks the row limit
RULES = "rows: {min: 5}\ndefaults:\n  max_missing: 10%\n"


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def write_poison(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "null.jsonl").write_text('null\n{"a":1}\n')
    (folder / "inf.csv").write_text("x,y\ninf,1\ninf,2\ninf,3\n")
    (folder / "deep.jsonl").write_text(nested(1500) + "\n" + nested(1500) + "\n")
    raw = pa.array([b"\xff\xfe bad", b"fine"], pa.binary())
    text = pa.Array.from_buffers(pa.string(), len(raw), raw.buffers())
    pq.write_table(pa.table({"s": text, "n": [1, 2]}), folder / "badutf8.parquet")
    return list(POISON)


def write_good(folder: Path, count: int) -> tuple[list[str], list[str]]:
    """``count`` good CSV files, every other one breaking the missing-values rule:
    (clean names, broken names)."""
    clean, broken = [], []
    for number in range(count):
        name = f"good-{number:02d}.csv"
        bad = number % 2 == 1
        write_csv(folder / name, rows=150, seed=number, missing=0.4 if bad else 0.0)
        (broken if bad else clean).append(name)
    return clean, broken
