"""content/issues/ -> Issue and Article: front matter read, checked and cross-checked."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from builder.errors import ErrorLog
from builder.files import (
    MAX_TEXT_BYTES,
    Missing,
    UnsafePath,
    inside,
    read_bytes,
    read_text,
    reference_path,
    resolve_reference,
)
from builder.model import Archive, Article, Attachment, Issue, Site
from builder.routes import ISSUE_FILE
from builder.source.fields import Field, read_fields
from builder.source.references import (
    MAX_MARKDOWN_WORK,
    MAX_NESTING,
    is_local,
    local_references,
    markdown_work,
    raw_html_references,
    too_deep,
)
from builder.source.svg import svg_problem
from builder.source.yamlfile import YamlDoc, parse_yaml

ISSUE_FIELDS = {
    "year": Field("int", required=True, hint="add the year, e.g. 'year: 2017'", least=1000, most=9999),
    "number": Field("int", required=True, hint="add the 期号 within the year, e.g. 'number: 18'", least=1, most=999),
    "total": Field("int", required=True, hint="add the 总期号, e.g. 'total: 106'", least=1, most=99999),
    "date": Field("date", required=True, hint="add the publication date, e.g. 'date: 2017-05-05'"),
    "title": Field("text"),
    "note": Field("text"),
    "draft": Field("bool"),
}
ARTICLE_FIELDS = {
    "title": Field("text", required=True, hint="add a line 'title: …' to the front matter"),
    "date": Field("date", required=True, hint="add the 发布日期, e.g. 'date: 2017-05-03'"),
    "source": Field("text", required=True, hint="add the 来源, e.g. 'source: 新华社'"),
    "section": Field("text", required=True, hint="add the 栏目, e.g. 'section: 市场热点'"),
    "order": Field("int"),
    "slug": Field("text"),
    "author": Field("text"),
    "summary": Field("text"),
    "tags": Field("texts"),
    "draft": Field("bool"),
    "link": Field("text"),
    "attachments": Field("list"),
}
ATTACHMENT_FIELDS = {
    "title": Field("text", required=True, hint="give each attachment a 'title'"),
    "url": Field("text", required=True,
                 hint="give each attachment a 'url': a web address or a file beside the article"),
}
# A slug becomes a folder of output/: letters (Chinese too), digits, hyphens, underscores;
# short enough for every file system (255 bytes a name; a Chinese character takes 3).
SLUG = re.compile(r"^\w[\w-]*$")
MAX_SLUG = 80
# The files an issue may publish beside its pages. A web page, script or XML file from the
# content would run in the archive's own origin: those are refused, with what to do.
# Pictures: their content can change a print edition's pixels (other files are only linked).
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp", ".tif", ".tiff", ".avif"}
PUBLISHED_SUFFIXES = IMAGE_SUFFIXES | {
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".odt", ".ods", ".odp", ".wps", ".et", ".dps",
    ".ofd", ".txt", ".csv", ".zip", ".rar", ".7z",
}
ORDERED_NAME = re.compile(r"^(\d+)[-_](.+)$")
# Each fence line on its own: '---' above and below the front matter.
FENCE = "---"


def load_archive(site: Site, log: ErrorLog, drafts: bool = False) -> Archive | None:
    """Every issue under content/issues/, newest first; None if anything is wrong."""
    issues_dir = site.issues_dir
    if not issues_dir.is_dir():
        log.error(issues_dir, "there is no content/issues/ folder",
                  hint="make one folder per issue under content/issues/, each with an issue.yaml")
        return None
    try:
        inside(issues_dir, site.root)
    except UnsafePath as exc:
        log.error(issues_dir, f"the issues cannot be read: content/issues/ {exc}",
                  hint="keep content/ and content/issues/ as folders of the site, not links to elsewhere")
        return None
    issues = []
    for folder in _issue_folders(issues_dir, log):
        issue = load_issue(folder, site, log, drafts)
        if issue is not None and (drafts or not issue.draft):
            issues.append(issue)
    _check_unique_issues(issues, log)
    if log:
        return None
    issues.sort(key=lambda i: (i.date, i.year, i.number), reverse=True)
    return Archive(site, tuple(issues))


def _issue_folders(issues_dir: Path, log: ErrorLog) -> list[Path]:
    """The folders of content/issues/ that are issues. A hidden folder (.git) is not one,
    unless it holds an issue.yaml: then its name is a mistake, and saying nothing would
    publish an archive without it."""
    folders = []
    for entry in sorted(issues_dir.iterdir()):
        try:
            if not inside(entry, issues_dir, "content/issues/").is_dir():
                continue
        except UnsafePath as exc:
            log.error(entry, f"this issue folder cannot be used: it {exc}",
                      hint="put the issue's folder itself under content/issues/, not a link to elsewhere")
            continue
        if entry.name.startswith("."):
            if (entry / ISSUE_FILE).exists() or any(entry.glob("*.md")):
                log.error(entry, f"the folder '{entry.name}' holds an issue, but a name starting with '.' is hidden",
                          hint="rename it with letters, digits and hyphens, e.g. 2017-18")
            continue
        folders.append(entry)
    return folders


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name a folder of the archive, or None."""
    if not SLUG.match(slug):
        return f"the slug '{slug[:40]}' cannot be used in a web address"
    if len(slug) > MAX_SLUG:
        return (f"the slug '{slug[:20]}…' is {len(slug)} characters long, more than the {MAX_SLUG} a web address "
                "can take")
    return None


