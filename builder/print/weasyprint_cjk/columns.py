"""Multi-column layout without laying each column out twice (WeasyPrint 70).

WeasyPrint's `columns_layout` finds a column height by laying the columns out at
trial heights, then lays them out once more at the height it chose. When that last
call asks for exactly what a trial already did (same content from the same place,
same height, same `page_is_empty`) and the trial changed nothing the layout keeps
outside its result (footnotes, floats, positioned boxes, running elements), the
trial's column is the answer: it is returned, moved into place, instead of laying the
text out again. Boxes with ::first-letter or ::first-line styles are always laid out
again: WeasyPrint changes their source boxes while laying them out.

The sample issue's PDF is byte for byte the one stock WeasyPrint column layout gives
(tests/test_pdf.py), and so are documents with footnotes, floats, running elements,
first letters and tables (tests/test_columns.py): `typesetting(reuse_columns=False)`
has WeasyPrint lay every column out again, for comparison.

The trials of the multi-column box being laid out are kept in the render's state
(`runtime.current()`), emptied when its `columns_layout` returns.

Level feet (栏底平齐): when a column that continues on the next page ends a line or two
short of the foot (a paragraph's last two lines kept together, a heading kept with its
text), the column after it ends on the same line, so that the two columns' last
baselines are level across the gutter and no line of the right column stands beside
the blank of the left. A column that ends the text (the columns balanced above a title
or at the article's end) is never shortened, and a left column more than two lines
short leaves the next one as it was: one short column is better than two. So does a
next column that, kept to that foot, would end higher still (a heading and the two
lines it keeps with no longer fit), and so does every column of a set WeasyPrint
balances (shortening one there would push text past the last column) or whose height
it lowered for footnotes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from weasyprint.formatting_structure import boxes
from weasyprint.layout import block

from builder.print.weasyprint_cjk import grid, runtime
from builder.print.weasyprint_cjk.runtime import original


@dataclass
class _Trial:
    box: Any  # the column box the trial laid out (its children and position)
    bottom_space: float
    skip_stack: Any
    page_is_empty: bool
    page_bottom: float
    result: tuple


def block_box_layout(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
                     absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs):
    if box.is_column and bottom_space != math.inf and adjoining_margins is None:
        return _final_column(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
                             absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    return grid.snap(box, _column(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
                                  absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs))


@dataclass
class _Ended:
    """Where a column laid out for good ended: its text's bottom, and the line pitch there."""
    position_y: float
    resume_at: Any
    bottom: float  # of its last in-flow box's border box
    available: float  # the lowest its text could have reached
    pitch: float  # the height of its last line
    running: int = 0  # the running elements of the layout once it was laid out

    def foot_for_next(self) -> float | None:
        """The bottom the next column keeps to, if this one ended one or two lines short."""
        short = self.available - self.bottom
        if self.pitch > 0 and self.pitch <= short < 3 * self.pitch:
            return self.bottom + self.pitch / 4
        return None


