"""Back issues from the text extracted from a printed PDF -> one issue folder of Markdown.

The input is what a PDF-to-text tool makes of the printed, two-column bulletin: every
line wrapped at about 17 characters, an empty line after each, page headers, page
numbers and link targets in between. The importer finds the articles, rebuilds their
paragraphs and writes `issue.yaml` plus one Markdown file per article; the editor then
reviews what `format_summary` lists.

How the text is read:

- An article is found by its line `发布日期：2017-5-3  来源：新华社`. Its title is the
  line above; a title line wider than a column (it spans the page) that does not end a
  paragraph continues on the next line, so a title has one or two lines. Its section
  is the nearest `【…】` line above the title.
- Empty lines carry nothing: the extraction puts one after every line.
- A paragraph ends at a line the extraction left a trailing space after: it does that
  at the original's hard line breaks (after a Chinese character, ? or !), but not after
  a Latin word. When a file has such spaces they are trusted alone, since a wrapped
  heading fills its line just like a short heading does. A file without them falls
  back on width: a line four characters short of the column, or three short and
  ending in 。！？；：, ends a paragraph; a paragraph whose last line happens to be full
  is then joined with the next one, and the summary says the ends were guessed. A
  paragraph starts at a line indented beyond the others and at 第…章/节/条, （一）,
  一、, 1、, •, 附件, a document number or a date line.
- Spacing: wrapped lines are joined with nothing between Chinese characters and one
  space between Latin words or numbers. Inside a line, a space touching a Chinese
  character or full-width punctuation is removed, so `到 2020 年` becomes `到2020年` and
  `碳 K 线` becomes `碳K线`. These spaces are the gaps a word processor draws between
  Chinese and Latin text, which the extraction turns into space characters: the same
  printed issue writes `比2015年` and `比 2015 年`, `CCS对` and `CCS 对`, so they carry no
  meaning. Spaces between Latin words and numbers stay (`EU ETS`, `Luke Warren`). In
  titles and sources a space between two Han characters stays too: headlines use it
  to separate two clauses (`欧盟：履行巴黎协议 美国可走自己的路`).
- Structure: 第一章 and 第一节 become headings, as do short 一、 and 1、 lines; levels
  ##, ###, #### follow the order in which an article first uses them. 第一条 starts a
  paragraph `**第一条** …`; （一） items, document numbers (`穗府办〔2017〕15号`,
  marked `{: .doc-number }`), and the issuers and date that sign a notice (marked
  `{: .signature }`) are paragraphs of their own; • lines become a Markdown list.
- Page artefacts removed: a page header with `总第 N 期` and the lines after it down to
  the page number, lone page numbers, lone symbols (•, |, -), and any other line equal
  to a header or footer line found so. A lone Han character is kept: it is usually the
  last character of a wrapped line.
- A line holding only a web address becomes an attachment of the article it stands in
  (each address once); a warning says when it stands mid-text, since the extraction
  puts link targets where a page ends, which may be inside the next article.
- Files are named `NN-<section slug>-<k>.md`: the article's order in the issue, the
  section's slug and its place in the section (`02-market-2.md`), since the Chinese
  titles give no ASCII name without a transliteration table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import median
from urllib.parse import urlsplit

import yaml

from builder.errors import ContentErrors, ErrorLog
from builder.importer.text import Line, build_blocks, display_width, page_furniture, tidy, unwrap
from builder.model import Attachment, Section
from builder.routes import ISSUE_FILE
from builder.source.fields import parse_date

_DATELINE = re.compile(r"^\s*发布日期\s*[：:]")
_DATELINE_PARTS = re.compile(r"^\s*发布日期\s*[：:]\s*(?P<date>\S+)\s+来源\s*[：:]\s*(?P<source>.*?)\s*$")
_SECTION = re.compile(r"^\s*【\s*([^【】]{1,20}?)\s*】\s*$")
_URL = re.compile(r"^\s*((?:https?|ftp)://\S+)\s*$")
_DOCUMENT = {".doc", ".docx", ".pdf", ".xls", ".xlsx", ".wps", ".zip", ".rar", ".7z", ".ppt", ".pptx"}
_IMAGE = {".png", ".jpg", ".jpeg", ".gif", ".bmp"}
_CAPTION = re.compile(r"^(专栏|表|图)\s*\d")
# A wrapped title line spans the page; body lines fill one of its two columns.
_TITLE_LINE_WIDTH = 50
_DATE_SPREAD = dt.timedelta(days=90)
_NOT_BULLETIN_HINT = ("give the text extracted from a printed issue (e.g. with pdftotext); "
                      "each article is followed by a line such as '发布日期：2017-5-3  来源：新华社'")


@dataclass(frozen=True)
class ImportedArticle:
    """One article found in the text."""

    order: int
    slug: str
    title: str
    date: dt.date
    source: str
    section: str  # the section's Chinese name, as printed
    paragraphs: tuple[str, ...]  # Markdown blocks, in order
    attachments: tuple[Attachment, ...]
    warnings: tuple[str, ...]
    first_line: int  # line of the input where the title starts

    @property
    def file_name(self) -> str:
        return f"{self.order:02d}-{self.slug}.md"


@dataclass(frozen=True)
class ImportedIssue:
    articles: tuple[ImportedArticle, ...]
    unknown_sections: tuple[str, ...]
    warnings: tuple[str, ...]
    printed_total: int | None = None  # 总第 N 期 if a page header shows it


@dataclass(frozen=True)
class IssueMeta:
    year: int
    number: int  # 期号 within the year
    total: int  # 总期号
    date: dt.date
    note: str | None = None  # 编者按


@dataclass(frozen=True)
class _Head:
    """Where an article starts: its title lines and its 发布日期 line."""

    title_lines: tuple[Line, ...]
    dateline: Line

    @property
    def start(self) -> int:
        return self.title_lines[0].number


def parse_extracted_text(text: str, path: Path,
                         known_sections: Sequence[Section]) -> ImportedIssue:
    """The articles of one extracted issue; ContentErrors if it cannot be read as one."""
    lines = [Line(n, raw.replace("\f", "").rstrip("\r"))
             for n, raw in enumerate(text.lstrip("\ufeff").split("\n"), start=1)]
    if not any(_DATELINE.match(line.raw) for line in lines):
        raise ContentErrors.one(path, "this is not text extracted from the bulletin: no line starts with "
                                      "'发布日期：'", None, _NOT_BULLETIN_HINT)
    log = ErrorLog()
    furniture, printed_total = page_furniture(lines)
    kept = [line for line in lines if line.number not in furniture and line.text]
    trusted_ends = any(line.hard_end for line in kept)
    found = [_head(kept, i, path, log) for i, line in enumerate(kept) if _DATELINE.match(line.raw)]
    log.raise_if_any()
    heads = [head for head in found if head is not None]
    markers = [line for line in kept if _SECTION.match(line.raw)]
    if not markers or markers[0].number > heads[0].start:
        log.error(path, "the first article comes before any section line such as 【市场热点】",
                  heads[0].start, "put the section's line, e.g. 【市场热点】, above its first article")
    slugs = {section.name: section.slug for section in known_sections}
    articles: list[ImportedArticle] = []
    unknown: list[str] = []
    for index, head in enumerate(heads):
        end = heads[index + 1].start if index + 1 < len(heads) else len(lines) + 1
        body = [line for line in kept if head.dateline.number < line.number < end]
        section = _section_of(markers, head)
        if section and section not in slugs and section not in unknown:
            unknown.append(section)
        article = _article(index + 1, head, body, section, trusted_ends, path, log)
        if article is not None:
            articles.append(article)
    log.raise_if_any()
    articles = _name_files(articles, slugs, unknown)
    warnings = _issue_warnings(lines, kept, furniture, heads, unknown)
    return ImportedIssue(tuple(_check_dates(articles)), tuple(unknown), tuple(warnings), printed_total)


def _head(kept: list[Line], index: int, path: Path, log: ErrorLog) -> _Head | None:
    dateline = kept[index]
    above = kept[index - 1] if index > 0 else None
    if above is None or not _may_be_title(above):
        log.error(path, "there is no title above this 发布日期 line", dateline.number,
                  "the title of an article goes on the line just above its 发布日期 line")
        return None
    title = [above]
    before = kept[index - 2] if index > 1 else None
    if (before is not None and _may_be_title(before) and not before.hard_end
            and before.width >= _TITLE_LINE_WIDTH and not re.search(r"[。！？；]$", before.text)):
        title.insert(0, before)
    return _Head(tuple(title), dateline)


def _may_be_title(line: Line) -> bool:
    return not (_DATELINE.match(line.raw) or _SECTION.match(line.raw) or _URL.match(line.raw))


def _section_of(markers: list[Line], head: _Head) -> str:
    above = [line for line in markers if line.number < head.start]
    match = _SECTION.match(above[-1].raw) if above else None
    return match.group(1) if match else ""


def _article(order: int, head: _Head, body: list[Line], section: str, trusted_ends: bool,
             path: Path, log: ErrorLog) -> ImportedArticle | None:
    parts = _DATELINE_PARTS.match(head.dateline.raw)
    date = parse_date(parts.group("date")) if parts else None
    source = tidy(parts.group("source"), keep_han_gaps=True) if parts else ""
    if parts is None or date is None:
        log.error(path, "cannot read the date of this 发布日期 line", head.dateline.number,
                  "write it as 发布日期：2017-5-3  来源：新华社")
        return None
    if not source:
        log.error(path, "the 来源 of this article is empty", head.dateline.number,
                  "write the source after 来源：, e.g. 来源：新华社")
        return None
    warnings = []
    if len(head.title_lines) > 1:
        numbers = " and ".join(str(line.number) for line in head.title_lines)
        warnings.append(f"title joined from lines {numbers}: check where it ends")
    urls = [line for line in body if _URL.match(line.raw)]
    text_lines = [line for line in body if not _URL.match(line.raw) and not _SECTION.match(line.raw)]
    warnings += _misplaced_urls(urls, text_lines)
    blocks = build_blocks(text_lines, trusted_ends)
    if not blocks:
        warnings.append("no text: the original was probably a picture or chart")
    warnings += [f"'{b[:20]}' names a table or figure the text does not contain"
                 for b in blocks if _CAPTION.match(b)]
    title = tidy(unwrap([line.text for line in head.title_lines]), keep_han_gaps=True)
    return ImportedArticle(order, "", title, date, source, section, tuple(blocks),
                           _attachments([line.text for line in urls], blocks), tuple(warnings),
                           head.start)


def _misplaced_urls(urls: list[Line], text_lines: list[Line]) -> list[str]:
    firsts: dict[str, Line] = {}
    for url in urls:
        firsts.setdefault(url.text, url)
    return [f"line {url.number}: {url.text} stands in the middle of the text; "
            "check that it belongs to this article"
            for url in firsts.values() if any(line.number > url.number for line in text_lines)]


def _attachments(urls: Sequence[str], blocks: Sequence[str]) -> tuple[Attachment, ...]:
    """Each address once, titled by its kind; a document takes the article's 附件 line."""
    unique = list(dict.fromkeys(urls))
    kinds = [_url_kind(url) for url in unique]
    named = [b for b in blocks if b.startswith("附件")]
    result = []
    for url, kind in zip(unique, kinds):
        same = [u for u, k in zip(unique, kinds) if k == kind]
        number = f" {same.index(url) + 1}" if len(same) > 1 else ""
        if kind == "附件" and len(same) == 1 and len(named) == 1:
            title = named[0]
        else:
            title = kind + number
        result.append(Attachment(title, url))
    return tuple(result)


