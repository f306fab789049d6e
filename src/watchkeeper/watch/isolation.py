"""Judging one landed object where whatever it does cannot take the watcher with it.

An untrusted file can do more to a reader than raise: a native library may crash on it
(a segmentation fault), loop, or eat all memory. :class:`ChildProcess` runs each
object's check in a child process forked from a clean fork server (one started once,
single-threaded, with watchkeeper's readers, profiler and report writers already
imported, so a child costs a fork rather than an interpreter start). Whatever the child
does — raises, crashes, is killed, runs past its time limit — the watcher gets a
:class:`UnitFailed` with a one-line reason, and goes on with the next object.

:class:`InProcess` runs the check in the calling process and turns every exception into
the same :class:`UnitFailed`; a native crash still ends the process. It is what library
calls use unless they ask for isolation (a child process re-imports an unguarded
``__main__`` script, as every ``multiprocessing`` child does), and the fallback where
child processes cannot be started.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import multiprocessing
import os
import resource
import signal
from collections.abc import Callable
from typing import Any, TypeVar

from watchkeeper.errors import UsageError, WatchkeeperError
from watchkeeper.notify.messages import failure_reason

log = logging.getLogger("watchkeeper.watch")

T = TypeVar("T")

DEFAULT_TIME_LIMIT = 600.0
# imported once in the fork server instead of once per child; the warm-up also runs
# one small check there, so that first-use costs are not paid in every child
PRELOAD = [
    "__main__",
    "watchkeeper.watch.process",
    "pyarrow.csv",
    "pyarrow.json",
    "pyarrow.parquet",
    "watchkeeper.watch.warmup",
]
# signals by which a native library dies of its own accord, rather than being stopped
CRASHES = {signal.SIGSEGV, signal.SIGBUS, signal.SIGILL, signal.SIGFPE, signal.SIGABRT}
# the child's own alarm fires this long after the parent should have stopped it
ORPHAN_GRACE = 30
_STARTED, _DONE, _FAILED = "started", "done", "failed"


class UnitFailed(WatchkeeperError):
    """One unit of work failed; the message is its one-line reason."""


def make_isolation(
    isolate: bool, time_limit: float = DEFAULT_TIME_LIMIT, memory_limit: int | None = None
) -> InProcess | ChildProcess:
    """A :class:`ChildProcess` with these limits when ``isolate``, else :class:`InProcess`."""
    if isolate:
        return ChildProcess(time_limit, memory_limit)
    _check_limits(time_limit, memory_limit)
    return InProcess()


class InProcess:
    """Runs each unit in this process: every exception becomes :class:`UnitFailed`.

    >>> InProcess().run(int, "12")
    12
    >>> try:
    ...     InProcess().run(int, "twelve")
    ... except UnitFailed as failure:
    ...     print(failure)
    invalid literal for int() with base 10: 'twelve' (ValueError)
    """

    def run(self, work: Callable[..., T], *args: Any) -> T:
        try:
            return work(*args)
        except Exception as exc:  # whatever one unit raises is that unit's failure
            raise UnitFailed(failure_reason(exc)) from exc


class ChildProcess:
    """Runs each unit in a child process, within ``time_limit`` seconds and, when given,
    ``memory_limit`` MiB of address space beyond what the child starts with (on Linux;
    thread stacks and allocator arenas count, so leave a few hundred MiB above what the
    data needs); see the module documentation.

    ``work`` must be a module-level function and its arguments and result picklable.
    """

    def __init__(
        self, time_limit: float = DEFAULT_TIME_LIMIT, memory_limit: int | None = None
    ) -> None:
        _check_limits(time_limit, memory_limit)
        self.time_limit = float(time_limit)
        self.memory_limit = memory_limit
        self._in_process: InProcess | None = None  # set when children cannot be started

    def run(self, work: Callable[..., T], *args: Any) -> T:
        if self._in_process is not None:
            return self._in_process.run(work, *args)
        context = _context()
        receiving, sending = context.Pipe(duplex=False)
        limits = (self.time_limit, self.memory_limit)
        # the fork server kept the environment and folder of its start; the child gets
        # this process's own, as a plain fork would
        here = (dict(os.environ), os.getcwd())
        child = context.Process(
            target=_child, args=(sending, work, args, limits, here), name="watchkeeper-check"
        )
        try:
            child.start()
        except Exception as exc:  # no child at all: this machine's limits, not the unit's
            receiving.close()
            return self._fall_back(exc, work, args)
        finally:
            sending.close()  # the child's copy stays open: its end is how we see it die
        try:
            if not self._started(child, receiving):
                return self._fall_back(_death(child.exitcode), work, args)
            return self._result(child, receiving)
        finally:
            receiving.close()
            child.join(timeout=5)  # a child that answered is on its way out
            if child.is_alive():
                child.kill()
                child.join()
            child.close()

    def _started(self, child, receiving) -> bool:
        """Whether the child began the work (False: it died setting up, not on the unit)."""
        if not receiving.poll(self.time_limit):
            return True  # it hangs: the time limit below reports that
        try:
            return receiving.recv() == _STARTED
        except EOFError:
            child.join(timeout=10)
            return False

    def _result(self, child, receiving):
        if not receiving.poll(self.time_limit):
            child.kill()
            raise UnitFailed(f"took longer than {self.time_limit:g} s (the time limit)")
        try:
            kind, value = receiving.recv()
        except EOFError:
            child.join(timeout=10)
            raise UnitFailed(_death(child.exitcode, self.memory_limit)) from None
        if kind == _DONE:
            return value
        raise UnitFailed(value)

    def _fall_back(self, why: object, work, args):
        log.warning(
            "cannot check files in child processes here (%s); checking them in this process",
            why if isinstance(why, str) else failure_reason(why),
        )
        self._in_process = InProcess()
        return self._in_process.run(work, *args)


@functools.cache
def _context():
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _child(sending, work, args, limits, here) -> None:
    time_limit, memory_limit = limits
    # The parent decides when to stop: a Ctrl-C or a SIGTERM sent to the whole process
    # group must not cut a check short and make a good file look broken.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # A parent that died cannot stop this child at the time limit; the alarm does.
    signal.alarm(math.ceil(time_limit) + ORPHAN_GRACE)
    sending.send(_STARTED)
    environment, folder = here
    os.environ.clear()
    os.environ.update(environment)
    with contextlib.suppress(OSError):  # a folder since deleted: paths are absolute
        os.chdir(folder)
    if memory_limit:
        size = _address_space() + memory_limit * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    try:
        outcome = (_DONE, work(*args))
    except MemoryError as exc:
        outcome = (_FAILED, _out_of_memory(exc, memory_limit))
    except Exception as exc:  # whatever one unit raises is that unit's failure
        outcome = (_FAILED, failure_reason(exc))
    try:
        sending.send(outcome)
    except BrokenPipeError:
        pass  # the parent is gone; another process takes the object over
    except Exception as exc:  # a result that does not pickle
        sending.send((_FAILED, failure_reason(exc)))


def _address_space() -> int:
    """Bytes of address space this process has mapped now (the libraries it imported,
    the allocators' reservations): the memory limit is what a check may add to it."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * resource.getpagesize()
    except (OSError, ValueError, IndexError):
        return 0  # not Linux: the limit is then on the whole process


def _out_of_memory(exc: MemoryError, memory_limit: int | None) -> str:
    if memory_limit:
        return f"ran out of memory (the limit is {memory_limit} MiB)"
    return failure_reason(exc)


def _death(exitcode: int | None, memory_limit: int | None = None) -> str:
    """Why a child ended without an answer, in words."""
    if exitcode is None:
        return "the check stopped answering"
    if exitcode >= 0:
        return f"the check ended with exit status {exitcode} and no result"
    try:
        number: signal.Signals | None = signal.Signals(-exitcode)
        name = number.name
    except ValueError:
        number, name = None, f"signal {-exitcode}"
    if number in CRASHES:
        reason = f"the reader crashed ({name})"
    elif number == signal.SIGKILL:
        reason = "the check was killed (SIGKILL)"
    else:
        reason = f"the check was stopped by {name}"
    if memory_limit and number in (*CRASHES, signal.SIGKILL):
        reason += f"; it may have run out of memory (the limit is {memory_limit} MiB)"
    return reason


def _check_limits(time_limit: float, memory_limit: int | None) -> None:
    if isinstance(time_limit, bool) or not isinstance(time_limit, int | float):
        raise UsageError(f"time limit must be a number of seconds, not {time_limit!r}")
    if not 0 < time_limit < math.inf:
        raise UsageError(f"time limit must be more than zero seconds, not {time_limit!r}")
    if memory_limit is not None and (
        isinstance(memory_limit, bool) or not isinstance(memory_limit, int) or memory_limit < 256
    ):
        raise UsageError(
            f"memory limit must be a whole number of MiB, at least 256, not {memory_limit!r}"
        )
