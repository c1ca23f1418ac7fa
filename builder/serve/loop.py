"""`newsletter serve`, tied together: the first build, then one rebuild per burst of saves,
each published to the open tabs, and the PDF previews asked for, until Ctrl-C."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from builder import routes
from builder.errors import ContentError, ContentErrors, SetupProblem
from builder.pipeline import build
from builder.render.output import written
from builder.serve.http import Server, Site
from builder.serve.previews import Previews
from builder.serve.state import EVERYTHING, Board
from builder.serve.watch import Changes

Report = Callable[[str], None]
# Files no page shows, whose change reloads only their own tab: the pages, the feed, the sitemap.
_PAGES_ONLY = (".html", ".xml", ".txt")


def run(root: Path, host: str, port: int, drafts: bool, report: Report, errors: Report,
        started: Callable[[str], None] = lambda url: None) -> None:
    """Serve until interrupted (KeyboardInterrupt, or SystemExit from SIGTERM): everything
    it started is stopped before it returns or raises. OSError if the port is taken."""
    output, pdfs = root / routes.SERVE_OUTPUT, root / routes.SERVE_PDF
    board = Board()
    previews = Previews(root, pdfs, drafts, board, report)
    server = Server((host, port), Site(root, output, pdfs, board, lambda slug: previews.request([slug])))
    changes = Changes(root)
    try:
        url = f"http://{host if ':' not in host else f'[{host}]'}:{server.server_address[1]}/"
        report(f"serving {url} " + ("with the drafts (--no-drafts: as readers will see it)" if drafts
                                    else "without the drafts, as readers will see it") + "; Ctrl-C stops")
        changes.start()  # before the first build: a file saved meanwhile is built next
        rebuild = Rebuild(root, output, drafts, board, report, errors)
        issues = rebuild.run()
        server.start()
        started(url)
        if issues:
            previews.request(issues[:1])  # the newest issue's PDF, for its page's link
        while True:
            batch = changes.next_batch(timeout=0.5)
            if not batch:
                continue
            interrupted = previews.stop()
            slugs = rebuild.run(batch)
            if slugs is not None:
                previews.request([*_issues_of(root, batch, slugs, previews.requested), *interrupted])
    finally:
        board.close()
        previews.stop()
        changes.stop()
        server.shutdown()
        server.server_close()


class Rebuild:
    """One build into the preview's output, and what it changed told to the board."""

    def __init__(self, root: Path, output: Path, drafts: bool, board: Board, report: Report,
                 errors: Report) -> None:
        self.root, self.output, self.drafts, self.board = root, output, drafts, board
        self.report, self.errors = report, errors
        self.said: tuple[str, ...] = ()

    def run(self, batch: set[str] | None = None) -> list[str] | None:
        """Build; the issues' slugs, newest first, or None if the site has errors now."""
        started = time.perf_counter()
        before = written(self.output)
        try:
            result = build(self.root, self.output, drafts=self.drafts, pdf=False, pdf_links=True)
        except ContentErrors as found:
            self._say(found.errors)
            self.board.publish(set(), tuple(found.errors))
            return None
        except (SetupProblem, OSError) as problem:
            failure = ContentError(None, f"the build failed: {problem}", None,
                                   "fix what it says; the preview comes back by itself once the site builds")
            self._say((failure,))
            self.board.publish(set(), (failure,))
            return None
        after = written(self.output)
        changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
        if any(not name.endswith(_PAGES_ONLY) for name in changed):
            changed = {EVERYTHING}  # a stylesheet, a script, a picture: any page may show it
        self.board.publish(changed)
        if self.said:
            self.report("the errors are fixed")
            self.said = ()
        seconds = time.perf_counter() - started
        if batch is not None:
            pages = "every page" if EVERYTHING in changed else f"{len(changed)} file{'s' if len(changed) != 1 else ''}"
            self.report(f"rebuilt in {seconds * 1000:.0f} ms after {_names(self.root, batch)}: {pages} changed")
        else:
            self.report(f"built {result.issues} issues, {result.articles} articles in {seconds:.1f} s")
        return self.issues()

    def issues(self) -> list[str]:
        folder = self.output / "issues"
        return sorted((entry.name for entry in folder.iterdir() if entry.is_dir()), reverse=True) \
            if folder.is_dir() else []

    def _say(self, errors: tuple[ContentError, ...] | list[ContentError]) -> None:
        lines = tuple(f"error: {error.format(self.root)}" for error in errors)
        if lines != self.said:  # once, not again at every save that leaves them
            self.said = lines
            for line in lines:
                self.errors(line)
            self.errors(f"{len(lines)} error{'s' if len(lines) != 1 else ''}; the preview shows "
                        f"{'it' if len(lines) == 1 else 'them'} until fixed")


def _issues_of(root: Path, batch: set[str], slugs: list[str], requested: set[str]) -> list[str]:
    """The issues whose PDF a change may alter: those whose folder changed; for a change of
    site.yaml, a template or a theme, also those previewed so far and the newest."""
    issues = (root / routes.ISSUES_DIR).resolve()
    found: list[str] = []
    site_wide = False
    for path in sorted(batch):
        try:
            parts = Path(path).resolve().relative_to(issues).parts
        except ValueError:
            site_wide = True
            continue
        if parts and parts[0] in slugs:
            found.append(parts[0])
    if site_wide:
        found += [*slugs[:1], *sorted(requested & set(slugs))]
    return list(dict.fromkeys(found))


def _names(root: Path, batch: set[str]) -> str:
    names = sorted(str(Path(path).resolve().relative_to(root.resolve())) if Path(path).resolve().is_relative_to(
        root.resolve()) else path for path in batch)
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
