"""The bulletin as the builder sees it: Site, Section, Issue (期), Article.

All frozen: loaders build them once, every later stage only reads them. `lines` keeps
where each front-matter key stood, for messages about a value found wrong later on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from builder import routes


@dataclass(frozen=True)
class Section:
    """A 栏目 such as 市场热点; `slug` names it in URLs."""

    name: str
    slug: str

    @property
    def url_path(self) -> str:
        return routes.section_folder(self.slug)


@dataclass(frozen=True)
class PdfSettings:
    columns: int = 2
    page_number: str = "dashes"  # "dashes": — 3 —   "total": 第 3 页 共 51 页
    colour: str = "#c00000"
    closing: tuple[str, ...] = ()  # 版记 lines: editorial office, address, 报送/抄送
    latin_spacing: str = "quarter"  # 中西文间距: "quarter" em between 汉字 and Latin/digits, or "none"
    line_end_punctuation: str = "full"  # 行尾点号: "full" width, as the printed bulletin, or "half" (ink flush)
    line_start_bracket: str = "full"  # 行首开括号: "full" width (GB/T books and 公文), or "half" (ink flush)
    # The PDF's standard: "pdf/ua-1" tagged for screen readers (the default), a PDF/A for
    # archives that require one ("pdf/a-3a" tagged as well), or "none" (untagged).
    variant: str = "pdf/ua-1"


@dataclass(frozen=True)
class SmtpSettings:
    """The mail server `newsletter send` hands the messages to (site.yaml `smtp:`); the
    password comes only from the environment (NEWSLETTER_SMTP_PASSWORD)."""

    host: str = "localhost"
    port: int = 0  # 0: the security's usual port (starttls 587, tls 465, none 25)
    security: str = "starttls"  # starttls | tls | none
    user: str = ""
    sender: str = ""  # the From address
    sender_name: str = ""  # its display name; the site's title if empty


@dataclass(frozen=True)
class SendSettings:
    """How an issue goes to its subscribers (site.yaml `send:`). Paths are relative to the site."""

    subscribers: str = "subscribers.csv"  # email, name, groups
    suppressed: str = "suppressed.txt"  # addresses never to write to (unsubscribed, bounced), one a line
    attach: bool = True  # the PDF attached (else linked)
    attach_limit: int = 5  # MB: a larger PDF is linked, not attached
    subject: str = "{title} {year}年第{number}期"  # also {total}, {label}, {date}
    unsubscribe: tuple[str, ...] = ()  # mailto: address and/or https:// URL, for List-Unsubscribe
    per_minute: int = 0  # messages a minute at most; 0: as fast as the server takes them
    ledger: str = "sent"  # the folder of the record of what was sent: keep it, back it up


@dataclass(frozen=True)
class Site:
    root: Path
    title: str
    publisher: str  # 编印单位
    base_url: str  # always ends with "/"
    language: str
    timezone: str
    theme: str
    sections: tuple[Section, ...]
    pdf: PdfSettings = field(default_factory=PdfSettings)
    feed_issues: int = 5  # how many of the newest issues the feed carries
    per_page: int = 20  # articles on one page of a section listing
    description: str = ""
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    send: SendSettings = field(default_factory=SendSettings)
    raw_html: bool = False  # markdown.raw_html: HTML in the Markdown is kept (sanitised), not shown as text

    @property
    def issues_dir(self) -> Path:
        return self.root / routes.ISSUES_DIR

    def section(self, name_or_slug: str) -> Section | None:
        for section in self.sections:
            if name_or_slug in (section.name, section.slug):
                return section
        return None


@dataclass(frozen=True)
class Attachment:
    """A file that goes with an article: a URL, or a site path for a local file."""

    title: str
    url: str
    local: bool = False


@dataclass(frozen=True)
class Article:
    issue_slug: str
    slug: str
    title: str
    date: dt.date  # 发布日期
    source: str  # 来源
    section: Section
    order: int
    path: Path  # the Markdown file
    body: str  # Markdown
    body_line: int  # line of `path` where `body` starts
    author: str = ""
    summary: str = ""
    tags: tuple[str, ...] = ()
    link: str = ""  # the original's URL
    attachments: tuple[Attachment, ...] = ()
    draft: bool = False
    lines: tuple[tuple[str, int], ...] = ()  # front-matter key -> line of `path`

    @property
    def url_path(self) -> str:
        return routes.article_folder(self.issue_slug, self.slug)

    def line(self, key: str) -> int | None:
        return dict(self.lines).get(key)


@dataclass(frozen=True)
class Issue:
    """One 期 of the bulletin: year and number (年度期号), total number (总期号)."""

    slug: str
    year: int
    number: int  # 期号 within the year
    total: int  # 总期号
    date: dt.date
    folder: Path
    articles: tuple[Article, ...]
    title: str = ""
    note: str = ""  # 编者按, Markdown
    draft: bool = False
    files: tuple[str, ...] = ()  # the files its articles and note use, relative to `folder`
    lines: tuple[tuple[str, int], ...] = ()  # issue.yaml key -> line

    def line(self, key: str) -> int | None:
        return dict(self.lines).get(key)

    @property
    def label(self) -> str:
        """The issue line as printed: 2017年第18期（总第106期）."""
        return f"{self.year}年第{self.number}期（总第{self.total}期）"

    @property
    def url_path(self) -> str:
        return routes.issue_folder(self.slug)

    @property
    def pdf_path(self) -> str:
        return routes.pdf(self.slug)

    def sections(self) -> list[tuple[Section, list[Article]]]:
        """The issue's articles grouped by section, in the site's section order."""
        groups: dict[Section, list[Article]] = {}
        for article in self.articles:
            groups.setdefault(article.section, []).append(article)
        return list(groups.items())


@dataclass(frozen=True)
class Archive:
    """Everything one build publishes: the site and its issues, newest first."""

    site: Site
    issues: tuple[Issue, ...]

    def articles(self) -> list[Article]:
        return [article for issue in self.issues for article in issue.articles]
