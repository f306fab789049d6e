"""Peer environments and the fresh-process measurement of one run.

whylogs 1.6.4 does not import with NumPy 2 (and pyarrow 26 needs NumPy 2), so it lives
in its own venv, ``bench/.venv-whylogs``, created on first use from the machine's usual
package index. watchkeeper and the floor pass run under the interpreter that runs the
harness (the project venv).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
WORKER = BENCH_DIR / "_worker.py"

WHYLOGS_VENV = BENCH_DIR / ".venv-whylogs"
WHYLOGS_REQUIREMENTS = ("whylogs==1.6.4", "numpy<2", "pandas<3", "pyarrow<26")

TOOLS = ("watchkeeper", "cli", "whylogs", "floor")


class PeerUnavailable(Exception):
    """A tool's environment could not be made ready; the reason says why."""


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_whylogs_venv() -> Path:
    """Return the whylogs venv's interpreter, creating and filling the venv if needed."""
    python = _venv_python(WHYLOGS_VENV)
    stamp = WHYLOGS_VENV / ".requirements"
    wanted = "\n".join(WHYLOGS_REQUIREMENTS) + "\n"
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"creating {WHYLOGS_VENV.name} with {' '.join(WHYLOGS_REQUIREMENTS)} ...", flush=True)
    steps = (
        [sys.executable, "-m", "venv", "--clear", str(WHYLOGS_VENV)],
        [str(python), "-m", "pip", "install", "-q", *WHYLOGS_REQUIREMENTS],
        [str(python), "-c", "import pandas, pyarrow, whylogs"],
    )
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, env=child_env())
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            raise PeerUnavailable(f"`{' '.join(step[:4])} ...` failed: {' | '.join(tail)}")
    stamp.write_text(wanted)
    return python


def interpreter_for(tool: str) -> Path:
    if tool == "whylogs":
        return ensure_whylogs_venv()
    return Path(sys.executable)


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    # whylogs otherwise posts usage statistics from a background thread.
    env["WHYLOGS_NO_ANALYTICS"] = "True"
    env.pop("PYTHONPATH", None)
    return env


@dataclass
class Run:
    """One fresh-process run: what the worker said, plus what the parent measured."""

    status: str
    wall_seconds: float = 0.0
    peak_rss_mib: float = 0.0
    rows: int | None = None
    phases: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    @property
    def work_seconds(self) -> float:
        """Time inside the process spent reading and profiling (no start-up, no imports)."""
        return sum(v for k, v in self.phases.items() if k != "import")


def run_once(tool: str, path: Path, timeout: float) -> Run:
    """Run one tool on one file in a fresh process; wall time and peak RSS of that process."""
    try:
        python = interpreter_for(tool)
    except PeerUnavailable as error:
        return Run("unavailable", reason=str(error))
    # -P: do not put bench/ on sys.path, where profile.py would shadow the stdlib module.
    command = [str(python), "-P", str(WORKER), tool, str(path)]
    with (
        tempfile.TemporaryDirectory() as folder,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        if tool == "cli":  # the command a user types, writing its profile file
            written = str(Path(folder) / "profile.wkp")
            command = [str(python), "-m", "watchkeeper", "profile", str(path), "-o", written]
            command.append("--json")
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, env=child_env())
        timer = threading.Timer(timeout, os.kill, (process.pid, signal.SIGKILL))
        timer.start()
        try:
            # wait4 gives this child's own rusage; RUSAGE_CHILDREN would be the max over all.
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    peak_mib = usage.ru_maxrss / 1024  # Linux reports KiB
    lines = stdout.strip().splitlines()
    if process.returncode != 0 or not lines:
        why = f"exit {process.returncode}" + (" (timed out)" if wall >= timeout else "")
        tail = " | ".join(stderr.strip().splitlines()[-2:])
        return Run("failed", wall, peak_mib, reason=f"{why}: {tail}")
    said = _cli_said(stdout) if tool == "cli" else json.loads(lines[-1])
    return Run(
        status=said["status"],
        wall_seconds=wall,
        peak_rss_mib=peak_mib,
        rows=said.get("rows"),
        phases=said.get("phases", {}),
        versions=said.get("versions", {}),
        reason=said.get("reason", ""),
    )


def _cli_said(stdout: str) -> dict:
    """What ``watchkeeper profile --json`` printed, in the worker's terms."""
    printed = json.loads(stdout)
    return {"status": "ok", "rows": printed["rows"]}
