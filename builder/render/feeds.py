"""The Atom feed and the sitemap: absolute URLs from the site's base URL."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from builder import routes
from builder.model import Archive, Article, Issue
from builder.render import markdown
from builder.render.output import Page
from builder.routes import page_url

if TYPE_CHECKING:
    from feedgen.feed import FeedGenerator


def absolute(archive: Archive, path: str) -> str:
    return routes.absolute(archive.site.base_url, path)


def render_feed(archive: Archive) -> Page:
    """feed.xml: the articles of the newest issues, newest issue first, in issue order."""
    from feedgen.feed import FeedGenerator  # lxml and dateutil: only when the feed is made

    site = archive.site
    zone = ZoneInfo(site.timezone)
    feed = FeedGenerator()
    feed.id(site.base_url)
    feed.title(site.title)
    feed.subtitle(site.description or f"{site.title}，{site.publisher}编印")
    feed.author({"name": site.publisher})
    feed.language(site.language)
    feed.link(href=site.base_url, rel="alternate")
    feed.link(href=absolute(archive, routes.FEED), rel="self")
    issues = archive.issues[: site.feed_issues]
    # The feed's own date comes from the content, so an unchanged archive gives an unchanged feed.
    newest = max((i.date for i in issues), default=dt.date(1970, 1, 1))
    feed.updated(dt.datetime.combine(newest, dt.time(), zone))
    for issue in issues:
        for article in issue.articles:
            _entry(feed, archive, issue, article, zone)
    return Page(routes.FEED, feed.atom_str(pretty=True).decode("utf-8"))


def _entry(feed: FeedGenerator, archive: Archive, issue: Issue, article: Article, zone: ZoneInfo) -> None:
    url = absolute(archive, article.url_path)
    folder = absolute(archive, issue.url_path)
    entry = feed.add_entry(order="append")
    entry.id(url)
    entry.title(article.title)
    entry.link(href=url, rel="alternate")
    entry.author({"name": article.author or article.source})
    entry.category(term=article.section.slug, label=article.section.name)
    entry.published(dt.datetime.combine(article.date, dt.time(), zone))
    entry.updated(dt.datetime.combine(issue.date, dt.time(), zone))
    if article.summary:
        entry.summary(article.summary)
    body = markdown.render(article.body, folder, raw_html=archive.site.raw_html,
                           charts=("feed", archive.site.pdf.colour))
    meta = f"<p>{escape(issue.label, quote=False)}　来源：{escape(article.source, quote=False)}</p>"
    entry.content(meta + body, type="html")


def render_sitemap(archive: Archive, paths: list[str]) -> Page:
    """sitemap.xml listing the given pages (404.html is never listed)."""
    dates = {page_url(i.url_path): i.date for i in archive.issues}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    for path in sorted(paths):
        if path == routes.NOT_FOUND:
            continue
        url = page_url(path)
        parts = url.split("/")
        lastmod = dates.get("/".join(parts[:2]) + "/") if len(parts) > 2 else None
        lines.append(f"  <url><loc>{escape(archive.site.base_url + url, quote=False)}</loc>"
                     + (f"<lastmod>{lastmod.isoformat()}</lastmod>" if lastmod else "") + "</url>")
    lines.append("</urlset>\n")
    return Page(routes.SITEMAP, "\n".join(lines))
