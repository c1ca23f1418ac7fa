"""How a Chinese line is filled (WeasyPrint 70 hooks, put in place by `typesetting()`).

- `split_text_box`: push-in (clreq 挤进). When Pango's line breaking (which already
  keeps closing marks off the line start and opening marks off the line end) leaves a
  justified line so short that its gaps would pass the cap, the box is split again
  with 0.5 … 3 em more room, and the first longer line whose excess fits into the
  blank halves of its full-width punctuation (measured from the font) is kept: inner
  marks give up space first, a closing mark at the line end last. The box is then
  given the quarter em between 汉字 and Latin letters or digits (clreq §3.2.1) as part
  of its width, after breaking the line where that space still fits.

- `text_align`: the same space where 汉字 and Latin meet across two inline boxes, as
  far as the line has room; a line that fills its column exactly still gets a
  half-width closing mark.

- `justify_line`: the slack of a justified line is spread over its justification
  opportunities (`cjk.gaps`: spaces and every gap beside a CJK character, clreq §3.8).
  A gap between two Han characters gets at most CAP (0.095 em: pdftotext starts a new
  word at 0.1 em, and would then show 合 同 能 源); what a line needs beyond that goes
  to its spaces and Han–Latin boundaries, and a line with neither is widened up to
  the cap and left short. With `--cjk-line-end: half`, a closing mark that ends the
  line first gives up its blank half (clreq §3.1.7). The arithmetic of these
  decisions (and of push-in's choice of marks) is in `plan.py`.

- 段末孤字: where a paragraph's last line would hold one character (and its closing
  marks), the line before takes it back, from the blank halves of its marks and then a
  hair of each gap (HAIR), or else gives a second character to the last line, its own
  slack spread within the cap (`_pushed_in`, `_pushed_out`; `iter_line_boxes` marks
  the text box that ends a paragraph, the only one whose rest may be its last line).

- `preferred_split_first_line`: shrink-to-fit widths count the Latin spacing.

Every amount added to or taken from a character's advance is recorded on its text
box (`_cjk_advances`) and on a copy of its Layout (`_cjk_extras`), which
`lines.py` applies to the shaped glyphs when the line is drawn. Layout only widens
text boxes and shifts the boxes after them, like WeasyPrint's own
`add_word_spacing`. Right-to-left lines keep WeasyPrint's own justification.

Font measurements are cached for one render (`runtime.current().blank_halves`).
"""

import copy

from weasyprint.formatting_structure import boxes
from weasyprint.layout import block, inline, preferred
from weasyprint.text import line_break
from weasyprint.text.ffi import TO_UNITS, ffi, pango

from builder.chinese import is_han
from builder.print.weasyprint_cjk import runtime
from builder.print.weasyprint_cjk.cjk import (
    CLOSING,
    SPACES,
    SQUEEZE_LEFT,
    SQUEEZE_RIGHT,
    byte_offsets,
    compressed_marks,
    gap_kind,
    gaps,
    gaps_by_kind,
    is_cjk,
    is_latin_gap,
    latin_gaps,
)
from builder.print.weasyprint_cjk.plan import CAP, HAIR, KINDS, gap_steps, line_end_cut, squeeze_plan, tighten_plan
from builder.print.weasyprint_cjk.runtime import original

# --- punctuation metrics ----------------------------------------------------


def blank_half(context, style, char):
    """('right'|'left', width) of the blank half of a fullwidth mark, or (None, 0).

    Measured once per font and mark in a render with Pango: the mark must be one em
    wide and its ink must lie in the other half (as in GB / zh-Hans fonts).
    """
    if char in SQUEEZE_RIGHT:
        side = 'right'
    elif char in SQUEEZE_LEFT:
        side = 'left'
    else:
        return None, 0
    measured = runtime.current().blank_halves
    key = (tuple(style['font_family']), style['font_size'], style['font_weight'],
           style['font_style'], style['font_stretch'], style['lang'], char)
    if key not in measured:
        layout = line_break.create_layout(char, style, context, None, 0)
        line, _ = layout.get_first_line()
        ink = ffi.new('PangoRectangle *')
        logical = ffi.new('PangoRectangle *')
        pango.pango_layout_line_get_extents(line, ink, logical)
        size = style['font_size'] * TO_UNITS
        result = None, 0
        if abs(logical.width - size) < 0.05 * size:
            if side == 'right' and ink.x + ink.width <= 0.52 * logical.width:
                result = side, style['font_size'] / 2
            elif side == 'left' and ink.x >= 0.48 * logical.width:
                result = side, style['font_size'] / 2
        measured[key] = result
    return measured[key]


