"""Installed size of each extra: what a Lambda zip package of it would hold, unzipped.

    .venv/bin/python bench/lambda_size.py       # lambda-files, lambda-predict, all
    .venv/bin/python bench/lambda_size.py --extras 'lambda-predict,sklearn;server' --top 8

watchkeeper is built once into a wheel from a copy of this checkout (the build leaves
nothing in the tree); each extra is then installed with ``pip install --target DIR
'watchkeeper-….whl[EXTRA]'``, the way a Lambda zip package is assembled, into a fresh
folder. Sizes are file bytes in MB of 2^20 bytes (Lambda's 250 MB limit for a function
and its layers, unzipped, is 250 × 2^20 bytes), with the bytecode pip compiles and without
it (a package may ship either). A distribution's size is the sum of the files its
``RECORD`` lists, bytecode included.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1 << 20
LAMBDA_ZIP_LIMIT_MB = 250


def build_wheel(work: Path) -> Path:
    source = work / "source"
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    out = work / "wheel"
    pip("wheel", "--no-deps", "-w", str(out), str(source))
    [wheel] = out.glob("watchkeeper-*.whl")
    return wheel


def pip(*arguments: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "-q", *arguments], check=True)


def file_sizes(folder: Path) -> tuple[int, int]:
    """Bytes of every file under ``folder``, and of those that are not bytecode."""
    total = without_bytecode = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            size = path.stat().st_size
            total += size
            if path.suffix != ".pyc":
                without_bytecode += size
    return total, without_bytecode


def distribution_sizes(folder: Path) -> dict[str, int]:
    """Bytes of each installed distribution, from the files its RECORD lists."""
    sizes = {}
    for record in folder.glob("*.dist-info/RECORD"):
        name = record.parent.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        total = 0
        with record.open(newline="", encoding="utf-8") as handle:
            for row in csv.reader(handle):
                path = (folder / row[0]).resolve() if row else folder
                # RECORD also names the scripts pip wrote outside the folder's packages
                if path.is_file() and folder.resolve() in path.parents:
                    total += path.stat().st_size
        sizes[name] = total
    return sizes


def measure(wheel: Path, extra: str, work: Path) -> dict:
    target = work / f"target-{extra.replace(',', '+')}"
    pip("install", "--target", str(target), f"{wheel}[{extra}]")
    total, without_bytecode = file_sizes(target)
    packages = distribution_sizes(target)
    shutil.rmtree(target)  # several hundred MB each: one at a time on the disk
    return {
        "extra": extra,
        "total": total,
        "without_bytecode": without_bytecode,
        "count": len(packages),
        "biggest": sorted(packages.items(), key=lambda item: -item[1]),
    }


def table(results: list[dict], top: int) -> str:
    lines = [
        "| extra | unzipped | without bytecode | distributions | biggest |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for result in results:
        biggest = ", ".join(f"{name} {size / MB:.0f}" for name, size in result["biggest"][:top])
        over = " (over 250)" if result["total"] / MB > LAMBDA_ZIP_LIMIT_MB else ""
        lines.append(
            f"| `{result['extra']}` | {result['total'] / MB:.0f} MB{over} "
            f"| {result['without_bytecode'] / MB:.0f} MB | {result['count']} | {biggest} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--extras",
        default="lambda-files;lambda-predict;all",
        help="extras to measure, separated by ';' (a ',' inside one installs several "
        "together, e.g. lambda-predict,sklearn)",
    )
    parser.add_argument("--top", type=int, default=5, help="biggest distributions to list")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="watchkeeper-size-") as folder:
        work = Path(folder)
        wheel = build_wheel(work)
        results = [measure(wheel, extra, work) for extra in args.extras.split(";") if extra]
    print(
        f"{dt.date.today()}, Python {platform.python_version()} on "
        f"{platform.system()} {platform.machine()}; sizes in MB of 2^20 bytes"
    )
    print(table(results, args.top))


if __name__ == "__main__":
    main()
