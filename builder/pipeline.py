"""The build, stage by stage: load -> render -> write.

    site.yaml + content/  --load-->  Archive  --render-->  pages, PDFs and files  --write-->  output/

Errors of the loading stage are collected and raised together; nothing is written then.
Writing goes to a new folder beside output/ that replaces it only when complete, so a
failed build leaves the published archive as it was.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

import jinja2

from builder import memory, routes
from builder.cache.code import code_identity
from builder.cache.store import Store
from builder.errors import ContentError, ContentErrors, ErrorLog
from builder.model import Archive

if TYPE_CHECKING:
    from builder.print.editions import Editions, Typesetters

# The print editions' modules (WeasyPrint's helpers, Beautiful Soup) are imported by the
# builds that make PDFs: a build with --no-pdf does without them.
from builder.render import markdown
from builder.render.charts import draw_missing
from builder.render.feeds import render_sitemap
from builder.render.links import broken_links
from builder.render.output import (
    LastBuild,
    Packed,
    Page,
    Rendered,
    SpareLook,
    check_output,
    packed,
    page_bytes,
    recover,
    write,
)
from builder.render.themes import NAMED, TemplateDigests, static_files, template_env, template_errors
from builder.render.web import ARTICLE_TEXT, PDF_FACTS, fill_pdf_facts, keep_article_text, render_archive
from builder.source.config import load_site
from builder.source.content import load_archive
from builder.source.issue_memo import KIND, IssueMemo
from builder.source.site_checks import site_findings

Report = Callable[[str], None]
@dataclass(frozen=True)
class BuildResult:
    issues: int
    articles: int
    pages: int  # HTML and XML (the search index's files not counted)
    pdfs: int
    files: int
    seconds: float
    warnings: tuple[ContentError, ...] = field(default_factory=tuple)
    kept: tuple[str, ...] = ()  # files in output/ that the build did not write, carried over
    depends: tuple[str, ...] = ()  # files outside the site that decided the output: WeasyPrint, the fonts, Pagefind


def load(root: Path, drafts: bool = False, memo: IssueMemo | None = None, jobs: int = 1) -> tuple[Archive, ErrorLog]:
    """Stage 1: site.yaml and content/ read and checked. Raises ContentErrors with every
    problem found. With a `memo`, issues whose folders an earlier build read as they are
    now are taken from it."""
    log = ErrorLog()
    site = load_site(root, log)
    archive = load_archive(site, log, drafts, memo, jobs) if site is not None else None
    log.raise_if_any()
    assert archive is not None
    return archive, log


def check(root: Path) -> tuple[Archive | None, ErrorLog]:
    """Everything a build checks, drafts included, and every character against the print
    fonts; then what only the whole site shows: the links and pictures of every page that
    lead nowhere (errors), gaps in the numbering and the like (warnings, `site_findings`).
    Writes nothing, raises nothing: the archive (None if it could not be read) and every
    error and warning found. (A build checks the characters while the PDFs are typeset.)"""
    from builder.print import editions

    log = ErrorLog()
    site = load_site(root, log)
    archive = load_archive(site, log, drafts=True) if site is not None else None
    if archive is None:
        return None, log
    for issue in archive.issues:
        found = editions.preflight(archive.site, issue)
        log.add(found.errors, found.warnings)
    log.add((), site_findings(archive))
    try:
        log.add(_broken_links(archive), ())
    except ContentErrors as errors:  # a template that does not render
        log.add(errors.errors, ())
    return archive, log


def _broken_links(archive: Archive) -> list[ContentError]:
    """Each link or picture of the rendered archive that leads nowhere, at the line of the
    Markdown that holds it (or, made by a template, named with its page)."""
    site = archive.site
    env = template_env(site)
    slugs = frozenset(issue.slug for issue in archive.issues)
    with template_errors():
        pages = render_archive(archive, env, slugs)
    files = {*static_files(site), routes.SITEMAP, *(routes.pdf(slug) for slug in slugs),
             *(routes.issue_file(issue.slug, name) for issue in archive.issues for name in issue.files)}
    # page -> the Markdown its links come from, where it starts, and how they were relocated
    sources: dict[str, tuple[Path, str, int, str]] = {}
    for issue in archive.issues:
        sources[routes.issue_page(issue.slug)] = (issue.folder / routes.ISSUE_FILE, issue.note,
                                                  issue.line("note") or 1, "")
        for article in issue.articles:
            sources[routes.article_page(issue.slug, article.slug)] = (article.path, article.body, article.body_line,
                                                                     "../")
    errors = []
    for page, address in broken_links(pages, files, urlsplit(site.base_url).path or "/"):
        path, text, first, base = sources.get(page, (None, "", 0, ""))
        written = [address, address[len(base):] if base and address.startswith(base) else address]
        written += [unquote(candidate) for candidate in written]
        # As typed, or percent-encoded as typed (%2E%2E/ for ../): found in the text decoded.
        searched = next((form for form in (text, unquote(text)) if any(c in form for c in written)), "")
        at = next((found for found in (searched.find(candidate) for candidate in written) if found >= 0), -1)
        address = next((candidate for candidate in written if candidate in searched), address)
        text = searched
        if path is not None and at >= 0:
            errors.append(ContentError(path, f"the link '{address}' leads to no page or file of the archive",
                                       first + text.count("\n", 0, at),
                                       "write it relative to the issue's folder, as a picture: another article of "
                                       "the issue is <article>/, the issue ./, an article of another issue "
                                       "../<issue>/<article>/ (each ending in /)"))
        else:
            errors.append(ContentError(None, f"the page {page} links to '{address}', which the archive does not "
                                       "have", None, "a link made by a template: check the site's templates/"))
    return errors


@dataclass(frozen=True)
class Earlier:
    """What an earlier build left that this one may take: its cache, the pages it wrote."""

    store: Store
    last: LastBuild | None = None  # None: every page is rendered
    digests: Mapping[str, str] = field(default_factory=dict)  # issue slug -> its memo key
    jobs: int = 1  # processes that render the issues' pages


def render(archive: Archive, workers: Typesetters | None, report: Report = lambda _: None,
           cache: bool = True, earlier: Earlier | None = None, pdf_links: bool = False,
           search: bool | str = True) -> Rendered:
    """Stage 2: every page (HTML, feeds, and the PDFs if there are `workers` to typeset
    them), every file to copy (output path -> source), and the warnings. Raises
    ContentErrors for what prevents a correct edition. `cache`: earlier builds' work
    (converted Markdown, PDFs) is taken from .cache/ (always kept there); `earlier` also
    names the pages of the last build that need no rendering. `pdf_links`: the issues' pages
    link their PDFs though there are no `workers` (`newsletter serve` typesets them aside).
    `search`: the search index is made (render/search.py)."""
    site = archive.site
    if earlier is None:
        with Store(site.root / routes.BUILD_CACHE, site.root, report, read=cache) as store:
            return render(archive, workers, report, cache, Earlier(store), pdf_links, search)
    env = template_env(site)
    with markdown.memo(earlier.store):
        return _render(archive, env, workers, report, cache, earlier, pdf_links, search)


def _render(archive: Archive, env: jinja2.Environment, workers: Typesetters | None, report: Report,
            cache: bool, earlier: Earlier, pdf_links: bool, search: bool | str) -> Rendered:
    site = archive.site
    pdf = workers is not None
    # The charts the cache lacks, drawn aside before anything shows them.
    draw_missing(archive, earlier.store, report)
    with template_errors():
        # The workers typeset while this process renders the archive.
        pending = None
        if workers is not None:
            from builder.print.editions import start_editions

            pending = start_editions(archive, env, workers, cache)
    last = earlier.last
    base = hashlib.sha256("\0".join((code_identity(), repr(site))).encode()).hexdigest()
    with template_errors():
        # Every issue gets its PDF, or the build stops: the pages may link them all.
        # While editions are typeset, the pages wait for them compressed (see output.Packed).
        hold = packed if pending is not None and pending.to_typeset else str
        pages = render_archive(archive, env, frozenset(i.slug for i in archive.issues) if pdf or pdf_links
                               else frozenset(),
                               last.reusable if last is not None else lambda path, key: False, base,
                               earlier.digests, earlier.jobs, TemplateDigests(env, site, earlier.store), hold,
                               dict(pending.digests) if pending is not None else {})
    store = earlier.store
    store.complete.add(KIND)  # every issue was looked up: those not are gone
    store.complete.add(NAMED)  # every template a page is made with: the others' entries go
    if any(page.content is None for page in pages):
        # The texts of the pages left as they were are still wanted, though not asked for:
        # kept. Once the store holds far more than the archive needs, the articles' own are
        # named and the rest dropped; so are conversions not asked for (a feed's, an edition's).
        store.partial = True
        articles = archive.articles()
        if store.count(ARTICLE_TEXT) > 3 * len(articles) + 1000:
            for article in articles:
                keep_article_text(article, site.raw_html, site.pdf.colour)
            store.complete.add(ARTICLE_TEXT)
        if store.count("markdown") > 3 * len(articles) + 1000:
            store.complete.add("markdown")
    pages.append(render_sitemap(archive, [p.path for p in pages if p.path.endswith(".html")]))
    if search:
        pages.extend(_search_index(archive, pages, earlier, report, stale=search == SEARCH_LATER))
    if hold is packed:
        memory.give_back()  # what rendering freed, for the minutes the editions still take
    warnings: tuple[ContentError, ...] = ()
    if pending is not None:
        editions = pending.finish(report)
        if editions.errors:
            raise ContentErrors(editions.errors)
        pages = _with_pdf_facts(pages, _pdf_facts(editions, store))
        pages.extend(Page(routes.pdf(slug), data) for slug, data in sorted(editions.pdfs.items())
                     if isinstance(data, bytes))
        warnings = editions.warnings
    elif pdf_links:
        pages = _with_pdf_facts(pages, {})  # typeset aside (`newsletter serve`): not known here
    files = static_files(site)
    for issue in archive.issues:
        for name in issue.files:
            files[routes.issue_file(issue.slug, name)] = issue.folder / name
    known: dict[str, str] = {}
    if pending is not None:
        for slug, data in editions.pdfs.items():
            if isinstance(data, Path):
                files[routes.pdf(slug)] = data
                known[routes.pdf(slug)] = editions.digests[slug]
    return Rendered(tuple(pages), files, warnings, known)


# The build cache's kind for the page count of each print edition (by its digest): a PDF
# taken from the PDF cache is not opened to count them.
PDF_PAGES = "pdf pages"


def _pdf_facts(editions: Editions, store: Store) -> dict[str, tuple[int, int | None]]:
    """Each edition's size in bytes and its page count (None if not known)."""
    facts: dict[str, tuple[int, int | None]] = {}
    store.complete.add(PDF_PAGES)
    for slug, data in editions.pdfs.items():
        key = editions.digests[slug]
        count = editions.pages.get(slug)
        if count is not None:
            store.put(PDF_PAGES, key, str(count).encode())
        else:
            kept = store.get(PDF_PAGES, key)
            count = int(kept) if kept is not None and kept.isdigit() else None
        facts[slug] = (len(data) if isinstance(data, bytes) else data.stat().st_size, count)
    return facts


