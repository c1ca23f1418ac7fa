"""What does not fit the page of the print edition: found in WeasyPrint's laid-out boxes.

WeasyPrint sets a table of 500 columns or an unbreakable block wider than the page as
it is, and the PDF shows what falls on the paper: the rest is silently cut. After
layout, every box that runs past the page's text area is reported (only the outermost
of nested ones), with the article it belongs to, so the editor hears of it as a warning
with the file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from .errors import ContentError
from .model import Issue

# Half a point of tolerance: rounding in WeasyPrint's layout is not an overflow.
TOLERANCE = 0.5
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")


@dataclass(frozen=True)
class Overflow:
    anchor: str  # the article's id in the print HTML, e.g. "article-3"; "" outside articles
    page: int
    what: str  # "table", "image" or "text"
    index: int  # for a table: which of the article's tables (0-based)
    sample: str  # for text: the start of the line that runs over


def find_overflows(pages: Iterable[Any]) -> tuple[Overflow, ...]:
    """The boxes of WeasyPrint's laid-out `pages` that run past the page's text area."""
    found: dict[tuple[str, str, int, str], Overflow] = {}
    for number, page in enumerate(pages, start=1):
        box = page._page_box
        right = box.content_box_x() + box.width + TOLERANCE
        stack = [(child, "", None) for child in box.children]
        while stack:
            child, anchor, article = stack.pop()
            element = getattr(child, "element", None)
            if element is not None and str(element.get("id") or "").startswith("article-"):
                anchor, article = element.get("id"), element
            if child.position_x + child.margin_width() > right:
                overflow = _describe(child, anchor, article, number)
                found.setdefault((overflow.anchor, overflow.what, overflow.index, overflow.sample), overflow)
                continue
            stack.extend((grandchild, anchor, article) for grandchild in getattr(child, "children", ()))
    return tuple(sorted(found.values(), key=lambda o: (o.page, o.anchor)))


def _describe(box: Any, anchor: str, article: Any, page: int) -> Overflow:
    tag = getattr(box, "element_tag", "")
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
        what = {"table": "a table", "image": "an image", "text": "a line of text"}[overflow.what]
        hint = {"table": "split the table, or give it fewer columns; the web page shows it whole",
                "image": "make the image smaller",
                "text": "break the long word or address with spaces"}[overflow.what]
        warnings.append(ContentError(path, f"{what} is wider than page {overflow.page} of the print edition: "
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