def _tag_layout(box, char_extras):
    """Give ``box`` its own copy of its Layout, carrying per-char extra advances."""
    layout = copy.copy(box.pango_layout)  # never alter a layout shared by copies
    offsets = byte_offsets(box.text)
    layout._cjk_extras = {
        offsets[i]: amount for i, amount in char_extras.items() if amount}
    layout._cjk_applied = None
    box.pango_layout = layout


# --- push-in ----------------------------------------------------------------

def _squeeze_plan(context, style, text, excess, hair=False):
    """{char_index: -amount} taking ``excess`` from the blank halves of the
    fullwidth marks of ``text`` (`plan.squeeze_plan`), or None. A mark halved where it
    meets another (`cjk.compressed_marks`) has no blank left to give, nor has an opening
    mark after it (its blank is all that is left between the two: 。（); a closing mark
    after it keeps its own (）、). With ``hair``, what the marks cannot give may come
    from the line's gaps, up to HAIR each (`plan.tighten_plan`)."""
    halved = set(compressed_marks(text))
    halves = [(None, 0) if i in halved or (i - 1 in halved and char in SQUEEZE_LEFT)
              else blank_half(context, style, char) for i, char in enumerate(text)]
    if hair:
        return tighten_plan(text, halves, excess, [i for i, _ in gaps(text)], HAIR * style['font_size'])
    return squeeze_plan(text, halves, excess)


def split_text_box(context, box, available_width, skip, is_line_start=True):
    """Break the line where Latin spacing, push-in and justification can make it fit,
    and set the spaces between 汉字 and Latin letters or digits into the box's width,
    so that the boxes after it on the line know the room that is left."""
    result = _split_with_push_in(context, box, available_width, skip, is_line_start)
    style = box.style
    space = latin_space(style) if style['direction'] != 'rtl' else 0
    if not space or result[0] is None:
        return result
    if available_width is not None:
        for _ in range(3):  # a narrower line for a line that does not fit once spaced
            needed = result[0].width + space * len(latin_gaps(result[0].text))
            if needed <= available_width + 0.01:
                break
            narrower = _split_with_push_in(
                context, box, available_width - (needed - result[0].width), skip, is_line_start)
            if narrower[0] is None:
                break
            result = narrower
    _space_latin(result[0], space, available_width)
    return result


def _start_bracket_half(context, line):
    """With `--cjk-line-start: half`, an opening mark that starts a line (not a paragraph's
    indented first line) loses its blank left half: its ink stands flush with the column,
    as a closing mark's may at the line end (clreq §3.1.7). Done on the line as laid out,
    whatever inline elements its first character sits in: WeasyPrint's own `is_line_start`
    is true of every box inside the line's first element."""
    if getattr(line, 'text_indent', 0) or line.style['direction'] == 'rtl' or not line_start_half(line.style):
        return  # (the setting is inherited: a line's boxes say what the line says)
    pieces = []
    _pieces(line, pieces)
    if not pieces or pieces[0][1] is None:
        return  # empty, or a picture first
    box, text = pieces[0]
    style = box.style
    if not line_start_half(style) or style['text_align_all'] not in ('justify', 'start', 'left'):
        return
    side, half = blank_half(context, style, text[0])
    if side != 'left' or getattr(box.pango_layout, '_cjk_shifts', None):
        return
    _shift(line, 0, {id(box): {0: -half}})
    box.pango_layout._cjk_shifts = {0: half}  # drawn half an em to the left (lines.py)


def _space_latin(box, space, available_width):
    indexes = latin_gaps(box.text)
    if not indexes:
        return
    if available_width is not None:  # a line that still does not fit gets less, or none
        space = min(space, (available_width - box.width) / len(indexes))
    if space <= 0:
        return
    advances = dict(_advances(box))
    for index in indexes:
        advances[index] = advances.get(index, 0) + space
    box._cjk_advances = advances
    _tag_layout(box, advances)
    box.width += space * len(indexes)


