"""Archive -> the pages of the HTML archive. Pure: every page is rendered from the model alone."""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from builder import routes
from builder.cache.code import code_identity
from builder.charts.spec import CHART_MARK
from builder.chinese import CJK_CLASS
from builder.forked import fork_map
from builder.model import Archive, Article, Issue, Section, Site
from builder.render import markdown
from builder.render.feeds import render_feed
from builder.render.output import Packed, Page
from builder.render.themes import template_errors
from builder.routes import page_url

# Whether the last build wrote `path` from inputs of this key, and left it as it was.
Reusable = Callable[[str, str], bool]


def render_archive(archive: Archive, env: jinja2.Environment, pdfs: frozenset[str] = frozenset(),
                   reusable: Reusable = lambda path, key: False, base: str = "",
                   digests: Mapping[str, str] | None = None, jobs: int = 1,
                   templates: Callable[[str], str] = lambda name: "",
                   hold: Callable[[str], str | Packed] = str, editions: Mapping[str, str] | None = None
                   ) -> list[Page]:
    """Every HTML page of the archive, and its feed. `pdfs` holds the slugs of the issues that have a
    print edition. A page whose inputs are those the last build wrote it from (the same
    key: `base`, a digest of the site and the code, `templates`' digest of its template,
    and `digests` of its issues) and that is still as it was left is not rendered again:
    `reusable` says so, and its Page has no content. The issues' pages are rendered over
    `jobs` processes. `hold` is what a page's text is kept as until it is written (the
    build packs it while the print editions are typeset). `editions`: the digest of each
    issue's print edition where it is known before it is typeset: the pages that say its
    size and page count (`pdf_facts`) are made again when it changes."""
    pages = _Pages(archive, env, reusable, base, digests or {}, templates, hold, pdfs, editions or {})
    result = [pages.home(), pages.issue_list(), pages.section_list(), pages.subscribe(), pages.search(),
              pages.not_found(), pages.favicon()]
    issues = archive.issues
    planned, makers = pages.plan(range(len(issues)), pdfs)
    if len(makers) < FORK_PAGES or jobs <= 1:
        # Processes pay only for much work (starting them takes as long as a hundred pages).
        with template_errors():
            result.extend(Page(page.path, hold(makers[page.path]()), page.key) if page.path in makers else page
                          for page in planned)
        for section in archive.site.sections:
            result.extend(pages.section(section))
        result.append(pages.feed())
    else:
        # The sections' pages and the feed (its articles converted again, with absolute links)
        # first, then a few runs of issues for each worker, so that one slow run does not keep
        # the others waiting.
        runs = max(1, min(len(issues), 4 * jobs))
        sections = archive.site.sections
        work: list[Section | range | None] = [None, *sections, *(
            range(len(issues) * i // runs, len(issues) * (i + 1) // runs) for i in range(runs))]
        done = fork_map(lambda part: pages.part(part, pdfs), work, jobs)
        for _, records in done:
            markdown.merge_records(records)
        feed, by_section, by_issues = done[:1], done[1:1 + len(sections)], done[1 + len(sections):]
        # In the order the build without workers gives: the issues', the sections', the feed.
        for rendered, _ in [*by_issues, *by_section, *feed]:
            result.extend(rendered)
    return result


FORK_PAGES = 300


@dataclass
class _Pages:
    archive: Archive
    env: jinja2.Environment
    reusable: Reusable
    base: str
    digests: Mapping[str, str]
    templates: Callable[[str], str]  # template name -> a digest of the files it is made of
    hold: Callable[[str], str | Packed] = str  # what a page's text is kept as until written
    pdfs: frozenset[str] = frozenset()  # the issues with a print edition
    editions: Mapping[str, str] = field(default_factory=dict)  # issue slug -> its print edition's digest
    computed: dict[str, str] = field(default_factory=dict)
    decided: dict[str, tuple[str, bool]] = field(default_factory=dict)  # path -> its key, and whether reusable
    planning: bool = False  # `_made` renders nothing, and keeps how it would (`plan`)
    makers: dict[str, Callable[[], str]] = field(default_factory=dict)

    def _digest(self, issue: Issue) -> str:
        """What the pages made of `issue` depend on: the key its folder was read under, or
        (without one: the folder changed a moment ago, or no cache) its content."""
        kept = self.digests.get(issue.slug) or self.computed.get(issue.slug)
        if kept is None:
            digest = hashlib.sha256(repr(issue).encode("utf-8", "surrogateescape")).hexdigest()
            kept = self.computed[issue.slug] = digest
        return kept

    def _edition(self, issue: Issue) -> str:
        """What a page that links an issue's PDF (and says its size) depends on."""
        return f"pdf {self.editions.get(issue.slug, '')}" if issue.slug in self.pdfs else "no pdf"

    def _pdf(self, issue: Issue) -> Edition | None:
        """The issue's print edition, for the templates: its address, and its size and page
        count (`pdf_facts`), or None if it has none."""
        if issue.slug not in self.pdfs:
            return None
        return Edition(issue.pdf_path, Markup(pdf_facts_marker(issue.slug)))

    def _made(self, path: str, maker: str, depends: Iterable[str], make: Callable[[], str]) -> Page:
        """The page at `path` made by `make` (with `maker`, a template), unless the last
        build made it from the same inputs."""
        decided = self.decided.get(path)
        if decided is None:  # not yet planned
            key = hashlib.sha256("\0".join((self.base, maker, path, *depends)).encode("utf-8", "surrogateescape")
                                 ).hexdigest()
            decided = self.decided[path] = (key, self.reusable(path, key))
        key, reuse = decided
        if self.planning and not reuse:
            self.makers[path] = make
        if self.planning or reuse:
            return Page(path, None, key)
        return Page(path, self.hold(make()), key)

    def _page(self, template: str, path: str, depends: Iterable[str], context: Callable[[], dict[str, Any]],
              root: str | None = None) -> Page:
        # Links are relative to the page, so the archive works wherever it is served from.
        prefix = root if root is not None else "../" * path.count("/")

        def url(target: str) -> str:
            return (prefix + page_url(target)) or "./"

        site = self.archive.site
        return self._made(path, f"{template} {self.templates(template)}", depends,
                          lambda: self.env.get_template(template).render(
            site=site, url=url, page_path=path, canonical=site.base_url + page_url(path), pdf=self._pdf,
            **context()))

    def favicon(self) -> Page:
        site = self.archive.site
        return self._made(routes.FAVICON, "favicon", [site.pdf.colour, site.title[:1]], lambda: _favicon(site))

    def feed(self) -> Page:
        issues = self.archive.issues[: self.archive.site.feed_issues]
        return self._made(routes.FEED, "feed", map(self._digest, issues),
                          lambda: str(render_feed(self.archive).content))

    def home(self) -> Page:
        archive = self.archive
        latest = archive.issues[0] if archive.issues else None
        return self._page("index.html", routes.HOME, [*(self._digest(i) for i in archive.issues[:11]),
                                                      *(self._edition(i) for i in archive.issues[:1])], lambda: {
            "latest": latest, "groups": latest.sections() if latest else [],
            "note": _note_html(archive, latest, page_url(latest.url_path)) if latest else "",
            "recent": archive.issues[1:11]})

    def issue_list(self) -> Page:
        def context() -> dict[str, Any]:
            years: dict[int, list[Issue]] = {}
            for issue in self.archive.issues:
                years.setdefault(issue.year, []).append(issue)
            return {"years": list(years.items())}

        return self._page("issues.html", routes.ISSUE_LIST, [*map(self._digest, self.archive.issues),
                                                            *map(self._edition, self.archive.issues)], context)

    def section_list(self) -> Page:
        def context() -> dict[str, Any]:
            counts = {section: 0 for section in self.archive.site.sections}
            for article in self.archive.articles():
                counts[article.section] += 1
            return {"sections": list(counts.items())}

        return self._page("sections.html", routes.SECTION_LIST, map(self._digest, self.archive.issues), context)

    def subscribe(self) -> Page:
        site = self.archive.site
        # By email: where to ask, if the site sends its issues (site.yaml smtp: and send:).
        leave = next((address.removeprefix("mailto:") for address in site.send.unsubscribe
                      if address.startswith("mailto:")), "")
        return self._page("subscribe.html", routes.SUBSCRIBE, [], lambda: {
            "feed_url": site.base_url + page_url(routes.FEED), "feed_issues": site.feed_issues,
            "mail_from": site.smtp.sender, "mail_leave": leave, "mail_attached": site.send.attach})

    def search(self) -> Page:
        from builder.render.search import bundle, parts

        years = sorted({issue.year for issue in self.archive.issues}, reverse=True)
        bundles = [bundle(part) for part in parts(self.archive.issues)]
        return self._page("search.html", routes.SEARCH, [repr(years), repr(bundles)],
                          lambda: {"years": years, "bundles": bundles})

    def not_found(self) -> Page:
        # Served for any missing address, so its links must not depend on where it is.
        return self._page("404.html", routes.NOT_FOUND, [], dict,
                          root=urlsplit(self.archive.site.base_url).path)

    def plan(self, numbers: range, pdfs: frozenset[str]) -> tuple[list[Page], dict[str, Callable[[], str]]]:
        """The pages of these issues as `issues` would give them, rendering none: those
        to render have no content, and their makers by path."""
        self.planning, self.makers = True, {}
        try:
            planned = self.issues(numbers, pdfs)
        finally:
            self.planning = False
        return planned, self.makers

    def part(self, part: Section | range | None, pdfs: frozenset[str]) -> tuple[list[Page], object]:
        """A worker's part of the pages: those of a run of issues, of a section, or (None)
        the feed; and the conversions taken from and added to the build's cache."""
        markdown.worker_records()  # what the worker inherited from the build is the build's
        with template_errors():  # here, where the traceback says which template went wrong
            rendered = self.issues(part, pdfs) if isinstance(part, range) else \
                self.section(part) if part is not None else [self.feed()]
        return rendered, markdown.worker_records()

    def issues(self, numbers: range, pdfs: frozenset[str]) -> list[Page]:
        """The page of each of these issues and of each of their articles."""
        result = []
        for number in numbers:
            issue = self.archive.issues[number]
            result.append(self.issue(issue, issue.slug in pdfs))
            for previous, article, following in _neighbours(issue.articles):
                result.append(self.article(issue, article, previous, following))
        return result

    def issue(self, issue: Issue, has_pdf: bool) -> Page:
        return self._page("issue.html", routes.issue_page(issue.slug), [self._digest(issue), self._edition(issue)],
                          lambda: {
            "issue": issue, "groups": issue.sections(), "note": _note_html(self.archive, issue, ""),
            "has_pdf": has_pdf})

    def article(self, issue: Issue, article: Article, previous: Article | None, following: Article | None) -> Page:
        def context() -> dict[str, Any]:
            text = _article_text(article, self.archive.site.raw_html, self.archive.site.pdf.colour)
            return {"issue": issue, "article": article, "body": text.body, "attachments": text.attachments,
                    "previous": previous, "following": following, "description": text.description,
                    "contents": text.contents}

        return self._page("article.html", routes.article_page(issue.slug, article.slug),
                          [self._digest(issue), self._edition(issue)], context)

    def section(self, section: Section) -> list[Page]:
        archive = self.archive
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
            depends = [repr(pager), *(self._digest(issue) + article.slug for issue, article in chunk)]
            context: dict[str, Any] = {"section": section, "entries": chunk, "pager": pager}
            pages.append(self._page("section.html", path, depends, context.copy))
        return pages


@dataclass(frozen=True)
class Edition:
    """An issue's print edition as the templates show it: `path` for `url()`, `facts`
    (（PDF，0.92 MB，40页）) once it is typeset."""

    path: str
    facts: Markup


# Put into a page where an edition's size and page count go, and replaced once the build
# knows them (`fill_pdf_facts`): the pages are made while the editions are typeset.
PDF_FACTS = "<!--pdf-facts:"
_FACTS = re.compile(r"<!--pdf-facts:([0-9a-f]{16})-->")


def pdf_facts_marker(slug: str) -> str:
    return f"<!--pdf-facts:{hashlib.sha256(slug.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}-->"


def fill_pdf_facts(text: str, facts: Mapping[str, tuple[int, int | None]]) -> str:
    """`text` with each edition's marker replaced by its size and page count (by issue
    slug; in bytes, and None where the count is not known); by nothing for one unknown."""
    said = {pdf_facts_marker(slug)[len("<!--pdf-facts:"):-3]: _facts_text(size, count)
            for slug, (size, count) in facts.items()}
    return _FACTS.sub(lambda match: said.get(match.group(1), ""), text)


def _facts_text(size: int, pages: int | None) -> str:
    megabytes = f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{max(1, round(size / 1e3))} KB"
    return f"（{megabytes}{f'，{pages}页' if pages else ''}）"


# A page's description (meta description, og:description): about two lines of a search result.
DESCRIPTION_CHARACTERS = 120


def _first_words(body: str, length: int | None = DESCRIPTION_CHARACTERS) -> str:
    """The text of an article's HTML, its first `length` characters (all of it for None)."""
    text = " ".join(html.unescape(re.sub(r"<[^>]*>", " ", body)).split())
    text = _BETWEEN_CHINESE.sub("", text)  # no space where two Chinese paragraphs met
    return text if length is None or len(text) <= length else text[:length - 1] + "…"


# What a description leaves out: the footnotes (their text, the ↩ back to the call) and the calls.
_FOOTNOTES = re.compile(r'<div class="footnote">.*?</div>', re.S)
_CHARTS = re.compile(r'<div class="chart-block">.*?</details></div>', re.S)  # charts/html.py's own markup
_FOOTNOTE_CALL = re.compile(r'<sup id="fnref[^"]*">.*?</sup>', re.S)
_BETWEEN_CHINESE = re.compile(f"(?<=[{CJK_CLASS}]) (?=[{CJK_CLASS}])")


# An article this long, or with this many headings, gets a contents box of its headings
# and a way back to the top: a plan of 30,000 characters is read on a phone.
CONTENTS_CHARACTERS = 5000
CONTENTS_HEADINGS = 3
_HEADING = re.compile(r"<h([2-6])((?:\s[^>]*)?)>(.*?)</h\1>", re.S)


def _attachments_named_in_text(body: str, attachments: list[tuple[str, str]]
                               ) -> tuple[str, list[tuple[str, str]]]:
    """A notice names its attachments in a line of its own (附件：循环发展引领行动), as
    the printed one does. That line becomes the attachment's link, and the list after the
    text leaves it out: the reader is not told twice."""
    listed = []
    for title, href in attachments:
        line = f"<p>{html.escape(title, quote=False)}</p>"
        if body.count(line) == 1:
            body = body.replace(line, f'<p class="attachment"><a href="{html.escape(href)}">'
                                      f"{html.escape(title, quote=False)}</a></p>")
        else:
            listed.append((title, href))
    return body, listed


def _heading_ids(body: str) -> tuple[str, list[tuple[int, str, str]]]:
    """The article's HTML with an id on each heading, made of its text (第十条 -> id="第十条",
    so that a reader can link to it), and the headings: (level, id, text)."""
    headings: list[tuple[int, str, str]] = []
    # Taken already: the editor's {#ids} (wherever they are), the page's own, the footnotes'.
    used = set(re.findall(r'\sid="([^"]*)"', body)) | {"main"}

    def named(match: re.Match[str]) -> str:
        level, attributes, inner = int(match.group(1)), match.group(2), match.group(3)
        title = " ".join(html.unescape(re.sub(r"<[^>]*>", "", inner)).split())  # as typed: 第一章 发展现状
        given = re.search(r'\sid="([^"]*)"', attributes)
        if given:
            anchor = html.unescape(given.group(1))
        else:
            base = re.sub(r"[\s\"'<>&#%?/\\]+", "", title)[:40] or "h"
            base = f"h-{base}" if base.startswith(("article-", "fn:", "fnref:")) else base
            anchor = next(f"{base}-{n}" if n > 1 else base for n in range(1, 10_000)
                          if (f"{base}-{n}" if n > 1 else base) not in used)
            attributes += f' id="{html.escape(anchor)}"'
        used.add(anchor)
        headings.append((level, anchor, title))
        return f"<h{level}{attributes}>{inner}</h{level}>"

    return _HEADING.sub(named, body), headings


# A notice's addressee (各有关单位：) is its first paragraph, short, ending in a colon.
ADDRESSEE_CHARACTERS = 60
_FIRST_PARAGRAPH = re.compile(rf"\A(\s*)<p>([^<]{{1,{ADDRESSEE_CHARACTERS}}}[：:])</p>")
# Who a notice is addressed to: 各…, or bodies (单位, 政府, 部门, 委, 厅, 局 …).
_RECIPIENTS = re.compile(r"^各|单位|政府|部门|委员会|[委厅局办院处室]|机构|成员|企业|公司")
# The title of a document a notice publishes (低碳认证技术委员会章程): a paragraph that is all
# bold, without a closing mark, as imported text sets it.
_DOCUMENT_TITLE = re.compile(r"<p><strong>([^<。，；：！？.,;:!?]{2,60})</strong></p>")


# Numbered headings typed in bold (一、 （二） 第一章 1.) are not a document's title.
_NUMERAL = "一二三四五六七八九十百"
_NUMBERED = re.compile(rf"^(?:[{_NUMERAL}]+、|[（(][{_NUMERAL}\d]+[)）]|第.{{1,6}}[章节条部篇]|\d+[.、．])")


def _notice_parts(body: str) -> str:
    """In an official notice (an article that opens with its addressee: 各有关单位：) the
    addressee set flush left and the title of the document it publishes (the first
    paragraph all in bold after it, not a numbered heading) centred: classes the
    stylesheet sets. Other articles are left as they are."""
    first = _FIRST_PARAGRAPH.match(body)
    if first is None or not _RECIPIENTS.search(first.group(2)):
        return body  # 会议指出： opens a report, not a notice
    body = f'{first.group(1)}<p class="addressee">{first.group(2)}</p>' + body[first.end():]
    for title in _DOCUMENT_TITLE.finditer(body):
        if not _NUMBERED.match(title.group(1)):
            return body[:title.start()] + f'<p class="document-title"><strong>{title.group(1)}</strong></p>' + \
                body[title.end():]
    return body


@dataclass(frozen=True)
class ArticleText:
    """What an article's page shows of its text, made from its Markdown alone."""

    body: str  # HTML: headings with ids, a notice's parts marked, attachments the text names linked
    attachments: list[tuple[str, str]]  # (title, href) of those listed under the text
    description: str  # its summary, or its first words
    contents: list[tuple[int, str, str]]  # the contents box of a long article: (level, id, title)


# The build cache's kind for `ArticleText`: a rebuild that renders every article page again
# (a template changed) takes it from there rather than from the Markdown.
ARTICLE_TEXT = "article text"


def _article_text(article: Article, raw_html: bool, colour: str) -> ArticleText:
    """The article's `ArticleText`, from the build's cache where an earlier build made it
    from the same text with the same code (the key says both)."""
    data = markdown.memoised(ARTICLE_TEXT, _article_text_key(article, raw_html, colour), lambda: _encoded(
        dataclasses.astuple(_make_article_text(article, raw_html, colour))))
    body, attachments, description, contents = json.loads(data.decode("utf-8", "surrogatepass"))
    return ArticleText(body, [(title, href) for title, href in attachments], description,
                       [(level, anchor, title) for level, anchor, title in contents])


def _article_text_key(article: Article, raw_html: bool, colour: str) -> str:
    digest = hashlib.sha256(article.body.encode("utf-8", "surrogatepass"))
    # Its charts' drawings: in this colour, by this drawing code and matplotlib (which
    # code_identity leaves out: it would be imported at every start to be named).
    charts = [colour, markdown.chart_code()] if CHART_MARK in article.body else []
    digest.update(_encoded([code_identity(), raw_html, charts, article.summary,
                            [(a.title, a.url, a.local) for a in article.attachments]]))
    return digest.hexdigest()


def _encoded(value: object) -> bytes:
    # surrogatepass: a text may hold a lone surrogate (see source/issue_memo.py)
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


def _make_article_text(article: Article, raw_html: bool, colour: str) -> ArticleText:
    body = markdown.render(article.body, "../", raw_html=raw_html, cached=False,  # kept as part of the text
                           charts=("web", colour))
    attachments = [(a.title, markdown.relocate(a.url, "../") if a.local else a.url) for a in article.attachments]
    body, attachments = _attachments_named_in_text(body, attachments)
    body, headings = _heading_ids(_notice_parts(body))
    long = len(headings) >= CONTENTS_HEADINGS or len(_first_words(body, None)) > CONTENTS_CHARACTERS
    text = _CHARTS.sub("", _FOOTNOTES.sub("", _FOOTNOTE_CALL.sub("", body)))
    return ArticleText(body, attachments, article.summary or _first_words(text),
                       _contents(headings) if long and headings else [])


def keep_article_text(article: Article, raw_html: bool, colour: str) -> None:
    """Within `markdown.memo`: the article's text is still wanted, though its page was not
    rendered again: the cache keeps it."""
    markdown.keep_entry(ARTICLE_TEXT, _article_text_key(article, raw_html, colour))


def _contents(headings: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """The headings a contents box lists: the two highest levels the article uses, as 1 and 2."""
    levels = sorted({level for level, _, _ in headings})[:2]
    return [(levels.index(level) + 1, anchor, title) for level, anchor, title in headings if level in levels]


def _favicon(site: Site) -> str:
    """A square of the masthead's colour holding the title's first character (not a mark:
    《节能》动态 shows 节), in white, or in black on a light colour."""
    first = html.escape(next((c for c in site.title if c.isalnum()), "·"))
    colour = html.escape(site.pdf.colour)
    red, green, blue = (int(site.pdf.colour[i:i + 2], 16) for i in (1, 3, 5))  # site.yaml's #RRGGBB
    ink = "#fff" if 0.299 * red + 0.587 * green + 0.114 * blue < 160 else "#111"  # white on dark, black on light
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
            f'<rect width="64" height="64" rx="10" fill="{colour}"/>'
            f'<text x="32" y="46" font-size="40" text-anchor="middle" fill="{ink}" '
            'font-family="Noto Sans CJK SC, Source Han Sans SC, PingFang SC, Microsoft YaHei, sans-serif">'
            f'{first}</text>'
            '</svg>\n')


def _note_html(archive: Archive, issue: Issue | None, prefix: str) -> str:
    """The 编者按 as HTML; its local references point into the issue's folder."""
    if issue is None or not issue.note:
        return ""
    return markdown.render(issue.note, prefix, raw_html=archive.site.raw_html)


def _neighbours(articles: Iterable[Article]) -> list[tuple[Article | None, Article, Article | None]]:
    items = list(articles)
    return [(items[i - 1] if i else None, item, items[i + 1] if i + 1 < len(items) else None)
            for i, item in enumerate(items)]
