"""`newsletter serve`, tied together: the first build, then one rebuild per burst of saves,
each published to the open tabs, and the PDF previews asked for, until Ctrl-C."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

from builder import routes
from builder.errors import ContentError, ContentErrors, SetupProblem
from builder.pipeline import SEARCH_LATER, build
from builder.render.output import written
from builder.serve.http import LOOPBACK, Server, Site
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
    rebuild = Rebuild(root, output, drafts, board, report, errors)
    try:
        server = Server((host, port), Site(root, output, pdfs, board, lambda slug: previews.request([slug]),
                                           rebuild.issues, host in LOOPBACK))
    except OSError as exc:
        raise CannotServe(exc) from exc
    changes = Changes(root)
    serving = None
    try:
        url = f"http://{host if ':' not in host else f'[{host}]'}:{server.server_address[1]}/"
        report(f"serving {url} " + ("with the drafts (--no-drafts: as readers will see it)" if drafts
                                    else "without the drafts, as readers will see it") + "; Ctrl-C stops")
        changes.start()  # before the first build: a file saved meanwhile is built next
        outcome = rebuild.run()
        serving = server.start()
        started(url)
        rebuild.index()  # a part of the index left as it was before the server started
        if outcome is not None and outcome[1]:
            previews.request(outcome[1][:1])  # the newest issue's PDF, for its page's link
        waiting: list[str] = []  # previews stopped by a change, set again once the site builds
        while True:
            batch = changes.next_batch(timeout=0.5)
            if not batch:
                continue
            waiting = list(dict.fromkeys([*waiting, *previews.stop()]))
            outcome = rebuild.run(batch)
            if outcome is None:
                continue
            changed, slugs = outcome
            wanted = [slug for slug in [*_issues_of(root, batch, slugs, previews.requested), *waiting]
                      if slug in slugs]
            waiting = []
            # Told to be refreshing before the tabs reload, so that the issue's page says so.
            previews.request(wanted)
            board.publish(changed if EVERYTHING in changed else
                          {*changed, *(routes.issue_page(slug) for slug in wanted),
                           *(routes.pdf(slug) for slug in wanted)})
            report(rebuild.summary)
            rebuild.index()
    finally:
        board.close()
        if serving is not None:  # shutdown() waits for serve_forever: only once it runs
            server.shutdown()
        server.server_close()
        previews.close()
        changes.stop()


class CannotServe(Exception):
    """The address cannot be served on: the port is in use, or not this user's, or the host unknown."""

    def __init__(self, cause: OSError) -> None:
        super().__init__(str(cause))
        self.cause = cause


class Rebuild:
    """One build into the preview's output, and what it changed told to the board."""

    def __init__(self, root: Path, output: Path, drafts: bool, board: Board, report: Report,
                 errors: Report) -> None:
        self.root, self.output, self.drafts, self.board = root, output, drafts, board
        self.report, self.errors = report, errors
        self.said: tuple[str, ...] = ()
        self.summary = ""

    def run(self, batch: set[str] | None = None) -> tuple[set[str], list[str]] | None:
        """Build; the output files it changed (EVERYTHING for any a page may show) and the
        issues' slugs, newest first; or None if the site has errors now (told to the board)."""
        started = time.perf_counter()
        before = written(self.output)
        try:
            result = build(self.root, self.output, drafts=self.drafts, pdf=False, pdf_links=True,
                           search=SEARCH_LATER)
        except ContentErrors as found:
            self._failed(tuple(found.errors))
            return None
        except (SetupProblem, OSError) as problem:
            self._failed((ContentError(None, f"the build failed: {problem}", None,
                                       "fix what it says; the preview comes back by itself once the site builds"),))
            return None
        except Exception as exc:  # noqa: BLE001 (a template's expression that fails, or a fault of ours)
            self._failed((_failure(exc),))
            return None
        after = written(self.output)
        changed = {name for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
        # The search index is the search page's: a tab showing it finds with the new one.
        changed = {routes.SEARCH if name.startswith(routes.SEARCH_BUNDLE) else name for name in changed}
        if any(not name.endswith(_PAGES_ONLY) for name in changed):
            changed = {EVERYTHING}  # a stylesheet, a script, a picture: any page may show it
        if self.said:
            self.report("the errors are fixed")
            self.said = ()
        seconds = time.perf_counter() - started
        if batch is not None:  # said once the tabs are told (`loop.run`)
            pages = "every page" if EVERYTHING in changed else f"{len(changed)} file{'s' if len(changed) != 1 else ''}"
            self.summary = f"rebuilt in {seconds * 1000:.0f} ms after {_names(self.root, batch)}: {pages} changed"
        else:
            self.report(f"built {result.issues} issues, {result.articles} articles in {seconds:.1f} s")
        return changed, self.issues()

    def index(self) -> None:
        """The search index made again where the last rebuild left a part of it as it was
        (the pages were shown first); a tab on the search page reloads then."""
        before = written(self.output)
        try:
            build(self.root, self.output, drafts=self.drafts, pdf=False, pdf_links=True)
        except Exception as problem:  # noqa: BLE001 (the preview stands; the next rebuild says what is wrong)
            self.errors(f"the search index was not made again: {problem}")
            return
        after = written(self.output)
        # Every page this build changed (a save since the last rebuild, too), the index's as the search page's.
        changed = {routes.SEARCH if name.startswith(routes.SEARCH_BUNDLE) else name
                   for name in before.keys() | after.keys() if before.get(name) != after.get(name)}
        if any(not name.endswith(_PAGES_ONLY) and name != routes.SEARCH for name in changed):
            changed = {EVERYTHING}
        if changed:
            self.board.publish(changed)

    def _failed(self, errors: tuple[ContentError, ...]) -> None:
        self._say(errors)
        self.board.publish(set(), errors)

    def issues(self) -> list[str]:
        folder = self.output / "issues"
        names = [entry.name for entry in folder.iterdir() if entry.is_dir()] if folder.is_dir() else []
        # 2017-18 before 2017-9, 100 before 99: the numbers in a name compared as numbers
        return sorted(names, key=lambda name: [(int(part), "") if part.isdigit() else (0, part)
                                               for part in re.split(r"(\d+)", name)], reverse=True)

    def _say(self, errors: tuple[ContentError, ...] | list[ContentError]) -> None:
        lines = tuple(f"error: {error.format(self.root)}" for error in errors)
        if lines != self.said:  # once, not again at every save that leaves them
            self.said = lines
            for line in lines:
                self.errors(line)
            self.errors(f"{len(lines)} error{'s' if len(lines) != 1 else ''}; the preview shows "
                        f"{'it' if len(lines) == 1 else 'them'} until fixed")


def _failure(exc: Exception) -> ContentError:
    """An exception that is not a content error, as one: at the template line it came from
    where it came from a template (Jinja's frames carry the template's file and line)."""
    import traceback

    frames = [frame for frame in traceback.extract_tb(exc.__traceback__) if frame.filename.endswith(
        (".html", ".xml", ".css", ".txt"))]
    what = f"{type(exc).__name__}: {str(exc)[:200]}"
    if frames:
        return ContentError(Path(frames[-1].filename), f"this template fails when it runs ({what})",
                            frames[-1].lineno, "correct the expression on this line; the preview comes back by "
                            "itself once it renders")
    return ContentError(None, f"the builder failed unexpectedly ({what})", None,
                        "this is a fault of the builder, not of your content; the preview goes on, and comes "
                        "back at the next save that builds")


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