def _with_pdf_facts(pages: list[Page], facts: Mapping[str, tuple[int, int | None]]) -> list[Page]:
    """The pages made while the editions were typeset, each edition's size and page count
    put where its page says them (`web.fill_pdf_facts`)."""
    done = []
    for page in pages:
        content = page.content
        if isinstance(content, str) and PDF_FACTS in content:
            page = Page(page.path, fill_pdf_facts(content, facts), page.key)
        elif isinstance(content, Packed) and content.comments:
            page = Page(page.path, packed(fill_pdf_facts(page_bytes(content).decode("utf-8"), facts)), page.key)
        done.append(page)
    return done


# `search=SEARCH_LATER`: a part of the index whose articles changed is left as the last
# build made it (`newsletter serve` shows the pages at once, and makes the index after).
SEARCH_LATER = "later"


def _search_index(archive: Archive, pages: list[Page], earlier: Earlier, report: Report,
                  stale: bool = False) -> list[Page]:
    """The search index of the article pages (render/search.py)."""
    from builder.render import search

    earlier.store.complete.add(search.KIND)  # every part is looked up: the others' entries go
    last = earlier.last
    output = last.output if last is not None else None
    articles = {part: [routes.article_page(issue.slug, article.slug) for issue in issues for article in issue.articles]
                for part, issues in search.parts(archive.issues).items()}
    return search.index(
        pages, articles,
        last.digest if last is not None else lambda path: "",
        lambda path: output / path if output is not None else None,
        last.reusable if last is not None else lambda path, key: False,
        earlier.store, _scratch(archive.site.root), report,
        (lambda prefix: [name for name in last.entries if name.startswith(prefix)]) if stale and last is not None
        else None)


