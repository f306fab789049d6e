"""The dashboard server: receiving profiles, rendering pages, drawing charts.

    .venv/bin/python bench/ui.py               # all three measurements (about a minute)
    .venv/bin/python bench/ui.py --quick       # 200 profiles, 3 browser runs per case

The server is ``create_ui_app`` under uvicorn in a process of its own on 127.0.0.1, with
its background refresh every second, over a fresh SQLite catalog; clients are httpx (and
Chromium) in this process.

1. 1,000 profiles of 20 features (14 numeric, 6 text; 500 rows each; built beforehand)
   with timestamps spread over one day, POSTed by 2 client threads: time from the first
   POST until ``POST …/evaluate`` answers ``{"pending": 0}``, split into receiving (first
   POST to last answer) and merging + evaluating (the rest); catalog size on disk.
2. A dataset of 90 daily batches × 50 features (35 numeric, 15 text, 300 rows a day, a
   drifted week): the evaluation after setting its baseline, then ``GET /datasets/NAME``
   and the feature page measured at the client (first request, median and p95 of warm
   ones).
3. The feature page in headless Chromium (Playwright, Debian's browser): from
   ``page.goto`` until plotly's first SVG is in ``#charts``, in a fresh browser context
   each run (plotly.js downloaded and compiled again) and in a warm one (after two
   visits: plotly.js and its compiled code from Chromium's caches).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from importlib import metadata
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa

HOST = "127.0.0.1"
OCTETS = {"content-type": "application/octet-stream"}
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip
TARGETS = {"push": 10.0, "dataset page": 0.300, "first chart": 1.5}
FIRST_DAY = dt.date(2026, 8, 24)
DRIFT_DAYS = range(60, 67)  # a week in which five numeric features and one text move


# -- the server, in a process of its own ------------------------------------------------


def serve(catalog: str, port: int, refresh: float) -> None:
    """What the child process runs: the dashboard on 127.0.0.1:port until SIGTERM."""
    import uvicorn

    from watchkeeper.catalog import Catalog
    from watchkeeper.ui import create_ui_app

    app = create_ui_app(Catalog(f"sqlite:///{catalog}"), tokens=[], refresh_seconds=refresh)
    # IPPROTO_TCP named so that asyncio sets TCP_NODELAY on the accepted sockets
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listening.bind((HOST, port))
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[listening])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(catalog: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, __file__, "--serve", str(catalog), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    url = f"http://{HOST}:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"the dashboard did not start; see {log}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- data -------------------------------------------------------------------------------


def table(rng: np.random.Generator, rows: int, numeric: int, text: int,
          shift: float = 0.0, moved: int = 0) -> pa.Table:  # fmt: skip
    """``numeric`` float columns (the first ``moved`` shifted by ``shift`` sd) and
    ``text`` string columns of 3 to 300 categories (the first skewed when shifted)."""
    columns = {}
    for i in range(numeric):
        scale = 1.0 + i % 3
        columns[f"n{i:02d}"] = rng.normal(10.0 * i + (shift * scale if i < moved else 0), scale,
                                          rows)  # fmt: skip
    for i in range(text):
        choices = np.array([f"v{j}" for j in range((3, 5, 10, 30, 100, 300)[i % 6])])
        weights = np.linspace(1.0, 2.0, len(choices))
        if shift and i == 0:
            weights = weights[::-1] ** 4
        columns[f"t{i:02d}"] = rng.choice(choices, rows, p=weights / weights.sum())
    return pa.table(columns)


def profile_bytes(data: pa.Table) -> bytes:
    from watchkeeper.profile import DatasetProfile, profile_to_bytes

    profile = DatasetProfile()
    profile.track(data)
    return profile_to_bytes(profile)


def created(client: httpx.Client, name: str) -> None:
    answer = client.post("/api/v1/datasets", json={"name": name, "segment_columns": []})
    answer.raise_for_status()


def evaluated(client: httpx.Client, name: str) -> None:
    while client.post(f"/api/v1/datasets/{name}/evaluate").json()["pending"]:
        pass


# -- 1. receiving and merging -----------------------------------------------------------


def pushes(url: str, server: subprocess.Popen, catalog: Path, count: int) -> dict:
    rng = np.random.default_rng(1)
    began = time.perf_counter()
    bodies = [profile_bytes(table(rng, 500, 14, 6)) for _ in range(count)]
    built = time.perf_counter() - began
    first = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    stamps = [(first + dt.timedelta(days=i / count)).isoformat() for i in range(count)]
    name, threads = "pushed", 2
    with httpx.Client(base_url=url, timeout=120) as client:
        created(client, name)
    failures: list[str] = []

    def push(offset: int) -> None:
        with httpx.Client(base_url=url, timeout=120) as client:
            for i in range(offset, count, threads):
                answer = client.post(f"/api/v1/datasets/{name}/profiles",
                                     params={"timestamp": stamps[i]}, content=bodies[i],
                                     headers=OCTETS)  # fmt: skip
                if answer.status_code != 201:
                    failures.append(answer.text)

    workers = [threading.Thread(target=push, args=(k,)) for k in range(threads)]
    cpu = cpu_seconds(server.pid)
    start = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    received = time.perf_counter()
    with httpx.Client(base_url=url, timeout=300) as client:
        evaluated(client, name)
        done = time.perf_counter()
        days = client.get(f"/api/v1/datasets/{name}/batches", params={"granularity": "day"})
        hours = client.get(f"/api/v1/datasets/{name}/batches", params={"granularity": "hour"})
    if failures:
        raise SystemExit(f"{len(failures)} pushes failed, first: {failures[0]}")
    merged = sum(batch["profiles"] for batch in days.json())
    assert merged == count, f"{merged} of {count} profiles in the daily batch"
    size = catalog.stat().st_size
    wal = Path(f"{catalog}-wal")
    log = wal.stat().st_size if wal.exists() else 0
    with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True) as database:
        batches = database.execute("SELECT sum(length(profile)) FROM profile_batches").fetchone()
    return {
        "count": count, "threads": threads, "built": built, "receive": received - start,
        "merge": done - received, "total": done - start, "bytes": sum(map(len, bodies)),
        "hours": len(hours.json()), "catalog": size, "wal": log,
        "batch_bytes": batches[0], "cpu": cpu_seconds(server.pid) - cpu,
    }  # fmt: skip


# -- 2. the dataset and feature pages ---------------------------------------------------


def days_dataset(url: str, server: subprocess.Popen) -> dict:
    rng = np.random.default_rng(2)
    name, days = "daily", 90
    bodies = [profile_bytes(table(rng, 300, 35, 15, shift=1.5 if day in DRIFT_DAYS else 0.0,
                                  moved=5))
              for day in range(days)]  # fmt: skip
    baseline = profile_bytes(table(np.random.default_rng(3), 3000, 35, 15))
    with httpx.Client(base_url=url, timeout=300) as client:
        created(client, name)
        began = time.perf_counter()
        for day, body in enumerate(bodies):
            moment = dt.datetime.combine(FIRST_DAY + dt.timedelta(days=day), dt.time(12))
            answer = client.post(f"/api/v1/datasets/{name}/profiles",
                                 params={"timestamp": moment.isoformat() + "Z"}, content=body,
                                 headers=OCTETS)  # fmt: skip
            answer.raise_for_status()
        evaluated(client, name)
        first = time.perf_counter() - began
        cpu = cpu_seconds(server.pid)
        began = time.perf_counter()
        client.put(f"/api/v1/datasets/{name}/baseline", content=baseline,
                   headers=OCTETS).raise_for_status()  # fmt: skip
        evaluated(client, name)
        against = time.perf_counter() - began
        cpu = cpu_seconds(server.pid) - cpu
        batches = client.get(f"/api/v1/datasets/{name}/batches").json()
        flagged = {b["start"][:10] for b in batches if b["violations"]}
    drifted = {str(FIRST_DAY + dt.timedelta(days=day)) for day in DRIFT_DAYS}
    page = f"/datasets/{name}"
    feature = f"/datasets/{name}/features/n00"
    timings = {path: request_times(url, path) for path in (page, feature)}
    html = httpx.get(url + page).text
    assert html.count('data-feature="') == 50, "the dataset page lists 50 features"
    return {
        "name": name, "first": first, "baseline": against, "baseline_cpu": cpu,
        "batches": len(batches), "caught": len(flagged & drifted),
        "others": len(flagged - drifted), "page": timings[page], "feature": timings[feature],
        "page_bytes": len(html.encode()), "feature_path": feature,
    }  # fmt: skip


def request_times(url: str, path: str, warm: int = 20) -> dict:
    """First GET on a fresh connection, then ``warm`` more on a kept-alive one (seconds)."""
    times = []
    with httpx.Client(base_url=url, timeout=60) as client:
        for _ in range(warm + 1):
            began = time.perf_counter()
            answer = client.get(path)
            times.append(time.perf_counter() - began)
            answer.raise_for_status()
    return {"first": times[0], **spread(times[1:])}


def spread(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(np.ceil(0.95 * len(ordered))) - 1)]
    return {"median": statistics.median(ordered), "p95": p95, "max": ordered[-1]}


# -- 3. the first chart in Chromium -----------------------------------------------------

# In the page, before its own scripts: note when plotly's first SVG lands in #charts
FIRST_SVG = """
new MutationObserver(function (changes, observer) {
  if (document.querySelector("#charts .main-svg")) {
    window.__firstChart = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""
NAVIGATION = """() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const plotly = performance.getEntriesByName(location.origin + "/static/plotly.min.js")[0];
  return {dom: nav.domContentLoadedEventEnd, response: nav.responseEnd,
          chart: window.__firstChart, plotly: plotly ? plotly.transferSize : -1};
}"""


def browser_runs(url: str, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("WATCHKEEPER_CHROMIUM") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=CHROMIUM_ARGS)  # fmt: skip
        version = browser.version

        def visit(page) -> dict:
            began = time.perf_counter()
            page.goto(url, wait_until="commit")
            page.wait_for_selector("#charts .main-svg", state="attached")
            seconds = time.perf_counter() - began
            found = page.evaluate(NAVIGATION)
            page.wait_for_load_state("load")
            return {"wall": seconds, **{k: found[k] / 1000 for k in ("dom", "response", "chart")},
                    "plotly": found["plotly"]}  # fmt: skip

        cold = []
        for _ in range(runs):
            context = browser.new_context()
            context.add_init_script(FIRST_SVG)
            cold.append(visit(context.new_page()))
            context.close()
        context = browser.new_context()
        context.add_init_script(FIRST_SVG)
        page = context.new_page()
        visit(page)  # fills the HTTP cache
        visit(page)  # Chromium keeps the compiled plotly.js from the second load on
        warm = [visit(page) for _ in range(runs)]
        context.close()
        browser.close()
    return {"version": version, "cold": cold, "warm": warm}


# -- the report -------------------------------------------------------------------------


def machine() -> str:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(f"{package} {metadata.version(package)}"
                         for package in ("fastapi", "uvicorn", "SQLAlchemy", "plotly",
                                         "playwright"))  # fmt: skip
    return (f"machine: {os.cpu_count()} cores ({cpu}), {memory:.1f} GiB RAM; Python "
            f"{platform.python_version()}, {versions}")  # fmt: skip


def row(label: str, figure: str, target: str = "", ok: bool | None = None) -> None:
    verdict = "" if ok is None else ("PASS" if ok else "FAIL")
    print(f"  {label:<58} {figure:>24}  {target:>9}  {verdict}")


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 profiles, 3 browser runs")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        serve(args.serve, args.port, refresh=1.0)
        return
    sys.stdout.reconfigure(line_buffering=True)
    print(machine())
    print("load average at the start: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    count, runs = (200, 3) if args.quick else (1000, 5)
    with tempfile.TemporaryDirectory() as scratch:
        catalog = Path(scratch) / "catalog.db"
        server, url = start_server(catalog, Path(scratch) / "server.log")
        try:
            push = pushes(url, server, catalog, count)
            print(f"1. built {count:,} profiles beforehand in {push['built']:.1f} s "
                  f"({push['bytes'] / count / 1024:.0f} KiB each)")  # fmt: skip
            pages = days_dataset(url, server)
            print(f"2. 90 days pushed, merged and evaluated in {pages['first']:.1f} s; flagged: "
                  f"{pages['caught']} of the {len(DRIFT_DAYS)} drifted days, {pages['others']} "
                  f"other days")  # fmt: skip
            chart = browser_runs(url + pages["feature_path"], runs)
            print(f"3. Chromium {chart['version']}, {runs} runs each")
        finally:
            server.terminate()
            server.wait(timeout=60)
    report(count, push, pages, chart)


def report(count: int, push: dict, pages: dict, chart: dict) -> None:
    print(f"\n  {'measurement':<58} {'figure':>24}  {'target':>9}")
    limit = TARGETS["push"] * count / 1000
    row(f"{count:,} pushes ({push['threads']} client threads) → all merged and evaluated",
        f"{push['total']:.2f} s", f"< {limit:g} s", push["total"] < limit)  # fmt: skip
    row("  receiving: first POST → last answer",
        f"{push['receive']:.2f} s, {count / push['receive']:,.0f}/s")  # fmt: skip
    row("  merging + evaluating after the last answer", f"{push['merge']:.2f} s")
    row("  pushes/s over the whole", f"{count / push['total']:,.0f}/s")
    row("  server CPU over the whole", f"{push['cpu']:.1f} s")
    row("  catalog on disk: catalog.db + its write-ahead log",
        f"{push['catalog'] / 2**20:,.0f} + {push['wal'] / 2**20:,.0f} MiB")  # fmt: skip
    row(f"  of which merged profiles ({push['hours']} hourly + 1 daily batch)",
        f"{push['batch_bytes'] / 2**20:,.1f} MiB")  # fmt: skip
    row("90 days × 50 features re-evaluated after a new baseline",
        f"{pages['baseline']:.2f} s (CPU {pages['baseline_cpu']:.1f} s)")  # fmt: skip
    limit = TARGETS["dataset page"]
    page = pages["page"]
    row("GET dataset page (90 batches × 50 features), warm median", ms(page["median"]),
        f"< {ms(limit)}", page["median"] < limit)  # fmt: skip
    row("  warm p95", ms(page["p95"]), f"< {ms(limit)}", page["p95"] < limit)
    row("  first request", ms(page["first"]), f"< {ms(limit)}", page["first"] < limit)
    row("  page size", f"{pages['page_bytes'] / 1024:,.0f} KiB")
    feature = pages["feature"]
    row("GET feature page: warm median / p95 / first",
        f"{ms(feature['median'])} / {ms(feature['p95'])} / {ms(feature['first'])}")  # fmt: skip
    limit = TARGETS["first chart"]
    for label in ("cold", "warm"):
        runs = chart[label]
        figures = spread([run["wall"] for run in runs])
        row(f"first chart in Chromium, {label} cache: median (max)",
            f"{ms(figures['median'])} ({ms(figures['max'])})", f"< {ms(limit)}",
            figures["median"] < limit)  # fmt: skip
        row("  in the page: first chart / DOMContentLoaded (medians)",
            f"{ms(statistics.median(r['chart'] for r in runs))} / "
            f"{ms(statistics.median(r['dom'] for r in runs))}")  # fmt: skip
        row("  plotly.min.js transferred",
            f"{statistics.median(r['plotly'] for r in runs) / 2**20:.2f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
