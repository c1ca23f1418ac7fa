"""Where Markdown text refers to files, and how much work it would ask of the parser.

The loader checks every reference of an article (`local_references`, and
`raw_html_references` where raw HTML is allowed) before anything is rendered, and refuses
text that Python-Markdown would take minutes over (`markdown_work`, `too_deep`): these
read the editor's Markdown as source, they do not render it.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
from typing import NamedTuple
from urllib.parse import urlsplit

# The start of an inline link or image, up to its `(`. Link text may hold one level of
# brackets; none deeper, so that a line of ten thousand `[` is scanned once, not once per
# bracket. The target after it is read by _target, as Python-Markdown reads it.
_LINK_START = re.compile(r"(?:!\[|\[)(?:[^\[\]]|\[[^\[\]]*\])*\]\(")  # not `!?\[`: found faster
# A reference definition, also inside a quote or a list, its target on the same line or
# the next: `[r]: images/a.png`, `> [r]:\n    <images/a b.png>`.
_DEFINITION = re.compile(r"^[ \t]*(?:(?:>|[-*+]|\d{1,9}[.)])[ \t]*)*\[(?!\^)[^\]\n]+\]:[ \t]*"
                         r"(?:\n[ \t]*(?:>[ \t]*)*)?(<[^>\n]*>|[^\s>]\S*)", re.M)
# Raw HTML (where a site allows it) is passed through by Python-Markdown, so its links
# cannot be rewritten: any attribute naming a URL, however it is spaced or quoted.
# A tag is read up to 4,000 characters: ten thousand `<a` left open would otherwise each be
# read to the end of the text.
_RAW_URL = re.compile(r"""<[a-z][^>]{0,4000}?\s(?:src|href|xlink:href|poster|data|srcset)\s*=\s*"""
                      r"""(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
# How deep blocks may nest (`> > >`, lists in lists): Python-Markdown and WeasyPrint both
# recurse once or more per level, and no bulletin needs more than a few.
MAX_NESTING = 24
# The most work one paragraph may ask of Python-Markdown (see markdown_work): a few
# seconds. Ordinary text asks a thousandth of it.
MAX_MARKDOWN_WORK = 10_000_000
# A paragraph this short cannot ask more than MAX_MARKDOWN_WORK of the parsers counted
# in markdown_work, whatever it holds: its bracket spans come to at most len² (each
# character opens at most one), its splits to (len + 1)·len/40, its inline marks and line
# breaks to len²/100; 1.04·3000² < 10,000,000. Most paragraphs are shorter: not counted.
SHORT_BLOCK = 3000
_OPEN_TAG = re.compile(r"<[A-Za-z][^<>]*(?=<|\Z)")
_INLINE = re.compile(r"[\\`*_<&!\[{]")
_FOOTNOTE_CALL = re.compile(r"\[\^([^\]\s]+)\](?!:)")
# Lines that end a block inside a paragraph: headings, rules, setext underlines.
_SPLITS = re.compile(r"^(?:#{1,6}(?:[ \t]|$)| {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$|=+[ \t]*$)", re.M)
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")  # `- - - -` is a rule, not lists
_NESTING = re.compile(r"(?:[ \t]*(?:>|[-*+][ \t]|\d{1,9}[.)][ \t]))+")


def is_local(url: str) -> bool:
    """True for a reference to a file of the site (`images/a.png`), not a web address or anchor."""
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc or url.startswith("#") or url.startswith("/")) and bool(parts.path)


def is_page_link(url: str) -> bool:
    """True for a link to a page of the archive, written relative to the issue's folder as
    a file is, and ending in a slash: `market-a/` (an article of the issue), `./` (the
    issue), `../2017-01/carbon-price/` (an article of another issue). Not a file: nothing
    is read or published for it; `newsletter check` checks that the page is there."""
    return is_local(url) and (urlsplit(url).path.endswith("/") or urlsplit(url).path in (".", ".."))


class Reference(NamedTuple):
    target: str  # as written
    line: int  # 1-based, in the Markdown text
    image: bool  # ![…](…), not […](…) nor a reference definition


@functools.lru_cache(maxsize=64)  # an issue's articles are looked at twice: checked, then their files listed
def local_references(text: str) -> tuple[Reference, ...]:
    """Every link or image target in Markdown `text` with its line, as written. Linear
    for text that `markdown_work` lets through (its bracket count bounds `_target`)."""
    lines: list[int] = []  # where each line starts, found once there is a reference to place

    def line(position: int) -> int:
        if not lines:
            lines.extend(_line_starts(text))
        return bisect.bisect(lines, position)

    found = []
    for match in _LINK_START.finditer(text):
        target = _target(text, match.end())
        if target:
            found.append(Reference(target, line(match.end()), match.group().startswith("!")))
    for match in _DEFINITION.finditer(text):
        target = match.group(1)
        target = target[1:-1] if target.startswith("<") else target
        if target:
            found.append(Reference(target, line(match.start(1)), False))
    return tuple(sorted(found, key=lambda ref: ref.line))


