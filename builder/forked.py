"""Work spread over processes forked from the build: each starts with the build's memory
as it is (the archive loaded, the templates read), so nothing but the results crosses
between processes.

Forking is only safe in a process with one thread (a lock held by another thread at the
fork stays held in the child forever), so with a thread running, or with one job, or
where there is no fork, the work is done here, in order: same results, one core.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any

from builder.errors import SetupProblem

# The task of the current fork_map and its items, as the forked workers inherit them (a
# closure cannot be pickled; globals are copied with the process).
_work: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


def running(pid: int) -> bool:
    """Whether process `pid` still runs (one of another user's counts: it runs)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def default_jobs() -> int:
    """As many workers as cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def fork_map(task: Callable[[Any], Any], items: Sequence[Any], jobs: int) -> list[Any]:
    """[task(item) for item in items], over up to `jobs` forked processes. The items
    reach the workers with the fork; only the results, which must be picklable, come back.
    An exception in a task is raised here: a task returns what it found wrong, and raises
    only for a fault or an interruption."""
    global _work
    jobs = min(jobs, len(items))
    if jobs <= 1 or threading.active_count() > 1 or not hasattr(os, "fork"):
        return [task(item) for item in items]
    # Imported here: a rebuild of a few pages forks nothing, and does without them.
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    _work = (task, items)
    results: list[Any] = [None] * len(items)
    try:
        # concurrent.futures, not multiprocessing.Pool: a worker that dies (killed for want of
        # memory) fails the build at once, where a Pool would wait for its lost part forever.
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_worker_start) as pool:
            pending = {pool.submit(_run, index) for index in range(len(items))}
            while pending:
                done, pending = wait(pending, timeout=STALL_SECONDS, return_when=FIRST_COMPLETED)
                if not done:
                    raise WorkersFailed(f"no worker process finished its part for {STALL_SECONDS} s")
                for future in done:
                    try:
                        index, result = future.result()
                    except BrokenProcessPool:
                        raise WorkersFailed("a worker process died (out of memory, or a crash in a "
                                            "library)") from None
                    results[index] = result
    finally:
        _work = None
    return results


# A part of the work takes seconds (a few dozen issues); a worker silent for this long is stuck.
STALL_SECONDS = 300


class WorkersFailed(SetupProblem):
    """The forked workers died or stopped answering: the machine's trouble, said as such."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what}; the build was stopped and output/ left as it was: build again, "
                         "or with --jobs 1")


def _worker_start() -> None:
    # Ctrl-C reaches the whole process group: the build stops the pool, the workers wait for it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run(index: int) -> tuple[int, Any]:
    assert _work is not None
    task, items = _work
    return index, task(items[index])
