"""The one Markdown pipeline, shared by the archive, the print edition, feeds and mail.

Python-Markdown with tables, footnotes and attribute lists, plus two things Chinese text
needs: a line break between two Chinese characters in the source is dropped (a browser
would show it as a space — CSS Text 3 leaves that to the renderer, and most render a
space), and links to files beside the article are prefixed with a base, so each output
(web page, feed, PDF) can point at them its own way.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
import sys
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import markdown
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.tables import TableExtension
from markdown.treeprocessors import InlineProcessor, Treeprocessor

from builder.cache.code import library_version
from builder.cache.store import Store
from builder.charts import html as chart_html
from builder.charts.spec import CHART_MARK, Chart
from builder.chinese import CJK_CLASS
from builder.files import reference_path
from builder.render import sanitize
from builder.source.references import is_local, is_page_link

_JOIN = re.compile(rf"(?<=[{CJK_CLASS}])[ \t]*\n[ \t]*(?=[{CJK_CLASS}])")

# Python-Markdown's own, named by their classes: a name would have it look through every
# installed package's entry points first (importlib.metadata: tens of milliseconds).
EXTENSIONS = (TableExtension, FootnoteExtension, AttrListExtension)


def relocate(ref: str, base: str) -> str:
    """A local reference as seen from elsewhere: its path percent-encoded (once, whether
    the editor wrote `a b.png` or `a%20b.png`) and prefixed with `base`, its query and
    fragment kept."""
    parts = urlsplit(ref)
    return base + urlunsplit(("", "", quote(unquote(parts.path)), parts.query, parts.fragment))


# The build's cache while it renders (`memo`): a conversion is kept under a digest of its
# text, its options, this code and its libraries' versions, so a kept one is never stale.
_store: Store | None = None


@contextmanager
def memo(store: Store | None) -> Iterator[None]:
    """Within: conversions done by an earlier build are taken from `store`, new ones kept there."""
    global _store
    previous, _store = _store, store
    try:
        yield
    finally:
        _store = previous


def worker_records() -> object:
    """In a worker forked from the build: the conversions it took from and added to the
    build's cache, for `merge_records` in the build."""
    return _store.worker_records() if _store is not None else None


def merge_records(records: object) -> None:
    if _store is not None and records is not None:
        _store.merge(records)  # type: ignore[arg-type]


def render(text: str, base: str | None = None, ids: str = "", image_base: str | None = None,
           raw_html: bool = False, cached: bool = True, charts: tuple[str, str] = ("web", "#000000")) -> str:
    """Markdown `text` as a sanitised HTML fragment. Local links get `base` in front (images
    get `image_base`, by default the same); None leaves them as written. `ids` keeps
    footnote ids apart when several articles share one document (the print edition).
    Raw HTML in the text is shown as text unless `raw_html` (site.yaml's
    `markdown.raw_html`); either way the result holds only what `sanitize` allows.
    `cached` false: not taken from the build's cache nor kept there (the caller keeps
    what it makes of it). `charts`: (the output, "web", "print" or "feed", and the
    publication's colour) for the charts the text holds (builder.charts)."""
    store = _store
    if store is None or not cached:
        return _convert(text, base, ids, image_base, raw_html, charts)
    key = _key(text, base, ids, image_base, raw_html)
    if CHART_MARK in text:  # the drawings too: for this output, in this colour, by this code
        key = hashlib.sha256("\0".join((key, *charts, chart_code())).encode()).hexdigest()
    kept = store.get("markdown", key)
    if kept is not None:
        return kept.decode("utf-8")
    html = _convert(text, base, ids, image_base, raw_html, charts)
    store.put("markdown", key, html.encode("utf-8"))
    return html


def memoised(kind: str, key: str, make: Callable[[], bytes]) -> bytes:
    """Within `memo`: what `make` makes, taken from the build's cache under (kind, key)
    where an earlier build kept it, else made and kept. The key says all it depends on."""
    store = _store
    if store is None:
        return make()
    kept = store.get(kind, key)
    if kept is not None:
        return kept
    made = make()
    store.put(kind, key, made)
    return made


def keep_entry(kind: str, key: str) -> None:
    """Within `memo`: the cache's entry is still wanted, though not asked for (its page was
    not rendered again), so the store keeps it."""
    if _store is not None:
        _store.used.add((kind, key))


def _key(text: str, base: str | None, ids: str, image_base: str | None, raw_html: bool) -> str:
    return hashlib.sha256("\0".join((_code(), text, repr((base, ids, image_base, raw_html)))).encode()).hexdigest()