def load_issue(folder: Path, site: Site, log: ErrorLog, drafts: bool) -> Issue | None:
    before = len(log.errors)
    meta_path = folder / ISSUE_FILE
    problem = slug_problem(folder.name)
    if problem:
        log.error(folder, f"as the issue's web address, {problem}",
                  hint=f"rename the folder with letters, digits and hyphens only (at most {MAX_SLUG}), e.g. 2017-18")
    meta = None
    if not meta_path.exists() and not meta_path.is_symlink():
        log.error(meta_path, "this issue has no issue.yaml",
                  hint="add issue.yaml with year, number, total and date")
    else:
        text = read_text(meta_path, log)
        doc = parse_yaml(text, meta_path, log) if text is not None else None
        meta = read_fields(doc, ISSUE_FIELDS, log) if doc is not None else None
        if meta and meta.get("note"):
            # The note is a block (`note: |`): its text starts on the line after the key.
            _check_body(meta["note"], (doc.line("note") or 0) + 1, meta_path, site, log)
    articles = []
    for path in _article_files(folder, log):
        article = load_article(path, folder.name, site, log)
        if article is not None and (drafts or not article.draft):
            articles.append(article)
    _check_unique_slugs(articles, log)
    if meta is None or len(log.errors) > before:
        return None
    files = _published_files(folder, articles, meta.get("note", ""))
    _check_files_apart(folder, files, articles, log)
    _check_file_types(folder, files, articles, meta_path, log)
    if len(log.errors) > before:
        return None
    if not articles:
        log.warn(folder, "this issue has no articles")
    section_rank = {section: i for i, section in enumerate(site.sections)}
    articles.sort(key=lambda a: (section_rank[a.section], a.order, a.path.name))
    return Issue(
        slug=folder.name,
        year=meta["year"],
        number=meta["number"],
        total=meta["total"],
        date=meta["date"],
        folder=folder,
        articles=tuple(articles),
        title=meta.get("title", ""),
        note=meta.get("note", ""),
        draft=meta.get("draft", False),
        files=files,
        lines=doc_lines(doc, ISSUE_FIELDS),
    )


def _article_files(folder: Path, log: ErrorLog) -> list[Path]:
    """The issue's articles: its `.md` files, hidden ones (an editor's lock or backup) left out."""
    for path in sorted(folder.iterdir()):
        markdown_like = path.suffix.lower() in (".md", ".markdown", ".mdown") and path.suffix != ".md"
        if markdown_like and not path.name.startswith("."):
            log.warn(path, "this file is not read as an article: only files ending in .md are",
                     hint=f"rename it to {path.stem}.md if it is an article")
    return [path for path in sorted(folder.glob("*.md")) if not path.name.startswith(".")]


def _published_files(folder: Path, articles: list[Article], note: str) -> tuple[str, ...]:
    """The files of the issue's folder that its published articles, attachments and note
    refer to (a draft's pictures, a backup or a Word file beside them are not published).
    Each has been checked to be a regular file inside the folder."""
    refs = [ref.target for ref in local_references(note)]
    for article in articles:
        refs += [ref.target for ref in local_references(article.body)]
        refs += [attachment.url for attachment in article.attachments if attachment.local]
    root = folder.resolve()
    names = {resolve_reference(ref, folder).relative_to(root).as_posix() for ref in refs if is_local(ref)}
    return tuple(sorted(names))


