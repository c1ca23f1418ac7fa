"""PrintDocument -> PDF: WeasyPrint with the Chinese typesetting extension, run in a
worker process when several issues are typeset at once. Same document, same bytes.
"""

from __future__ import annotations

import logging
import mimetypes
import posixpath
from dataclasses import dataclass
from pathlib import Path

from builder import files
from builder.errors import ContentError
from builder.model import Issue
from builder.print.document import PrintDocument
from builder.print.overflow import Overflow, find_overflows
from builder.routes import ISSUE_FILE, ISSUE_URL
from builder.source.issue_files import where_used


@dataclass(frozen=True)
class RenderedPdf:
    slug: str
    pdf: bytes
    pages: int
    problems: tuple[str, ...]  # WeasyPrint's errors: images that could not be loaded, etc.
    overflows: tuple[Overflow, ...] = ()  # what runs past the page's edge


def render_pdf(document: PrintDocument) -> RenderedPdf:
    """WeasyPrint, with the Chinese justification installed; same input, same bytes."""
    import weasyprint

    from builder.print.weasyprint_cjk import typesetting

    problems: list[str] = []
    handler = _Collect(problems)
    logger = logging.getLogger("weasyprint")
    logger.addHandler(handler)
    try:
        with typesetting():
            html = weasyprint.HTML(string=document.html, base_url=ISSUE_URL,
                                   url_fetcher=_local_fetcher(document))
            rendered = html.render()
            # Tagged (PDF/UA, PDF/A-…a): headings, paragraphs, lists, tables and figures in
            # the document's order, so a screen reader reads the two columns one after the other.
            pdf = rendered.write_pdf(
                pdf_identifier=document.identifier,
                pdf_variant=None if document.variant == "none" else document.variant,
            )
            overflows = find_overflows(rendered.pages)
    finally:
        logger.removeHandler(handler)
    return RenderedPdf(document.slug, pdf, len(rendered.pages), tuple(problems), overflows)


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
