"""Chinese justification for WeasyPrint 70: flush lines without inserting characters.

WeasyPrint 70 justifies a line only by widening its U+0020/U+00A0 spaces
(`layout.inline.justify_line`), so a Chinese line that does not fill its column
exactly stays short: about one body line in seven in the sample issue. For the length
of one render, the extension replaces a few WeasyPrint functions:

    with typesetting():
        pdf = weasyprint.HTML(string=html).write_pdf()

1. Line breaking, alignment and justification (`layout.inline.split_text_box`,
   `text_align`, `justify_line`, `layout.preferred.split_first_line`, and
   `layout.block.iter_line_boxes`, which marks where a paragraph ends so that its last
   line never holds one character alone): how a Chinese line is filled, in `justify.py`
   (its arithmetic in `plan.py`, the character classes in `cjk.py`).

2. `text.line_break.Layout.get_first_line` (and `setup`): the advances justify.py set
   are given to the shaped glyphs when a line is drawn, so the PDF keeps the real
   characters (`lines.py`).

3. `layout.inline.split_first_line` is memoised for the length of the render: column
   balancing lays the same paragraph out again and again (`lines.py`).

4. `layout.block.block_box_layout` and `columns_layout`: multi-column layout without
   laying each column out twice, and with level feet: a column after one that ends a
   line or two short ends on the same line (`columns.py`); a block marked
   `--line-grid: <pitch>` (a picture, a rule) padded under it to a whole number of
   lines (`grid.py`).

5. `layout.layout_backgrounds`, called on each finished page: the whole lines left
   blank at a page's foot are shared among the gaps before the articles on it
   (`--page-fill: stretch`, `feet.py`).

6. `pdf.stream.Font`: fonts that read their whole file only if something wants it, not
   a 19 to 27 MB copy of each Noto CJK collection held while the PDF is written
   (`fonts.py`).

`typesetting()` checks the installed WeasyPrint once per process (`compat.py`: exactly
the version pinned in pyproject.toml, with every internal the patches rely on; else
`WeasyPrintMismatch`, also when WeasyPrint's modules cannot be imported), puts the whole
table of `patches.py` in place and gives the render a fresh state for its caches
(`runtime.py`). On exit, after an error too,
WeasyPrint's own functions are back, and the render's state and the memoised answers
of `cjk.py` are dropped: a process may render any number of times, each render as
in a fresh process. Nested use, or use from two threads at once, raises RuntimeError:
the patches are process-wide.

Nothing outside this package needs its submodules: `typesetting`, `check`, `ensure`,
`WeasyPrintMismatch` and `EXPECTED_WEASYPRINT` are here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from builder.print.weasyprint_cjk.expected import EXPECTED_WEASYPRINT, WeasyPrintMismatch, mismatch

__all__ = ["EXPECTED_WEASYPRINT", "WeasyPrintMismatch", "check", "ensure", "typesetting"]

# Held for the length of one render: the patches and the render's state are process-wide.
_ONE_RENDER = threading.Lock()


@contextmanager
def typesetting(*, reuse_columns: bool = True) -> Iterator[None]:
    """WeasyPrint with the Chinese typesetting, for one render: lay out and write the
    PDF inside the block (the advances of a line are given to its glyphs when drawn).

    `reuse_columns=False`: WeasyPrint lays out every column again after its trials
    (the same PDF, more slowly; for comparison).
    Raises WeasyPrintMismatch for another WeasyPrint, RuntimeError if a render is in
    progress in this process (nested, or in another thread).
    """
    if not _ONE_RENDER.acquire(blocking=False):
        raise RuntimeError("typesetting() is already in use in this process: one render at a time")
    try:
        cjk, compat, patches, runtime = _internals()
        compat.ensure()
        try:
            patches.install()
            runtime.begin(runtime.RenderState(reuse_columns=reuse_columns))
            yield
        finally:
            runtime.end()
            patches.uninstall()  # only what the table put in place, also after an interrupted install
            cjk.clear_caches()
    finally:
        _ONE_RENDER.release()


def ensure() -> None:
    """`check()`, once per process and WeasyPrint version (typesetting() calls it)."""
    _internals()[1].ensure()


def check() -> None:
    """Raise WeasyPrintMismatch unless the installed WeasyPrint is EXPECTED_WEASYPRINT
    with every internal the patches rely on."""
    _internals()[1].check()


def _internals() -> tuple[ModuleType, ModuleType, ModuleType, ModuleType]:
    """The modules that reach into WeasyPrint, imported when first needed: a WeasyPrint
    whose modules moved or changed is a WeasyPrintMismatch, not an ImportError."""
    try:
        from builder.print.weasyprint_cjk import cjk, compat, patches, runtime
    except Exception as exc:  # noqa: BLE001 (ImportError, AttributeError, … of another WeasyPrint)
        import weasyprint

        installed = getattr(weasyprint, "__version__", "unknown")
        raise mismatch(installed, [f"its modules could not be imported ({type(exc).__name__}: {exc})"]) from exc
    return cjk, compat, patches, runtime
