"""Issue -> its print HTML (`PrintDocument`), from the theme's print templates.

`print_document` is pure (model in, HTML text out); the build hashes what it returns to
decide whether an issue needs typesetting again. `pdf.render_pdf` typesets it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from zoneinfo import ZoneInfo

import jinja2
from bs4 import BeautifulSoup, NavigableString, Tag

from builder import __version__, files
from builder.errors import ContentError
from builder.model import Archive, Article, Issue
from builder.render import markdown
from builder.render.titles import break_at, width
from builder.routes import PRINT_STYLESHEET, PRINT_TEMPLATE, page_url
from builder.source.issue_files import IMAGE_SUFFIXES

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
    variant: str = "pdf/ua-1"  # site.yaml pdf.variant: the PDF's standard, or "none"

    @property
    def digest(self) -> str:
        """Names the PDF: same digest, same bytes. The folder's place on disk is left out."""
        return _hash(self.html, self.variant, renderer(), *(f"{p}={d}" for p, d in self.images))

    @property
    def identifier(self) -> bytes:
        """The PDF's /ID: from the content alone, not the clock nor the code that set it,
        so a rebuild of the same issue is the same file."""
        return _hash(self.html, self.variant, *(f"{p}={d}" for p, d in self.images))[:32].encode("ascii")