@functools.cache
def _code() -> str:
    """What a conversion depends on besides its arguments: this code and its libraries."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for name in ("render/markdown.py", "render/sanitize.py", "chinese.py", "files.py", "source/references.py",
                 "charts/html.py", "charts/spec.py"):
        digest.update((package / name).read_bytes())
    for library in ("markdown", "nh3"):
        digest.update(library_version(library).encode())
    digest.update(sys.version.encode())  # the standard library's html, re and xml.etree
    return digest.hexdigest()


# A title inside a title is marked 〈〉 within 《》; typed <> (or ＜＞) there, it becomes so:
# 《关于印发<循环发展引领行动>的通知》 -> 《关于印发〈循环发展引领行动〉的通知》. Not in code.
_TITLE = re.compile(r"《[^《》`\n]*》")
_INNER_TITLE = re.compile(r"[<＜]([^<>＜＞/=\"'\n]*)[>＞]")
_HAS_CJK = re.compile(f"[{CJK_CLASS}]")
_CODE = re.compile(r"^(```|~~~).*?^\1|`[^`\n]*`|^(?: {4}|\t).*?$", re.S | re.M)


def nested_titles(text: str) -> str:
    if "《" not in text or not ("<" in text or "＜" in text):
        return text
    parts = []
    done = 0
    for code in _CODE.finditer(text):
        parts += [_TITLE.sub(_inner_titles, text[done:code.start()]), code.group()]
        done = code.end()
    return "".join([*parts, _TITLE.sub(_inner_titles, text[done:])])


def _inner_titles(title: re.Match[str]) -> str:
    return _INNER_TITLE.sub(lambda inner: f"〈{inner.group(1)}〉" if _HAS_CJK.search(inner.group(1)) else inner.group(),
                            title.group())


def _convert(text: str, base: str | None, ids: str, image_base: str | None, raw_html: bool,
             charts: tuple[str, str] = ("web", "#000000")) -> str:
    md = _converter(base, ids, image_base, raw_html)
    text, found, stem = chart_html.take(text)
    try:
        html = sanitize.clean(md.convert(nested_titles(text)))
    finally:
        md.reset()  # footnotes, references and HTML kept aside by one text are not the next one's
    return chart_html.place(html, found, stem, charts[0], charts[1], drawn)


# The drawings of this build's charts (render/charts.py fills it before the pages are
# rendered, so the workers forked to render them have it too): chart_key -> SVG.
drawings: dict[str, str] = {}


def drawn(chart: Chart, colour: str) -> str:
    """The chart's SVG: drawn before the build rendered its pages (render/charts.py), else
    from the build's cache, else drawn here."""
    key = chart_key(chart, colour)
    if key in drawings:
        return drawings[key]
    from builder.charts.draw import draw

    return memoised("chart", key, lambda: draw(chart, colour).encode("utf-8")).decode("utf-8")


def chart_key(chart: Chart, colour: str) -> str:
    return hashlib.sha256("\0".join((chart.to_json(), colour, chart_code())).encode()).hexdigest()


@functools.cache
def chart_code() -> str:
    """What a drawing depends on besides the chart: its code, matplotlib's version."""
    from importlib.metadata import version

    package = Path(__file__).resolve().parent.parent
    return hashlib.sha256((package / "charts/draw.py").read_bytes() + version("matplotlib").encode()).hexdigest()


@functools.lru_cache(maxsize=16)
def _converter(base: str | None, ids: str, image_base: str | None, raw_html: bool) -> markdown.Markdown:
    """A converter for these options, made once (making one takes as long as converting
    a short article) and reset after each text."""
    image_base = base if image_base is None else image_base
    table, footnotes, attributes = EXTENSIONS
    md = markdown.Markdown(
        extensions=[table(), footnotes(BACKLINK_TITLE="返回正文第 %d 处", SEPARATOR=f":{ids}:" if ids else ":"),
                    attributes(), _Bulletin(base, image_base)],
        output_format="html",
    )
    if not raw_html:
        # As Hugo does by default: `<b>` in the text is text. Its `<` and `>` are escaped.
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
    if {item.name for item in md.parser.blockprocessors._priority} <= _BLOCK_PROCESSORS:
        md.parser.blockprocessors.register(_QuickParagraph(md.parser), "quick_paragraph", 200)
    if {item.name for item in md.inlinePatterns._priority} <= _INLINE_PATTERNS:
        md.treeprocessors.register(_QuickInline(md), "inline", 20)
    # The inline processor asks its registry for pattern i about a hundred times a
    # paragraph, and the registry checks its order each time (a third of the inline work):
    # the same patterns in the same order, as a list.
    md.treeprocessors["inline"].inlinePatterns = list(md.inlinePatterns)
    return md


