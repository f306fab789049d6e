"""Several real processes released at the same moment, for tests of what they share.

Each process runs ``script`` with the given arguments and waits until the file ``go``
exists, so that all of them are started (and have imported what they need) before any
begins: the race is on the shared database, not on start-up.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def race(script: Path, *arguments: str, go: Path, processes: int = 4):
    """Run ``processes`` copies of ``script`` at once; (exit statuses, [(stdout, stderr)])."""
    started = [
        subprocess.Popen(
            [sys.executable, str(script), *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    time.sleep(1.0)  # all started and waiting
    go.touch()
    outputs = [process.communicate(timeout=300) for process in started]
    return [process.returncode for process in started], outputs
