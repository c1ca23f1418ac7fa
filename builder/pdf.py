"""Issue -> its print edition: the print HTML from the theme's templates, then WeasyPrint.

`print_document` is pure (model in, HTML text out) and is what the build hashes to decide
whether an issue needs rendering again; `render_pdf` runs WeasyPrint on it, in a worker
process when several issues render at once.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import mimetypes
import posixpath
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from bs4 import BeautifulSoup, NavigableString

from . import __version__, files, markdown
from .content import IMAGE_SUFFIXES, ISSUE_FILE, where_used
from .errors import ContentError
from .model import Archive, Article, Issue
from .overflow import Overflow, find_overflows
from .web import page_url

# Where the print HTML finds the issue's images. WeasyPrint names an image in the PDF
# after its URL; a fixed URL keeps the PDF's bytes independent of where the site is.
ISSUE_URL = "file:///issue/"
PRINT_TEMPLATE = "print/issue.html"
PRINT_STYLESHEET = "print/issue.css"
# A table of this many columns or more is set across both columns of the page.
WIDE_TABLE_COLUMNS = 3
# The sum of the squares of a table's cell lengths above which its columns are of equal
# width (see _fix_if_long): about a second of WeasyPrint's automatic layout.
LONG_CELLS = 500_000
# More footnote calls than this in one article are set as notes at its end.
MAX_PAGE_FOOTNOTES = 20
# The most text an issue's print edition takes on: about 280 pages, a minute or two of
# typesetting on a small machine. More is an accident (a pasted log, a whole report) that
# would otherwise keep the build busy for an hour with nothing to show.
MAX_PRINT_CHARACTERS = 500_000


@dataclass(frozen=True)
class PrintDocument:
    """Everything WeasyPrint needs for one issue; its `digest` names the resulting PDF."""

    slug: str
    html: str
    folder: str  # the issue's folder; the HTML sees it as ISSUE_URL
    images: tuple[tuple[str, str], ...]  # (path, sha256) of the images the HTML may load
    files: tuple[str, ...] = ()  # every file of the issue that WeasyPrint may read (images, attachments)

    @property
    def digest(self) -> str:
        """Names the PDF: same digest, same bytes. The folder's place on disk is left out."""
        h = hashlib.sha256()
        for part in (self.html, renderer(), *(f"{p}={d}" for p, d in self.images)):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()

    @property
    def identifier(self) -> bytes:
        """The PDF's /ID: from the content alone, not the clock nor the code that set it,
        so a rebuild of the same issue is the same file."""
        h = hashlib.sha256()
        for part in (self.html, *(f"{p}={d}" for p, d in self.images)):
            h.update(part.encode("utf-8"))
            h.update(b"\0")
        return h.hexdigest()[:32].encode("ascii")


@functools.lru_cache(maxsize=1)
def renderer() -> str:
    """What decides the PDF's bytes besides its HTML: WeasyPrint, our typesetting code,
    and the font files."""
    from .glyphs import PRINT_FACES, font_file

    code = hashlib.sha256()
    for module in ("pdf.py", "typeset.py", "justify.py", "cjk.py", "columns.py"):
        code.update((Path(__file__).parent / module).read_bytes())
    fonts = []
    for face in PRINT_FACES:
        path = font_file(face)
        fonts.append(f"{path}:{path.stat().st_size}" if path.is_file() else face)
    return f"builder {__version__} {code.hexdigest()[:16]}, weasyprint {version('weasyprint')}, {' '.join(fonts)}"


@dataclass(frozen=True)
class RenderedPdf:
    slug: str
    pdf: bytes
    pages: int
    problems: tuple[str, ...]  # WeasyPrint's errors: images that could not be loaded, etc.
    overflows: tuple[Overflow, ...] = ()  # what runs past the page's edge


