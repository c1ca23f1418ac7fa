"""How a line's slack is shared out: pure arithmetic on numbers and strings.

`justify.py` measures WeasyPrint's boxes and applies the result; the decisions are
taken here, without boxes, fonts or WeasyPrint, so that they can be tested alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from builder.print.weasyprint_cjk.cjk import SPACES

# Widening of a gap between two CJK characters, in em, beyond which the rest of a
# line's slack goes to spaces and Han–Latin boundaries, or is left. pdftotext starts a
# new word at 0.1 em, and would then show 合 同 能 源.
CAP = 0.095

# Narrowing of a gap, in em, that may pull a paragraph's last character back onto the
# line before it (段末孤字), once the line's punctuation has given all its blank halves.
HAIR = 0.05

# The kinds of justification opportunities (cjk.gaps_by_kind), in the order they are spread.
KINDS = ('space', 'mixed', 'cjk')


def gap_steps(extra_width: float, counts: Mapping[str, int], cap: float) -> dict[str, float]:
    """{kind: px} added to each gap of that kind to spread ``extra_width`` over
    ``counts`` ({'space'|'mixed'|'cjk': number of gaps}, at least one gap).

    Evenly while every gap stays within ``cap``. Beyond it, a gap between two CJK
    characters gets the cap and the spaces and Han–Latin boundaries ('wide' gaps) the
    rest; a line without wide gaps gets the cap everywhere and stays short.
    """
    count = sum(counts.values())
    wide = counts['space'] + counts['mixed']
    step = extra_width / count
    if step <= cap:
        return dict.fromkeys(counts, step)
    if not wide:
        return dict.fromkeys(counts, cap)  # keep pdftotext happy, leave the line short
    wide_step = (extra_width - cap * counts['cjk']) / wide
    return {'space': wide_step, 'mixed': wide_step, 'cjk': cap}


def line_end_cut(side: str | None, half: float, squeezed: float, extra_width: float,
                 cap: float, count: int, wide: int) -> float:
    """px a closing mark ending a justified line gives up (clreq §3.1.7), or 0.

    ``side``, ``half``: the mark's blank half (`justify.blank_half`); ``squeezed``: what
    push-in took from it already; ``extra_width``: the line's slack; ``count`` gaps,
    ``wide`` of them spaces or Han–Latin boundaries. The line takes the cut up in its
    gaps, so without wide gaps it is cut only as far as the cap lets them take it.
    """
    cut = half - squeezed if side == 'right' else 0
    if cut > 0.01 and (wide or extra_width + cut <= cap * count):
        return cut
    return 0


def squeeze_plan(text: str, halves: Sequence[tuple[str | None, float]], excess: float) -> dict[int, float] | None:
    """{char_index: -px} taking ``excess`` from the blank halves of the fullwidth marks
    of ``text`` (``halves[i]``: ('right'|'left'|None, width) of text[i]'s blank half), or
    None if they cannot absorb it.

    Inner marks give up space first, in proportion to their blank halves; a closing
    mark ending the line only once they are used up. A mark beside a space keeps its
    blank; an opening mark's blank is taken from the character before it.
    """
    inner, end = _blanks(text, halves)
    room = sum(width for _, width in inner)
    if excess <= room:
        return {i: -excess * width / room for i, width in inner}
    if end is not None and excess <= room + end[1]:
        plan = {i: -width for i, width in inner}
        plan[end[0]] = -(excess - room)
        return plan
    return None


def tighten_plan(text: str, halves: Sequence[tuple[str | None, float]], excess: float,
                 gaps: Sequence[int], most: float) -> dict[int, float] | None:
    """`squeeze_plan`, or where the marks cannot absorb ``excess``, all their blank
    halves and the rest taken evenly from the ``gaps`` (indexes i: the gap after text[i]),
    at most ``most`` px each (a hair: 段末孤字 pulled back), or None."""
    plan = squeeze_plan(text, halves, excess)
    if plan is not None or not gaps:
        return plan
    inner, end = _blanks(text, halves)
    plan = {i: -width for i, width in [*inner, *([end] if end is not None else [])]}
    rest = excess + sum(plan.values())
    step = rest / len(gaps)
    if step > most + 1e-6:
        return None
    for i in gaps:
        plan[i] = plan.get(i, 0) - step
    return plan


def _blanks(text: str, halves: Sequence[tuple[str | None, float]]
            ) -> tuple[list[tuple[int, float]], tuple[int, float] | None]:
    """The blank halves that may be taken, as (char_index, px): the inner marks', and
    that of a closing mark ending the line (or None)."""
    inner: list[tuple[int, float]] = []
    end: tuple[int, float] | None = None
    for i, (side, width) in enumerate(halves):
        if side == 'right':
            if i == len(text) - 1:
                end = (i, width)
            elif text[i + 1] not in SPACES:
                inner.append((i, width))
        elif (side == 'left' and i > 0 and text[i - 1] not in SPACES and
                (not inner or inner[-1][0] != i - 1)):
            inner.append((i - 1, width))  # pull the mark left over its blank
    return inner, end
