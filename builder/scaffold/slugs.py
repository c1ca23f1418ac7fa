"""An ASCII web address from a title: its Chinese in pinyin (pypinyin, which knows the
readings of words, not just of characters), its Latin letters and digits as they are,
everything else a separator. 《巴黎协定》生效 -> ba-li-xie-ding-sheng-xiao."""

from __future__ import annotations

import re
import unicodedata

# Long enough to tell titles apart, short enough for an address.
MAX_LENGTH = 48


def slug_of(title: str) -> str:
    from pypinyin import lazy_pinyin  # its dictionaries take a moment to load: only for `new`

    words: list[str] = []
    for part in lazy_pinyin(unicodedata.normalize("NFKC", title), errors="default"):
        plain = "".join(c for c in unicodedata.normalize("NFKD", part) if not unicodedata.combining(c))  # é -> e
        words += re.findall(r"[a-z0-9]+", plain.lower())
    slug = ""
    for word in words:
        longer = f"{slug}-{word}" if slug else word
        if len(longer) > MAX_LENGTH:
            break
        slug = longer
    return slug or "article"
