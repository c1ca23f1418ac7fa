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
first letters and tables (tests/test_columns.py).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

from weasyprint import layout
from weasyprint.layout import block, column


@dataclass
class _Trial:
    box: Any  # the column box the trial laid out (its children and position)
    bottom_space: float
    skip_stack: Any
    page_is_empty: bool
    page_bottom: float
    result: tuple


_trials: list[_Trial] = []  # trials of the multi-column box being laid out
_reusable = False  # whether the trials of that box may be reused


def _block_box_layout(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
                      absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs):
    if not box.is_column or bottom_space == math.inf or not _reusable:
        return _original_block_box_layout(
            context, box, bottom_space, skip_stack, containing_block, page_is_empty,
            absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    if adjoining_margins is None:  # the final layout (trials pass a list)
        for trial in _trials:
            if _same_call(trial, context, box, bottom_space, skip_stack, page_is_empty):
                _trials.remove(trial)  # its boxes are now the page's
                new_box = trial.result[0]
                new_box.translate(box.position_x - trial.box.position_x, 0)
                return trial.result
        return _original_block_box_layout(
            context, box, bottom_space, skip_stack, containing_block, page_is_empty,
            absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    running = _running_count(context)
    result = _original_block_box_layout(
        context, box, bottom_space, skip_stack, containing_block, page_is_empty,
        absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    if (result[0] is not None and not absolute_boxes and not fixed_boxes
            and not context.excluded_shapes and _running_count(context) == running
            and _leaves_nothing_behind(context, result[0])):
        _trials.append(_Trial(box, bottom_space, skip_stack, page_is_empty,
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


def _columns_layout(context, box, *args, **kwargs):
    global _reusable
    _trials.clear()
    _reusable = not _has_pseudo_line_styles(box) and all(arg is None for arg in args[-2:])
    try:
        return _original_columns_layout(context, box, *args, **kwargs)
    finally:
        _trials.clear()
        _reusable = False  # and if this box was nested in another, that one's trials are gone


def _has_pseudo_line_styles(box) -> bool:
    """::first-letter or ::first-line somewhere in `box`."""
    if box.first_letter_style is not None or box.first_line_style is not None:
        return True
    return any(_has_pseudo_line_styles(child) for child in getattr(box, 'children', ()))


_original_block_box_layout = block.block_box_layout
_original_columns_layout = block.columns_layout


def check() -> None:
    """Fail loudly if the WeasyPrint code this relies on has changed."""
    source = inspect.getsource(column.columns_layout)
    assert 'from .block import (' in source and 'block_box_layout' in source
    # Trials pass a list of adjoining margins, the final layout passes None.
    assert source.count('page_is_empty or not balancing, [], [], [], first_letter_style') == 1
    assert source.count('original_page_is_empty, absolute_boxes, fixed_boxes, None,') == 1
    assert source.count('remove_placeholders(context, new_boxes, [], [])') == 1
    assert 'column_box.is_column = True' in inspect.getsource(column._create_column_box)
    assert list(inspect.signature(_original_block_box_layout).parameters) == [
        'context', 'box', 'bottom_space', 'skip_stack', 'containing_block', 'page_is_empty',
        'absolute_boxes', 'fixed_boxes', 'adjoining_margins', 'first_letter_style',
        'first_line_style', 'discard', 'max_lines']
    assert list(inspect.signature(column.columns_layout).parameters)[-2:] == [
        'first_letter_style', 'first_line_style']
    assert 'first_letter_style, first_line_style)' in inspect.getsource(_original_block_box_layout)
    assert 'running_elements[running_name][self.current_page].append' in inspect.getsource(
        layout.LayoutContext.add_running_element)
    removed = inspect.getsource(block.remove_placeholders)
    for tracked in ("'absolute'", "'fixed'", 'box.footnote', 'broken_out_of_flow',
                    'excluded_shapes', 'box.note'):
        assert tracked in removed, tracked


def install() -> None:
    if block.block_box_layout is _block_box_layout:
        return
    check()
    block.block_box_layout = _block_box_layout
    block.columns_layout = _columns_layout


def uninstall() -> None:
    block.block_box_layout = _original_block_box_layout
    block.columns_layout = _original_columns_layout
