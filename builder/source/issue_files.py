"""The files an issue publishes, and the references that name them.

An article's Markdown may refer to pictures and documents in its issue's folder. Each
reference is checked where it is written (`check_body`: a regular file inside the issue's
folder, once decoded and with links followed; Markdown the converter can take on), and
the files the published articles use are the only files of the folder published
(`published_files`), each of a type that cannot run in the archive's pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from builder.errors import ErrorLog
from builder.files import MAX_TEXT_BYTES, Missing, UnsafePath, read_bytes, reference_path, resolve_reference
from builder.model import Article, Site
from builder.source.references import (
    MAX_MARKDOWN_WORK,
    MAX_NESTING,
    is_local,
    is_page_link,
    local_references,
    markdown_work,
    raw_html_references,
    too_deep,
)
from builder.source.svg import svg_problem

# The files an issue may publish beside its pages. A web page, script or XML file from the
# content would run in the archive's own origin: those are refused, with what to do.
# Pictures: their content can change a print edition's pixels (other files are only linked).
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp", ".tif", ".tiff", ".avif"}
PUBLISHED_SUFFIXES = IMAGE_SUFFIXES | {
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp", ".wps", ".et", ".dps",
    ".ofd", ".txt", ".csv", ".zip", ".rar", ".7z",
}

def published_files(folder: Path, articles: list[Article], note: str) -> tuple[str, ...]:
    """The files of the issue's folder that its published articles, attachments and note
    refer to (a draft's pictures, a backup or a Word file beside them are not published).
    Each has been checked to be a regular file inside the folder."""
    refs = [ref.target for ref in local_references(note)]
    for article in articles:
        refs += [ref.target for ref in local_references(article.body)]
        refs += [attachment.url for attachment in article.attachments if attachment.local]
    root = folder.resolve()
    names = {resolve_reference(ref, folder).relative_to(root).as_posix() for ref in refs
             if is_local(ref) and not is_page_link(ref)}
    return tuple(sorted(names))


def check_file_types(folder: Path, files: tuple[str, ...], articles: list[Article], meta_path: Path,
                      log: ErrorLog) -> None:
    for name in files:
        suffix = Path(name).suffix.lower()
        if suffix == ".svg":
            try:
                active = svg_problem(read_bytes(folder / name, MAX_TEXT_BYTES))
            except UnsafePath as exc:  # an SVG is XML text: the text files' limit holds
                active = f"it {exc}"
            if active:
                path, line = where_used(folder, name, articles, meta_path)
                log.error(path, f"'{name}' cannot be published: {active}",
                          line, "an SVG opened on its own runs in the archive's pages: save the picture again "
                                "as a plain SVG from the drawing program, or as PNG")
        elif suffix not in PUBLISHED_SUFFIXES:
            path, line = where_used(folder, name, articles, meta_path)
            log.error(path, f"'{name}' would be published, but files of type '{suffix or 'none'}' are not: "
                            "a web page, script or unknown file from the content could run in the archive's pages",
                      line, "convert it to PDF, or link it where it is published on the web (https://…)")


def where_used(folder: Path, name: str, articles: Iterable[Article], meta_path: Path) -> tuple[Path, int | None]:
    """The file and line that refer to the issue's file `name` (relative to `folder`)."""
    root = folder.resolve()
    for article in articles:
        for ref in local_references(article.body):
            if is_local(ref.target) and _names(ref.target, folder, root) == name:
                return article.path, article.body_line + ref.line - 1
        for attachment in article.attachments:
            if attachment.local and _names(attachment.url, folder, root) == name:
                return article.path, article.line("attachments")
    return meta_path, None


def _names(ref: str, folder: Path, root: Path) -> str | None:
    try:
        return resolve_reference(ref, folder).relative_to(root).as_posix()
    except (UnsafePath, ValueError):
        return None


def check_files_apart(folder: Path, files: tuple[str, ...], articles: list[Article], log: ErrorLog) -> None:
    # Each article gets the folder output/issues/<issue>/<slug>/; a file of the issue must not land there.
    slugs = {article.slug for article in articles}
    for name in files:
        top = name.split("/")[0]
        if top in slugs:
            log.error(folder / name, f"'{top}' is both an article's slug and a file or folder of the issue",
                      hint="rename the file or folder")


def check_body(body: str, body_line: int, path: Path, site: Site, log: ErrorLog) -> None:
    """The Markdown's references and nesting, each problem at its line."""
    deep = too_deep(body)
    if deep is not None:
        line, levels = deep
        log.error(path, f"this line nests {levels} levels of quotes or lists; at most {MAX_NESTING} can be set",
                  body_line + line - 1, "flatten the quotes or lists")
    costly = markdown_work(body)
    if costly is not None:
        line, work = costly
        log.error(path, "the Markdown from this line would keep the converter busy for minutes "
                        f"({work:,} steps; at most {MAX_MARKDOWN_WORK:,})", body_line + line - 1,
                  "close each [, ( and <tag that opens (write one meant as text as \\[, （ or &lt;), split long "
                  "paragraphs with blank lines, and a text of many thousand paragraphs over several articles")
        return  # the references are not looked for either: that work is of the same kind
    for ref in local_references(body):
        line = body_line + ref.line - 1
        if ref.target.startswith("/"):
            log.error(path, f"'{ref.target}' is an absolute path", line,
                      "refer to files beside the article with a relative path, e.g. images/chart.png")
        elif is_local(ref.target) and not (is_page_link(ref.target) and not ref.image):
            check_local_file(ref.target, path, line, log)
        elif ref.image and not ref.target.startswith("#"):
            log.error(path, f"the image '{ref.target[:80]}' is not a file of the issue: "
                            "the print edition fetches nothing from the web", line,
                      "save the picture in the issue's folder (e.g. images/) and refer to it there")
    if site.raw_html:
        for target, line in raw_html_references(body):
            log.error(path, f"'{target}' is named in HTML, where the web pages and the PDF cannot follow it",
                      body_line + line - 1, f"write it in Markdown: ![description]({target}) or [title]({target})")


def check_local_file(target: str, path: Path, line: int | None, log: ErrorLog) -> bool:
    """A referenced file must be a regular file inside the article's issue folder, once
    decoded (%2E%2E is ..) and with every link followed."""
    folder = path.parent
    try:
        resolve_reference(target, folder)
    except UnsafePath as exc:
        if isinstance(exc, Missing):
            shown = (folder / reference_path(target)).relative_to(folder.parent.parent.parent)
            hint = f"put the file at {shown} or correct the name"
        else:
            hint = "put the file itself in the issue's folder (or a folder inside it) and refer to it from there"
        log.error(path, f"'{target[:80]}' {exc}", line, hint)
        return False
    return True
