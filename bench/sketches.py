"""Why watchkeeper's sketches are built the way they are: measurements, in one run.

    .venv/bin/python bench/sketches.py

1. Apache DataSketches' KLL is not reproducible: the same values in two processes give
   different sketches (its compaction draws random bits from a clock-seeded generator
   that Python cannot seed). watchkeeper's profile files must be identical for identical
   input, and SageMaker's statistics.json holds Deequ's sketch, so the quantile sketch
   is a NumPy rendering of Deequ's deterministic KLL (``watchkeeper.profile.kll``).
2. Update speed per million values: DataSketches KLL (k=200 and k=2048) against
   watchkeeper's Deequ-compatible KLL (k=2048, c=0.64).
3. Distinct counts: DataSketches' theta sketch updated one value per Python call against
   watchkeeper's vectorised hashing into the same sketch (the resulting bytes are
   compared: they must be equal).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time

import datasketches
import numpy as np

from watchkeeper.profile.distinct import DistinctSketch
from watchkeeper.profile.kll import KLLSketch

N = 1_000_000
REPEAT = 5


def best_of(function, repeat: int = REPEAT) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def kll_digest_in_fresh_process() -> str:
    code = (
        "import datasketches, hashlib, numpy as np;"
        f"x = np.random.default_rng(0).normal(size={N});"
        "s = datasketches.kll_doubles_sketch(200); s.update(x);"
        "print(hashlib.sha256(s.serialize()).hexdigest()[:16], s.get_quantile(0.5))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def ours_digest() -> str:
    values = np.random.default_rng(0).normal(size=N)
    sketch = KLLSketch()
    sketch.update(values)
    data = b"".join(level.tobytes() for level in sketch.levels)
    return hashlib.sha256(data).hexdigest()[:16]


def main() -> None:
    values = np.random.default_rng(0).normal(size=N)

    print("1. reproducibility: the same 1M values, two fresh processes")
    first, second = kll_digest_in_fresh_process(), kll_digest_in_fresh_process()
    verdict = "same" if first == second else "DIFFERENT"
    print(f"   DataSketches KLL (k=200): {first}  |  {second}  -> {verdict}")
    a, b = ours_digest(), ours_digest()
    print(f"   watchkeeper KLL:          {a}  |  {b}  -> {'same' if a == b else 'DIFFERENT'}")

    print(f"\n2. KLL update, {N:,} doubles (best of {REPEAT})")
    for k in (200, 2048):
        seconds = best_of(lambda k=k: datasketches.kll_doubles_sketch(k).update(values))
        print(f"   DataSketches KLL k={k:<5}    {seconds * 1000:7.1f} ms")
    seconds = best_of(lambda: KLLSketch().update(values))
    print(f"   watchkeeper KLL k=2048 c=0.64 {seconds * 1000:7.1f} ms")

    print(f"\n3. theta sketch (lg_k=12), {N:,} distinct doubles")

    def per_item() -> datasketches.update_theta_sketch:
        sketch = datasketches.update_theta_sketch(12)
        update = sketch.update
        for value in values.tolist():
            update(value)
        return sketch

    def vectorised() -> DistinctSketch:
        sketch = DistinctSketch()
        for start in range(0, N, 65_536):
            sketch.update_doubles(values[start : start + 65_536])
        return sketch

    print(f"   DataSketches, one call per value  {best_of(per_item, 2) * 1000:7.1f} ms")
    print(f"   watchkeeper, vectorised hashing   {best_of(vectorised) * 1000:7.1f} ms")
    union = datasketches.theta_union(12)
    union.update(per_item())
    same = union.get_result().serialize() == vectorised().to_bytes()
    print(f"   same sketch bytes: {same}")


if __name__ == "__main__":
    main()
