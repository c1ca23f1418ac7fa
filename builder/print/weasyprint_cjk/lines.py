"""The lines WeasyPrint lays out and draws: memoised for a render, and drawn with our advances.

Two of the hooks `typesetting()` puts in place (the table is in `patches.py`; how a
Chinese line is filled, in `justify.py`):

1. `text.line_break.Layout.get_first_line` (and `setup`): at drawing time, after
   Pango has shaped the line, the advance of the glyph before each widened or
   squeezed gap is changed in the PangoGlyphString. WeasyPrint's drawer writes the
   difference from the font's advance as a TJ adjustment, so the PDF keeps the real
   characters with positions, and copied text stays 合同能源.

2. `layout.inline.split_first_line` is memoised for the length of one render
   (`runtime.current().lines`, dropped with the render): column balancing lays the
   same paragraph out at the same width again and again (WeasyPrint's
   `columns_layout` renders the columns once per trial height), and a laid-out line
   does not change. The layouts it returns are deactivated and rebuilt from their
   text when drawn, so sharing them is safe.
"""

from weasyprint.layout import inline
from weasyprint.text import line_break
from weasyprint.text.ffi import TO_UNITS, ffi, pango

from builder.print.weasyprint_cjk import runtime
from builder.print.weasyprint_cjk.cjk import byte_offsets, compressed_marks
from builder.print.weasyprint_cjk.runtime import original

# --- line cache ------------------------------------------------------------


def split_first_line(text, style, context, max_width, justification_spacing,
                     is_line_start=True, minimum=False):
    # Widths as Pango gets them (1/1024 px): a column's width comes out a few 1e-7 px
    # different from one column position to the next.
    width = (int(max(0, max_width) * TO_UNITS) if max_width is not None and max_width < 2 ** 21
             else max_width)  # None, inf, or too wide for Pango: no wrapping
    key = (text, id(style), width, justification_spacing, is_line_start, minimum)
    lines = runtime.current().lines
    hit = lines.get(key)
    if hit is not None and hit[0] is style:  # the style pins its id while cached
        return hit[1]
    result = original(inline, 'split_first_line')(
        text, style, context, max_width, justification_spacing, is_line_start, minimum)
    lines[key] = (style, result)
    return result


# --- drawing ----------------------------------------------------------------

def _apply_glyph_extras(line, extras, shifts=None):
    """Add ``extras`` (byte offset of a char -> px) to the advance of its glyph, and move
    the glyphs of ``shifts`` (byte offset -> px) that far to the left."""
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
                if shifts and byte in shifts:
                    # WeasyPrint writes an offset as thousandths of the font size, reading
                    # Pango's 1/1024 px as 1/1000: given in its terms, the move is exact.
                    glyphs[i].geometry.x_offset -= round(shifts[byte] * 1000)
            if amount:
                wanted += amount * TO_UNITS
                step = round(wanted) - done
                done += step
                glyphs[i].geometry.width += step


def get_first_line(self):
    first_line, index = original(line_break.Layout, 'get_first_line')(self)
    extras = self.__dict__.get('_cjk_extras')
    if extras and first_line != ffi.NULL:
        serial = pango.pango_layout_get_serial(self.layout)
        if self.__dict__.get('_cjk_applied') != serial:
            _apply_glyph_extras(first_line, extras, self.__dict__.get('_cjk_shifts'))
            self._cjk_applied = serial
    return first_line, index


def set_text(self, text, justify=False):
    """WeasyPrint's, and the marks that meet another full-width mark set half width
    (`cjk.compressed_marks`) by the font's own `halt` feature: Pango breaks the line
    knowing their width, and the PDF keeps the real characters.

    WeasyPrint sets a layout's text again, shorter, where it breaks a line: the marks
    halved for the longer text are first given back their width (the layout's
    attributes as `setup` left them), so a pair the break parts is not set half width."""
    if self.__dict__.get('_cjk_halved'):
        base = self.__dict__.get('_cjk_attributes')
        pango.pango_layout_set_attributes(
            self.layout, ffi.gc(pango.pango_attr_list_copy(base), pango.pango_attr_list_unref)
            if base is not None else ffi.NULL)
        self.__dict__['_cjk_halved'] = False
    original(line_break.Layout, 'set_text')(self, text, justify)
    halved = compressed_marks(self.text)
    if not halved:
        return
    offsets = byte_offsets(self.text)
    attributes = pango.pango_layout_get_attributes(self.layout)
    if attributes == ffi.NULL:
        attributes = ffi.gc(pango.pango_attr_list_new(), pango.pango_attr_list_unref)
    for index in halved:
        attribute = pango.pango_attr_font_features_new(b'halt')
        attribute.start_index, attribute.end_index = offsets[index], offsets[index + 1]
        pango.pango_attr_list_insert(attributes, attribute)
    pango.pango_layout_set_attributes(self.layout, attributes)
    self.__dict__['_cjk_halved'] = True


def setup(self, style):
    original(line_break.Layout, 'setup')(self, style)
    self.__dict__['_cjk_applied'] = None  # new PangoLayout: nothing applied yet
    # The attributes WeasyPrint gave the new layout (its font features), kept for set_text.
    attributes = pango.pango_layout_get_attributes(self.layout)
    self.__dict__['_cjk_attributes'] = (
        None if attributes == ffi.NULL
        else ffi.gc(pango.pango_attr_list_copy(attributes), pango.pango_attr_list_unref))
    self.__dict__['_cjk_halved'] = False
