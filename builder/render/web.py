"""Archive -> the pages of the HTML archive. Pure: every page is rendered from the model alone."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import jinja2

from builder import routes
from builder.model import Archive, Article, Issue, Section
from builder.render import markdown
from builder.render.output import Page
from builder.routes import page_url


def render_archive(archive: Archive, env: jinja2.Environment, pdfs: frozenset[str] = frozenset()) -> list[Page]:
    """Every HTML page of the archive. `pdfs` holds the slugs of the issues that have a print edition."""
    pages = [
        _home(archive, env),
        _issue_list(archive, env),
        _section_list(archive, env),
        _not_found(archive, env),
    ]
    for issue in archive.issues:
        pages.append(_issue_page(archive, issue, env, issue.slug in pdfs))
        for previous, article, following in _neighbours(issue.articles):
            pages.append(_article_page(archive, issue, article, previous, following, env))
    for section in archive.site.sections:
        pages.extend(_section_pages(archive, section, env))
    return pages


def _render(env: jinja2.Environment, template: str, path: str, archive: Archive,
            root: str | None = None, **context: Any) -> Page:
    # Links are relative to the page, so the archive works wherever it is served from.
    prefix = root if root is not None else "../" * path.count("/")

    def url(target: str) -> str:
        return (prefix + page_url(target)) or "./"

    html = env.get_template(template).render(site=archive.site, url=url, page_path=path, **context)
    return Page(path, html)


def _home(archive: Archive, env: jinja2.Environment) -> Page:
    latest = archive.issues[0] if archive.issues else None
    return _render(env, "index.html", routes.HOME, archive, latest=latest,
                   groups=latest.sections() if latest else [],
                   note=_note_html(archive, latest, page_url(latest.url_path)) if latest else "",
                   recent=archive.issues[1:11])


def _issue_list(archive: Archive, env: jinja2.Environment) -> Page:
    years: dict[int, list[Issue]] = {}
    for issue in archive.issues:
        years.setdefault(issue.year, []).append(issue)
    return _render(env, "issues.html", routes.ISSUE_LIST, archive, years=list(years.items()))


def _section_list(archive: Archive, env: jinja2.Environment) -> Page:
    counts = {section: 0 for section in archive.site.sections}
    for article in archive.articles():
        counts[article.section] += 1
    return _render(env, "sections.html", routes.SECTION_LIST, archive, sections=list(counts.items()))


def _not_found(archive: Archive, env: jinja2.Environment) -> Page:
    # Served for any missing address, so its links must not depend on where it is.
    return _render(env, "404.html", routes.NOT_FOUND, archive, root=urlsplit(archive.site.base_url).path)


def _issue_page(archive: Archive, issue: Issue, env: jinja2.Environment, has_pdf: bool) -> Page:
    path = routes.issue_page(issue.slug)
    return _render(env, "issue.html", path, archive, issue=issue, groups=issue.sections(),
                   note=_note_html(archive, issue, ""), has_pdf=has_pdf)


def _article_page(archive: Archive, issue: Issue, article: Article, previous: Article | None,
                  following: Article | None, env: jinja2.Environment) -> Page:
    path = routes.article_page(issue.slug, article.slug)
    body = markdown.render(article.body, "../", raw_html=archive.site.raw_html)
    attachments = [(a.title, markdown.relocate(a.url, "../") if a.local else a.url) for a in article.attachments]
    return _render(env, "article.html", path, archive, issue=issue, article=article, body=body,
                   attachments=attachments, previous=previous, following=following)


def _section_pages(archive: Archive, section: Section, env: jinja2.Environment) -> list[Page]:
    entries = [(issue, article) for issue in archive.issues for article in issue.articles
               if article.section == section]
    entries.sort(key=lambda pair: (pair[0].date, pair[1].date), reverse=True)
    per_page = archive.site.per_page
    count = max(1, math.ceil(len(entries) / per_page))
    pages = []
    for number in range(1, count + 1):
        path = routes.section_page(section.slug, number)
        pager = {
            "number": number,
            "count": count,
            "previous": None if number == 1 else routes.section_folder(section.slug, number - 1),
            "next": None if number == count else routes.section_folder(section.slug, number + 1),
        }
        chunk = entries[(number - 1) * per_page: number * per_page]
        pages.append(_render(env, "section.html", path, archive, section=section, entries=chunk, pager=pager))
    return pages


def _note_html(archive: Archive, issue: Issue | None, prefix: str) -> str:
    """The 编者按 as HTML; its local references point into the issue's folder."""
    if issue is None or not issue.note:
        return ""
    return markdown.render(issue.note, prefix, raw_html=archive.site.raw_html)


def _neighbours(articles: Iterable[Article]) -> list[tuple[Article | None, Article, Article | None]]:
    items = list(articles)
    return [(items[i - 1] if i else None, item, items[i + 1] if i + 1 < len(items) else None)
            for i, item in enumerate(items)]
