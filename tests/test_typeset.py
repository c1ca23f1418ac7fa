"""The Chinese justification extension of WeasyPrint (builder.print.weasyprint_cjk), used as the build uses it: `with typesetting():`."""

import re
import subprocess

import pytest
import weasyprint
from typography import text_lines
from weasyprint.formatting_structure import boxes

from builder.print.weasyprint_cjk import check, typesetting
from builder.print.weasyprint_cjk.cjk import compressed_marks, opportunities

HEAD = ('<!doctype html><html lang="zh-CN"><meta charset="utf-8"><style>'
        '@page { size: 120mm 200mm; margin: 10mm }'
        'body { margin: 0; font: 10.5pt/1.6 "Noto Serif CJK SC" }'
        'p { margin: 0 0 1em; text-indent: 2em; text-align: justify; width: 81mm }'
        '</style>')
COLUMN_RIGHT = (10 + 81) / 25.4 * 72  # pt: the page's margin and the paragraphs' width
TEXT = ('四川省明确提出，将低碳发展作为经济社会发展的重大战略和生态文明建设的重要途径。'
        '按照工作方案，四川将制定应对气候变化的地方性法规及相关配套措施，并制定碳排放权'
        '交易管理办法等。到2020年，全省单位国内生产总值二氧化碳排放比2015年下降'
        '19.5%，“十三五”期间推广合同能源管理（EMC）模式，CCER 交易 10 万吨。')


@pytest.fixture(autouse=True)
def installed():
    with typesetting():
        yield


def render(tmp_path, body):
    pdf = tmp_path / "out.pdf"
    weasyprint.HTML(string=HEAD + body).write_pdf(pdf)
    return pdf


def lines(pdf):
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    rows = []
    for m in re.finditer(r'<line xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>(.*?)</line>', out, re.S):
        rows.append((float(m.group(1)), float(m.group(3)), " ".join(re.findall(r">([^<]*)</word>", m.group(4)))))
    return [r for r in rows if r[2]]


def test_the_weasyprint_internals_it_relies_on_are_there():
    check()  # fails loudly when a WeasyPrint upgrade changes them


def test_justification_opportunities_follow_clreq():
    assert opportunities("合同能源") == [0, 1, 2]
    assert opportunities("能源，管理") == [0, 2, 3]  # nothing before a closing mark
    assert opportunities("的（上海）") == [0, 2]  # nothing after an opening mark or before a closing one
    assert opportunities("Latin单词") == [4, 5]  # never inside a Latin word
    assert opportunities("到 2020 年") == [1, 6]  # the spaces themselves
    assert opportunities("——") == []


def test_chinese_lines_are_flush_and_the_text_is_intact(tmp_path):
    pdf = render(tmp_path, "".join(f"<p>{TEXT}</p>" for _ in range(2)))
    rows = lines(pdf)
    right = COLUMN_RIGHT  # a last line's closing mark may be set half width: its full width is past it
    last = {i for i, r in enumerate(rows) if i + 1 == len(rows) or rows[i + 1][0] > r[0] + 5}
    for i, (_, x1, text) in enumerate(rows):
        if i not in last:
            assert abs(right - x1) < 1.5, text
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "合同能源" in text and "合 同" not in text
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", text)


def test_inline_markup_keeps_lines_flush(tmp_path):
    marked = (TEXT.replace("低碳发展", "<b>低碳发展</b>")
              .replace("气候变化", '<span style="border:1px solid red">气候变化</span>')
              .replace("合同能源管理", '<a href="https://example.org">合同能源管理</a>'))
    rows = lines(render(tmp_path, f"<p>{marked}</p>"))
    for _, x1, text in rows[:-1]:
        assert abs(COLUMN_RIGHT - x1) < 1.5, text


def test_latin_paragraphs_are_still_justified(tmp_path):
    latin = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod " * 4
    rows = lines(render(tmp_path, f'<p lang="en">{latin}</p>'))
    right = max(x1 for _, x1, _ in rows)
    for _, x1, text in rows[:-1]:
        assert right - x1 < 1.5, text



