"""Memory stays bounded: a large file is streamed, never loaded whole."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

FILE_BYTES = 200 * 1024 * 1024

MEASURE = textwrap.dedent(
    """
    import json, resource, sys
    from watchkeeper.io import read_batches

    def peak():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux

    small, big, batch_rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for _ in read_batches(small):  # load the libraries and start the thread pools
        pass
    before = peak()
    rows = largest = 0
    for batch in read_batches(big, batch_rows=batch_rows):
        rows += batch.num_rows
        largest = max(largest, batch.num_rows)
    print(json.dumps({"growth": peak() - before, "rows": rows, "largest": largest}))
    """
)


@pytest.mark.slow
@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")
def test_reading_a_large_csv_keeps_memory_bounded(tmp_path):
    line = "".join(f"{i},{i * 0.25},label_{i % 13},{-i}\n" for i in range(20_000)).encode()
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.write(b"a,b,c,d\n")
        copies = FILE_BYTES // len(line) + 1
        for _ in range(copies):
            handle.write(line)
    small = tmp_path / "small.csv"
    small.write_bytes(b"a,b,c,d\n" + line[:1000].rsplit(b"\n", 1)[0] + b"\n")

    batch_rows = 50_000
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(small), str(big), str(batch_rows)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    measured = json.loads(result.stdout)
    assert measured["rows"] == copies * 20_000
    assert measured["largest"] <= batch_rows
    # Loading the file would take its size again in Arrow memory; streaming takes a
    # few blocks and the thread pools' buffers.
    assert measured["growth"] < big.stat().st_size / 2, measured
