"""Full pages (撑版): the blank at a page's foot shared among the gaps between its articles.

An article that ends a page's text leaves the rest of the page blank when the next
article's title, with two lines of its text, does not fit under it: up to eight body
lines at the foot of both columns. A typesetter fills the page instead, by opening the
gaps between the articles on it. Here, when a page leaves whole body lines blank at its
foot, the boxes marked `--page-fill: stretch` that start on it below its top (the
print stylesheet marks each article's start and each section's name) are moved down,
each gap taking an equal share of those lines, and all that follows moves with them.
A gap takes at most three lines: the rest stays at the foot, where a larger opening
would be a hole of its own. The last page, and a page with no such gap, keep their
blank.

Only the space between the marked boxes changes: the two columns under a title are
moved together, so their baselines stay level, and nothing is laid out again. It is
done as WeasyPrint finishes each page (`layout.layout_backgrounds`, which it calls
once for each finished page, after the margin boxes and before the page is drawn), so
links, anchors and the contents' page numbers are taken from the moved boxes.
"""

from __future__ import annotations

import math
from typing import Any

from weasyprint import layout
from weasyprint.formatting_structure import boxes

from builder.print.weasyprint_cjk.runtime import original

MOST_LINES_A_GAP = 3


def layout_backgrounds(page, get_image_from_uri):
    context = getattr(get_image_from_uri, 'keywords', {}).get('context')
    if context is not None and not _is_last(context):
        fill(page)
    return original(layout, 'layout_backgrounds')(page, get_image_from_uri)


def _is_last(context) -> bool:
    # layout_document numbers the finished pages from 1 in context.current_page; page_maker
    # holds one entry before the first page and one for each page.
    return context.current_page >= len(context.page_maker) - 1


def fill(page) -> None:
    """Share the whole lines left blank at the foot of `page` among its stretchable gaps."""
    root = page.children[0]
    bottom = page.content_box_y() + page.height
    for child in page.children[1:]:
        if isinstance(child, boxes.FootnoteAreaBox):
            bottom = min(bottom, child.position_y)
    lowest = _lowest(root)
    if lowest is None:
        return
    last_bottom, pitch = lowest
    if pitch <= 0:
        return
    lines = math.floor((bottom - last_bottom) / pitch + 0.01)
    if lines < 1:
        return
    gaps = _gaps(root, page.content_box_y())
    if not gaps:
        return
    share = min(lines * pitch / len(gaps), MOST_LINES_A_GAP * pitch)
    for path in reversed(gaps):
        _push_down(path, share, bottom)


def _lowest(root) -> tuple[float, float] | None:
    """The bottom of the lowest thing in the page's flow (a line, a picture, a table, a
    rule or any box with nothing in it), and the height of the lowest line."""
    found: tuple[float, float] | None = None
    for box in _in_flow(root):
        if isinstance(box, boxes.LineBox):
            bottom, pitch = box.position_y + box.height, box.height
        elif _is_leaf(box):
            bottom, pitch = box.position_y + box.margin_height() - box.margin_bottom, 0.0
        else:
            continue
        if found is None or bottom > found[0] + 0.01:
            found = (bottom, pitch if pitch else (found[1] if found else 0.0))
    return found


def _is_leaf(box) -> bool:
    return isinstance(box, (boxes.ReplacedBox, boxes.TableBox)) or not any(
        child.is_in_normal_flow() for child in getattr(box, 'children', ()))


def _in_flow(box):
    yield box
    if isinstance(box, (boxes.LineBox, boxes.ReplacedBox, boxes.TableBox)):
        return
    for child in getattr(box, 'children', ()):
        if child.is_in_normal_flow():
            yield from _in_flow(child)


def _gaps(root, top: float) -> list[list[Any]]:
    """The path (root first) to each box marked `--page-fill: stretch` that starts on the
    page below its top, in the order of the page. The property is inherited: the box
    marked is the one whose parent is not. A marked box right after a sibling that keeps
    with what follows (a section's name, `break-after: avoid`, over its first article) is
    not parted from it: the gap is before that sibling, if anywhere."""
    found: list[list[Any]] = []

    def walk(box, path):
        if not hasattr(box, 'children') or isinstance(box, boxes.LineBox):
            return
        previous = None
        for child in box.children:
            if not child.is_in_normal_flow():
                continue
            here = path + [child]
            kept = previous is not None and previous.style['break_after'] == 'avoid'
            if _stretches(child) and not _stretches(box) and child.position_y > top + 1 and not kept:
                found.append(here)
            walk(child, here)
            previous = child

    walk(root, [root])
    return found


def _stretches(box) -> bool:
    style = getattr(box, 'style', None)
    if style is None:
        return False
    return any(token.type == 'ident' and token.value == 'stretch' for token in style['__page_fill'])


def _push_down(path: list[Any], dy: float, bottom: float) -> None:
    """Move the last box of `path` and everything after it in the page's flow down by `dy`.

    Boxes placed on the page rather than in the flow (position: fixed or absolute, beside
    the flow) stay where they are. The boxes that hold the moved ones grow with them, but
    not past the page's foot (`bottom`): one that goes on to the next page reaches it
    already, and its background must not cover the footnotes."""
    for parent, child in zip(path, path[1:]):
        start = parent.children.index(child) + (0 if child is path[-1] else 1)
        for sibling in parent.children[start:]:
            if sibling.is_in_normal_flow():
                sibling.translate(0, dy)
        room = bottom - parent.content_box_y() - parent.padding_bottom - parent.border_bottom_width
        parent.height = max(parent.height, min(parent.height + dy, room))
