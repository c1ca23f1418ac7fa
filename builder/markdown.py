"""The one Markdown pipeline, shared by the archive, the print edition, feeds and mail.

Python-Markdown with tables, footnotes and attribute lists, plus two things Chinese text
needs: a line break between two Chinese characters in the source is dropped (a browser
would show it as a space — CSS Text 3 leaves that to the renderer, and most render a
space), and links to files beside the article go through `link_for`, so each output
(web page, feed, PDF) can point at them its own way.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from typing import Callable
from urllib.parse import urlsplit

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

LinkFor = Callable[[str], str]

# Han, kana, hangul, CJK and full-width punctuation: the characters between which a
# source line break means nothing.
_WIDE = (
    "\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff\u3100-\u312f\u3190-\u31ff\u3200-\u32ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
    "\U00020000-\U0003134f"
)
_JOIN = re.compile(rf"(?<=[{_WIDE}])[ \t]*\n[ \t]*(?=[{_WIDE}])")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)[^)]*\)|^\s*\[(?!\^)[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)|<img\s[^>]*src=[\"']([^\"']+)")

EXTENSIONS = ["tables", "footnotes", "attr_list"]


def is_local(url: str) -> bool:
    """True for a reference to a file of the site (`images/a.png`), not a web address or anchor."""
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc or url.startswith("#") or url.startswith("/")) and bool(parts.path)


def local_references(text: str) -> list[tuple[str, int]]:
    """Every link or image target in Markdown `text` with its line (1-based), as written."""
    found = []
    for number, line in enumerate(text.split("\n"), start=1):
        for match in _LINK.finditer(line):
            target = next(group for group in match.groups() if group)
            found.append((target, number))
    return found


def render(text: str, link_for: LinkFor | None = None, ids: str = "") -> str:
    """Markdown `text` as an HTML fragment. `ids` keeps footnote ids apart when several
    articles share one document (the print edition): fn:1 becomes fn:{ids}:1."""
    md = markdown.Markdown(
        extensions=[*EXTENSIONS, _Bulletin(link_for)],
        extension_configs={"footnotes": {"BACKLINK_TITLE": "返回正文第 %d 处",
                                         "SEPARATOR": f":{ids}:" if ids else ":"}},
        output_format="html",
    )
    return md.convert(text)


def join_lines(text: str) -> str:
    """Drop the line breaks that stand between two Chinese characters."""
    return _JOIN.sub("", text)


class _Bulletin(Extension):
    def __init__(self, link_for: LinkFor | None) -> None:
        super().__init__()
        self.link_for = link_for

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        # After inline processing (priority 20) and before pretty-printing.
        md.treeprocessors.register(_ChineseText(md, self.link_for), "bulletin", 5)


class _ChineseText(Treeprocessor):
    def __init__(self, md: markdown.Markdown, link_for: LinkFor | None) -> None:
        super().__init__(md)
        self.link_for = link_for

    def run(self, root: etree.Element) -> None:
        for paragraph in list(root.iter("p")):
            _figure(paragraph)
        for element in root.iter():
            if element.text:
                element.text = join_lines(element.text)
            if element.tail:
                element.tail = join_lines(element.tail)
            if self.link_for is None:
                continue
            for attribute in ("src", "href"):
                value = element.get(attribute)
                if value and is_local(value):
                    element.set(attribute, self.link_for(value))


def _figure(paragraph: etree.Element) -> None:
    """A paragraph holding one image and nothing else is a figure; its caption is the
    image's title, else its alt text (as Pandoc's implicit figures)."""
    children = list(paragraph)
    if len(children) != 1 or children[0].tag != "img" or (paragraph.text or "").strip() \
            or (children[0].tail or "").strip():
        return
    image = children[0]
    caption = image.get("title") or image.get("alt") or ""
    paragraph.tag = "figure"
    paragraph.text = None
    image.tail = None
    if caption:
        etree.SubElement(paragraph, "figcaption").text = caption
