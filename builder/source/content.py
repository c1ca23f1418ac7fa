"""content/issues/ -> Issue and Article: front matter read, checked and cross-checked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from builder.charts import spec as charts
from builder.errors import ErrorLog
from builder.files import (
    UnsafePath,
    inside,
    read_text,
)
from builder.model import Archive, Article, Attachment, Issue, Section, Site
from builder.routes import ISSUE_FILE
from builder.source.fields import Field, read_fields
from builder.source.issue_files import (
    check_body,
    check_file_types,
    check_files_apart,
    check_local_file,
    published_files,
)
from builder.source.issue_memo import IssueMemo, load_all
from builder.source.references import (
    is_local,
)
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
ORDERED_NAME = re.compile(r"^(\d+)[-_](.+)$")
# Each fence line on its own: '---' above and below the front matter.
FENCE = "---"


def load_archive(site: Site, log: ErrorLog, drafts: bool = False, memo: IssueMemo | None = None,
                 jobs: int = 1) -> Archive | None:
    """Every issue under content/issues/, newest first; None if anything is wrong. With a
    `memo`, an issue whose folder is as an earlier build saw it is taken from there; the
    others are read over `jobs` processes."""
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
    folders = _issue_folders(issues_dir, log)
    loaded = load_all(memo, folders, site, log, lambda f, s, found: load_issue(f, s, found, drafts), jobs)
    issues = [issue for issue in loaded if issue is not None and (drafts or not issue.draft)]
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
    found = log.scope()  # this issue's own errors
    problem = slug_problem(folder.name)
    if problem:
        found.error(folder, f"as the issue's web address, {problem}",
                    hint=f"rename the folder with letters, digits and hyphens only (at most {MAX_SLUG}), e.g. 2017-18")
    meta_path = folder / ISSUE_FILE
    read = _issue_meta(meta_path, site, found)
    articles = []
    for path in _article_files(folder, found):
        article = load_article(path, folder.name, site, found)
        if article is not None and (drafts or not article.draft):
            articles.append(article)
    _check_unique_slugs(articles, found)
    if read is None or found:
        return None
    doc, meta = read
    files = published_files(folder, articles, meta.get("note", ""))
    check_files_apart(folder, files, articles, found)
    check_file_types(folder, files, articles, meta_path, found)
    if found:
        return None
    if not articles:
        found.warn(folder, "this issue has no articles")
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


def _issue_meta(path: Path, site: Site, log: ErrorLog) -> tuple[YamlDoc, dict[str, Any]] | None:
    """issue.yaml, read and checked (its 编者按 too)."""
    if not path.exists() and not path.is_symlink():
        log.error(path, "this issue has no issue.yaml", hint="add issue.yaml with year, number, total and date")
        return None
    text = read_text(path, log)
    doc = parse_yaml(text, path, log) if text is not None else None
    meta = read_fields(doc, ISSUE_FIELDS, log) if doc is not None else None
    if doc is None or meta is None:
        return None
    if meta.get("note"):
        # The note is a block (`note: |`): its text starts on the line after the key.
        check_body(meta["note"], (doc.line("note") or 0) + 1, path, site, log)
    return doc, meta


def _article_files(folder: Path, log: ErrorLog) -> list[Path]:
    """The issue's articles: its `.md` files, hidden ones (an editor's lock or backup) left out."""
    for path in sorted(folder.iterdir()):
        markdown_like = path.suffix.lower() in (".md", ".markdown", ".mdown") and path.suffix != ".md"
        if markdown_like and not path.name.startswith("."):
            log.warn(path, "this file is not read as an article: only files ending in .md are",
                     hint=f"rename it to {path.stem}.md if it is an article")
    return [path for path in sorted(folder.glob("*.md")) if not path.name.startswith(".")]


def load_article(path: Path, issue_slug: str, site: Site, log: ErrorLog) -> Article | None:
    read = _front_matter(path, log)
    if read is None:
        return None
    doc, values, body, body_line = read
    found = log.scope()  # this article's errors beyond its front matter's own
    section = _section(values["section"], doc, site, found)
    slug, order = _slug_and_order(path, values, doc, found)
    attachments = _attachments(doc, path, found)
    check_body(body, body_line, path, site, found)
    body = charts.resolve(body, body_line, path, found, parse_yaml)
    link = values.get("link", "")
    if link and not re.match(r"^https?://", link):
        found.error(path, f"link '{link}' is not a web address", doc.line("link"),
                    "write the original's full address, starting with http:// or https://")
    if found or section is None or attachments is None:
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


def _front_matter(path: Path, log: ErrorLog) -> tuple[YamlDoc, dict[str, Any], str, int] | None:
    """(front matter, its checked values, body, line where the body starts), or None (reported)."""
    text = read_text(path, log)
    parts = split_front_matter(text, path, log) if text is not None else None
    if parts is None:
        return None
    front, body, body_line = parts
    doc = parse_yaml(front, path, log, first_line=2)
    values = read_fields(doc, ARTICLE_FIELDS, log) if doc is not None else None
    if doc is None or values is None:
        return None
    return doc, values, body, body_line


def _section(name: str, doc: YamlDoc, site: Site, log: ErrorLog) -> Section | None:
    """The 栏目 an article names, written with or without its 【】."""
    section = site.section(name.strip("【】 "))
    if section is None:
        names = "、".join(s.name for s in site.sections)
        log.error(doc.path, f"unknown section '{name}'", doc.line("section"),
                  f"use one of the sections of site.yaml: {names}")
    return section


def _slug_and_order(path: Path, values: dict[str, Any], doc: YamlDoc, log: ErrorLog) -> tuple[str, int]:
    """From the front matter, else from a file name such as `03-carbon-market.md`."""
    named = ORDERED_NAME.match(path.stem)
    slug = values.get("slug") or (named.group(2) if named else path.stem)
    problem = slug_problem(slug)
    if problem:
        log.error(path, problem, doc.line("slug") if "slug" in values else 1,
                  f"use letters, digits and hyphens only (no '/', '.' or spaces), at most {MAX_SLUG}"
                  + ("" if "slug" in values else "; rename the file or add a 'slug:' line"))
    return slug, values.get("order", int(named.group(1)) if named else 0)


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
            if check_local_file(url, path, line, log):
                result.append(Attachment(values["title"], url, local=True))
        elif re.match(r"^(https?|ftp)://", url):
            result.append(Attachment(values["title"], url))
        else:
            log.error(path, f"attachment '{url}' is neither a web address nor a file beside the article",
                      line, "give a full address (https://…) or a path relative to this file")
    return tuple(result) if len(result) == len(items) else None


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

