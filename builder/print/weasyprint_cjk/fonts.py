"""The PDF's fonts, without a copy of each whole font file held for the length of the write.

WeasyPrint's `pdf.fonts.Font` copies the whole file of every font it uses into memory
as it is made (`self.file_content = get_hb_object_data(self.hb_face)`): 19 to 27 MB for
each Noto CJK collection, held until the PDF is written, though HarfBuzz's subsetter,
which makes what the PDF embeds, works from the face and never reads the copy. `Font`
here reads the file only when something reads `file_content` (fontTools' subsetter
where HarfBuzz's is missing, a variable or colour font, a font not subset): the same
PDF, byte for byte, and about 65 MB less memory in each typesetter for the sample issue.
"""

from __future__ import annotations

from typing import Any

from weasyprint.pdf import fonts
from weasyprint.text.fonts import get_hb_object_data


class Font(fonts.Font):
    """WeasyPrint's Font; `file_content` read from the face when first wanted."""

    def __init__(self, pango_font: Any, description: Any, font_size: float) -> None:
        # WeasyPrint's __init__ calls the module's get_hb_object_data by name, once, for the copy.
        reader = fonts.get_hb_object_data
        fonts.get_hb_object_data = _unread
        try:
            super().__init__(pango_font, description, font_size)
        finally:
            fonts.get_hb_object_data = reader

    @property
    def file_content(self) -> bytes:
        data = self.__dict__.get("_file_content")
        if data is None:
            data = self.__dict__["_file_content"] = get_hb_object_data(self.hb_face)
        return data

    @file_content.setter
    def file_content(self, data: bytes | None) -> None:
        self.__dict__["_file_content"] = data


def _unread(_face: Any) -> None:
    return None