def _url_kind(url: str) -> str:
    suffix = Path(urlsplit(url).path).suffix.lower()
    if suffix in _DOCUMENT:
        return "附件"
    return "图片" if suffix in _IMAGE else "原文链接"


def _name_files(articles: list[ImportedArticle], slugs: dict[str, str],
                unknown: list[str]) -> list[ImportedArticle]:
    counts: dict[str, int] = {}
    named = []
    for article in articles:
        slug = slugs.get(article.section) or f"extra{unknown.index(article.section) + 1}"
        counts[slug] = counts.get(slug, 0) + 1
        warnings = article.warnings
        if article.section in unknown:
            warnings = (f"section 【{article.section}】 is not one of the site's sections",) + warnings
        named.append(replace(article, slug=f"{slug}-{counts[slug]}", warnings=warnings))
    return named


def _check_dates(articles: list[ImportedArticle]) -> list[ImportedArticle]:
    """Flag a date far from the others: usually a typo in the original (2016 for 2017)."""
    if not articles:
        return articles
    middle = dt.date.fromordinal(int(median(a.date.toordinal() for a in articles)))
    return [replace(a, warnings=a.warnings + (f"date {a.date.isoformat()} is far from the issue's "
                                             f"other dates (around {middle.isoformat()})",))
            if abs(a.date - middle) > _DATE_SPREAD else a for a in articles]


