"""The text side of the importer: page artefacts, spacing, paragraphs, Markdown blocks.

The rules are described for editors in `builder.importer.back_issue`; this module applies them:
`page_furniture` finds page headers and numbers, `build_blocks` turns the body lines
of an article into Markdown blocks, and `tidy` and `unwrap` are the spacing rules,
shared with titles and sources.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace

from builder.chinese import HAN_CLASS, is_han

# Quotes, ellipsis and dash count as Chinese punctuation: Unicode calls them "ambiguous"
# width, but in this bulletin they are always typeset full width inside Chinese text.
_WIDE_AMBIGUOUS = "“”‘’…—"
_SENTENCE_END = re.compile(r"[。！？；：…][”’）」』)]*$")
_NUMERAL = "一二三四五六七八九十百零〇"
_CHAPTER = re.compile(rf"^(第[{_NUMERAL}]+[章节])\s*(\S.*)$")
_CLAUSE = re.compile(rf"^(第[{_NUMERAL}]+条)\s*(\S.*)$")
_HEADED_ITEM = re.compile(rf"^([{_NUMERAL}]+、|\d{{1,2}}、)\s*(\S.*)$")
_PAREN_ITEM = re.compile(rf"^（[{_NUMERAL}]+）")
_BULLET = re.compile(r"^[•●▪■◆]\s+(\S.*)$")
_DOC_NUMBER = re.compile(rf"^[{HAN_CLASS}]{{1,10}}\s*[〔［\[]\s*\d{{4}}\s*[〕］\]]\s*\d+\s*号$")
_SIGNED_DATE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*(印发)?$")
_INLINE_URL = re.compile(r"(?<!<)\b(?:https?|ftp)://[!#-;=?-~]+")
_PAGE_HEADER = re.compile(r"总第\s*(\d+)\s*期")
_PAGE_NUMBER = re.compile(r"^\s*[-—－]?\s*\d{1,3}\s*[-—－]?\s*$")
_LONE_SYMBOL = re.compile(r"^\s*[-_|•·*~]\s*$")
_MARKDOWN_START = re.compile(r"^(\d+)\.(\s)|^([-+*#>])(\s)")
# A heading is a short line with no sentence punctuation at its end.
_HEADING_MAX = 30
_SIGNATURE_MAX = 20


@dataclass(frozen=True)
class Line:
    """One line of the input file, as extracted."""

    number: int  # 1-based line number in the input
    raw: str

    @property
    def text(self) -> str:
        return self.raw.strip()

    @property
    def hard_end(self) -> bool:
        # The extraction leaves a space after the last character of a line that ended a
        # paragraph in the original; after a Latin word the space is only a word space.
        stripped = self.raw.rstrip()
        return stripped != self.raw and bool(stripped) and (is_wide(stripped[-1]) or stripped[-1] in "?!")

    @property
    def indent(self) -> int:
        return len(self.raw) - len(self.raw.lstrip())

    @property
    def width(self) -> int:
        return display_width(self.text)


@dataclass(frozen=True)
class Paragraph:
    text: str  # lines joined, spacing not yet tidied
    kind: str = "text"  # text | heading | clause | bullet | doc-number | date | signature


def is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in "WF" or char in _WIDE_AMBIGUOUS


def display_width(text: str) -> int:
    return sum(2 if is_wide(c) else 1 for c in text)


def unwrap(parts: Sequence[str]) -> str:
    """Lines of one wrapped paragraph joined: nothing between Chinese, a space between words."""
    text = ""
    for part in (p.strip() for p in parts):
        if not part:
            continue
        if text and not is_wide(text[-1]) and not is_wide(part[0]):
            text += " "
        text += part
    return text


def tidy(text: str, keep_han_gaps: bool = False) -> str:
    """Spacing as the printed original had it: no space touching a Chinese character or
    full-width punctuation; one space between Latin words and numbers. With
    `keep_han_gaps` (titles, sources) a space between two Han characters stays, as
    headlines use it to separate two clauses."""
    text = text.strip()

    def gap(match: re.Match[str]) -> str:
        before, after = text[match.start() - 1], text[match.end()]
        if keep_han_gaps and is_han(before) and is_han(after):
            return " "
        return "" if is_wide(before) or is_wide(after) else " "

    return re.sub(r"\s+", gap, text)


def page_furniture(lines: list[Line]) -> tuple[set[int], int | None]:
    """Line numbers of page headers, footers and page numbers among all the lines of a
    file, and the 总期号 a header shows."""
    found: set[int] = set()
    total = None
    for i, line in enumerate(lines):
        header = _PAGE_HEADER.search(line.text)
        if header and display_width(line.text) < 60:
            total = total or int(header.group(1))
            found.add(line.number)
            found.update(_header_block(lines, i))
        elif _PAGE_NUMBER.match(line.text) or _LONE_SYMBOL.match(line.text):
            found.add(line.number)
    # A header or footer line seen once is furniture wherever it repeats.
    known = {lines[n - 1].text for n in found if not _PAGE_NUMBER.match(lines[n - 1].text)}
    found.update(line.number for line in lines if line.text in known)
    return found, total


def _header_block(lines: list[Line], header: int) -> list[int]:
    """The lines after a page header down to the page number, if one follows closely."""
    block = []
    for line in lines[header + 1:]:
        if not line.text:
            continue
        block.append(line.number)
        if _PAGE_NUMBER.match(line.text):
            return block
        if len(block) == 4:
            break
    return []


def build_blocks(lines: Sequence[Line], trusted_ends: bool) -> list[str]:
    """The Markdown blocks of an article body, in order. With `trusted_ends` the
    extraction marked the original's line breaks with a trailing space; otherwise
    paragraph ends are guessed from line widths."""
    paragraphs = _mark_signatures([_classify(p) for p in _paragraphs(lines, trusted_ends)])
    levels = _heading_levels(paragraphs)
    blocks: list[str] = []
    previous = ""
    for paragraph in paragraphs:
        block = _render(paragraph, levels)
        if paragraph.kind == "bullet" and previous == "bullet":
            blocks[-1] += "\n" + block
        else:
            blocks.append(block)
        previous = paragraph.kind
    return blocks


def _paragraphs(lines: Sequence[Line], trusted_ends: bool) -> list[Paragraph]:
    if not lines:
        return []
    column = _column_width(lines)
    base_indent = sorted(line.indent for line in lines)[len(lines) // 2]
    result: list[Paragraph] = []
    current: list[Line] = []
    for line in lines:
        if current and _starts_paragraph(line, base_indent):
            result.append(_joined(current))
            current = []
        current.append(line)
        if _ends_paragraph(line, column, trusted_ends):
            result.append(_joined(current))
            current = []
    if current:
        result.append(_joined(current))
    return result


def _joined(lines: list[Line]) -> Paragraph:
    return Paragraph(unwrap([line.text for line in lines]))


def _column_width(lines: Sequence[Line]) -> int:
    """The width of a full line of the article's column (most lines are full)."""
    widths = sorted(line.width for line in lines)
    return widths[(len(widths) * 3) // 4]


def _starts_paragraph(line: Line, base_indent: int) -> bool:
    text = line.text
    return bool(
        line.indent >= base_indent + 2
        or _CHAPTER.match(text) or _CLAUSE.match(text) or _PAREN_ITEM.match(text)
        or _HEADED_ITEM.match(text) or _BULLET.match(text)
        or _DOC_NUMBER.match(text) or _SIGNED_DATE.match(text)
        or text.startswith("附件")
    )


def _ends_paragraph(line: Line, column: int, trusted_ends: bool) -> bool:
    if trusted_ends:
        return line.hard_end
    # Without the extraction's trailing spaces only width tells. A paragraph's first
    # line is often two characters short (its indent) and a line full of digits looks
    # short, so only lines well short of the column count.
    width = line.width + line.indent
    if width < column - 8:
        return True
    return width <= column - 6 and bool(_SENTENCE_END.search(line.text))


def _classify(paragraph: Paragraph) -> Paragraph:
    text = paragraph.text
    if _CHAPTER.match(text) and len(tidy(text)) <= _HEADING_MAX:
        return replace(paragraph, kind="heading")
    if _CLAUSE.match(text):
        return replace(paragraph, kind="clause")
    if _HEADED_ITEM.match(text) and _is_heading_like(text):
        return replace(paragraph, kind="heading")
    if _BULLET.match(text):
        return replace(paragraph, kind="bullet")
    if _DOC_NUMBER.match(text):
        return replace(paragraph, kind="doc-number")
    if _SIGNED_DATE.match(text):
        return replace(paragraph, kind="date")
    return paragraph


def _is_heading_like(text: str) -> bool:
    tidied = tidy(text)
    return len(tidied) <= _HEADING_MAX and not re.search(r"[。；，：！？、]$", tidied)


def _mark_signatures(paragraphs: list[Paragraph]) -> list[Paragraph]:
    """A date line and the short lines naming the issuers just above it sign a notice."""
    result = list(paragraphs)
    for index, paragraph in enumerate(paragraphs):
        if paragraph.kind != "date":
            continue
        result[index] = replace(paragraph, kind="signature")
        above = index - 1
        while above >= 0 and _is_signer(result[above]):
            result[above] = replace(result[above], kind="signature")
            above -= 1
    return result


def _is_signer(paragraph: Paragraph) -> bool:
    text = tidy(paragraph.text)
    return (
        paragraph.kind == "text"
        and len(text) <= _SIGNATURE_MAX
        and not text.startswith("附件")
        and not re.search(r"[。；，：！？、]$", text)
    )


def _heading_levels(paragraphs: list[Paragraph]) -> dict[str, int]:
    """Heading kinds (章, 节, 一、, 1、) get levels ##, ###, … in the order the article
    first uses them, since documents nest them differently."""
    levels: dict[str, int] = {}
    for paragraph in paragraphs:
        if paragraph.kind == "heading":
            levels.setdefault(_heading_kind(paragraph.text), 2 + len(levels))
    return levels


def _heading_kind(text: str) -> str:
    chapter = _CHAPTER.match(text)
    if chapter:
        return chapter.group(1)[-1]
    return "一、" if text[0] in _NUMERAL else "1、"


def _render(paragraph: Paragraph, levels: dict[str, int]) -> str:
    text = paragraph.text
    if paragraph.kind == "heading":
        marks = "#" * min(levels[_heading_kind(text)], 6)
        chapter = _CHAPTER.match(text)
        if chapter:
            return f"{marks} {chapter.group(1)} {tidy(chapter.group(2), keep_han_gaps=True)}"
        return f"{marks} {tidy(text)}"
    if paragraph.kind == "clause":
        clause = _CLAUSE.match(text)
        assert clause is not None
        return f"**{clause.group(1)}** {_text(clause.group(2))}"
    if paragraph.kind == "bullet":
        bullet = _BULLET.match(text)
        assert bullet is not None
        return f"- {_text(bullet.group(1))}"
    if paragraph.kind == "doc-number":
        return f"{tidy(text)}\n{{: .doc-number }}"
    if paragraph.kind == "signature":
        return f"{tidy(text)}\n{{: .signature }}"
    return _escape_start(_text(text))


def _text(text: str) -> str:
    return _INLINE_URL.sub(lambda m: f"<{m.group(0)}>", tidy(text))


def _escape_start(text: str) -> str:
    """Keep a paragraph that starts like Markdown syntax (`1. `, `- `, `# `) plain text."""
    return _MARKDOWN_START.sub(lambda m: f"{m.group(1)}\\.{m.group(2)}" if m.group(1)
                               else f"\\{m.group(3)}{m.group(4)}", text, count=1)
