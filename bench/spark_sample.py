"""What the row sample costs a Spark baseline: `profile_spark` of a Parquet file with and
without the sample's observer (each partition's seeded sample, merged on the driver),
the sample it keeps, and whether a second run keeps the same rows.

    .venv/bin/python bench/spark_sample.py   # 1M x 20 mixed columns, 8 partitions, local[2]
    .venv/bin/python bench/spark_sample.py --rows 100000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import _datagen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--partitions", type=int, default=8)
    options = parser.parse_args()
    data = _datagen.mixed_parquet(options.rows)
    # bench/profile.py would stand for the standard library's `profile`, which pyspark imports
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    from watchkeeper.engines.spark import PartitionSample, profile_spark, spark_session
    from watchkeeper.multivariate import sample_bytes

    session = spark_session(options.master)
    try:
        frame = session.read.parquet(str(data.path("parquet"))).repartition(options.partitions)
        frame.cache().count()  # the shuffle once, not in every measured run
        partitions = frame.rdd.getNumPartitions()
        profile_spark(frame)  # the JVM and the Python workers warmed up
        plain, sampled, samples = [], [], []
        for _ in range(options.repeats):
            started = time.perf_counter()
            profile_spark(frame)
            plain.append(time.perf_counter() - started)
            sampler = PartitionSample()
            started = time.perf_counter()
            profile_spark(frame, observers=[sampler])
            sampled.append(time.perf_counter() - started)
            samples.append(sample_bytes(sampler.table()))
        table = sampler.table()
    finally:
        session.stop()
    print(f"{options.rows:,} rows x {data.columns} columns, {partitions} partitions, "
          f"{options.master}")  # fmt: skip
    print(f"profile alone       best {min(plain):6.2f} s  (runs: "
          f"{', '.join(f'{s:.2f}' for s in plain)})")  # fmt: skip
    print(f"profile with sample best {min(sampled):6.2f} s  (runs: "
          f"{', '.join(f'{s:.2f}' for s in sampled)})")  # fmt: skip
    print(f"sample: {table.num_rows:,} rows x {table.num_columns} columns "
          f"({', '.join(table.column_names)}), {len(samples[-1]):,} bytes as Parquet")
    print(f"the same rows on every run: {len(set(samples)) == 1}")


if __name__ == "__main__":
    main()