def _hash(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


# The code that decides a PDF's bytes besides its HTML: every module of this package
# (the WeasyPrint extension among them), the character classes it shares and the reader
# through which WeasyPrint gets the issue's files (and the URL it gets them by). Derived, not listed, so that a new
# module cannot leave stale PDFs in the cache (tests/test_layers.py checks that what
# typesets uses no other module but for messages).
PRINT_CODE = (Path(__file__).parent, *(Path(__file__).parent.parent / name
                                       for name in ("chinese.py", "files.py", "routes.py")))


@functools.lru_cache(maxsize=1)
def renderer() -> str:
    """What decides the PDF's bytes besides its HTML (which holds what the theme's print
    templates made of the issue): WeasyPrint's version, our print code, and the font files."""
    from builder.print.glyphs import PRINT_FACES, font_file

    code = hashlib.sha256()
    for path in code_files():
        code.update(path.relative_to(PRINT_CODE[0].parent).as_posix().encode() + b"\0")
        code.update(path.read_bytes() + b"\0")
    fonts = []
    for face in PRINT_FACES:
        path = font_file(face)
        fonts.append(f"{path}:{path.stat().st_size}" if path.is_file() else face)
    return f"builder {__version__} {code.hexdigest()[:16]}, weasyprint {version('weasyprint')}, {' '.join(fonts)}"


def code_files() -> list[Path]:
    return sorted(p for place in PRINT_CODE for p in (place.rglob("*.py") if place.is_dir() else [place]))


def print_document(archive: Archive, issue: Issue, env: jinja2.Environment) -> PrintDocument:
    site = archive.site
    # Links to the issue's files point at the published archive (a reader's PDF has no
    # content/ folder); images load from the issue's folder, as ISSUE_URL.
    web = site.base_url + page_url(issue.url_path)
    anchors = article_anchors(issue)
    attachments = {a.slug: _attachments(a, web) for a in issue.articles}
    layout = env.get_template(PRINT_STYLESHEET).make_module({"site": site, "issue": issue})
    css = str(layout)
    # The stylesheet's own reckoning: how many characters a column holds, how many ems of
    # an article's title a line across the page holds (a theme's stylesheet that does not
    # say: a two-column page's 22, and titles left to the line breaking).
    column = int(getattr(layout, "chars", COLUMN_CHARACTERS))
    title_em = getattr(layout, "text_width", 0) / getattr(layout, "title_size", 1)
    bodies = {a.slug: print_body(markdown.render(a.body, web, ids=anchors[a.slug], image_base="",
                                                 raw_html=site.raw_html, charts=("print", site.pdf.colour)),
                                 shown={address for _, address in attachments[a.slug]}, column=column)
              for a in issue.articles}
    note = markdown.render(issue.note, web, image_base="", raw_html=site.raw_html) if issue.note else ""
    # The document's date is the issue's, at midnight where the bulletin is published.
    published = dt.datetime.combine(issue.date, dt.time(), ZoneInfo(site.timezone)).isoformat()
    html = env.get_template(PRINT_TEMPLATE).render(
        site=site, issue=issue, groups=issue.sections(), anchors=anchors, bodies=bodies,
        attachments=attachments, note=note, stylesheet=css, published=published, title_em=title_em)
    images = tuple((name, files.sha256(issue.folder / name)) for name in issue.files
                   if Path(name).suffix.lower() in IMAGE_SUFFIXES)
    return PrintDocument(issue.slug, html, str(issue.folder.resolve()), images, issue.files, site.pdf.variant)


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


# What print_body changes: HTML without any of these is handed on as it is.
_REWORKED = ("<table", 'class="footnote-ref"', 'href="http', "<h", 'class="signature"', "<p><strong>")


def print_body(html: str, shown: Collection[str] = (), column: int = 0) -> str:
    """An article's HTML made ready for the page: wide tables span both columns,
    footnotes go to the foot of the page that calls them, and the web address of a link
    is printed once (a reader of paper cannot click), unless the article prints it
    already (`shown`: its attachments' addresses). A range may break after its tilde.
    `column`: the characters a column holds (COLUMN_CHARACTERS unless said)."""
    column = column or COLUMN_CHARACTERS
    if not any(marker in html for marker in _REWORKED):
        return range_breaks(html)
    soup = BeautifulSoup(html, "html.parser")
    _heading_ranks(soup)
    for table in soup.find_all("table", recursive=False):
        _span_if_wide(soup, table, column)
    for table in soup.find_all("table"):
        _fix_if_long(table)
        _cells_unbroken(soup, table)
    _page_footnotes(soup)
    _signers_in_rows(soup, column)
    _document_titles(soup, column)
    _link_addresses(soup, set(shown))
    # Last: the marks it adds are not to be counted in a cell's width nor compared with a
    # link's address.
    return range_breaks(str(soup))


# A tilde between two values (2.4°C~2.6°C, 2008年~2012年): Unicode's line breaking allows no
# break after it (as it does after an en dash), so a line ending inside such a range was
# left with a hole, but one before it after a Han character (a line starting ~2012年). A
# zero-width space after the tilde lets the line break there, a word joiner before it
# keeps it on the line of the value it follows; both draw nothing and copy out as nothing.
_RANGE_TILDE = re.compile(r"(?<=[0-9A-Za-z%‰°℃\u3400-\u9fff])~(?=[0-9A-Za-z+\-.\u3400-\u9fff])")
_TAG = re.compile(r"(<[^>]*>)")
_VERBATIM = re.compile(r"<(/?)(code|pre|kbd|samp)\b", re.IGNORECASE)


def range_breaks(html: str) -> str:
    """`html` with a break allowed after the tilde of each range in its text (not in tags
    and their attributes, nor in code)."""
    if "~" not in html:
        return html
    pieces = _TAG.split(html)
    verbatim = 0
    for i, piece in enumerate(pieces):
        if i % 2:  # a tag
            opening = _VERBATIM.match(piece)
            if opening:
                verbatim = max(0, verbatim + (-1 if opening.group(1) else 1))
        elif not verbatim and "~" in piece:
            pieces[i] = _RANGE_TILDE.sub("\u2060~\u200b", piece)
    return "".join(pieces)


# 落款 of many co-signers (14 ministries under a joint notice) set one a line took a column's
# length: from this many on, they run across the column's width in rows, as many to a row
# as it holds, each name whole (an inline block) and set off from the next by a little more
# than a space (not a cell's width: that would leave holes in the row), the date under them.
SIGNERS_IN_ROWS = 4
_FIGURE = "\\d〇○零一二三四五六七八九十"
# A signature's date, as the importer marks it (2017年5月10日印发) or in Chinese numerals.
_DATE = re.compile(rf"^[{_FIGURE}]{{2,4}}\s*年\s*[{_FIGURE}]{{1,3}}\s*月\s*[{_FIGURE}]{{1,3}}\s*日\s*(印发)?$")


def _signers_in_rows(soup: BeautifulSoup, column: int) -> None:
    for group in _signature_runs(soup):
        names = [paragraph.get_text().strip() for paragraph in group]
        widest = max(width(name) for name in names)
        if len(group) < SIGNERS_IN_ROWS or 2 * widest + 0.5 > column:
            continue  # few, or too long to stand two to a row: one a line, as written
        block = soup.new_tag("p", attrs={"class": "signers"})
        for n, name in enumerate(names):
            if n:
                block.append(" ")  # where a row may end
            signer = soup.new_tag("span", attrs={"class": "signer"})
            signer.string = name
            block.append(signer)
        group[0].insert_before(block)
        for paragraph in group:
            paragraph.decompose()


def _signature_runs(soup: BeautifulSoup) -> list[list]:
    """Runs of signature paragraphs next to each other, each a signer's name in plain text
    (not the date; not a name with a note, a link or emphasis, which is kept as written)."""
    runs: list[list] = []
    current: list = []
    for paragraph in soup.find_all("p"):
        signer = "signature" in paragraph.get_attribute_list("class") and \
            all(isinstance(child, NavigableString) for child in paragraph.contents) and \
            not _DATE.match(paragraph.get_text().strip())
        follows = current and paragraph.find_previous_sibling() is current[-1]
        if signer and (follows or not current):
            current.append(paragraph)
            continue
        if current:
            runs.append(current)
        current = [paragraph] if signer else []
    if current:
        runs.append(current)
    return runs


# The title of a document an article reprints (低碳认证技术委员会章程, …工作方案): a paragraph
# all in bold, without a mark that ends a sentence or a clause, that names a kind of document
# at its end, and is not numbered as a heading.
_TITLE_TEXT = re.compile(r"^[^。，；：！？.,;:!?]{2,80}"
                         r"(方案|办法|章程|规划|通知|意见|规定|细则|纲要|计划|决定|公告|通告|报告|条例|标准|指南|要点|"
                         r"行动|制度|准则|规则|目录|名录|清单|函|批复|决议|公报)[）)》”」]?$")
_NUMBERED = re.compile(r"^([（(][\d一二三四五六七八九十]+[)）]|\d+[.、．]|附件)")


def _document_titles(soup: BeautifulSoup, column: int) -> None:
    """Such a paragraph centred as a title (class document-title), not indented as text."""
    for paragraph in soup.find_all("p"):
        if paragraph.get("class"):
            continue  # a signature, a document number: set as its class says
        children = [child for child in paragraph.children if not (isinstance(child, NavigableString)
                                                                    and not child.strip())]
        if len(children) != 1 or getattr(children[0], "name", None) not in ("strong", "b"):
            continue
        text = paragraph.get_text().strip()
        if _TITLE_TEXT.match(text) and not _NUMBERED.match(text) \
                and not any(pattern.match(text) for _, pattern in HEADING_RANKS):
            paragraph["class"] = "document-title"
            strong = children[0]
            at = break_at(text, column)
            if at is not None and isinstance(strong, Tag) and len(strong.contents) == 1 \
                    and isinstance(strong.contents[0], NavigableString):
                # Two lines broken at a phrase, not where the column happens to end (…节能 / 降碳…).
                strong.clear()
                strong.append(text[:at])
                strong.append(soup.new_tag("br"))
                strong.append(text[at:])


# How 公文 and the documents a bulletin reprints number their headings, highest first: the
# print stylesheet sets each rank its own way, whatever Markdown level the editor gave it.
HEADING_RANKS = (
    ("chapter", re.compile(r"^第[一二三四五六七八九十百零〇\d]+[章编部篇]")),
    ("part", re.compile(r"^第[一二三四五六七八九十百零〇\d]+节")),
    ("item", re.compile(r"^[一二三四五六七八九十百]+、")),
    ("subitem", re.compile(r"^[（(][一二三四五六七八九十百]+[)）]")),
    ("point", re.compile(r"^\d+[.、．](?!\d)")),
)


def _heading_ranks(soup: BeautifulSoup) -> None:
    for heading in soup.find_all(["h2", "h3", "h4", "h5", "h6"]):
        text = heading.get_text().strip()
        rank = next((name for name, pattern in HEADING_RANKS if pattern.match(text)), "plain")
        heading["class"] = " ".join([*heading.get_attribute_list("class"), f"rank-{rank}"])


def _link_addresses(soup: BeautifulSoup, shown: set[str]) -> None:
    # Each web address the text links without showing it, once: as a note at the foot of
    # the page, or, where the page's notes would be too many, listed after the text.
    links = []
    for link in soup.find_all("a", href=True):
        address = str(link["href"])
        if not address.lower().startswith(("http://", "https://")) or address in shown or \
                "footnote-ref" in link.get_attribute_list("class") or \
                link.find_parent(["h1", "h2", "h3", "h4", "h5", "h6"]) is not None or \
                link.find_parent(class_=["page-footnote", "footnote"]) is not None:
            continue  # a note inside a note or a heading would be numbered out of turn
        shown.add(address)
        if " ".join(link.get_text().split()) not in (address, address.split("://", 1)[1]):
            links.append((link, address))
    if not links:
        return
    if len(links) + len(soup.select("span.page-footnote")) <= MAX_PAGE_FOOTNOTES:
        for link, address in links:
            note = soup.new_tag("span", attrs={"class": "page-footnote link-address"})
            note.string = address
            link.insert_after(note)
        return
    listed = soup.new_tag("div", attrs={"class": "link-addresses"})
    for link, address in links:
        line = soup.new_tag("p")
        line.string = f"{' '.join(link.get_text().split())}：{address}"
        listed.append(line)
    soup.append(listed)


def _span_if_wide(soup: BeautifulSoup, table, column: int) -> None:  # noqa: ANN001 (bs4 Tag)
    # WeasyPrint spans only a block that is a direct child of the multi-column box, and
    # not a table itself: the table goes into a spanning wrapper.
    # So does a table that would not fit a column without breaking its cells into pieces of
    # a character or two: the text of its widest cells side by side is wider than a column.
    first_row = table.find("tr")
    cells = len(first_row.find_all(["th", "td"])) if first_row else 0
    widths: dict[int, float] = {}
    for row in table.find_all("tr"):
        for index, cell in enumerate(row.find_all(["th", "td"])):
            widths[index] = max(widths.get(index, 0), width(cell.get_text().strip()) + 1)  # 1 em of padding
    if cells >= WIDE_TABLE_COLUMNS or sum(widths.values()) * TABLE_SIZE > column:
        table.wrap(soup.new_tag("div", attrs={"class": "wide-table"}))


# A column of the print edition in two columns, in characters of the body's size (the
# stylesheet's 22 of 10.5pt: print_document reads it from there), and a table's text size
# against the body's (9pt).
COLUMN_CHARACTERS = 22
TABLE_SIZE = 9 / 10.5


def _fix_if_long(table) -> None:  # noqa: ANN001 (bs4 Tag)
    # WeasyPrint's automatic table layout measures each cell's narrowest and widest
    # setting at a cost that grows with the square of its length: a cell of 2,700
    # characters took 15 s, one of 24,000 minutes. Past LONG_CELLS a table gets columns of
    # equal width instead, set in a blink.
    if sum(len(cell.get_text()) ** 2 for cell in table.find_all(["th", "td"])) > LONG_CELLS:
        table["class"] = [*table.get("class", []), "long-cells"]


# A cell this short (a name, a figure with its unit) is set on one line.
SHORT_CELL = 8
# A longer cell of plain text breaks only after its punctuation (北京、天津、河北…): each piece unbroken.
_PIECES = re.compile(r"[^、，；：,;/\s]+[、，；：,;/\s]*")


def _cells_unbroken(soup: BeautifulSoup, table) -> None:  # noqa: ANN001 (bs4 Tag)
    for cell in table.find_all(["th", "td"]):
        text = cell.get_text().strip()
        if 0 < len(text) <= SHORT_CELL and " " not in text:
            cell["class"] = [*cell.get("class", []), "unbroken"]
        elif text and all(isinstance(child, NavigableString) for child in cell.contents):
            pieces = _PIECES.findall(text)
            if len(pieces) > 1 and "".join(pieces) == text and all(len(piece) <= SHORT_CELL for piece in pieces):
                cell.clear()
                for piece in pieces:
                    span = soup.new_tag("span", attrs={"class": "unbroken"})
                    span.string = piece
                    cell.append(span)


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
        if call.parent is not None:
            call.parent.replace_with(note)
    if notes is not None:
        notes.decompose()