def print_document(archive: Archive, issue: Issue, env: jinja2.Environment) -> PrintDocument:
    site = archive.site
    # Links to the issue's files point at the published archive (a reader's PDF has no
    # content/ folder); images load from the issue's folder, as ISSUE_URL.
    web = site.base_url + page_url(issue.url_path)
    anchors = article_anchors(issue)
    bodies = {a.slug: print_body(markdown.render(a.body, web, ids=anchors[a.slug], image_base="",
                                                 raw_html=site.raw_html))
              for a in issue.articles}
    attachments = {a.slug: _attachments(a, web) for a in issue.articles}
    note = markdown.render(issue.note, web, image_base="", raw_html=site.raw_html) if issue.note else ""
    css = env.get_template(PRINT_STYLESHEET).render(site=site, issue=issue)
    # The document's date is the issue's, at midnight where the bulletin is published.
    published = dt.datetime.combine(issue.date, dt.time(), ZoneInfo(site.timezone)).isoformat()
    html = env.get_template(PRINT_TEMPLATE).render(
        site=site, issue=issue, groups=issue.sections(), anchors=anchors, bodies=bodies,
        attachments=attachments, note=note, stylesheet=css, published=published)
    images = tuple((name, files.sha256(issue.folder / name)) for name in issue.files
                   if Path(name).suffix.lower() in IMAGE_SUFFIXES)
    return PrintDocument(issue.slug, html, str(issue.folder.resolve()), images, issue.files)


def print_limits(issue: Issue) -> list[ContentError]:
    """An error if the issue holds more text than its print edition can take on."""
    size = sum(len(article.body) for article in issue.articles) + len(issue.note)
    if size <= MAX_PRINT_CHARACTERS or not issue.articles:
        return []
    largest = max(issue.articles, key=lambda article: len(article.body))
    return [ContentError(largest.path, f"this issue's text is {size:,} characters long, more than the "
                                       f"{MAX_PRINT_CHARACTERS:,} its print edition can set (about 280 pages); "
                                       f"this article alone has {len(largest.body):,}", largest.body_line,
                         "shorten or split the article (attach the full text as a PDF under 'attachments:'), "
                         "or build with --no-pdf")]


def article_anchors(issue: Issue) -> dict[str, str]:
    """Each article's id in the print HTML (a slug may not make a valid one)."""
    return {a.slug: f"article-{i}" for i, a in enumerate(issue.articles, start=1)}


def _attachments(article: Article, web: str) -> list[tuple[str, str]]:
    """(label, address) of each attachment, labelled 附件 / 附件1, 附件2 … unless its title says so."""
    several = len(article.attachments) > 1
    result = []
    for number, attachment in enumerate(article.attachments, start=1):
        label = attachment.title
        if not label.startswith("附件"):
            label = f"附件{number if several else ''}：{label}"
        result.append((label, markdown.relocate(attachment.url, web) if attachment.local else attachment.url))
    return result


def print_body(html: str) -> str:
    """An article's HTML made ready for the page: wide tables span both columns, and
    footnotes go to the foot of the page that calls them."""
    if "<table" not in html and 'class="footnote-ref"' not in html:
        return html
    soup = BeautifulSoup(html, "html.parser")
    for table in soup.find_all("table", recursive=False):
        _span_if_wide(soup, table)
    for table in soup.find_all("table"):
        _fix_if_long(table)
    _page_footnotes(soup)
    return str(soup)


def _span_if_wide(soup: BeautifulSoup, table) -> None:  # noqa: ANN001 (bs4 Tag)
    # WeasyPrint spans only a block that is a direct child of the multi-column box, and
    # not a table itself: the table goes into a spanning wrapper.
    first_row = table.find("tr")
    cells = len(first_row.find_all(["th", "td"])) if first_row else 0
    if cells >= WIDE_TABLE_COLUMNS:
        table.wrap(soup.new_tag("div", attrs={"class": "wide-table"}))


