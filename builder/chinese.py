"""Which characters are Chinese: the one definition shared by the Markdown pipeline,
the importer and the typesetter.

`is_cjk` is wide: every character set on the em square of a CJK font (ideographs, kana,
Hangul, full-width forms and CJK punctuation, and the quotes and dashes a Chinese font
draws full width). `is_han` is narrow: the ideographs and kana, which clreq §3.2.1 sets
a quarter em apart from Latin letters and digits.
"""

from __future__ import annotations

import re

CJK_RANGES = (
    (0x1100, 0x11FF), (0x2E80, 0x2FDF), (0x2FF0, 0x303F), (0x3040, 0x30FF),
    (0x3100, 0x31FF), (0x3200, 0x4DBF), (0x4E00, 0x9FFF), (0xA960, 0xA97F),
    (0xAC00, 0xD7FF), (0xF900, 0xFAFF), (0xFE10, 0xFE1F), (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
# Outside those blocks, but set full width by a Chinese font.
CJK_EXTRA = frozenset('“”‘’—…·⸺‥')
HAN_RANGES = ((0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
              (0x20000, 0x3FFFF))


def is_cjk(char: str) -> bool:
    if char in CJK_EXTRA:
        return True
    code = ord(char)
    return code >= 0x1100 and any(low <= code <= high for low, high in CJK_RANGES)


def is_han(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in HAN_RANGES)


def _ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    return "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges)


# The same as regular-expression class bodies, for `[...]`.
CJK_CLASS = _ranges(CJK_RANGES) + "".join(re.escape(char) for char in sorted(CJK_EXTRA))
HAN_CLASS = _ranges(HAN_RANGES)