def _final_column(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
                  absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs):
    state = runtime.current()
    previous, state.previous_column = state.previous_column, None
    result = _column(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
                     absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    foot = None
    if (previous is not None and previous.resume_at is skip_stack and previous.position_y == box.position_y
            and result[0] is not None and result[1] is not None and bottom_space == state.columns_bottom_space
            and _running_count(context) == previous.running):
        # The columns run to the page's foot (not balanced over the text they end), this one
        # goes on after it, and laying it out again leaves no running element behind.
        foot = previous.foot_for_next()
    if foot is not None:
        layout = original(block, 'block_box_layout')
        block.remove_placeholders(context, [result[0]], absolute_boxes, fixed_boxes)
        level = layout(context, box, context.page_bottom - foot, skip_stack, containing_block, page_is_empty,
                       absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
        if level[0] is not None and _ended(level[0], level[1], box.position_y, foot).bottom > (
                previous.bottom - previous.pitch / 2):
            result, bottom_space = level, context.page_bottom - foot
        else:  # it would end higher still (a heading and two lines kept together): as it was
            if level[0] is not None:
                block.remove_placeholders(context, [level[0]], absolute_boxes, fixed_boxes)
            result = layout(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
                            absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    if result[0] is not None:
        state.previous_column = _ended(result[0], result[1], box.position_y, context.page_bottom - bottom_space)
        state.previous_column.running = _running_count(context)
    return result


def _ended(column, resume_at, position_y: float, available: float) -> _Ended:
    last = _last_in_flow(column)
    if last is column:
        return _Ended(position_y, resume_at, position_y, available, 0)
    if isinstance(last, boxes.LineBox):
        return _Ended(position_y, resume_at, last.position_y + last.height, available, last.height)
    return _Ended(position_y, resume_at, last.position_y + last.margin_height() - last.margin_bottom, available, 0)


def _last_in_flow(box):
    """The last line of `box` (or the last box with no lines in it, a table or a picture).

    Not a block that holds it: a block broken at the page's foot is drawn down to the foot."""
    while isinstance(box, boxes.BlockContainerBox) and not isinstance(box, boxes.LineBox):
        flow = [child for child in box.children if child.is_in_normal_flow()]
        if not flow:
            break
        box = flow[-1]
    return box


def _column(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
            absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs):
    state = runtime.current()
    layout = original(block, 'block_box_layout')
    if not box.is_column or bottom_space == math.inf or not state.trials_reusable:
        return layout(
            context, box, bottom_space, skip_stack, containing_block, page_is_empty,
            absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    trials = state.column_trials
    if adjoining_margins is None:  # the final layout (trials pass a list)
        for trial in trials:
            if _same_call(trial, context, box, bottom_space, skip_stack, page_is_empty):
                trials.remove(trial)  # its boxes are now the page's
                new_box = trial.result[0]
                new_box.translate(box.position_x - trial.box.position_x, 0)
                return trial.result
        return layout(
            context, box, bottom_space, skip_stack, containing_block, page_is_empty,
            absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    running = _running_count(context)
    result = layout(
        context, box, bottom_space, skip_stack, containing_block, page_is_empty,
        absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    if (result[0] is not None and not absolute_boxes and not fixed_boxes
            and not context.excluded_shapes and _running_count(context) == running
            and _leaves_nothing_behind(context, result[0])):
        trials.append(_Trial(box, bottom_space, skip_stack, page_is_empty,
                             context.page_bottom, result))
    return result


def _running_count(context) -> int:
    return sum(len(boxes) for pages in context.running_elements.values() for boxes in pages.values())


def _same_call(trial: _Trial, context, box, bottom_space, skip_stack, page_is_empty) -> bool:
    return (trial.bottom_space == bottom_space and trial.skip_stack is skip_stack
            and trial.page_is_empty == page_is_empty and trial.page_bottom == context.page_bottom
            and trial.box.position_y == box.position_y and trial.box.width == box.width
            and len(trial.box.children) == len(box.children)
            and all(a is b for a, b in zip(trial.box.children, box.children))
            and not context.excluded_shapes)


def _leaves_nothing_behind(context, box) -> bool:
    """No part of `box` is tracked outside it (what `remove_placeholders` would undo)."""
    if (box.footnote or box.note or box.style['position'] in ('absolute', 'fixed')
            or box.is_floated() or box in context.broken_out_of_flow):
        return False
    return all(_leaves_nothing_behind(context, child) for child in getattr(box, 'children', ()))


def columns_layout(context, box, bottom_space, *args, **kwargs):
    state = runtime.current()
    state.column_trials.clear()
    state.previous_column = None
    state.columns_bottom_space = bottom_space
    state.trials_reusable = (state.reuse_columns and not _has_pseudo_line_styles(box)
                             and all(arg is None for arg in args[-2:]))
    try:
        return original(block, 'columns_layout')(context, box, bottom_space, *args, **kwargs)
    finally:
        state.column_trials.clear()
        state.previous_column = None
        state.trials_reusable = False  # and if this box was nested in another, that one's trials are gone


def _has_pseudo_line_styles(box) -> bool:
    """::first-letter or ::first-line somewhere in `box`."""
    if box.first_letter_style is not None or box.first_line_style is not None:
        return True
    return any(_has_pseudo_line_styles(child) for child in getattr(box, 'children', ()))
