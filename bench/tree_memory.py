#!/usr/bin/env python3
"""Peak memory of a command and every process it starts, together: the build's own
process and its workers (typesetters, forked renderers) at the same moment.

    .venv/bin/python bench/tree_memory.py [--every 0.2] -- COMMAND [ARG...]

os.wait4's ru_maxrss (what bench/archive.py reports) is the largest single process, not
the sum of the processes alive at one moment. This samples the process tree every
--every seconds and sums each process's proportional set size (PSS: a page shared by n
processes counts 1/n to each, so what the workers share with the build after a fork is
counted once), from /proc/PID/smaps_rollup (Linux). Prints the command's wall-clock time,
the peak summed PSS, the peak number of processes, and the command's exit code.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, ValueError):
            pass
    return found


def tree(pid: int) -> list[int]:
    result, stack = [], [pid]
    while stack:
        current = stack.pop()
        result.append(current)
        stack += children(current)
    return result


def pss_bytes(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--every", type=float, default=0.2, help="seconds between samples")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to measure after --")
    started = time.perf_counter()
    process = subprocess.Popen(command)
    peak = processes = 0
    peak_time = 0.0
    at_peak: list[tuple[int, int]] = []  # (pid, PSS) of each process at the peak
    while process.poll() is None:
        pids = tree(process.pid)
        sizes = [(pid, pss_bytes(pid)) for pid in pids]
        if sum(size for _, size in sizes) > peak:
            peak, at_peak = sum(size for _, size in sizes), sizes
            peak_time = time.perf_counter() - started
        processes = max(processes, len(pids))
        time.sleep(args.every)
    took = time.perf_counter() - started
    print(f"{took:.1f} s, peak memory of the process tree {peak / 1e6:.0f} MB (PSS, sampled every {args.every} s), "
          f"at most {processes} processes, exit code {process.returncode}", file=sys.stderr)
    shares = ", ".join(f"{'the command' if pid == process.pid else pid} {size / 1e6:.0f} MB" for pid, size in at_peak)
    print(f"at the peak ({peak_time:.0f} s in): {shares}", file=sys.stderr)
    sys.exit(process.returncode)


if __name__ == "__main__":
    main()