def _split_with_push_in(context, box, available_width, skip, is_line_start):
    split = original(inline, 'split_text_box')
    result = split(context, box, available_width, skip, is_line_start)
    new_box, resume_index, preserved = result
    if new_box is not None:
        new_box._cjk_squeeze = None
        new_box._cjk_advances = None
    if (available_width is None or new_box is None
            or resume_index is None or preserved):
        return result
    style = box.style
    if style['white_space'] not in ('normal', 'pre-line') or style['direction'] == 'rtl':
        return result
    marks = getattr(box, '_cjk_ends_paragraph', None)  # the box ends its paragraph: the marks after it
    lone = marks is not None and lone_last_line(box.text.encode()[resume_index:].decode() + marks)
    if style['text_align_all'] == 'center':
        # A centred line (a caption, a title) is not justified: one that would leave a
        # character alone on the last line gives it a second one, and is centred shorter.
        if lone:
            return _pushed_out(context, box, available_width, skip, is_line_start, resume_index, marks,
                               flush=False) or result
        return result
    if style['text_align_all'] != 'justify':
        return result
    em = style['font_size']
    slack = available_width - new_box.width
    text = new_box.text
    if lone:
        # 段末孤字: one character (and its marks) would end the paragraph on a line of
        # its own. Pulled back onto this line if its punctuation and a hair of its gaps
        # can give the room, else a character more goes down with it, this line widened
        # to the column. (Marks that follow in a box of their own must fit after it:
        # where they do not, WeasyPrint splits this box again with less room.)
        return (_pushed_in(context, box, available_width, skip, is_line_start, text, whole=True, hair=True)
                or _pushed_out(context, box, available_width, skip, is_line_start, resume_index, marks)
                or result)
    if slack < em and slack / max(1, len(gaps(text))) <= CAP * em:
        return result  # justification alone will do
    if not any(is_cjk(char) for char in text[-3:]):
        return result
    # A line whose gaps would pass the cap (a hole beside a long number) may take a hair of
    # each gap too, as a paragraph's last character may.
    hole = slack / max(1, len(gaps(text))) > CAP * em
    return _pushed_in(context, box, available_width, skip, is_line_start, text, hair=hole) or result


def _pushed_in(context, box, available_width, skip, is_line_start, text, whole=False, hair=False):
    """A longer line than ``text`` whose excess fits into the blank halves of its marks
    (``hair``: and a hair of each gap; ``whole``: the rest of the box too, so that no line
    follows it), or None."""
    split = original(inline, 'split_text_box')
    style = box.style
    em = style['font_size']
    for step in range(1, 7):  # try half an em more room at a time, up to 3 em
        extension = step * em / 2
        longer, resume_2, preserved_2 = split(
            context, box, available_width + extension, skip, is_line_start)
        # resume_2 is None: the rest of the paragraph fits once squeezed (no widow).
        if (longer is None or preserved_2 or
                len(longer.text) <= len(text) or (whole and resume_2 is not None)):
            continue
        excess = longer.width - available_width
        squeeze = None
        if excess > 0:
            squeeze = _squeeze_plan(context, style, longer.text, excess, hair=hair)
            if squeeze is None:
                continue
            longer.width -= excess
            _tag_layout(longer, squeeze)
        longer._cjk_squeeze = squeeze
        return longer, resume_2, preserved_2
    return None


def _pushed_out(context, box, available_width, skip, is_line_start, resume_index, marks='', flush=True):
    """A shorter line, leaving more than one character for the next, that justification
    still makes flush (its gaps within the cap; any shorter line where not ``flush``), or None."""
    split = original(inline, 'split_text_box')
    em = box.style['font_size']
    for step in range(1, 5):  # half an em less room at a time, up to 2 em
        shorter = split(context, box, available_width - step * em / 2, skip, is_line_start)
        new_box, resume_2, preserved = shorter
        if new_box is None or resume_2 is None or preserved or resume_2 >= resume_index:
            continue
        if lone_last_line(box.text.encode()[resume_2:].decode() + marks):
            continue
        if flush and (available_width - new_box.width) / max(1, len(gaps(new_box.text))) > CAP * em:
            return None  # no flush line this way
        new_box._cjk_squeeze = None
        new_box._cjk_advances = None
        return shorter
    return None


def iter_line_boxes(context, box, *args, **kwargs):
    """The lines of a paragraph (``box``, its LineBox), its last text marked first: only
    there may a line's rest be the paragraph's last line (`_split_with_push_in`)."""
    found = _last_text(box)
    if found is not None:
        last, marks = found
        last._cjk_ends_paragraph = marks  # carried to its pieces, which are copies
    return original(block, 'iter_line_boxes')(context, box, *args, **kwargs)


