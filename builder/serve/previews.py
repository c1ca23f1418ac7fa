"""The print editions previewed while the editor works: typeset in a process aside after
a change, the newest request superseding any still running (its process stopped: stale
work is never finished, nor queued).

The PDFs go to .cache/serve/pdf/, which the server shows at /pdf/<slug>.pdf. While an
issue's edition is being set, its page says so; when it is done (or cannot be set), the
board is told and the page reloads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from builder import routes
from builder.serve.state import Board

Report = Callable[[str], None]


class Previews:
    def __init__(self, root: Path, folder: Path, drafts: bool, board: Board, report: Report) -> None:
        self.root, self.folder, self.drafts, self.board, self.report = root, folder, drafts, board, report
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._pending: list[str] = []  # the slugs of the running process, in order
        self.requested: set[str] = set()  # every issue previewed since the server started
        self._closed = False

    def request(self, slugs: Iterable[str]) -> None:
        """Typeset these issues' editions, after any of the running process's that it had
        not finished (that process is stopped: what it was setting is set again)."""
        wanted = list(dict.fromkeys(slugs))
        self.requested.update(wanted)
        # Started from a thread of its own: Ctrl-C (raised in the main thread only) cannot
        # then fall between the process's start and its being recorded, which would leave
        # it running unseen after the server stopped.
        starting = threading.Thread(target=self._start, args=(wanted,))
        starting.start()
        starting.join()

    def _start(self, wanted: list[str]) -> None:
        with self._lock:
            if self._closed:
                return
            left = self._stop_locked()
            order = list(dict.fromkeys([*wanted, *left]))
            if not order:
                return
            self._process = subprocess.Popen(self.command(order), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.PIPE)
            self._pending = order
            self.board.set_refreshing(set(order))
            threading.Thread(target=self._wait, args=(self._process, order), daemon=True).start()

    def command(self, order: list[str]) -> list[str]:
        return [sys.executable, "-m", "builder.serve.preview_worker", str(self.root), str(self.folder),
                "drafts" if self.drafts else "published", ",".join(order), str(os.getpid())]

    def stop(self) -> list[str]:
        """Stop the running process; the slugs it had not finished."""
        with self._lock:
            stopped = self._stop_locked()
            self.board.set_refreshing(set())
            return stopped

    def close(self) -> None:
        """Stop, and start nothing more: the server is stopping."""
        with self._lock:
            self._closed = True
        self.stop()

    def _stop_locked(self) -> list[str]:
        process, pending = self._process, self._pending
        self._process, self._pending = None, []
        if process is None or process.poll() is not None:
            return []
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        return pending

    def _wait(self, process: subprocess.Popen[bytes], order: list[str]) -> None:
        started = time.time_ns()
        _, stderr = process.communicate()
        with self._lock:
            if self._process is not process:
                return  # superseded: its successor reports
            self._process, self._pending = None, []
            self.board.set_refreshing(set())
        if process.returncode not in (0, 1):
            last = stderr.decode("utf-8", "replace").strip().splitlines()
            self.report(f"the PDF preview stopped unexpectedly (exit {process.returncode})"
                        + (f": {last[-1]}" if last else ""))
        for slug in order:
            errors, pdf = self.folder / f"{slug}.errors", self.folder / f"{slug}.pdf"
            if _newer(errors, started):
                self.report(f"the PDF of {slug} was not made:\n" + errors.read_text(encoding="utf-8").rstrip())
            elif _newer(pdf, started):
                self.report(f"PDF of {slug} ready")
        self.board.tell({routes.issue_page(slug) for slug in order} | {routes.pdf(slug) for slug in order})


def _newer(path: Path, since_ns: int) -> bool:
    try:
        return path.stat().st_mtime_ns >= since_ns - 1_000_000_000  # file times may lag the clock a little
    except OSError:
        return False
