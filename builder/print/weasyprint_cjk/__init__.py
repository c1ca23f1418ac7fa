"""Chinese justification for WeasyPrint 70: flush lines without inserting characters.

WeasyPrint 70 justifies a line only by widening its U+0020/U+00A0 spaces
(`layout.inline.justify_line`), so a Chinese line that does not fill its column
exactly stays short: about one body line in seven in the sample issue. For the length
of one render, the extension replaces a few WeasyPrint functions:

    with typesetting():
        pdf = weasyprint.HTML(string=html).write_pdf()

1. Line breaking, alignment and justification (`layout.inline.split_text_box`,
   `text_align`, `justify_line`, `layout.preferred.split_first_line`): how a Chinese
   line is filled, in `justify.py` (its arithmetic in `plan.py`, the character classes
   in `cjk.py`).

2. `text.line_break.Layout.get_first_line` (and `setup`): the advances justify.py set
   are given to the shaped glyphs when a line is drawn, so the PDF keeps the real
   characters (`lines.py`).

3. `layout.inline.split_first_line` is memoised for the length of the render: column
   balancing lays the same paragraph out again and again (`lines.py`).

4. `layout.block.block_box_layout` and `columns_layout`: multi-column layout without
   laying each column out twice (`columns.py`).

`typesetting()` checks the installed WeasyPrint (`compat.py`: exactly the version
pinned in pyproject.toml, with every internal the patches rely on; else
`WeasyPrintMismatch`), puts the whole table of `patches.py` in place and gives the
render a fresh state for its caches (`runtime.py`). On exit, after an error too,
WeasyPrint's own functions are back, and the render's state and the memoised answers
of `cjk.py` are dropped: a process may render any number of times, each render as
in a fresh process. Nested (or concurrent) use raises RuntimeError: the patches are
process-wide.

Nothing outside this package needs its submodules: `typesetting`, `check`, `ensure`,
`WeasyPrintMismatch` and `EXPECTED_WEASYPRINT` are here.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from builder.print.weasyprint_cjk import cjk, patches, runtime
from builder.print.weasyprint_cjk.compat import EXPECTED_WEASYPRINT, WeasyPrintMismatch, check, ensure

__all__ = ["EXPECTED_WEASYPRINT", "WeasyPrintMismatch", "check", "ensure", "typesetting"]


@contextmanager
def typesetting(*, reuse_columns: bool = True) -> Iterator[None]:
    """WeasyPrint with the Chinese typesetting, for one render.

    `reuse_columns=False`: WeasyPrint lays out every column again after its trials
    (the same PDF, more slowly; for comparison).
    Raises WeasyPrintMismatch for another WeasyPrint, RuntimeError if already in use.
    """
    if runtime.active():
        raise RuntimeError("typesetting() is already in use in this process: one render at a time")
    ensure()
    patches.install()
    runtime.begin(runtime.RenderState(reuse_columns=reuse_columns))
    try:
        yield
    finally:
        runtime.end()
        patches.uninstall()
        cjk.clear_caches()
