"""Multi-column layout without laying each column out twice (WeasyPrint 70).

WeasyPrint's `columns_layout` finds a column height by laying the columns out at
trial heights, then lays them out once more at the height it chose. When that last
call asks for exactly what a trial already did (same content from the same place,
same height, same `page_is_empty`) and the trial left nothing behind that the layout
tracks elsewhere (footnotes, floats, positioned boxes, running elements), the trial's
columns are the answer: `install()` returns them, moved into place, instead of laying
the text out again. Every full page of an article continued from the page before, and
the last page of most articles, is laid out once less: about two fifths of the
sample issue's layout time. Anything else goes through WeasyPrint unchanged, and the
PDF is byte-identical either way (tests/test_pdf.py checks both against each other).
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any

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


def _block_box_layout(context, box, bottom_space, skip_stack, containing_block, page_is_empty,
                      absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs):
    if not box.is_column or bottom_space == math.inf:
        return _original_block_box_layout(
            context, box, bottom_space, skip_stack, containing_block, page_is_empty,
            absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    if adjoining_margins is None:  # the final layout (trials pass a list)
        for trial in _trials:
            if _same_call(trial, context, box, bottom_space, skip_stack, page_is_empty):
                _trials.clear()  # once used, the other trials are stale
                new_box = trial.result[0]
                new_box.translate(box.position_x - trial.box.position_x, 0)
                return trial.result
        _trials.clear()
        return _original_block_box_layout(
            context, box, bottom_space, skip_stack, containing_block, page_is_empty,
            absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    result = _original_block_box_layout(
        context, box, bottom_space, skip_stack, containing_block, page_is_empty,
        absolute_boxes, fixed_boxes, adjoining_margins, *args, **kwargs)
    if (result[0] is not None and not absolute_boxes and not fixed_boxes
            and not context.excluded_shapes and _leaves_nothing_behind(context, result[0])):
        _trials.append(_Trial(box, bottom_space, skip_stack, page_is_empty,
                              context.page_bottom, result))
    return result


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


def _columns_layout(*args, **kwargs):
    _trials.clear()
    try:
        return _original_columns_layout(*args, **kwargs)
    finally:
        _trials.clear()


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