def _last_text(box, marks=''):
    """(the TextBox whose text ends ``box``'s inline content, the closing marks after it in
    boxes of their own: 网站</a>。), blank text aside; or None when something else ends
    it (a picture, an inline block)."""
    for child in reversed(getattr(box, 'children', ())):
        if isinstance(child, boxes.TextBox):
            text = child.text.strip()
            if text and all(char in CLOSING for char in text):
                marks = text + marks
            elif text:
                return child, marks
        elif isinstance(child, boxes.InlineBox):
            found = _last_text(child, marks)
            if found is not None:
                return found
            if any(not isinstance(leaf, (boxes.TextBox, boxes.InlineBox)) for leaf in child.descendants()):
                return None
            marks = ''.join(leaf.text.strip() for leaf in child.descendants()
                            if isinstance(leaf, boxes.TextBox)) + marks
        else:
            return None
    return None


def lone_last_line(rest):
    """Whether ``rest`` would stand as a paragraph's last line of one character: a Han
    character, with at most two closing marks after it."""
    return (0 < len(rest) <= 3 and is_han(rest[0]) and all(char in CLOSING for char in rest[1:]))


# --- settings: custom properties of the print stylesheet -------------------

def latin_space(style):
    """`--cjk-latin-space: 0.25em` (or 0): the space between Han and Latin letters or
    digits, in px. Unset: none."""
    for token in style['__cjk_latin_space']:
        if token.type == 'dimension' and token.unit == 'em':
            return token.value * style['font_size']
    return 0


def line_end_half(style):
    """`--cjk-line-end: half`: a closing mark that ends a justified line is set half
    width, its ink flush with the column edge (clreq §3.1.7). Unset, or `full`: not."""
    return any(token.type == 'ident' and token.value == 'half'
               for token in style['__cjk_line_end'])


def line_start_half(style):
    """`--cjk-line-start: half`: an opening mark that starts a line is set half width,
    its ink flush with the column. Unset, or `full`: not."""
    return any(token.type == 'ident' and token.value == 'half'
               for token in style['__cjk_line_start'])


# --- Latin spacing ----------------------------------------------------------

def text_align(context, line, available_width, last):
    """Space 汉字 and Latin letters or digits that meet across two inline boxes
    (生<b>CCER</b>), as far as the line has room, before aligning it; the gaps inside
    a box are spaced by split_text_box."""
    _start_bracket_half(context, line)
    space = latin_space(line.style)
    if space and line.style['direction'] != 'rtl' and line.width < available_width:
        pieces = []
        _pieces(line, pieces)
        gaps = [(box, len(text) - 1) for (box, text), (_, following) in zip(pieces, pieces[1:])
                if text is not None and following is not None and is_latin_gap(text[-1], following[0])]
        if gaps:
            space = min(space, (available_width - line.width) / len(gaps))
            extras = {}
            for box, index in gaps:
                extras.setdefault(id(box), {})[index] = space
            _shift(line, 0, extras)
    if (not last and 0 <= line.width - available_width < 0.01
            and line.style['text_align_all'] == 'justify' and line_end_half(line.style)
            and line.style['white_space'] in ('normal', 'nowrap', 'pre-line')):
        # A line that fills its column exactly is not justified by WeasyPrint; its
        # closing mark still goes half width.
        justify_line(context, line, available_width - line.width)
        return 0
    return original(inline, 'text_align')(context, line, available_width, last)


def preferred_split_first_line(text, style, context, max_width, justification_spacing,
                                is_line_start=True, minimum=False):
    """Widths for shrink-to-fit boxes (running headers, table columns, flex items)
    count the Latin spacing, or their text would wrap once spaced."""
    result = original(preferred, 'split_first_line')(
        text, style, context, max_width, justification_spacing, is_line_start, minimum)
    space = latin_space(style)
    if not space:
        return result
    layout, length, resume_index, width, height, baseline = result
    line = text.encode()[:length].decode(errors='ignore')
    return layout, length, resume_index, width + space * len(latin_gaps(line)), height, baseline


# --- justification ----------------------------------------------------------

_OBJECT = '\ufffc'  # stands for an atomic inline box (image, inline-block) in gap_kind


