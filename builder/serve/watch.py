"""The site's files as an editor saves them: watchdog's events, gathered into one batch per
burst of saves.

Editors' tools save through a temporary file renamed over the real one, or write the
file several times in a row: the batch holds the real files' paths, the temporary
files left out, and is handed on only once no event has come for QUIET seconds.
"""

from __future__ import annotations

import queue
import time
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from builder import routes

# A burst of saves is over when nothing has come for this long (editors' tools write a
# file within a few milliseconds of each other), or in any case after BURST_LIMIT.
QUIET = 0.05
BURST_LIMIT = 1.0
# What editors' tools leave beside a file while they save it.
_TEMPORARY_SUFFIXES = ("~", ".swp", ".swx", ".swo", ".tmp", ".part", ".crdownload", "___jb_tmp___", "___jb_old___",
                       ".kate-swp", ".bak")
_TEMPORARY_PREFIXES = (".#", "#", ".~lock.", "~$")


def watched(root: Path) -> list[Path]:
    """What a change of rebuilds the site: the content, templates, themes and site.yaml."""
    return [root / routes.SITE_FILE, root / "content", root / routes.TEMPLATES_DIR, root / routes.THEMES_DIR]


def relevant(root: Path, path: str) -> bool:
    """Whether a change of `path` may change the site: not an editor's temporary file, nor
    a file of output/ or .cache/."""
    name = Path(path).name
    if not name or name.startswith(_TEMPORARY_PREFIXES) or name.endswith(_TEMPORARY_SUFFIXES) or name == "4913":
        return False  # 4913: the file vim writes to test that it may write in a folder
    try:
        first = Path(path).resolve().relative_to(root.resolve()).parts[:1]
    except ValueError:
        return False
    return first in ((routes.SITE_FILE,), ("content",), (routes.TEMPLATES_DIR,), (routes.THEMES_DIR,))


class Changes(FileSystemEventHandler):
    """Started with `start()`; `next_batch()` waits for the next burst of saves."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.events: queue.Queue[str] = queue.Queue()
        self.observer = Observer()

    def start(self) -> None:
        # site.yaml is watched through the site's folder (an editor's save replaces the file).
        self.observer.schedule(self, str(self.root), recursive=False)
        for folder in watched(self.root)[1:]:
            if folder.is_dir():
                self.observer.schedule(self, str(folder), recursive=True)
        self.observer.daemon = True
        self.observer.start()

    def stop(self) -> None:
        if self.observer.is_alive():  # not yet started, if stopped during the start
            self.observer.stop()
            self.observer.join(timeout=5)

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write") or (event.is_directory and event.event_type == "modified"):
            return  # read, not changed; a folder's list changed: its files' own events say how
        for path in (event.src_path, getattr(event, "dest_path", "")):
            path = path.decode("utf-8", "surrogateescape") if isinstance(path, bytes) else path
            if path and relevant(self.root, path):
                if event.is_directory and Path(path) in watched(self.root)[1:] and event.event_type in (
                        "created", "moved"):
                    # content/, templates/ or themes/ made after the start: watched from now on,
                    # and the event put after, so that its rebuild sees what was written meanwhile.
                    self.observer.schedule(self, path, recursive=True)
                self.events.put(path)

    def next_batch(self, timeout: float | None = None) -> set[str]:
        """The paths changed in the next burst of saves; empty if none came within `timeout`."""
        try:
            batch = {self.events.get(timeout=timeout)}
        except queue.Empty:
            return set()
        started = time.monotonic()
        while time.monotonic() - started < BURST_LIMIT:
            try:
                batch.add(self.events.get(timeout=QUIET))
            except queue.Empty:
                break
        return batch