def _fix_if_long(table) -> None:  # noqa: ANN001 (bs4 Tag)
    # WeasyPrint's automatic table layout measures each cell's narrowest and widest
    # setting at a cost that grows with the square of its length: a cell of 2,700
    # characters took 15 s, one of 24,000 minutes. Past LONG_CELLS a table gets columns of
    # equal width instead, set in a blink.
    if sum(len(cell.get_text()) ** 2 for cell in table.find_all(["th", "td"])) > LONG_CELLS:
        table["class"] = [*table.get("class", []), "long-cells"]


def _page_footnotes(soup: BeautifulSoup) -> None:
    # Markdown's endnotes moved to where they are called, for CSS `float: footnote`.
    notes = soup.find("div", class_="footnote")
    calls = soup.select("sup > a.footnote-ref")
    if len(calls) > MAX_PAGE_FOOTNOTES:
        # WeasyPrint places page footnotes at a cost that grows with the cube of their
        # number (100 took 25 s): many notes stay notes at the article's end.
        for back in soup.select("a.footnote-backref"):
            back.decompose()
        return
    for call in calls:
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

    from . import columns, typeset

    typeset.install()
    columns.install()
    problems: list[str] = []
    handler = _Collect(problems)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        html = weasyprint.HTML(string=document.html, base_url=ISSUE_URL,
                               url_fetcher=_local_fetcher(document))
        rendered = html.render()
        pdf = rendered.write_pdf(
            pdf_identifier=document.identifier,
        )
    finally:
        logger.removeHandler(handler)
        typeset.forget_lines()
    return RenderedPdf(document.slug, pdf, len(rendered.pages), tuple(problems), find_overflows(rendered.pages))


def locate_problems(issue: Issue, problems: tuple[str, ...]) -> list[ContentError]:
    """WeasyPrint's complaints about files, pointed at the article and line that uses them."""
    errors = []
    for problem in problems:
        url = problem.split("'")[1] if "'" in problem else ""
        if url.startswith(ISSUE_URL):
            name = files.reference_path(url[len(ISSUE_URL):])
            path, line = where_used(issue.folder, name, issue.articles, issue.folder / ISSUE_FILE)
            hint = "check that the file is a picture (PNG, JPEG, GIF, WebP or SVG) that opens, of a sensible size"
        else:
            path, line = _find_text(issue, url)
            hint = "the print edition uses only files of the issue's folder: save the file there and refer to it"
        errors.append(ContentError(path, f"the print edition cannot use this file: {problem.rstrip(': ')}", line, hint))
    return errors


def _find_text(issue: Issue, text: str) -> tuple[Path, int | None]:
    """The article and line where `text` stands, else the issue's folder."""
    for article in issue.articles:
        at = article.body.find(text) if text else -1
        if at >= 0:
            return article.path, article.body_line + article.body.count("\n", 0, at)
    return issue.folder, None


class _Collect(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


def _local_fetcher(document: PrintDocument):
    """The files the issue publishes, and data: URLs; nothing else: no network, no other
    file (however its URL is spelled: %2E%2E is decoded, links are followed)."""
    import weasyprint
    from weasyprint.urls import URLFetcherResponse

    folder = Path(document.folder)
    allowed = set(document.files)

    class LocalFetcher(weasyprint.URLFetcher):
        def fetch(self, url, headers=None):  # noqa: ANN001 (WeasyPrint's interface)
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if not url.startswith(ISSUE_URL):
                raise ValueError(f"'{url}' is not a file of the issue")
            name = posixpath.normpath(files.reference_path(url[len(ISSUE_URL):]))
            if name not in allowed:
                raise ValueError(f"'{url}' is not a file the issue publishes")
            try:
                data = files.read_bytes(files.regular_file(folder / name, folder))
            except files.UnsafePath as exc:
                raise ValueError(f"'{url}' {exc}") from None
            mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, data, {"Content-Type": mime})

    return LocalFetcher(allowed_protocols=("file", "data"))