def _check_file_types(folder: Path, files: tuple[str, ...], articles: list[Article], meta_path: Path,
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


def _check_files_apart(folder: Path, files: tuple[str, ...], articles: list[Article], log: ErrorLog) -> None:
    # Each article gets the folder output/issues/<issue>/<slug>/; a file of the issue must not land there.
    slugs = {article.slug for article in articles}
    for name in files:
        top = name.split("/")[0]
        if top in slugs:
            log.error(folder / name, f"'{top}' is both an article's slug and a file or folder of the issue",
                      hint="rename the file or folder")


def load_article(path: Path, issue_slug: str, site: Site, log: ErrorLog) -> Article | None:
    text = read_text(path, log)
    if text is None:
        return None
    parts = split_front_matter(text, path, log)
    if parts is None:
        return None
    front, body, body_line = parts
    doc = parse_yaml(front, path, log, first_line=2)
    if doc is None:
        return None
    values = read_fields(doc, ARTICLE_FIELDS, log)
    if values is None:
        return None
    before = len(log.errors)
    section = site.section(values["section"].strip("【】 "))
    if section is None:
        names = "、".join(s.name for s in site.sections)
        log.error(path, f"unknown section '{values['section']}'", doc.line("section"),
                  f"use one of the sections of site.yaml: {names}")
    named = ORDERED_NAME.match(path.stem)
    slug = values.get("slug") or (named.group(2) if named else path.stem)
    problem = slug_problem(slug)
    if problem:
        log.error(path, problem, doc.line("slug") if "slug" in values else 1,
                  f"use letters, digits and hyphens only (no '/', '.' or spaces), at most {MAX_SLUG}"
                  + ("" if "slug" in values else "; rename the file or add a 'slug:' line"))
    order = values.get("order", int(named.group(1)) if named else 0)
    attachments = _attachments(doc, path, log)
    _check_body(body, body_line, path, site, log)
    link = values.get("link", "")
    if link and not re.match(r"^https?://", link):
        log.error(path, f"link '{link}' is not a web address", doc.line("link"),
                  "write the original's full address, starting with http:// or https://")
    if len(log.errors) > before or section is None or attachments is None:
        return None
    return Article(
        issue_slug=issue_slug,
        slug=slug,
        title=values["title"],
        date=values["date"],
        source=values["source"],
        section=section,
        order=order,
        path=path,
        body=body,
        body_line=body_line,
        author=values.get("author", ""),
        summary=values.get("summary", ""),
        tags=values.get("tags", ()),
        link=link,
        attachments=attachments,
        draft=values.get("draft", False),
        lines=doc_lines(doc, ARTICLE_FIELDS),
    )


def doc_lines(doc: YamlDoc, spec: dict[str, Field]) -> tuple[tuple[str, int], ...]:
    """Where each key of `spec` stands in the file, for messages about its value later on."""
    return tuple((key, line) for key in spec if key in doc.data and (line := doc.line(key)))


def split_front_matter(text: str, path: Path, log: ErrorLog) -> tuple[str, str, int] | None:
    """(front matter, body, line where the body starts), or None (reported)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        log.error(path, "the file does not start with front matter", 1,
                  "begin the file with a line '---', then title, date, source and section, then '---'")
        return None
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() in (FENCE, "..."):
            return "\n".join(lines[1:i]), "\n".join(lines[i + 1:]), i + 2
    log.error(path, "the front matter is not closed", 1,
              "add a line '---' after the last front matter line")
    return None


def _attachments(doc: YamlDoc, path: Path, log: ErrorLog) -> tuple[Attachment, ...] | None:
    items = doc.data.get("attachments") or []
    result = []
    for i in range(len(items)):
        values = read_fields(doc, ATTACHMENT_FIELDS, log, ("attachments", i), f"attachment {i + 1}")
        if values is None:
            continue
        url = values["url"]
        line = doc.line("attachments", i, "url")
        if is_local(url):
            if _check_local_file(url, path, line, log):
                result.append(Attachment(values["title"], url, local=True))
        elif re.match(r"^(https?|ftp)://", url):
            result.append(Attachment(values["title"], url))
        else:
            log.error(path, f"attachment '{url}' is neither a web address nor a file beside the article",
                      line, "give a full address (https://…) or a path relative to this file")
    return tuple(result) if len(result) == len(items) else None


def _check_body(body: str, body_line: int, path: Path, site: Site, log: ErrorLog) -> None:
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
        elif is_local(ref.target):
            _check_local_file(ref.target, path, line, log)
        elif ref.image and not ref.target.startswith("#"):
            log.error(path, f"the image '{ref.target[:80]}' is not a file of the issue: "
                            "the print edition fetches nothing from the web", line,
                      "save the picture in the issue's folder (e.g. images/) and refer to it there")
    if site.raw_html:
        for target, line in raw_html_references(body):
            log.error(path, f"'{target}' is named in HTML, where the web pages and the PDF cannot follow it",
                      body_line + line - 1, f"write it in Markdown: ![description]({target}) or [title]({target})")


def _check_local_file(target: str, path: Path, line: int | None, log: ErrorLog) -> bool:
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


def _check_unique_slugs(articles: list[Article], log: ErrorLog) -> None:
    seen: dict[str, Article] = {}
    for article in articles:
        if article.slug in seen:
            log.error(article.path, f"the slug '{article.slug}' is already used by {seen[article.slug].path.name}", 1,
                      "give one of the two articles another file name or a 'slug:' line")
        else:
            seen[article.slug] = article


def _check_unique_issues(issues: list[Issue], log: ErrorLog) -> None:
    seen: dict[tuple[int, int], Issue] = {}
    totals: dict[int, Issue] = {}
    for issue in issues:
        key = (issue.year, issue.number)
        if key in seen:
            log.error(issue.folder / ISSUE_FILE,
                      f"{issue.year}年第{issue.number}期 is also issue {seen[key].folder.name}",
                      issue.line("number"),
                      "correct 'year' or 'number' in one of the two issue.yaml files")
        else:
            seen[key] = issue
        if issue.total in totals:
            log.error(issue.folder / ISSUE_FILE,
                      f"总第{issue.total}期 is also issue {totals[issue.total].folder.name}",
                      issue.line("total"),
                      "correct 'total' in one of the two issue.yaml files")
        else:
            totals[issue.total] = issue

