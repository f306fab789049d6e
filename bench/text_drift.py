"""Free-text columns: what their descriptors cost to profile, and how often unchanged
text is judged drifted.

    python bench/text_drift.py [--runs 200]

Profile cost and size: 100,000 seeded texts (8.6 MB), and 100,000 texts of 8 tokens
never repeated (the vocabulary's worst case), profiled on one thread with the column
forced to be text and not, best of three: the difference per MB is the descriptors'
and vocabulary's cost; with the growth of the binary profile file. False alarms: two
seeded samples of the same generator, judged by :func:`judge_column`, at 200, 1,000 and
10,000 texts a side; detection: the same with 20 % of the tokens swapped for unseen
words, and with three more words per text.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))

from text_samples import text_column, texts
from watchkeeper.drift.text import judge_column
from watchkeeper.profile import DatasetProfile, profile_to_bytes


def profile_seconds(table: pa.Table, text: bool) -> float:
    best = float("inf")
    for _ in range(3):
        profile = DatasetProfile(text_columns={"review": text})
        started = time.process_time()
        profile.track(table, parallel=False)
        best = min(best, time.process_time() - started)
    return best


def file_bytes(table: pa.Table, text: bool) -> int:
    profile = DatasetProfile(text_columns={"review": text})
    profile.track(table)
    return len(profile_to_bytes(profile))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    runs = parser.parse_args().runs
    table = pa.table({"review": texts(100_000, 0)})
    unique = pa.table(
        {"review": [" ".join(f"t{j:x}" for j in range(8 * i, 8 * i + 8)) for i in range(100_000)]}
    )
    for name, data in (("3,000-word vocabulary", table), ("every token new", unique)):
        megabytes = data["review"].nbytes / 1e6
        plain, with_text = profile_seconds(data, False), profile_seconds(data, True)
        extra = (file_bytes(data, True) - file_bytes(data, False)) / 1000
        print(
            f"{name}, {megabytes:.1f} MB of text: {plain:.2f} s CPU as categories, "
            f"{with_text:.2f} s with text parts (+{(with_text - plain) / megabytes * 1000:.0f}"
            f" ms/MB); +{extra:.0f} KB in the binary profile file"
        )
    for rows in (200, 1_000, 10_000):
        alarms = new = longer = 0
        for seed in range(runs):
            base = text_column(texts(rows, 2 * seed))
            alarms += judge_column(base, text_column(texts(rows, 2 * seed + 1))).drifted
            if seed < 20:
                changed = text_column(texts(rows, 2 * seed + 1, unseen=0.2))
                new += judge_column(base, changed).drifted
                grown = text_column(texts(rows, 2 * seed + 1, extra_words=3))
                longer += judge_column(base, grown).drifted
        print(
            f"{rows:>6} texts a side: false alarms {alarms}/{runs}, "
            f"20 % unseen tokens flagged {new}/20, +3 words flagged {longer}/20"
        )


if __name__ == "__main__":
    main()
