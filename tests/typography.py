"""The print edition measured as a typesetter reads proofs, from the glyph positions in the PDF.

Used by the tests (tests/test_typography.py) and by `bench/typography.py`, which prints
the table of issue 14 for the sample issue. The measures are those of the issue's
references (XeLaTeX + ctex, Typst), taken the same way:

- `pairs`, `compressed`: two full-width punctuation marks in a row in body text, and how
  many of them are set closer than a full em each (标点挤压);
- `holes`: gaps wider than 0.75 em between neighbouring characters of a body line (the
  contents page and the 发布日期/来源 lines aside);
- `level`, `right`: right-column baselines level (within 1 pt) with a left-column one;
- `lone`: lines holding one Han character and at most two closing marks (段末孤字);
- `feet`: the blank at the foot of each column of each page but the first and the last,
  in body lines, and whether the next page opens a section (a column may end short there);
  `whole_lines` counts them in the lines that would still fit.

Reads the PDF with PyMuPDF (a test and benchmark dependency, not the builder's).
Body text is the text set at 9.5 to 11 pt.
"""

from __future__ import annotations

import collections
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

PUNCT = set("，。、；：？！）》」』”’〕】（《「『“‘〔【")
BODY_LINE = 10.5 * 1.45  # pt: the body's line pitch (print stylesheet: 10.5pt, line-height 1.45)


@dataclass
class Foot:
    page: int  # 1-based
    column: str  # "left" | "right"
    blank_lines: float
    before_section: bool  # the next page opens a section


@dataclass
class Measures:
    pairs: int = 0
    compressed: int = 0
    uncompressed: list[tuple[int, str]] = field(default_factory=list)  # (page, the pair and what is around it)
    holes: list[tuple[int, str]] = field(default_factory=list)  # (page, the line's start)
    level: int = 0
    right: int = 0
    lone: list[tuple[int, str]] = field(default_factory=list)  # (page, the line)
    feet: list[Foot] = field(default_factory=list)

    def holes_in_feet(self, allowed: int = 2) -> list[Foot]:
        """The column feet with more than ``allowed`` blank lines, a section's end aside."""
        return [foot for foot in self.feet if whole_lines(foot) > allowed and not foot.before_section]


def whole_lines(foot: Foot) -> int:
    """How many more body lines the column's foot could have held: the blank under its last
    line's glyphs, less the 0.15 line that a full column leaves there (its glyphs end above
    its line box, and the text block is not a whole number of lines high)."""
    return math.floor(foot.blank_lines - 0.1)


def measure(path: Path) -> Measures:
    import pymupdf

    found = Measures()
    document = pymupdf.open(path)
    mid = document[0].rect.width / 2
    section_openings = [_opens_section(page) for page in document]
    for number, page in enumerate(document):
        rows: dict[tuple[int, bool], list[dict]] = collections.defaultdict(list)
        for block in page.get_text("rawdict")["blocks"]:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    if not 9.5 <= span["size"] <= 11:
                        continue
                    chars = span["chars"]
                    for i, (a, b) in enumerate(zip(chars, chars[1:])):
                        if a["c"] in PUNCT and b["c"] in PUNCT:
                            found.pairs += 1
                            if (b["origin"][0] - a["origin"][0]) / span["size"] < 0.95:
                                found.compressed += 1
                            else:
                                around = "".join(c["c"] for c in chars[max(0, i - 3):i + 4])
                                found.uncompressed.append((number + 1, around))
                    for char in chars:
                        if char["c"].strip():
                            rows[(round(char["origin"][1]), char["bbox"][0] >= mid)].append(char)
        for chars in rows.values():
            chars.sort(key=lambda char: char["bbox"][0])
            text = "".join(char["c"] for char in chars)
            if len(chars) < 8 or number == 0 or "发布日期" in text or "来源" in text:
                continue
            for a, b in zip(chars, chars[1:]):
                if a["c"] in ".…" and b["c"] in ".…":
                    continue
                if b["bbox"][0] - a["bbox"][2] > 8:
                    found.holes.append((number + 1, text[:24]))
        if number == 0:
            continue
        _lines_of(page, mid, found, number)
        if number + 1 < len(document):
            _feet_of(page, mid, found, number, section_openings[number + 1])
    return found


def _lines_of(page, mid: float, found: Measures, number: int) -> None:
    left, right = set(), set()
    lines: dict[tuple[int, int], list[tuple[float, str]]] = {}
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            spans = [span for span in line["spans"] if span["text"].strip()]
            if not spans:
                continue
            x0, y0, x1, _ = line["bbox"]
            text = "".join(span["text"] for span in line["spans"])
            lines.setdefault((round(y0), 0 if x0 < mid - 10 else 1), []).append((x0, text))
            if y0 < 60 or y0 > 800 or not 9.5 <= spans[0]["size"] <= 11:
                continue
            baseline = round(spans[0]["origin"][1], 1)
            if x1 < mid + 5:
                left.add(baseline)
            elif x0 > mid - 5:
                right.add(baseline)
    for baseline in right:
        found.right += 1
        found.level += any(abs(baseline - other) < 1 for other in left)
    for pieces in lines.values():
        text = "".join(piece for _, piece in sorted(pieces)).replace(" ", "")
        if re.fullmatch(r"[\u4e00-\u9fff][。，、；：！？”）》]{0,2}", text):
            found.lone.append((number + 1, text))


def _feet_of(page, mid: float, found: Measures, number: int, next_opens_section: bool) -> None:
    """The blank under the last line of each column, down to the lowest text line of the page's body."""
    body_bottom = page.rect.height - 20 / 25.4 * 72  # the print stylesheet's bottom margin
    lowest = {"left": 0.0, "right": 0.0}
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            if not any(span["text"].strip() for span in line["spans"]):
                continue
            x0, y0, x1, y1 = line["bbox"]
            if y1 > body_bottom + 2 or y0 < 60:  # the running head and the page number
                continue
            if x0 < mid - 5:
                lowest["left"] = max(lowest["left"], y1)
            if x1 > mid + 5:
                lowest["right"] = max(lowest["right"], y1)
    for column, bottom in lowest.items():
        found.feet.append(Foot(number + 1, column, max(0.0, body_bottom - bottom) / BODY_LINE, next_opens_section))


def _opens_section(page) -> bool:
    """Whether the page's first text below the running head is a section's name (【…】, set large)."""
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            for span in line["spans"]:
                if span["text"].strip() and line["bbox"][1] > 60:
                    return span["size"] >= 13.5 and span["text"].strip().startswith("【")
    return False


def text_lines(path: Path) -> list[tuple[str, list[float]]]:
    """(text, the x of each character's origin) of each line of the PDF, top to bottom, page by page."""
    import pymupdf

    found = []
    for page in pymupdf.open(path):
        rows: dict[int, list[tuple[float, str]]] = collections.defaultdict(list)
        for block in page.get_text("rawdict")["blocks"]:
            for line in block.get("lines", []):
                for span in line["spans"]:
                    for char in span["chars"]:
                        if char["c"].strip():
                            rows[round(char["origin"][1])].append((char["origin"][0], char["c"]))
        for y in sorted(rows):
            chars = sorted(rows[y])
            found.append(("".join(c for _, c in chars), [x for x, _ in chars]))
    return found
