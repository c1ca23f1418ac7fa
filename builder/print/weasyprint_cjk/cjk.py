"""Chinese text by character: which characters are CJK, and where a line may be widened.

The justification opportunities follow W3C clreq §3.8 and CSS Text 3
`text-justify: inter-character`: every space, and every gap beside a CJK character
(so also Han–Latin boundaries), but never before a closing mark, after an opening
mark, between two full-width marks, inside ——/…… or inside a Latin word.

The answers are pure functions of their arguments, memoised with bounded
`functools.lru_cache`s (column balancing asks about the same lines again and again);
`typesetting()` empties them when a render ends (`clear_caches()`).
"""

import functools
import re

from builder import chinese
from builder.chinese import HAN_CLASS, is_han

SPACES = ' \u00a0'
# Closing marks: no opportunity before them.
CLOSING = set(
    '，。、；：！？）】》」』〕〗〙〛〉｝］”’〞〟｠'
    '\uff0c\uff0e\uff1a\uff1b\uff01\uff1f\uff09\uff3d\uff5d'
    ',.;:!?)]}%‰')
# Opening marks: no opportunity after them.
OPENING = set('（【《「『〔〖〘〚〈｛［“‘〝｟([{')
# Never split "——" or "……".
_INSEPARABLE = set('—…⸺‥')
# Fullwidth marks that may lose a blank half (checked against the font).
SQUEEZE_RIGHT = set('，。、；：！？）】》」』〕〗〙〛〉｝］”’')
SQUEEZE_LEFT = set('（【《「『〔〖〘〚〈｛［“‘')

_CACHE_SIZE = 1 << 16
# The full-width marks of 标点挤压: each has one blank half.
MARKS = SQUEEZE_RIGHT | SQUEEZE_LEFT

is_cjk = functools.lru_cache(maxsize=_CACHE_SIZE)(chinese.is_cjk)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def gap_kind(a, b):
    """Kind of the gap between characters a and b: None, 'space', 'mixed' or 'cjk'."""
    if b in SPACES:
        return None  # the space itself is the opportunity
    if a in SPACES:
        return 'space'
    cjk_a, cjk_b = is_cjk(a), is_cjk(b)
    if not (cjk_a or cjk_b):
        return None  # inside Latin text
    if b in CLOSING or a in OPENING:
        return None
    if a == b and a in _INSEPARABLE:
        return None
    if a in MARKS and b in MARKS:
        return None  # two marks in a row share one blank half (compressed_marks), on every line alike
    return 'cjk' if cjk_a and cjk_b else 'mixed'


@functools.lru_cache(maxsize=_CACHE_SIZE)
def gaps(text):
    """((i, kind), ...) for each gap after text[i] that may be widened. Cached: column
    balancing justifies the same lines again and again."""
    return tuple((i, kind) for i in range(len(text) - 1)
                 if (kind := gap_kind(text[i], text[i + 1])))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def gaps_by_kind(text):
    """{'space'|'mixed'|'cjk': (i, ...)}: the gaps of ``text`` that may be widened, by kind."""
    found = {'space': [], 'mixed': [], 'cjk': []}
    for i, kind in gaps(text):
        found[kind].append(i)
    return {kind: tuple(indexes) for kind, indexes in found.items()}


@functools.lru_cache(maxsize=_CACHE_SIZE)
def compressed_marks(text):
    """Indexes of the marks of ``text`` set half width because they meet another
    full-width mark (clreq §3.1.6 标点挤压): of two in a row, the first if its right half
    is blank (a closing mark: 。， 、 ” ）), else the second if its left half is (an
    opening mark). So 。（ ”） 》（ ）、 《（ take 1.5 em, not 2, on every line alike;
    in a run of three, the first two give up their blank."""
    found = []
    for i in range(len(text) - 1):
        first, second = text[i], text[i + 1]
        if first in MARKS and second in MARKS:
            if first in SQUEEZE_RIGHT:
                found.append(i)
            elif second in SQUEEZE_LEFT:
                found.append(i + 1)
    return tuple(found)


def opportunities(text):
    """Indexes i such that the gap after text[i] may be widened."""
    return [i for i, _ in gaps(text)]


@functools.lru_cache(maxsize=_CACHE_SIZE)
def byte_offsets(text):
    """UTF-8 offset of each character of ``text``, and of its end (as Pango counts)."""
    offsets = [0]
    for char in text:
        offsets.append(offsets[-1] + len(char.encode()))
    return tuple(offsets)


def _is_latin(char):
    """A letter or digit of a Western script (Latin, Greek, Cyrillic), not a symbol."""
    return char.isalnum() and ord(char) < 0x0530


def _ranges_class(codes):
    """A regular-expression class body for a sorted list of code points."""
    parts, start = [], None
    for code, following in zip(codes, [*codes[1:], None]):
        start = code if start is None else start
        if following != code + 1:
            parts.append(re.escape(chr(start)) + ("-" + re.escape(chr(code)) if code != start else ""))
            start = None
    return "".join(parts)


_LATIN = _ranges_class([code for code in range(0x0530) if _is_latin(chr(code))])
_LATIN_GAP = re.compile(f"(?=[{HAN_CLASS}][{_LATIN}]|[{_LATIN}][{HAN_CLASS}])")


@functools.lru_cache(maxsize=_CACHE_SIZE)
def latin_gaps(text):
    """Indexes i such that text[i], text[i + 1] are a Han character and a Latin
    letter or digit, in either order (clreq §3.2.1: a quarter em apart)."""
    return tuple(match.start() for match in _LATIN_GAP.finditer(text))


def is_latin_gap(a, b):
    return (is_han(a) and _is_latin(b)) or (_is_latin(a) and is_han(b))


CACHES = (is_cjk, gap_kind, gaps, gaps_by_kind, byte_offsets, latin_gaps, compressed_marks)


def clear_caches() -> None:
    """Empty the memoised answers (at the end of each render)."""
    for cached in CACHES:
        cached.cache_clear()
