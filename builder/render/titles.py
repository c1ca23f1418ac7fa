"""A title too long for one line, broken into two of nearly equal length at a phrase
boundary, as 公文 sets its titles (GB/T 9704: 回行时词意完整，排列对称): never inside a
word or between a number and its unit, as Pango's line breaking, which may break between
any two Chinese characters, would (…规划（2016—2020 / 年）的通知, 应对气 / 候变化).

Without a dictionary, the boundaries are those a title's own words mark: after a
punctuation mark or a closing bracket, before an opening one, before 关于, before an
ordinal (第十三个), after an office (办公厅, 人民政府, 委员会). Widths are reckoned in ems (a
Chinese character one, a Latin letter or digit about half), with a margin for the estimate
where a line holds other characters than full-width ones.

A title none of whose boundaries gives two lines that fit is still set in two balanced
lines, broken between two Chinese characters (after 的, 与 or 及 where that costs little
balance), never inside a number, a Latin word, a Chinese numeral (十三) or between
a number and its unit (2020年, 30%). A dictionary would find its words (jieba: 0.7 s and
85 MB in each process that loads it, for a case the sample does not have).
"""

from __future__ import annotations

import unicodedata

from markupsafe import Markup, escape

from builder.chinese import is_han

# (the text that starts or ends a phrase, how much less good a break there is, in ems of imbalance)
_BEFORE = (("关于", 0.0), ("（", 1.0), ("《", 1.0), ("“", 1.0), ("「", 1.0), ("——", 1.5))
_AFTER = (("办公厅", 0.5), ("人民政府", 0.5), ("委员会", 0.5))
_AFTER_MARKS = set("，、；：。！？）》”」")
MARGIN = 1.5  # ems kept free on a line holding Latin letters or digits: their widths are an estimate
EXACT_MARGIN = 0.25  # on a line of full-width characters alone, whose width is exact
_NUMERALS = set("一二三四五六七八九十百千0123456789")
_CHINESE_NUMERALS = set("〇零一二三四五六七八九十百千万亿两")
_UNITS = set("年月日号届期次个项家名户座台辆元吨度倍%‰")  # after a number, part of it
_JOINS = set("的与及")  # a break after one of these parts two phrases, near enough (和 does not: 工业和信息化部)
_LAST_RESORT = 2.0  # ems of imbalance a break anywhere else costs beside one after _JOINS


def width(text: str) -> float:
    """`text`'s width in ems, near enough: full-width characters one em, others half."""
    return sum(1.0 if unicodedata.east_asian_width(char) in "WF" else 0.3 if char == " " else 0.55
               for char in text)


def _boundaries(title: str) -> dict[int, float]:
    """{index i: penalty} where the title may break before title[i]."""
    found: dict[int, float] = {}
    for i in range(1, len(title)):
        penalties = [penalty for word, penalty in _BEFORE if title.startswith(word, i)]
        if title[i] == "第" and title[i + 1:i + 2] in _NUMERALS and title[i - 1] not in _NUMERALS:
            penalties.append(0.5)  # 第十三个五年规划 starts a phrase
        if not title.startswith(("办公厅", "办公室"), i):  # 人民政府 / 办公厅 is one office
            penalties += [penalty for word, penalty in _AFTER if title.endswith(word, 0, i)]
        if title[i - 1] in _AFTER_MARKS and title[i] not in _AFTER_MARKS:
            penalties.append(0.0)
        if penalties and title[i - 1] not in "（《“「" and title[i] not in _AFTER_MARKS:
            found[i] = min(penalties)
    return found


def _between_characters(title: str) -> dict[int, float]:
    """{index i: penalty} where a title with no phrase boundary that fits may break: between
    two Chinese characters that are not a numeral and what counts with it, or a number and
    its unit."""
    found: dict[int, float] = {}
    for i in range(1, len(title)):
        before, after = title[i - 1], title[i]
        if not (is_han(before) and is_han(after)):
            continue
        if before in _CHINESE_NUMERALS and (after in _CHINESE_NUMERALS or after in _UNITS):
            continue  # 十三, 三个, 两年
        if before == "第" and after in _CHINESE_NUMERALS:
            continue
        found[i] = 0.0 if before in _JOINS else _LAST_RESORT
    for i in range(1, len(title)):  # a number's unit stays with it: 2020年 / 30%
        if title[i - 1].isdigit() and title[i] in _UNITS:
            found.pop(i, None)
    return found


def break_at(title: str, line_em: float) -> int | None:
    """Where to break `title` (before title[i]) to set it in two balanced lines of at most
    `line_em` ems; None when one line holds it, or when two would not. A phrase boundary
    if one gives two lines that fit, else the best break between two Chinese characters."""
    if line_em <= 0 or _fits(title, line_em) or width(title) > 2 * line_em:
        return None  # one line holds it, or two would not
    found = _best(title, _boundaries(title), line_em)
    return found if found is not None else _best(title, _between_characters(title), line_em)


def _best(title: str, places: dict[int, float], line_em: float) -> int | None:
    """Of `places` ({i: penalty}), the break whose two lines fit and differ least."""
    best: tuple[float, int] | None = None
    for i, penalty in places.items():
        first, second = width(title[:i]), width(title[i:])
        if _fits(title[:i], line_em) and _fits(title[i:], line_em):
            cost = abs(first - second) + penalty
            if best is None or cost < best[0]:
                best = (cost, i)
    return best[1] if best is not None else None


def _fits(text: str, line_em: float) -> bool:
    exact = all(unicodedata.east_asian_width(char) in "WF" for char in text)
    return width(text) <= line_em - (EXACT_MARGIN if exact else MARGIN)


def balanced(title: str, line_em: float | None) -> Markup:
    """The title, escaped, with a line break where `break_at` puts one."""
    at = break_at(title, line_em or 0)
    if at is None:
        return escape(title)
    return escape(title[:at]) + Markup("<br>") + escape(title[at:])
