"""Every WeasyPrint function the extension replaces, in one table, swapped in and out together.

WeasyPrint's own functions are taken from the table when this module is imported,
before anything is replaced, and kept in `runtime.ORIGINALS` for the hooks that hand
work on to them. `install()` puts the whole table in place, `uninstall()` puts all of
WeasyPrint's own functions back; `installed()` is true only when the whole table is in
place. `typesetting()` (in `__init__.py`) is the one caller.

WeasyPrint's modules import functions by name (`from ..text.line_break import
split_first_line`), so a function is replaced in the module whose calls must reach
the hook: `split_first_line` twice, in layout.inline (the line cache) and in
layout.preferred (shrink-to-fit widths).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from weasyprint import layout
from weasyprint.layout import block, inline, preferred
from weasyprint.pdf import stream
from weasyprint.text import line_break
from weasyprint.text.ffi import ffi, pango

from builder.print.weasyprint_cjk import columns, feet, fonts, justify, lines
from builder.print.weasyprint_cjk.runtime import ORIGINALS

# (owner, attribute, replacement)
TABLE: tuple[tuple[Any, str, Callable[..., Any]], ...] = (
    # How a Chinese line is filled (justify.py).
    (inline, 'split_text_box', justify.split_text_box),
    (inline, 'text_align', justify.text_align),
    (inline, 'justify_line', justify.justify_line),
    (preferred, 'split_first_line', justify.preferred_split_first_line),
    (block, 'iter_line_boxes', justify.iter_line_boxes),  # marks where a paragraph ends
    # Lines memoised for a render, and drawn with the advances justify.py set (lines.py).
    (inline, 'split_first_line', lines.split_first_line),
    (line_break.Layout, 'get_first_line', lines.get_first_line),
    (line_break.Layout, 'setup', lines.setup),
    (line_break.Layout, 'set_text', lines.set_text),
    # Multi-column layout without laying each column out twice (columns.py).
    (block, 'block_box_layout', columns.block_box_layout),
    (block, 'columns_layout', columns.columns_layout),
    # Full pages: the blank at a page's foot shared among the gaps between articles (feet.py).
    (layout, 'layout_backgrounds', feet.layout_backgrounds),
    # Fonts whose whole file is read only if something needs it (fonts.py).
    (stream, 'Font', fonts.Font),
)


def _take_originals() -> None:
    for owner, name, replacement in TABLE:
        found = getattr(owner, name, None)
        if found is replacement:
            raise RuntimeError(f"{owner.__name__}.{name} is already replaced: the extension was imported twice")
        if found is not None:  # else compat.check() reports it
            ORIGINALS[owner, name] = found


_take_originals()


def installed() -> bool:
    """Whether every replacement of the table is in place."""
    return all(getattr(owner, name, None) is replacement for owner, name, replacement in TABLE)


def pristine() -> bool:
    """Whether every function of the table is WeasyPrint's own."""
    return all(getattr(owner, name, None) is ORIGINALS.get((owner, name)) for owner, name, _ in TABLE)


def install() -> None:
    """Replace every function of the table; refused unless they are all WeasyPrint's own."""
    if not pristine():
        raise RuntimeError("WeasyPrint's functions are not its own (the extension is installed already, or "
                           "something else patched them): the extension is not installed over them")
    if not hasattr(pango, 'pango_layout_get_serial'):  # lines.get_first_line needs it; WeasyPrint does not declare it
        ffi.cdef('unsigned int pango_layout_get_serial (PangoLayout *layout);')
    if not hasattr(pango, 'pango_attr_list_copy'):  # lines.set_text needs it
        ffi.cdef('PangoAttrList * pango_attr_list_copy (PangoAttrList *list);')
    for owner, name, replacement in TABLE:
        setattr(owner, name, replacement)


def uninstall() -> None:
    """Put WeasyPrint's own functions back where the table's replacements are: whatever
    an interrupted install did is undone, and a function someone else replaced is left."""
    for owner, name, replacement in TABLE:
        if getattr(owner, name, None) is replacement and (owner, name) in ORIGINALS:
            setattr(owner, name, ORIGINALS[owner, name])
