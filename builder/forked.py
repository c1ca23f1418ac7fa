"""Work spread over processes forked from the build: each starts with the build's memory
as it is (the archive loaded, the templates read), so nothing but the results crosses
between processes.

Forking is only safe in a process with one thread (a lock held by another thread at the
fork stays held in the child forever), so with a thread running, or with one job, or
where there is no fork, the work is done here, in order: same results, one core.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any

# The task of the current fork_map and its items, as the forked workers inherit them (a
# closure cannot be pickled; globals are copied with the process).
_work: tuple[Callable[[Any], Any], Sequence[Any]] | None = None


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
    if jobs <= 1 or threading.active_count() > 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [task(item) for item in items]
    _work = (task, items)
    results: list[Any] = [None] * len(items)
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_worker_start) as pool:
            finished = pool.imap_unordered(_run, range(len(items)))
            for _ in items:
                try:
                    index, result = finished.next(timeout=STALL_SECONDS)
                except multiprocessing.TimeoutError:
                    raise Stalled(f"no worker process finished its part for {STALL_SECONDS} s: the build was "
                                  "stopped; build again, or with --jobs 1") from None
                results[index] = result
    finally:
        _work = None
    return results


# A part of the work takes seconds (a few dozen issues); a worker silent for this long is stuck.
STALL_SECONDS = 300


class Stalled(RuntimeError):
    """The forked workers stopped answering."""


def _worker_start() -> None:
    # Ctrl-C reaches the whole process group: the build stops the pool, the workers wait for it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run(index: int) -> tuple[int, Any]:
    assert _work is not None
    task, items = _work
    return index, task(items[index])
