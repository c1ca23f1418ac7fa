"""What does not fit the page of the print edition: found in WeasyPrint's laid-out boxes.

WeasyPrint sets a table of 500 columns or an unbreakable block wider than the page as
it is, and the PDF shows what falls on the paper: the rest is silently cut. After
layout, every box that runs past the page's text area is reported (only the outermost
of nested ones), with the article it belongs to, so the editor hears of it as a warning
with the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from builder.errors import ContentError
from builder.model import Issue

# Half a point of tolerance: rounding in WeasyPrint's layout is not an overflow.
TOLERANCE = 0.5
# Characters of an article that may be missing from its pages before it is said: none
# should be, but a few generated ones (footnote calls) count on the other side.
MISSING = 5
# A table's header rule has a `|` (a line of `---` alone is a rule or a heading's underline).
_TABLE_RULE = re.compile(r"^(?=[^|\n]*\|)\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class Overflow:
    anchor: str  # the article's id in the print HTML, e.g. "article-3"; "" outside articles
    page: int
    what: str  # "table", "image", "text" (too wide), "tall" (past the top or foot), "missing" (on no page)
    index: int  # for a table: which of the article's tables (0-based); for "missing": how many
    sample: str  # for text: the start of the line that runs over


def find_overflows(pages: Iterable[Any]) -> tuple[Overflow, ...]:
    """The boxes of WeasyPrint's laid-out `pages` that run past the page's text area, and
    the articles whose text is not all on the pages (WeasyPrint drops what does not fit
    of a footnote longer than the page)."""
    pages = list(pages)
    found: dict[tuple[str, str, int, str], Overflow] = {}
    articles = dict(_articles(pages))
    owners = {id(element): anchor for anchor, article in articles.items() for element in article.iter()}
    source = {anchor: _length(element) for anchor, element in articles.items()}
    laid: dict[str, int] = dict.fromkeys(source, 0)
    for number, page in enumerate(pages, start=1):
        box = page._page_box
        right = box.content_box_x() + box.width + TOLERANCE
        top, bottom = box.content_box_y() - TOLERANCE, box.content_box_y() + box.height + TOLERANCE
        stack = [(child, "", None, False) for child in box.children if type(child).__name__ != "MarginBox"]
        while stack:
            child, anchor, article, reported = stack.pop()
            element = getattr(child, "element", None)
            if element is not None and not anchor and id(element) in owners:
                # a footnote is laid out apart from its article, at the page's foot
                anchor = owners[id(element)]
                article = articles[anchor]
            text = getattr(child, "text", None)
            if isinstance(text, str) and element is not None and id(element) in owners:
                laid[owners[id(element)]] += len("".join(text.split()))
            side = _outside(child, right, top, bottom) if not reported else None
            if side:
                overflow = _describe(child, anchor, article, number, side)
                # One warning for each table, long line, or article whose foot is cut.
                sample = overflow.sample if overflow.what == "text" else ""
                found.setdefault((overflow.anchor, overflow.what, overflow.index, sample), overflow)
                reported = True  # the outermost box says it; what is inside it is counted, not said again
            stack.extend((grandchild, anchor, article, reported) for grandchild in getattr(child, "children", ()))
    for anchor, length in source.items():
        if laid[anchor] < length - MISSING:
            found[(anchor, "missing", 0, "")] = Overflow(anchor, 0, "missing", length - laid[anchor], "")
    return tuple(sorted(found.values(), key=lambda o: (o.page, o.anchor)))


def _outside(box: Any, right: float, top: float, bottom: float) -> str | None:
    """"right" if a box runs past the right edge of the page's text area, "foot" if (a
    line, a picture, a table row: what carries ink; a block's margins may hang over) it
    runs past its top or foot, else None."""
    if box.position_x + box.margin_width() > right:
        return "right"
    if type(box).__name__ not in _INKED:
        return None
    y = box.border_box_y()
    return "foot" if y < top or y + box.border_height() > bottom else None


_INKED = {"LineBox", "BlockReplacedBox", "InlineReplacedBox", "TableRowBox"}


def _articles(pages: list[Any]) -> list[tuple[str, Any]]:
    """(id, element) of each article of the print HTML."""
    if not pages:
        return []
    root = pages[0]._page_box.children[0].element
    return [(element.get("id"), element) for element in root.iter()
            if str(element.get("id") or "").startswith("article-")]


def _length(element: Any) -> int:
    """How many characters, white space aside, an element's text has."""
    return len("".join("".join(element.itertext()).split()))


def _describe(box: Any, anchor: str, article: Any, page: int, side: str) -> Overflow:
    tag = getattr(box, "element_tag", "")
    if side == "foot":
        return Overflow(anchor, page, "tall", 0, _text(box)[:24])
    if tag == "table":
        tables = list(article.iter("table")) if article is not None else []
        index = next((i for i, table in enumerate(tables) if table is box.element), 0)
        return Overflow(anchor, page, "table", index, "")
    if tag == "img" or type(box).__name__.endswith("ReplacedBox"):
        return Overflow(anchor, page, "image", 0, "")
    return Overflow(anchor, page, "text", 0, _text(box)[:24])


def _text(box: Any) -> str:
    text = getattr(box, "text", None)
    if isinstance(text, str):
        return text
    return "".join(_text(child) for child in getattr(box, "children", ()))


def locate_overflows(issue: Issue, anchors: dict[str, str], overflows: Iterable[Overflow]) -> list[ContentError]:
    """A warning for each overflow, at the article and line it comes from. `anchors` maps
    article slugs to their ids in the print HTML."""
    articles = {anchors[article.slug]: article for article in issue.articles if article.slug in anchors}
    warnings = []
    for overflow in overflows:
        article = articles.get(overflow.anchor)
        path = article.path if article else issue.folder
        line = _line(article.body, overflow) + article.body_line - 1 if article else None
        if overflow.what == "missing":
            warnings.append(ContentError(path, f"{overflow.index:,} characters of this article are on no page of the "
                                               "print edition", line,
                                         "shorten long footnotes: one that does not fit on its page is cut off"))
            continue
        what = {"table": "a table is wider than", "image": "an image is wider than",
                "text": "a line of text is wider than", "tall": "text runs past the top or foot of"}[overflow.what]
        hint = {"table": "split the table, or give it fewer columns; the web page shows it whole",
                "image": "make the image smaller",
                "text": "break the long word or address with spaces",
                "tall": "shorten what stands there: a footnote longer than the page is cut off"}[overflow.what]
        warnings.append(ContentError(path, f"{what} page {overflow.page} of the print edition: "
                                           "what does not fit is cut off", line, hint))
    return warnings


def _line(body: str, overflow: Overflow) -> int:
    """The line of the Markdown `body` where the overflowing thing starts (1 if unknown)."""
    lines = body.split("\n")
    if overflow.what == "table":
        starts = [i for i, line in enumerate(lines) if _TABLE_RULE.match(line) and i > 0]
        return starts[overflow.index] if overflow.index < len(starts) else 1
    sample = overflow.sample.strip()
    if sample:
        for number, line in enumerate(lines, start=1):
            if sample[:12] in line:
                return number
    return 1
