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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from weasyprint.layout import block

from builder.print.weasyprint_cjk import runtime
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


def columns_layout(context, box, *args, **kwargs):
    state = runtime.current()
    state.column_trials.clear()
    state.trials_reusable = (state.reuse_columns and not _has_pseudo_line_styles(box)
                             and all(arg is None for arg in args[-2:]))
    try:
        return original(block, 'columns_layout')(context, box, *args, **kwargs)
    finally:
        state.column_trials.clear()
        state.trials_reusable = False  # and if this box was nested in another, that one's trials are gone


def _has_pseudo_line_styles(box) -> bool:
    """::first-letter or ::first-line somewhere in `box`."""
    if box.first_letter_style is not None or box.first_line_style is not None:
        return True
    return any(_has_pseudo_line_styles(child) for child in getattr(box, 'children', ()))