def _scratch(root: Path) -> Path | None:
    """The folder of the site's cache where the search indexer's files are laid out; None
    (the system's temporary folder) if .cache/ leads out of the site."""
    from builder.files import UnsafePath, inside

    try:
        inside(root / routes.SEARCH_SCRATCH, root)
    except UnsafePath:
        return None
    return root / routes.SEARCH_SCRATCH


def _issue_folders(root: Path) -> int:
    """How many issues there may be, before reading them: how many typesetters to start."""
    folder = root / routes.ISSUES_DIR
    return sum(1 for entry in folder.iterdir() if entry.is_dir()) if folder.is_dir() else 0


def build(root: Path, output: Path, drafts: bool = False, pdf: bool = True,
          report: Report = lambda _: None, cache: bool = True, jobs: int = 1,
          seen: Mapping[str, tuple[str, bool]] | None = None, pdf_links: bool = False,
          search: bool | str = True) -> BuildResult:
    """load -> render -> write. Raises ContentErrors (output untouched) if the content has errors.
    `seen`: the issue folders' snapshots by name, if taken at the start of the build.
    `pdf_links`: without `pdf`, the pages link the PDFs all the same (see `render`).
    `search`: with the search index (SEARCH_LATER: its parts as they were)."""
    started = time.perf_counter()
    check_output(root, output)
    recover(output.resolve())
    if pdf:
        from builder.print.editions import Typesetters
    # The spare archive's files, listed on another core while this one loads and renders; not
    # with print editions (a thread of this process, had the fork failed, would be alive when the
    # typesetters are forked): then `write` lists it, as it writes.
    with SpareLook(output, fork=jobs > 1) if not pdf else nullcontext() as look, \
            Store(root / routes.BUILD_CACHE, root, report, read=cache) as store:
        # The typesetters stop before the archive is written: their memory is free by then.
        with Typesetters(issues=_issue_folders(root)) if pdf else nullcontext() as workers:
            # with --no-cache, written, not read
            memo = IssueMemo(store, f"{code_identity()} drafts={drafts}", seen=seen or {})
            store.preload(KIND)
            # With print editions, the typesetters have the cores (and a thread of this process
            # waits for them, which rules out forking): the archive is made here alone.
            jobs = jobs if workers is None else 1
            archive, log = load(root, drafts, memo, jobs)
            report(f"loaded {len(archive.issues)} issues, {len(archive.articles())} articles")
            digests = {issue.slug: memo.keys[issue.folder] for issue in archive.issues
                       if issue.folder in memo.keys}
            earlier = Earlier(store, LastBuild(output) if cache else None, digests, jobs)
            rendered = render(archive, workers, report, cache, earlier, pdf_links, search)
        kept = write(rendered, output, look=look)
    return BuildResult(
        issues=len(archive.issues),
        articles=len(archive.articles()),
        pages=sum(1 for page in rendered.pages if not page.path.endswith(".pdf")
                  and not page.path.startswith(routes.SEARCH_BUNDLE)),
        pdfs=sum(1 for page in rendered.pages if page.path.endswith(".pdf")) + len(rendered.known),
        files=len(rendered.files) - len(rendered.known),
        seconds=time.perf_counter() - started,
        warnings=(*log.warnings, *rendered.warnings),
        kept=kept,
        depends=(*(_print_depends() if pdf else ()), *(_search_depends() if search else ())),
    )


def _search_depends() -> tuple[str, ...]:
    from builder.render import search

    return (str(search.executable()),)


def _print_depends() -> tuple[str, ...]:
    from builder.print.editions import print_depends

    return print_depends()