def _issue_warnings(lines: list[Line], kept: list[Line], furniture: set[int],
                    heads: list[_Head], unknown: list[str]) -> list[str]:
    warnings = []
    if furniture:
        shown = ", ".join(str(n) for n in sorted(furniture))
        removed = " / ".join(" ".join(lines[n - 1].text.split()) for n in sorted(furniture))
        warnings.append(f"removed page headers and numbers, lines {shown}: {removed}")
    skipped = [line for line in kept if line.number < heads[0].start and not _SECTION.match(line.raw)]
    if skipped:
        warnings.append(f"lines {skipped[0].number}–{skipped[-1].number} come before the first "
                        "article and were left out (a masthead or table of contents?)")
    if not any(line.hard_end for line in kept):  # see trusted_ends
        warnings.append("the text has no trailing spaces at line ends, so paragraph ends were "
                        "guessed from line widths: check where paragraphs end")
    warnings += [f"section 【{name}】 is not one of the site's sections: add it to site.yaml "
                 "or correct the text" for name in unknown]
    return warnings


def issue_meta(issue: ImportedIssue, path: Path, year: int | None, number: int | None,
               total: int | None, date: dt.date | None) -> IssueMeta:
    """The issue's numbers: as given, else from the text (总第 N 期 of a page header, the
    newest 发布日期 as the issue's date); ContentErrors naming what is still missing."""
    date = date or max((a.date for a in issue.articles), default=None)
    total = total or issue.printed_total
    wanted = (("--number N", "期号 within the year", number), ("--total N", "总期号", total),
              ("--date D", "date", date))
    missing = [(flag, what) for flag, what, value in wanted if value is None]
    if missing:
        raise ContentErrors.one(
            path, "the text does not say the issue's " + ", ".join(what for _, what in missing), None,
            "pass " + " and ".join(f"{flag} ({what})" for flag, what in missing))
    assert number is not None and total is not None and date is not None
    return IssueMeta(year or date.year, number, total, date)