def _pieces(box, out):
    """Append (box, text) for the line's content in visual (LTR) order; an atomic
    box (image, inline-block) as (box, None)."""
    if isinstance(box, boxes.TextBox):
        if box.text:
            out.append((box, box.text))
    elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        for child in box.children:
            if child.is_in_normal_flow():
                _pieces(child, out)
    else:
        out.append((box, None))


def justify_line(context, line, extra_width):
    """Spread ``extra_width`` over the justification opportunities of ``line``."""
    if line.style['direction'] == 'rtl':
        return original(inline, 'justify_line')(context, line, extra_width)
    pieces = _line_pieces(line)
    if not pieces:
        return
    found = _opportunities(pieces)
    counts = {kind: sum(len(indexes) for _, indexes in found[kind]) for kind in KINDS}
    count = sum(counts.values())
    if not count:
        return  # nothing to widen (e.g. a long URL): the line stays short
    cap = CAP * line.style['font_size']
    extras = {}  # id(box) -> {char_index: amount}
    if line_end_half(line.style):
        # A closing mark ending the line gives up its blank half; the line takes it up.
        cut = _cut_line_end(context, pieces[-1], extra_width, cap, counts, extras)
        if cut:
            extra_width += cut
    steps = gap_steps(extra_width, counts, cap)
    for kind in KINDS:
        amount = steps[kind]
        for box, indexes in found[kind]:
            per_box = extras.setdefault(id(box), {})
            for index in indexes:
                per_box[index] = per_box.get(index, 0) + amount
    _shift(line, 0, extras)


def _line_pieces(line):
    """`_pieces` of ``line`` without its trailing spaces: they are no opportunities."""
    pieces = []
    _pieces(line, pieces)
    while pieces:
        box, text = pieces[-1]
        if text is None or text.rstrip(SPACES):
            if text is not None:
                pieces[-1] = box, text.rstrip(SPACES)
            break
        pieces.pop()
    return pieces


def _opportunities(pieces):
    """{kind: [(box, indexes of the characters before the gaps)]}: the gaps of the line
    that may widen, by kind; index None: the gap after an atomic box."""
    found = {kind: [] for kind in KINDS}
    for n, (box, text) in enumerate(pieces):
        if text is not None:
            for kind, indexes in gaps_by_kind(text).items():
                if indexes:
                    found[kind].append((box, indexes))
        if n + 1 < len(pieces):
            following = pieces[n + 1][1]
            kind = gap_kind(_OBJECT if text is None else text[-1],
                            _OBJECT if following is None else following[0])
            if kind:
                found[kind].append((box, (None if text is None else len(text) - 1,)))
    return found


def _cut_line_end(context, last_piece, extra_width, cap, counts, extras):
    """Record in ``extras`` what the closing mark ending the line gives up (`plan.line_end_cut`);
    return it."""
    box, text = last_piece
    if text is None:
        return 0
    side, half = blank_half(context, box.style, text[-1])
    squeezed = -(_advances(box).get(len(text) - 1, 0))  # by push-in already
    cut = line_end_cut(side, half, squeezed, extra_width, cap, sum(counts.values()),
                       counts['space'] + counts['mixed'])
    if cut:
        extras[id(box)] = {len(text) - 1: -cut}
    return cut


def _advances(box):
    """{char_index: px} already added to the advances of ``box`` (push-in, spacing)."""
    return (getattr(box, '_cjk_advances', None) or getattr(box, '_cjk_squeeze', None)
            or {})


def _shift(box, x_advance, extras):
    """Move boxes right by the space added before them, widen the owners."""
    if isinstance(box, boxes.TextBox):
        box.position_x += x_advance
        mine = extras.get(id(box))
        if mine:
            total = sum(mine.values())
            merged = dict(_advances(box))
            for index, amount in mine.items():
                merged[index] = merged.get(index, 0) + amount
            box._cjk_advances = merged
            _tag_layout(box, merged)
            box.width += total
            x_advance += total
    elif isinstance(box, (boxes.LineBox, boxes.InlineBox)):
        box.position_x += x_advance
        previous_x_advance = x_advance
        for child in box.children:
            if child.is_in_normal_flow():
                x_advance = _shift(child, x_advance, extras)
        box.width += x_advance - previous_x_advance
    else:
        box.translate(x_advance, 0)
        x_advance += extras.get(id(box), {}).get(None, 0)
    return x_advance