def _line_starts(text: str) -> list[int]:
    return [0] + [match.end() for match in re.finditer("\n", text)]


def _target(text: str, start: int) -> str:
    """The target of an inline link whose `(` ends at `start`: `<…>`, or up to white space
    or the `)` that closes the link, parentheses inside it balanced (plan(2017).pdf)."""
    while start < len(text) and text[start] in " \t\n":
        start += 1
    if text.startswith("<", start):
        end = text.find(">", start)
        return text[start + 1:end] if end > 0 and "\n" not in text[start:end] else ""
    depth = 0
    end = start
    while end < len(text) and text[end] not in " \t\n":
        if text[end] == "\\":  # `x\(.pdf`: an escaped parenthesis is part of the name
            end += 2
            continue
        if text[end] == "(":
            depth += 1
        elif text[end] == ")":
            if depth == 0:
                break
            depth -= 1
        end += 1
    return re.sub(r"\\(.)", r"\1", text[start:end])


def raw_html_references(text: str) -> list[tuple[str, int]]:
    """Local files named in raw HTML (`<img src="a.png">`, its attributes on one line or
    several), which no output could relocate."""
    lines = _line_starts(text)
    found = []
    for match in _RAW_URL.finditer(text):
        target = html.unescape(next((group for group in match.groups() if group is not None), "")).strip()
        if is_local(target):
            found.append((target, bisect.bisect(lines, match.start())))
    return found


def markdown_work(text: str) -> tuple[int, int] | None:
    """(line, work) of the first paragraph that would keep Python-Markdown busy for many
    seconds, or None. Two of its parsers are quadratic: the link parser scans from each
    `[` or `(` to the matching bracket, or to the paragraph's end when there is none (ten
    thousand unmatched `[` cost a minute), and each heading or rule inside a paragraph
    splits off the rest of it (twenty thousand lines of `---` cost as much). Its inline
    parser, too, scans the paragraph again after each match (of `\\`, `*`, `` ` ``…), and
    its list and table parsers once per line, attribute lists (`{`) once per brace, and
    the footnotes once per earlier call of the same note.
    All are counted here, in units of about 0.3 µs."""
    line = 1
    blocks = re.split(r"(\n[ \t]*\n)", text)
    # The block parser takes each paragraph off the front of a list of all that follow,
    # and its raw-HTML reader looks for the end of each tag left open in all that follows.
    work = (len(blocks) // 2) ** 2 // 500 + len(_OPEN_TAG.findall(text)) ** 2 // 2
    if work > MAX_MARKDOWN_WORK:
        return 1, work
    for block in blocks:
        if len(block) > SHORT_BLOCK and block.strip():
            work = _spans(block, "[", "]") + _spans(block, "(", ")")
            work += len(_SPLITS.findall(block)) * len(block) // 40
            work += (len(_INLINE.findall(block)) + block.count("\n")) * len(block) // 100
            if work > MAX_MARKDOWN_WORK:
                return line + len(block) - len(block.lstrip("\n")), work
        line += block.count("\n")
    # Each call of a footnote looks through the calls of the same note before it.
    calls: dict[str, list[int]] = {}
    for match in _FOOTNOTE_CALL.finditer(text):
        calls.setdefault(match.group(1), []).append(match.start())
    for starts in calls.values():
        if 2 * len(starts) ** 2 > MAX_MARKDOWN_WORK:
            return text.count("\n", 0, starts[0]) + 1, 2 * len(starts) ** 2
    return None


def _spans(block: str, opening: str, closing: str) -> int:
    work = 0
    opened: list[int] = []
    for match in re.finditer(re.escape(opening) + "|" + re.escape(closing), block):
        if match.group() == opening:
            opened.append(match.start())
        elif opened:
            work += match.start() - opened.pop()
    return work + sum(len(block) - start for start in opened)


def too_deep(text: str) -> tuple[int, int] | None:
    """(line, levels) of the first line nested deeper than MAX_NESTING, or None."""
    for number, line in enumerate(text.split("\n"), start=1):
        match = _NESTING.match(line)
        if match is None or _RULE.match(line):
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        levels = match.group().count(">") + len(re.findall(r"[-*+][ \t]|\d[.)][ \t]", match.group())) + indent // 4
        if levels > MAX_NESTING:
            return number, levels
    return None
