"""Blocks padded to the line grid: `--line-grid: <length>`.

A picture or a rule in a column is as tall as it is; the lines under it would then stand
off the body's grid, and no longer level with the other column's. A block box whose
style says `--line-grid: 15.225pt` (the body's line pitch) gets, once laid out to its end,
the padding under it that makes the room it takes (its margins with its border box) a
whole number of pitches. The property is inherited: the print stylesheet sets it back
to `none` inside the boxes it marks. A box broken across columns or pages is left as it is.
"""

from __future__ import annotations

import math

PX_PER_PT = 4 / 3  # WeasyPrint lays out in CSS px


def pitch(style) -> float:
    """The grid's pitch in px, or 0 where the box has none."""
    for token in style['__line_grid']:
        if token.type == 'dimension' and token.unit == 'pt' and token.value > 0:
            return token.value * PX_PER_PT
        if token.type == 'dimension' and token.unit == 'px' and token.value > 0:
            return token.value
    return 0.0


def snap(box, result: tuple) -> tuple:
    """`result` of laying `box` out, its new box padded to the grid if it ended here."""
    new_box, resume_at = result[0], result[1]
    if new_box is None or resume_at is not None:
        return result
    step = pitch(box.style)
    if not step:
        return result
    taken = new_box.margin_height()
    pad = math.ceil(taken / step - 0.001) * step - taken
    if pad > 0.01:
        new_box.padding_bottom += pad
    return result