# Python-Markdown's block processors (those of the extensions above), each of which
# recognises its block by ASCII at the start of a line (`#`, `>`, `-`, `*`, `|`, `[`,
# a digit, spaces…) or a line of `=` or `-` under it.
_BLOCK_PROCESSORS = {"empty", "indent", "code", "hashheader", "setextheader", "hr", "olist",
                     "ulist", "quote", "reference", "paragraph", "table", "footnote"}
_PLAIN_LINE = rf"(?!\d)[{CJK_CLASS}][^\n]*"
_PLAIN_BLOCK = re.compile(rf"{_PLAIN_LINE}(?:\n{_PLAIN_LINE})*")


class _QuickParagraph(BlockProcessor):
    """A block every line of which starts with a Chinese character (not a full-width
    digit, which `\\d` takes for a list number) is a paragraph: it goes straight to the
    paragraph processor rather than through the dozen tests before it (a third of the
    time of a conversion)."""

    def test(self, parent: etree.Element, block: str) -> bool:
        return _PLAIN_BLOCK.fullmatch(block) is not None

    def run(self, parent: etree.Element, blocks: list[str]) -> bool | None:
        return self.parser.blockprocessors["paragraph"].run(parent, blocks)


# Python-Markdown's inline patterns (those of the extensions above), each of which needs one
# of these in the text to match: a code span or escape `\` or a backtick, a link, image or
# footnote `[`, an autolink or raw HTML `<`, an entity `&`, emphasis `*` or `_`, a hard
# line break two spaces before a newline.
_INLINE_PATTERNS = {"backtick", "escape", "footnote", "reference", "link", "image_link",
                    "image_reference", "short_reference", "short_image_ref", "autolink",
                    "automail", "linebreak", "html", "entity", "em_strong", "em_strong2",
                    "not_strong", "strong_em", "strong", "emphasis", "emphasis2"}
_MAY_MATCH = re.compile(r"[\\`\[<&*_]|  \n")


class _QuickInline(InlineProcessor):
    """The inline processor, which tries each of its 14 patterns at each text of the tree
    (half the time of a conversion), told to leave alone a text none of them can match:
    most paragraphs of a Chinese bulletin."""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802,N803 (Markdown's)
        if _MAY_MATCH.search(data) is None:
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)


def join_lines(text: str) -> str:
    """Drop the line breaks that stand between two Chinese characters."""
    return _JOIN.sub("", text) if "\n" in text else text


class _Bulletin(Extension):
    def __init__(self, base: str | None, image_base: str | None) -> None:
        super().__init__()
        self.bases = {"href": base, "src": image_base}

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        # After inline processing (priority 20) and before pretty-printing.
        md.treeprocessors.register(_ChineseText(md, self.bases), "bulletin", 5)


class _ChineseText(Treeprocessor):
    def __init__(self, md: markdown.Markdown, bases: dict[str, str | None]) -> None:
        super().__init__(md)
        self.bases = bases

    def run(self, root: etree.Element) -> None:
        for paragraph in list(root.iter("p")):
            _figure(paragraph)
        for element in root.iter():
            if element.text:
                element.text = join_lines(element.text)
            if element.tail:
                element.tail = join_lines(element.tail)
            for attribute, base in self.bases.items():
                value = element.get(attribute)
                if value and attribute == "src" and not is_local(value) and not value.startswith("#"):
                    # An image is a file of the issue; the loader says so of those it sees.
                    del element.attrib[attribute]
                if not value or not is_local(value):
                    continue
                if attribute == "href" and is_page_link(value):
                    # A link to a page of the archive: an address, never a file read.
                    if base is not None:
                        element.set(attribute, relocate(value, base))
                    continue
                if _walks_out(value):
                    # The loader refuses such a reference; one it could not see (a form of
                    # Markdown it does not read) still never points out of the issue.
                    del element.attrib[attribute]
                elif base is not None:
                    element.set(attribute, relocate(value, base))


def _walks_out(ref: str) -> bool:
    path = posixpath.normpath(reference_path(ref))
    return path == ".." or path.startswith(("../", "/")) or "\\" in path


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