def test_a_line_holding_an_inline_block_is_justified_around_it(tmp_path):
    boxed = TEXT.replace("气候变化", '<span style="display:inline-block;border:1px solid">气候变化</span>')
    pdf = render(tmp_path, f"<p>{boxed}</p>")
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    right_ends = {}  # pdftotext reads the inline block as a line of its own: merge by height
    for y, x1 in re.findall(r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="([\d.]+)"', out):
        key = round(float(y))
        right_ends[key] = max(right_ends.get(key, 0), float(x1))
    rows = [right_ends[y] for y in sorted(right_ends)]
    assert len(rows) >= 5
    for x1 in rows[:-1]:
        assert max(rows) - x1 < 1.5
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "气候变化" in text.replace("\n", "")


def words(pdf):
    """(xMin, xMax, word) of every word pdftotext finds, in reading order."""
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [(float(a), float(b), w) for a, b, w in
            re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>([^<]*)</word>', out)]


SPACED = '<div style="--cjk-latin-space: 0.25em; --cjk-line-end: half">{}</div>'


def test_han_and_latin_letters_or_digits_are_set_a_quarter_em_apart(tmp_path):
    plain = words(render(tmp_path, '<p style="text-indent:0">比2015年下降19.5%，CCER交易</p>'))
    assert [w for _, _, w in plain] == ["比2015年下降19.5%，CCER交易"]
    spaced = words(render(tmp_path, SPACED.format('<p style="text-indent:0">比2015年下降19.5%，CCER交易</p>')))
    assert [w for _, _, w in spaced] == ["比", "2015", "年下降", "19.5%，CCER", "交易"]
    quarter = 10.5 * 0.25
    for (_, end, _), (start, _, _) in zip(spaced, spaced[1:]):
        assert abs(start - end - quarter) < 0.3


def test_lines_stay_flush_with_latin_spacing(tmp_path):
    pdf = render(tmp_path, SPACED.format("".join(f"<p>{TEXT}</p>" for _ in range(2))))
    out = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    rows = {}  # pdftotext cuts a line at each quarter em: join its pieces again
    for y, x1 in re.findall(r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="([\d.]+)"', out):
        rows[round(float(y))] = max(rows.get(round(float(y)), 0), float(x1))
    ends = [rows[y] for y in sorted(rows)]
    assert len(ends) == 16
    for paragraph in (ends[:8], ends[8:]):
        for x1 in paragraph[:-1]:
            assert max(ends) - x1 < 1.5


# Four "低碳发展，" fill a line of 20 em exactly: every line but the last ends with "，".
COMMAS = '<p style="width: 210pt; text-indent: 0">' + "低碳发展，" * 10 + "低碳发展。</p>"


def test_a_closing_mark_ending_a_line_is_set_half_width(tmp_path):
    rows = lines(render(tmp_path, SPACED.format(COMMAS)))
    left = min(x0 for x0, _, _ in rows)
    assert [text[-1] for _, _, text in rows] == ["，", "，", "。"]
    for _, x1, text in rows[:-1]:
        # The mark's ink (its left half) ends at the edge; pdftotext's box for it, a
        # whole em, half an em beyond; the half em went between the characters.
        assert abs(x1 - (left + 210 + 10.5 / 2)) < 0.5, text


def test_a_closing_mark_ending_a_line_is_full_width_unless_asked(tmp_path):
    rows = lines(render(tmp_path, COMMAS))
    left = min(x0 for x0, _, _ in rows)
    for _, x1, text in rows[:-1]:
        assert abs(x1 - (left + 210)) < 0.5, text


def test_shrink_to_fit_boxes_make_room_for_latin_spacing(tmp_path):
    box = '<span style="display:inline-block; border:1px solid">2017年第18期（总第106期）</span>'
    found = words(render(tmp_path, SPACED.format(f'<p style="text-indent:0">{box}</p>')))
    assert "".join(w for _, _, w in found) == "2017年第18期（总第106期）"
    out = subprocess.run(["pdftotext", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True).stdout
    assert len([line for line in out.splitlines() if line.strip()]) == 1  # not wrapped


def test_latin_spacing_across_inline_elements(tmp_path):
    spaced = words(render(tmp_path, SPACED.format('<p style="text-indent: 0">生<b>CCER</b>态</p>')))
    assert [w for _, _, w in spaced] == ["生", "CCER", "态"]
    for (_, end, _), (start, _, _) in zip(spaced, spaced[1:]):
        assert abs(start - end - 10.5 * 0.25) < 0.3


def test_latin_spacing_across_inline_elements_keeps_lines_in_the_column(tmp_path):
    # 生<b>CCER</b>态: the quarter ems are at the edges of the bold text.
    text = "四川省明确提出将低碳发展作为经济社会发展的重大战略和生<b>CCER</b>态文明建设的重要途径按照工作方案四川将制定应对"
    rows = lines(render(tmp_path, SPACED.format(f'<p style="width: 210pt; text-indent: 0">{text * 3}</p>')))
    left = min(x0 for x0, _, _ in rows)
    assert any("CCER" in t for _, _, t in rows[:-1])
    for _, x1, line in rows[:-1]:
        assert abs(x1 - (left + 210)) < 1, line  # flush, and not beyond the column


def test_shrink_to_fit_box_with_latin_across_elements_keeps_its_text_inside(tmp_path):
    box = '<span style="display: inline-block; border: 1px solid">2017年第<b>18</b>期（总第106期）</span>之后'
    document = weasyprint.HTML(string=HEAD + SPACED.format(f'<p style="text-indent: 0">{box}</p>')).render()

    def find(box, kind):
        if isinstance(box, kind):
            yield box
        for child in getattr(box, "children", ()):
            yield from find(child, kind)

    block = next(find(document.pages[0]._page_box, boxes.InlineBlockBox))
    texts = list(find(block, boxes.TextBox))
    assert "".join(t.text for t in texts) == "2017年第18期（总第106期）"
    assert max(t.position_x + t.width for t in texts) <= block.content_box_x() + block.width + 0.01


def test_half_width_line_end_on_a_justified_line(tmp_path):
    # 3 pt more than four "低碳发展，": the line is justified, and its last mark goes half width.
    rows = lines(render(tmp_path, SPACED.format(COMMAS.replace("210pt", "213pt"))))
    left = min(x0 for x0, _, _ in rows)
    assert [text[-1] for _, _, text in rows] == ["，", "，", "。"]
    for _, x1, text in rows[:-1]:
        assert abs(x1 - (left + 213 + 10.5 / 2)) < 0.5, text


# --- 标点挤压 (clreq §3.1.6) ------------------------------------------------------


def test_of_two_marks_in_a_row_the_one_whose_blank_meets_the_other_is_halved():
    text = "中。（中》（中”）中）：中、“中《（中"
    halved = [text[i] for i in compressed_marks(text)]
    assert halved == ["。", "》", "”", "）", "、", "（"]
    assert compressed_marks("”）。") == (0, 1)  # a run of three: the first two
    assert compressed_marks("中，中。") == ()  # a mark alone keeps its em
    assert compressed_marks("——……") == ()


PAIRS = "中。（中》（中”）中）、中"  # 13 characters, 4 pairs


@pytest.mark.parametrize("align", ["left", "justify"])
def test_consecutive_marks_take_one_and_a_half_em_on_every_line(tmp_path, align):
    # The same pairs on lines of different slack (three column widths, each line of the
    # paragraph has its own): the halved mark is half an em wide on every line.
    for width in ("120pt", "131pt", "157pt"):
        paragraph = f'<p style="width: {width}; text-align: {align}; text-indent: 0">{PAIRS * 6}</p>'
        rows = text_lines(render(tmp_path, paragraph))
        assert "".join(text for text, _ in rows) == PAIRS * 6  # the real characters, in order
        checked = 0
        for text, lefts in rows:
            for i in range(len(text) - 1):
                if text[i] in "。》”）" and text[i + 1] in "（”）、":
                    assert lefts[i + 1] - lefts[i] == pytest.approx(10.5 / 2, abs=0.2), (width, text)
                    checked += 1
        assert checked >= 15  # all but those a line break parts


@pytest.mark.parametrize("align", ["right", "justify", "left"])
def test_a_pair_that_a_line_break_parts_is_set_full_width_and_stays_in_the_column(tmp_path, align):
    # 6 em: 中中中中中。 fills the first line; （ starts the next. Were 。 measured half width
    # (as in the longer text where it meets （), the line would be set half an em short
    # and 。, drawn full width, would stand out of the column.
    rows = lines(render(tmp_path, f'<p style="width: 63pt; text-align: {align}; text-indent: 0">中中中中中。（中中</p>'))
    assert [text for _, _, text in rows] == ["中中中中中。", "（中中"]
    left = 10 / 25.4 * 72  # the page's margin
    x0, x1, _ = rows[0]
    assert x0 == pytest.approx(left, abs=0.3) and x1 == pytest.approx(left + 63, abs=0.3)


def test_a_last_character_that_cannot_be_pulled_back_takes_another_down_with_it(tmp_path):
    # 22 em wide, no indent: 23 characters and ”） leave 字”） alone on the second line; the
    # first line cannot take them in (2.5 em, a hair of its gaps is not enough), so it
    # gives one more character to the last line and is widened to the column by its gaps.
    style = "<style>p.narrow { width: 22em; text-indent: 0; font-size: 10.5pt }</style>"
    text = "节能降碳绿色发展能源消费总量强度双控目标责任考" + "”）"  # 23 Han characters
    rows = lines(render(tmp_path, f'{style}<p class="narrow">{text}</p>'))
    assert [row[2] for row in rows] == [text[:21], text[21:]]
    left, right, _ = rows[0]
    assert right - left == pytest.approx(22 * 10.5, abs=1)  # flush with the column
    plain = subprocess.run(["pdftotext", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True).stdout
    assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", plain)  # widened within the cap: no spaces copied out


@pytest.mark.parametrize("setting", ["full", "half"])
def test_an_opening_bracket_that_starts_a_line_is_set_as_the_setting_says(tmp_path, setting):
    import pymupdf

    style = f"<style>p.brackets {{ width: 22em; --cjk-line-start: {setting} }}</style>"
    han = "节能减排" * 6
    lines_of = "<br>".join("（" + han[:20] + "）" for _ in range(3))
    render(tmp_path, f'{style}<p class="brackets">（一）{han[:17]}<br>{lines_of}</p>')
    rows = [[char for span in line["spans"] for char in span["chars"]]
            for block in pymupdf.open(tmp_path / "out.pdf")[0].get_text("rawdict")["blocks"]
            for line in block.get("lines", [])]
    left, half = 10 / 25.4 * 72, 10.5 / 2  # the page's margin; half an em
    first, *others = rows
    assert first[0]["origin"][0] == pytest.approx(left + 2 * 10.5, abs=0.05)  # the indent keeps its mark whole
    assert len(others) == 3
    for row in others:
        shift = half if setting == "half" else 0
        assert row[0]["c"] == "（" and row[0]["origin"][0] == pytest.approx(left - shift, abs=0.05)
        assert row[1]["origin"][0] == pytest.approx(left + 10.5 - shift, abs=0.05)  # 节 follows the ink
    text = subprocess.run(["pdftotext", str(tmp_path / "out.pdf"), "-"], capture_output=True, text=True).stdout
    assert "（节能减排" in text


def test_an_opening_bracket_inside_a_line_or_after_an_indent_stays_whole_when_line_starts_are_half(tmp_path):
    import pymupdf

    style = "<style>p.brackets { width: 22em; --cjk-line-start: half }</style>"
    render(tmp_path, f'{style}<p class="brackets"><span>前文前文<b>（括号）</b>后文</span></p>'
                     f'<p class="brackets">\n   （一）总体要求。</p>')
    rows = [[char for span in line["spans"] for char in span["chars"]]
            for block in pymupdf.open(tmp_path / "out.pdf")[0].get_text("rawdict")["blocks"]
            for line in block.get("lines", [])]
    chars = [char for row in rows for char in row]
    left = 10 / 25.4 * 72
    inner = next(i for i, char in enumerate(chars) if char["c"] == "（")
    assert chars[inner]["origin"][0] - chars[inner - 1]["origin"][0] == pytest.approx(10.5, abs=0.05)  # 文（: whole
    indented = next(row for row in rows if row[0]["c"] == "（" and row[1]["c"] == "一")
    assert indented[0]["origin"][0] == pytest.approx(left + 2 * 10.5, abs=0.05)  # the indent keeps it whole


def test_a_centred_caption_never_leaves_one_character_alone(tmp_path):
    style = "<style>p.caption { width: 22em; text-indent: 0; text-align: center }</style>"
    caption = "各省区市十三五碳排放强度下降目标及能耗强度下降"  # 23 characters: a line of 22 and one alone
    rows = lines(render(tmp_path, f'{style}<p class="caption">{caption}</p>'))
    assert len(rows) == 2 and len(rows[-1][2].replace(" ", "")) >= 2, rows
    assert "".join(row[2] for row in rows).replace(" ", "") == caption.replace(" ", "")
