"""Chinese justification for WeasyPrint 70: flush lines without inserting characters.

WeasyPrint 70 justifies a line only by widening its U+0020/U+00A0 spaces
(`layout.inline.justify_line`), so a Chinese line that does not fill its column
exactly stays short: about one body line in seven in the sample issue. `install()`
patches WeasyPrint in a few places (the version is pinned in pyproject.toml, and
`check()` fails loudly at install time if an internal this relies on has changed):

1. Line breaking, alignment and justification (`layout.inline.split_text_box`,
   `text_align`, `justify_line`, `layout.preferred.split_first_line`): how a Chinese
   line is filled, in `justify.py`.

2. `text.line_break.Layout.get_first_line` (and `setup`): at drawing time, after
   Pango has shaped the line, the advance of the glyph before each widened or
   squeezed gap is changed in the PangoGlyphString. WeasyPrint's drawer writes the
   difference from the font's advance as a TJ adjustment, so the PDF keeps the real
   characters with positions, and copied text stays 合同能源.

3. `layout.inline.split_first_line` is memoised for the length of one document:
   column balancing lays the same paragraph out at the same width again and again
   (WeasyPrint's `columns_layout` renders the columns once per trial height), and a
   laid-out line does not change. The layouts it returns are deactivated and
   rebuilt from their text when drawn, so sharing them is safe.
"""

import inspect

from weasyprint.layout import inline, preferred
from weasyprint.text import line_break
from weasyprint.text.ffi import TO_UNITS, ffi, pango

from builder.print.weasyprint_cjk import justify

# --- line cache ------------------------------------------------------------

_lines: dict = {}


def _split_first_line(text, style, context, max_width, justification_spacing,
                      is_line_start=True, minimum=False):
    # Widths as Pango gets them (1/1024 px): a column's width comes out a few 1e-7 px
    # different from one column position to the next.
    width = (int(max(0, max_width) * TO_UNITS) if max_width is not None and max_width < 2 ** 21
             else max_width)  # None, inf, or too wide for Pango: no wrapping
    key = (text, id(style), width, justification_spacing, is_line_start, minimum)
    hit = _lines.get(key)
    if hit is not None and hit[0] is style:  # the style pins its id while cached
        return hit[1]
    result = _original_split_first_line(
        text, style, context, max_width, justification_spacing, is_line_start, minimum)
    _lines[key] = (style, result)
    return result


def forget_lines():
    """Drop the line cache: call after each document."""
    _lines.clear()


# --- drawing ----------------------------------------------------------------

def _apply_glyph_extras(line, extras):
    """Add ``extras`` (byte offset of a char -> px) to the advance of its glyph."""
    wanted = 0.0  # round the running total, not each value
    done = 0
    run = line.runs
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        item = glyph_item.item
        glyph_string = glyph_item.glyphs
        glyphs = glyph_string.glyphs
        clusters = glyph_string.log_clusters
        num = glyph_string.num_glyphs
        if item.analysis.level % 2:
            continue  # RTL runs are not handled
        offset = item.offset
        for i in range(num):
            start = clusters[i]
            if i + 1 < num and clusters[i + 1] == start:
                continue  # not the last glyph of its cluster
            end = clusters[i + 1] if i + 1 < num else item.length
            amount = 0
            for byte in range(offset + start, offset + end):
                amount += extras.get(byte, 0)
            if amount:
                wanted += amount * TO_UNITS
                step = round(wanted) - done
                done += step
                glyphs[i].geometry.width += step


def _get_first_line(self):
    first_line, index = _original_get_first_line(self)
    extras = self.__dict__.get('_cjk_extras')
    if extras and first_line != ffi.NULL:
        serial = pango.pango_layout_get_serial(self.layout)
        if self.__dict__.get('_cjk_applied') != serial:
            _apply_glyph_extras(first_line, extras)
            self._cjk_applied = serial
    return first_line, index


def _setup(self, style):
    _original_setup(self, style)
    self.__dict__['_cjk_applied'] = None  # new PangoLayout: nothing applied yet


# --- install ----------------------------------------------------------------

_original_split_first_line = inline.split_first_line
_original_get_first_line = line_break.Layout.get_first_line
_original_setup = line_break.Layout.setup


def check():
    """Fail loudly if the WeasyPrint internals this patch needs have changed."""
    import weasyprint
    from weasyprint.draw import text as draw_text
    assert weasyprint.__version__.split('.')[0] == '70', weasyprint.__version__
    sig = lambda f: list(inspect.signature(f).parameters)  # noqa: E731
    assert sig(justify.original_justify_line) == ['context', 'line', 'extra_width']
    assert sig(justify.original_split_text_box) == [
        'context', 'box', 'available_width', 'skip', 'is_line_start']
    assert sig(line_break.create_layout) == [
        'text', 'style', 'context', 'max_width', 'justification_spacing']
    assert 'justify_line(context, line, offset)' in inspect.getsource(justify.original_text_align)
    assert sig(justify.original_text_align) == ['context', 'line', 'available_width', 'last']
    assert 'text_align(' in inspect.getsource(inline.get_next_linebox)
    assert 'split_first_line(' in inspect.getsource(preferred.inline_line_widths)
    from weasyprint import css
    assert "key[:2] == '__'" in inspect.getsource(css)  # custom properties, as style['__name']
    assert 'split_text_box(' in inspect.getsource(inline.split_inline_level)
    assert 'self.setup(style)' in inspect.getsource(line_break.Layout.reactivate)
    assert 'del self.layout' in inspect.getsource(line_break.Layout.deactivate)
    assert not hasattr(line_break.Layout, '__slots__')
    assert '.reactivate(' in inspect.getsource(draw_text.draw_text)
    source = inspect.getsource(draw_text.draw_first_line)
    assert source.count('get_first_line()') >= 1
    assert 'glyph_info.geometry.width' in source and 'kerning' in source
    for field in ('runs', 'start_index', 'length'):
        assert field in dir(ffi.new('PangoLayoutLine *')), field
    assert {'item', 'glyphs'} <= set(dir(ffi.new('PangoGlyphItem *')))
    assert {'num_glyphs', 'glyphs', 'log_clusters'} <= set(
        dir(ffi.new('PangoGlyphString *')))
    assert {'offset', 'length', 'analysis'} <= set(dir(ffi.new('PangoItem *')))
    assert hasattr(inline, 'add_word_spacing')
    assert hasattr(pango, 'pango_layout_line_get_extents')


def install():
    """Patch WeasyPrint (once per process; later calls do nothing)."""
    if inline.justify_line is justify.justify_line:
        return
    check()
    try:
        pango.pango_layout_get_serial
    except AttributeError:
        ffi.cdef('unsigned int pango_layout_get_serial (PangoLayout *layout);')
    inline.justify_line = justify.justify_line
    inline.text_align = justify.text_align
    preferred.split_first_line = justify.preferred_split_first_line
    inline.split_text_box = justify.split_text_box
    inline.split_first_line = _split_first_line
    line_break.Layout.get_first_line = _get_first_line
    line_break.Layout.setup = _setup


def uninstall():
    inline.justify_line = justify.original_justify_line
    inline.text_align = justify.original_text_align
    preferred.split_first_line = justify.original_preferred_split_first_line
    inline.split_text_box = justify.original_split_text_box
    inline.split_first_line = _original_split_first_line
    line_break.Layout.get_first_line = _original_get_first_line
    line_break.Layout.setup = _original_setup
