"""Does every character of an issue have a glyph in the print edition's fonts?

Pango quietly falls back to another font, or to an empty box, for a character the
chosen face lacks. The build checks first: a character no installed font has is an
error, one only a fallback font has is a warning (it will print in another typeface),
each with the file and line where it first occurs.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import subprocess
import unicodedata
from pathlib import Path

from builder.errors import ContentError, Findings
from builder.model import Issue, Site
from builder.routes import ISSUE_FILE, SITE_FILE

# The faces of themes/default/templates/print/issue.css: 宋体 regular, 黑体 bold.
# Characters that are not drawn (format characters such as joiners; the loader refuses
# control characters): no glyph is needed. A private-use or unassigned character is drawn,
# and prints as an empty box unless a font has it.
_UNDRAWN = {"Cc", "Cf", "Zl", "Zp"}
PRINT_FACES = ("Noto Serif CJK SC", "Noto Sans CJK SC:bold")


def check_issue(site: Site, issue: Issue, faces: tuple[str, ...] = PRINT_FACES) -> Findings:
    covered = covered_by(faces)
    errors: list[ContentError] = []
    warnings: list[ContentError] = []
    seen: set[str] = set()
    for path, line, text in _texts(site, issue):
        for char in text:
            if char in seen or ord(char) in covered or char.isspace() or unicodedata.category(char) in _UNDRAWN:
                continue
            seen.add(char)
            name = unicodedata.name(char, "unnamed character")
            shown = f"'{char}' (U+{ord(char):04X} {name})"
            if _any_font_has(char):
                warnings.append(ContentError(path, f"{shown} is not in the print fonts; it will print in another "
                                             "typeface", line,
                                             "replace it with a common character if that looks wrong"))
            else:
                errors.append(ContentError(path, f"{shown} is in no installed font and would print as an empty box",
                                           line, "replace the character, or install a font that has it"))
    return Findings(tuple(errors), tuple(warnings))


@functools.cache
def covered_by(faces: tuple[str, ...]) -> Coverage:
    """The code points of the fonts fontconfig picks for `faces`."""
    return Coverage(sorted(span for face in faces for span in _charset(face)))


class Coverage:
    """A set of code points held as ranges: the 45,000 of a CJK font as some 700 pairs,
    not as 45,000 numbers (or the font's tables, parsed) kept by the build."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.starts = [start for start, _ in spans]
        self.ends = list(itertools.accumulate((end for _, end in spans), max))  # of the spans up to each

    def __contains__(self, code: object) -> bool:
        if not isinstance(code, int):
            return False
        at = bisect.bisect_right(self.starts, code) - 1
        return at >= 0 and code <= self.ends[at]


def _charset(face: str) -> list[tuple[int, int]]:
    """(first, last) code point of each range of the characters the font fontconfig picks
    for `face` has glyphs for: what Pango reads to choose a font for a character."""
    out = subprocess.run(["fc-match", "-f", "%{charset}", face], capture_output=True, text=True, check=True).stdout
    spans = []
    for part in out.split():
        first, _, last = part.partition("-")
        spans.append((int(first, 16), int(last or first, 16)))
    return spans


def missing_faces(faces: tuple[str, ...] = PRINT_FACES) -> list[str]:
    """The faces fontconfig cannot find (it then substitutes another font)."""
    missing = []
    for face in faces:
        family = face.split(":")[0]
        found = subprocess.run(["fc-match", "-f", "%{family}", face], capture_output=True, text=True).stdout
        if family not in found.split(","):
            missing.append(family)
    return sorted(set(missing))


def font_file(face: str) -> Path:
    out = subprocess.run(["fc-match", "-f", "%{file}\n%{index}", face], capture_output=True, text=True, check=True)
    return Path(out.stdout.split("\n")[0])


def _any_font_has(char: str) -> bool:
    found = subprocess.run(["fc-list", f":charset={ord(char):x}", "file"], capture_output=True, text=True)
    return bool(found.stdout.strip())


def _texts(site: Site, issue: Issue):
    """(file, line, text) for everything of the issue that the PDF prints."""
    site_file = site.root / SITE_FILE
    yield site_file, None, site.title + site.publisher + "".join(site.pdf.closing)
    meta = issue.folder / ISSUE_FILE
    yield meta, issue.line("title"), issue.title
    yield meta, issue.line("note"), issue.note
    for article in issue.articles:
        for key, text in (("title", article.title), ("source", article.source), ("author", article.author)):
            yield article.path, article.line(key), text
        for number, line in enumerate(article.body.split("\n"), start=article.body_line):
            yield article.path, number, line
        for attachment in article.attachments:
            yield article.path, article.line("attachments"), attachment.title
