"""Units of work that fail in each way a reader can, for the isolation tests.

Module-level functions, so that a child process can import them by name.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time


def answer(value: int) -> dict:
    return {"value": value, "pid": os.getpid()}


def raise_index_error() -> None:
    [][1]


def recurse(depth: int = 0) -> int:
    return recurse(depth + 1)


def segfault() -> None:
    ctypes.string_at(0)  # reads address 0: SIGSEGV, as a native reader's bug does


def get_killed() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def exit_quietly() -> None:
    os._exit(3)


def sleep(seconds: float) -> None:
    time.sleep(seconds)


def allocate(mebibytes: int) -> int:
    return len(bytearray(mebibytes * 1024 * 1024))


def environment(name: str) -> tuple[str | None, str]:
    return os.environ.get(name), os.getcwd()


def ignore_interrupts(seconds: float, ready: str) -> str:
    """Say when running, then sleep: a SIGINT or SIGTERM to the process group meanwhile
    must not end the check."""
    with open(ready, "w") as flag:
        flag.write(str(os.getpid()))
    time.sleep(seconds)
    return "finished"
