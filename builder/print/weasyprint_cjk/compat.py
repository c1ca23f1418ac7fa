"""Is the installed WeasyPrint the one the patches were written for?

The extension replaces WeasyPrint functions and relies on how others are written (a
call in their source, a parameter list, a field of a Pango struct). WeasyPrint is
pinned in pyproject.toml; `check()` makes sure the installed one is exactly that
version and still has every internal listed below, and otherwise raises
`WeasyPrintMismatch`, saying what changed and what to do. The tests are ordinary
`if`s (not `assert`s, which `python -O` drops), and a failing one does not stop the
others: the message lists everything that changed.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Any

import weasyprint
from weasyprint import css, layout
from weasyprint.draw import text as draw_text
from weasyprint.layout import block, column, inline, preferred
from weasyprint.pdf import fonts, stream
from weasyprint.text import line_break
from weasyprint.text.ffi import ffi, pango

from builder.print.weasyprint_cjk.expected import EXPECTED_WEASYPRINT, mismatch
from builder.print.weasyprint_cjk.patches import TABLE
from builder.print.weasyprint_cjk.runtime import ORIGINALS, original

# The WeasyPrint versions whose internals this process has checked and found as expected.
_PASSED: set[str] = set()


def ensure() -> None:
    """`check()`, once per process and WeasyPrint version: the internals take 40 ms to
    read, and a build typesets every issue. (The worker processes check while they
    start, before the first issue reaches them.)"""
    installed = getattr(weasyprint, '__version__', 'unknown')
    if installed not in _PASSED:
        check()
        _PASSED.add(installed)


def check() -> None:
    """Raise WeasyPrintMismatch unless WeasyPrint is EXPECTED_WEASYPRINT with every
    internal the patches rely on."""
    installed = getattr(weasyprint, '__version__', 'unknown')
    changed = problems()
    if changed:
        raise mismatch(installed, changed)


def problems() -> list[str]:
    """What differs from WeasyPrint EXPECTED_WEASYPRINT, as far as the patches are concerned."""
    found = []
    installed = getattr(weasyprint, '__version__', 'unknown')
    if installed != EXPECTED_WEASYPRINT:
        found.append(f"the version: {installed} instead of {EXPECTED_WEASYPRINT}")
    for what, holds in _requirements():
        try:
            ok = holds()
        except Exception as exc:  # noqa: BLE001 (a missing function or source is a change like any other)
            ok = False
            what = f"{what} ({type(exc).__name__}: {exc})"
        if not ok:
            found.append(what)
    return found


def _parameters(function: Callable[..., Any]) -> list[str]:
    return list(inspect.signature(function).parameters)


def _source(thing: Any) -> str:
    return inspect.getsource(thing)


def _has_fields(ctype: str, fields: tuple[str, ...]) -> bool:
    return set(fields) <= set(dir(ffi.new(ctype)))


def _replaceable(owner: Any, name: str) -> bool:
    return callable(ORIGINALS.get((owner, name)))


def _mentions(owner: Any, name: str, text: str) -> bool:
    return text in _source(getattr(owner, name))


def _requirements() -> Iterator[tuple[str, Callable[[], bool]]]:
    """(what must hold, a test of it)."""
    # Every function patches.TABLE replaces is there to be replaced.
    for owner, name, _ in TABLE:
        yield (f"{owner.__name__}.{name} exists (replaced by the extension)",
               functools.partial(_replaceable, owner, name))

    # justify.py: line breaking, alignment, justification, shrink-to-fit widths.
    yield ("layout.inline.justify_line(context, line, extra_width)",
           lambda: _parameters(original(inline, 'justify_line')) == ['context', 'line', 'extra_width'])
    yield ("layout.inline.split_text_box(context, box, available_width, skip, is_line_start)",
           lambda: _parameters(original(inline, 'split_text_box')) == [
               'context', 'box', 'available_width', 'skip', 'is_line_start'])
    yield ("text.line_break.create_layout(text, style, context, max_width, justification_spacing)",
           lambda: _parameters(line_break.create_layout) == [
               'text', 'style', 'context', 'max_width', 'justification_spacing'])
    yield ("layout.inline.text_align calls justify_line(context, line, offset)",
           lambda: 'justify_line(context, line, offset)' in _source(original(inline, 'text_align')))
    yield ("layout.inline.text_align(context, line, available_width, last)",
           lambda: _parameters(original(inline, 'text_align')) == ['context', 'line', 'available_width', 'last'])
    yield ("layout.inline.get_next_linebox calls text_align",
           lambda: 'text_align(' in _source(inline.get_next_linebox))
    yield ("layout.preferred.inline_line_widths calls split_first_line",
           lambda: 'split_first_line(' in _source(preferred.inline_line_widths))
    yield ("css keeps custom properties as style['__name'] (--cjk-latin-space, --cjk-line-end)",
           lambda: "key[:2] == '__'" in _source(css))
    yield ("layout.inline.split_inline_level calls split_text_box",
           lambda: 'split_text_box(' in _source(inline.split_inline_level))
    yield ("layout.inline.add_word_spacing exists", lambda: hasattr(inline, 'add_word_spacing'))
    yield ("pango.pango_layout_line_get_extents exists",
           lambda: hasattr(pango, 'pango_layout_line_get_extents'))

    # lines.py: Layouts rebuilt from their text when drawn, glyph advances at drawing.
    yield ("text.line_break.Layout.reactivate calls self.setup(style)",
           lambda: 'self.setup(style)' in _source(line_break.Layout.reactivate))
    yield ("text.line_break.Layout.deactivate deletes self.layout",
           lambda: 'del self.layout' in _source(line_break.Layout.deactivate))
    yield ("text.line_break.Layout has no __slots__ (the extension sets attributes on it)",
           lambda: not hasattr(line_break.Layout, '__slots__'))
    yield ("draw.text.draw_text reactivates the layout", lambda: '.reactivate(' in _source(draw_text.draw_text))
    yield ("draw.text.draw_first_line calls get_first_line()",
           lambda: _source(draw_text.draw_first_line).count('get_first_line()') >= 1)
    yield ("draw.text.draw_first_line writes glyph_info.geometry.width and kerning",
           lambda: all(word in _source(draw_text.draw_first_line)
                       for word in ('glyph_info.geometry.width', 'kerning')))
    for ctype, fields in (('PangoLayoutLine *', ('runs', 'start_index', 'length')),
                          ('PangoGlyphItem *', ('item', 'glyphs')),
                          ('PangoGlyphString *', ('num_glyphs', 'glyphs', 'log_clusters')),
                          ('PangoItem *', ('offset', 'length', 'analysis'))):
        yield (f"{ctype.rstrip(' *')} has the fields {', '.join(fields)}",
               functools.partial(_has_fields, ctype, fields))

    # fonts.py: the font file read only when wanted.
    yield ("pdf.fonts.Font.__init__ copies the font file with get_hb_object_data(self.hb_face), its only read",
           lambda: _source(fonts.Font.__init__).count('get_hb_object_data(') == 1
           and 'self.file_content = get_hb_object_data(self.hb_face)' in _source(fonts.Font.__init__))
    yield ("pdf.fonts.Font keeps file_content on the instance (no class attribute, no __slots__)",
           lambda: not hasattr(fonts.Font, 'file_content') and not hasattr(fonts.Font, '__slots__'))
    yield ("pdf.stream.Stream.add_font makes its fonts with Font(pango_font, description, font_size)",
           lambda: 'Font(pango_font, description, font_size)' in _source(stream.Stream.add_font))

    # columns.py: the trials of WeasyPrint's columns_layout and the final layout.
    yield ("layout.column.columns_layout imports block_box_layout from .block when it runs",
           lambda: all(word in _source(column.columns_layout)
                       for word in ('from .block import (', 'block_box_layout')))
    yield ("layout.column.columns_layout passes a list of adjoining margins in its trials",
           lambda: _source(column.columns_layout).count(
               'page_is_empty or not balancing, [], [], [], first_letter_style') == 1)
    yield ("layout.column.columns_layout passes None as adjoining margins in its final layout",
           lambda: _source(column.columns_layout).count(
               'original_page_is_empty, absolute_boxes, fixed_boxes, None,') == 1)
    yield ("layout.column.columns_layout removes the placeholders of its trials",
           lambda: _source(column.columns_layout).count('remove_placeholders(context, new_boxes, [], [])') == 1)
    yield ("layout.column._create_column_box marks column boxes with is_column",
           lambda: 'column_box.is_column = True' in _source(column._create_column_box))
    yield ("layout.block.block_box_layout(context, box, bottom_space, skip_stack, containing_block, "
           "page_is_empty, absolute_boxes, fixed_boxes, adjoining_margins, first_letter_style, "
           "first_line_style, discard, max_lines)",
           lambda: _parameters(original(block, 'block_box_layout')) == [
               'context', 'box', 'bottom_space', 'skip_stack', 'containing_block', 'page_is_empty',
               'absolute_boxes', 'fixed_boxes', 'adjoining_margins', 'first_letter_style',
               'first_line_style', 'discard', 'max_lines'])
    yield ("layout.column.columns_layout ends with the parameters first_letter_style, first_line_style",
           lambda: _parameters(column.columns_layout)[-2:] == ['first_letter_style', 'first_line_style'])
    yield ("layout.block.block_box_layout passes first_letter_style, first_line_style on",
           lambda: 'first_letter_style, first_line_style)' in _source(original(block, 'block_box_layout')))
    yield ("layout.LayoutContext.add_running_element appends to running_elements[name][page]",
           lambda: 'running_elements[running_name][self.current_page].append' in _source(
               layout.LayoutContext.add_running_element))
    yield ("layout.column.columns_layout lays each column out from where the one before it stopped",
           lambda: 'skip_stack = column_skip_stack' in _source(column.columns_layout))

    # feet.py: the blank at a page's foot shared among the gaps between its articles.
    yield ("layout.layout_document calls layout_backgrounds(page, context.get_image_from_uri) on each finished page",
           lambda: 'layout_backgrounds(page, context.get_image_from_uri)' in _source(layout.layout_document)
           and 'context.current_page = i + 1' in _source(layout.layout_document))
    yield ("layout.LayoutContext.get_image_from_uri is partial(get_image_from_uri, context=self)",
           lambda: 'partial(get_image_from_uri, context=self)' in _source(layout.LayoutContext.__init__))
    yield ("layout.layout_document puts the footnote area among the page's children",
           lambda: 'children.append(footnote_area)' in _source(layout.layout_document))
    for tracked in ("'absolute'", "'fixed'", 'box.footnote', 'broken_out_of_flow', 'excluded_shapes', 'box.note'):
        yield (f"layout.block.remove_placeholders still handles {tracked}",
               functools.partial(_mentions, block, 'remove_placeholders', tracked))
