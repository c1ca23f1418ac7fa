"""Issue -> its print edition: the print HTML from the theme's templates, then WeasyPrint.

`print_document` is pure (model in, HTML text out) and is what the build hashes to decide
whether an issue needs rendering again; `render_pdf` runs WeasyPrint on it, in a worker
process when several issues render at once.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import jinja2
from bs4 import BeautifulSoup, NavigableString

from . import __version__, markdown
from .errors import ContentError
from .model import Archive, Article, Issue

# What else decides the PDF's bytes: the builder's typesetting and WeasyPrint itself.
RENDERER = f"builder {__version__}, weasyprint {version('weasyprint')}"
PRINT_TEMPLATE = "print/issue.html"
PRINT_STYLESHEET = "print/issue.css"
# A table of this many columns or more is set across both columns of the page.
WIDE_TABLE_COLUMNS = 3


@dataclass(frozen=True)
class PrintDocument:
    """Everything WeasyPrint needs for one issue; its `digest` names the resulting PDF."""

    slug: str
    html: str
    base_url: str  # the issue's folder, against which images and attachments resolve
    files: tuple[tuple[str, str], ...]  # (path, sha256) of the issue's files the HTML may load

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for part in (self.html, self.base_url, RENDERER, *(f"{p}={d}" for p, d in self.files)):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()


@dataclass(frozen=True)
class RenderedPdf:
    slug: str
    pdf: bytes
    pages: int
    problems: tuple[str, ...]  # WeasyPrint's errors: images that could not be loaded, etc.


def print_document(archive: Archive, issue: Issue, env: jinja2.Environment) -> PrintDocument:
    site = archive.site
    anchors = {a.slug: f"article-{i}" for i, a in enumerate(issue.articles, start=1)}
    bodies = {a.slug: print_body(markdown.render(a.body, ids=anchors[a.slug])) for a in issue.articles}
    note = markdown.render(issue.note) if issue.note else ""
    css = env.get_template(PRINT_STYLESHEET).render(site=site, issue=issue)
    html = env.get_template(PRINT_TEMPLATE).render(
        site=site, issue=issue, groups=issue.sections(), anchors=anchors, bodies=bodies,
        note=note, stylesheet=css)
    files = tuple((name, _sha256(issue.folder / name)) for name in issue.files)
    return PrintDocument(issue.slug, html, issue.folder.resolve().as_uri() + "/", files)


def print_body(html: str) -> str:
    """An article's HTML made ready for the page: wide tables span both columns, and
    footnotes go to the foot of the page that calls them."""
    if "<table" not in html and 'class="footnote-ref"' not in html:
        return html
    soup = BeautifulSoup(html, "html.parser")
    for table in soup.find_all("table", recursive=False):
        _span_if_wide(soup, table)
    _page_footnotes(soup)
    return str(soup)


def _span_if_wide(soup: BeautifulSoup, table) -> None:  # noqa: ANN001 (bs4 Tag)
    # WeasyPrint spans only a block that is a direct child of the multi-column box, and
    # not a table itself: the table goes into a spanning wrapper.
    first_row = table.find("tr")
    cells = len(first_row.find_all(["th", "td"])) if first_row else 0
    if cells >= WIDE_TABLE_COLUMNS:
        table.wrap(soup.new_tag("div", attrs={"class": "wide-table"}))


def _page_footnotes(soup: BeautifulSoup) -> None:
    # Markdown's endnotes moved to where they are called, for CSS `float: footnote`.
    notes = soup.find("div", class_="footnote")
    for call in soup.select("sup > a.footnote-ref"):
        item = notes.find("li", id=call["href"][1:]) if notes else None
        if item is None:
            continue
        for back in item.select("a.footnote-backref"):
            back.decompose()
        note = soup.new_tag("span", attrs={"class": "page-footnote"})
        for paragraph in item.find_all("p"):
            note.extend(list(paragraph.contents))
        if note.contents and isinstance(note.contents[-1], NavigableString):
            note.contents[-1].replace_with(note.contents[-1].rstrip(" \u00a0"))
        call.parent.replace_with(note)
    if notes is not None:
        notes.decompose()


def render_pdf(document: PrintDocument) -> RenderedPdf:
    """WeasyPrint, with the Chinese justification installed; same input, same bytes."""
    import weasyprint

    from . import typeset

    typeset.install()
    problems: list[str] = []
    handler = _Collect(problems)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        html = weasyprint.HTML(string=document.html, base_url=document.base_url,
                               url_fetcher=_local_fetcher(document.base_url))
        rendered = html.render()
        pdf = rendered.write_pdf(
            # The identifier comes from the content, not the clock: byte-identical rebuilds.
            pdf_identifier=document.digest[:32].encode("ascii"),
        )
    finally:
        logger.removeHandler(handler)
        typeset.forget_lines()
    return RenderedPdf(document.slug, pdf, len(rendered.pages), tuple(problems))


def locate_problems(issue: Issue, problems: tuple[str, ...]) -> list[ContentError]:
    """WeasyPrint's complaints about files, pointed at the article and line that uses them."""
    errors = []
    for problem in problems:
        url = problem.split("'")[1] if "'" in problem else ""
        name = unquote(urlsplit(url).path).rsplit("/", 1)[-1] if url else ""
        place = _find_reference(issue.articles, name) if name else None
        path, line = place if place else (issue.folder, None)
        errors.append(ContentError(path, f"the print edition cannot use this file: {problem}", line,
                                   "check that the file is a PNG, JPEG, GIF or SVG image that opens"))
    return errors


def _find_reference(articles: tuple[Article, ...], name: str) -> tuple[Path, int] | None:
    for article in articles:
        for number, text in enumerate(article.body.split("\n"), start=article.body_line):
            if name in text or quote(name) in text:
                return article.path, number
    return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


def _local_fetcher(base_url: str):
    """Files of the issue's own folder only: no network, nothing outside the site."""
    import weasyprint

    class LocalFetcher(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):  # noqa: ANN001 (WeasyPrint's interface)
            if url.startswith("file:") and not url.startswith(base_url):
                raise ValueError(f"{url} is outside the issue's folder")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols=("file", "data"))
