"""What a notebook carries: the size and render time of inline pages, and how long the
example notebooks take with a real kernel.

    .venv/bin/python bench/inline.py               # sizes and render times (seconds)
    .venv/bin/python bench/inline.py --notebooks   # and each example notebook's run

The first page of a kernel holds plotly's source; later pages only their own tables and
figures. A wide profile (500 numeric features) is shown cut to its first 30 features,
and in full with ``all=True``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pyarrow as pa

import watchkeeper
from watchkeeper.report import inline

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
REPEAT = 5


def timed(make) -> tuple[int, float]:
    """(bytes, best seconds) of the notebook output ``make()`` gives."""
    best, size = float("inf"), 0
    for _ in range(REPEAT):
        inline.forget_plotly()
        inline.plotly_once()  # the kernel has shown a page already
        start = time.perf_counter()
        size = len(make().encode())
        best = min(best, time.perf_counter() - start)
    return size, best


def pages() -> None:
    churn = EXAMPLES / "churn"
    training = watchkeeper.profile(churn / "train.csv")
    comparison = watchkeeper.compare(training, watchkeeper.profile(churn / "today.csv"))
    wide = watchkeeper.profile(pa.table({f"f{i}": [float(i), 1.0, 2.0] for i in range(500)}))
    inline.forget_plotly()
    first = len(watchkeeper.show(training).notebook_html().encode())
    print(f"first page of a kernel (churn profile, plotly's source): {first:,} bytes")
    for what, make in (
        ("churn profile, 8 features", lambda: watchkeeper.show(training).notebook_html()),
        ("churn comparison, 8 features", lambda: comparison.inline().notebook_html()),
        ("500 features, first 30 shown", lambda: watchkeeper.show(wide).notebook_html()),
        ("500 features, all=True", lambda: watchkeeper.show(wide, all=True).notebook_html()),
    ):
        size, seconds = timed(make)
        print(f"{what}: {size:,} bytes, {seconds * 1000:.0f} ms")


def notebooks() -> None:
    import nbformat
    from nbclient import NotebookClient

    folder = EXAMPLES / "notebooks"
    for path in sorted(folder.glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        start = time.perf_counter()
        client = NotebookClient(notebook, timeout=300, kernel_name="python3",
                                resources={"metadata": {"path": str(folder)}})  # fmt: skip
        client.execute()
        print(f"{path.name}: {time.perf_counter() - start:.1f} s with the kernel's start")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", action="store_true", help="also run the notebooks")
    arguments = parser.parse_args()
    pages()
    if arguments.notebooks:
        notebooks()