def write_issue(issue: ImportedIssue, issue_dir: Path, meta: IssueMeta, force: bool) -> list[Path]:
    """Write issue.yaml and the articles into `issue_dir`; the paths written."""
    if issue_dir.exists() and not issue_dir.is_dir():
        raise ContentErrors.one(issue_dir, "this is a file, not an issue folder", None,
                                "choose a folder name for the issue, e.g. 2017-18")
    if issue_dir.exists() and any(issue_dir.iterdir()):
        if not force:
            raise ContentErrors.one(issue_dir, "this issue folder already has files; nothing was written", None,
                                    "pass --force to replace it, or choose another folder")
        # Only the issue's own files go: pictures or attachments beside them stay.
        for old in [issue_dir / ISSUE_FILE, *issue_dir.glob("*.md")]:
            if old.is_file():
                old.unlink()
    issue_dir.mkdir(parents=True, exist_ok=True)
    written = [issue_dir / ISSUE_FILE]
    written[0].write_text(issue_yaml(meta), encoding="utf-8")
    for article in issue.articles:
        path = issue_dir / article.file_name
        path.write_text(article_markdown(article), encoding="utf-8")
        written.append(path)
    return written


def issue_yaml(meta: IssueMeta) -> str:
    values = {"year": meta.year, "number": meta.number, "total": meta.total,
              "date": meta.date, "note": meta.note}
    return _dump(values)


def article_markdown(article: ImportedArticle) -> str:
    """The article file: front matter the builder reads, then the Markdown blocks."""
    front: dict[str, object] = {"title": article.title, "date": article.date,
                                "source": article.source, "section": article.section,
                                "order": article.order}
    if article.attachments:
        front["attachments"] = [{"title": a.title, "url": a.url} for a in article.attachments]
    notes = "".join(f"# check: {w}\n" for w in article.warnings)
    body = "\n\n".join(article.paragraphs)
    return f"---\n{notes}{_dump(front)}---\n\n{body}\n" if body else f"---\n{notes}{_dump(front)}---\n"


def _dump(values: dict[str, object]) -> str:
    return yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=10_000)


def format_summary(issue: ImportedIssue) -> str:
    """A plain-text table of the articles, then every warning, for the editor's review."""
    header = ("No.", "File", "Section", "Title", "Paras", "Warnings")
    rows = [header] + [(str(a.order), a.file_name, a.section, _shorten(a.title, 30),
                        str(len(a.paragraphs)), str(len(a.warnings)) if a.warnings else "")
                       for a in issue.articles]
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(header))]
    table = ["  ".join(cell + " " * (width - display_width(cell)) for cell, width in zip(row, widths)).rstrip()
             for row in rows]
    table.insert(1, "  ".join("-" * width for width in widths))
    notes = [f"{a.file_name} (line {a.first_line}): {w}" for a in issue.articles for w in a.warnings]
    notes += list(issue.warnings)
    if notes:
        table += ["", "To review:"] + [f"  - {note}" for note in notes]
    return "\n".join(table) + "\n"


def _shorten(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    while display_width(text) > width - 1:
        text = text[:-1]
    return text + "…"
