"""The build, stage by stage: load -> render -> write.

    site.yaml + content/  --load-->  Archive  --render-->  pages, PDFs and files  --write-->  output/

Errors of the loading stage are collected and raised together; nothing is written then.
Writing goes to a new folder beside output/ that replaces it only when complete, so a
failed build leaves the published archive as it was.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from builder import routes
from builder.cache.store import Store
from builder.errors import ContentError, ContentErrors, ErrorLog
from builder.model import Archive
from builder.print.editions import Typesetters, preflight, start_editions
from builder.render import markdown
from builder.render.feeds import render_feed, render_sitemap
from builder.render.output import Page, Rendered, check_output, recover, write
from builder.render.themes import static_files, template_env
from builder.render.web import render_archive
from builder.source.config import load_site
from builder.source.content import load_archive

Report = Callable[[str], None]
@dataclass(frozen=True)
class BuildResult:
    issues: int
    articles: int
    pages: int  # HTML and XML
    pdfs: int
    files: int
    seconds: float
    warnings: tuple[ContentError, ...] = field(default_factory=tuple)
    kept: tuple[str, ...] = ()  # files in output/ that the build did not write, carried over


def load(root: Path, drafts: bool = False) -> tuple[Archive, ErrorLog]:
    """Stage 1: site.yaml and content/ read and checked. Raises ContentErrors with every problem found."""
    log = ErrorLog()
    site = load_site(root, log)
    archive = load_archive(site, log, drafts) if site is not None else None
    log.raise_if_any()
    assert archive is not None
    return archive, log


def check(root: Path) -> tuple[Archive, ErrorLog]:
    """load, drafts included, and every character against the print fonts, writing nothing.
    (A build checks the characters in the render stage, while the PDFs are typeset.)"""
    archive, log = load(root, drafts=True)
    for issue in archive.issues:
        found = preflight(archive.site, issue)
        log.add(found.errors, found.warnings)
    log.raise_if_any()
    return archive, log


def render(archive: Archive, workers: Typesetters | None, report: Report = lambda _: None,
           cache: bool = True) -> Rendered:
    """Stage 2: every page (HTML, feeds, and the PDFs if there are `workers` to typeset
    them), every file to copy (output path -> source), and the warnings. Raises
    ContentErrors for what prevents a correct edition. `cache`: earlier builds' work
    (converted Markdown, PDFs) is taken from .cache/ (always kept there)."""
    site = archive.site
    env = template_env(site)
    pdf = workers is not None
    store = Store(site.root / routes.BUILD_CACHE, site.root, report, read=cache)
    with store, markdown.memo(store):
        return _render(archive, env, workers, pdf, report, cache)


def _render(archive: Archive, env: jinja2.Environment, workers: Typesetters | None, pdf: bool, report: Report,
            cache: bool) -> Rendered:
    site = archive.site
    with _template_errors():
        # The workers typeset while this process renders the archive.
        pending = start_editions(archive, env, workers, cache) if workers is not None else None
    with _template_errors():
        # Every issue gets its PDF, or the build stops: the pages may link them all.
        pages = render_archive(archive, env, frozenset(i.slug for i in archive.issues) if pdf else frozenset())
    pages.append(render_feed(archive))
    pages.append(render_sitemap(archive, [p.path for p in pages if p.path.endswith(".html")]))
    warnings: tuple[ContentError, ...] = ()
    if pending is not None:
        editions = pending.finish(report)
        if editions.errors:
            raise ContentErrors(editions.errors)
        pages.extend(Page(routes.pdf(slug), data) for slug, data in sorted(editions.pdfs.items()))
        warnings = editions.warnings
    files = static_files(site)
    for issue in archive.issues:
        for name in issue.files:
            files[routes.issue_file(issue.slug, name)] = issue.folder / name
    return Rendered(tuple(pages), files, warnings)


@contextmanager
def _template_errors() -> Iterator[None]:
    """A mistake in a template, reported like a mistake in the content: file, line, what to do."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        raise ContentErrors.one(Path(exc.filename or exc.name or "template"), f"template error: {exc.message}",
                                exc.lineno, "correct the template, or delete it to use the theme's") from None
    except jinja2.TemplateError as exc:
        # Jinja puts the template's own file and line into the traceback.
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".css", ".xml"))]
        place = frames[-1] if frames else None
        raise ContentErrors.one(Path(place.filename) if place else None, f"template error: {exc}",
                                place.lineno if place else None,
                                "correct the template, or delete it to use the theme's") from None


def _issue_folders(root: Path) -> int:
    """How many issues there may be, before reading them: how many typesetters to start."""
    folder = root / routes.ISSUES_DIR
    return sum(1 for entry in folder.iterdir() if entry.is_dir()) if folder.is_dir() else 0


def build(root: Path, output: Path, drafts: bool = False, pdf: bool = True,
          report: Report = lambda _: None, cache: bool = True) -> BuildResult:
    """load -> render -> write. Raises ContentErrors (output untouched) if the content has errors."""
    started = time.perf_counter()
    check_output(root, output)
    recover(output.resolve())
    with Typesetters(issues=_issue_folders(root)) if pdf else nullcontext() as workers:
        archive, log = load(root, drafts)
        report(f"loaded {len(archive.issues)} issues, {len(archive.articles())} articles")
        rendered = render(archive, workers, report, cache)
    kept = write(rendered, output)
    return BuildResult(
        issues=len(archive.issues),
        articles=len(archive.articles()),
        pages=sum(1 for page in rendered.pages if not page.path.endswith(".pdf")),
        pdfs=sum(1 for page in rendered.pages if page.path.endswith(".pdf")),
        files=len(rendered.files),
        seconds=time.perf_counter() - started,
        warnings=(*log.warnings, *rendered.warnings),
        kept=kept,
    )
