"""The print edition set as a typesetter sets a bulletin (issue 14), read back from the PDF:
the sample issue measured as `bench/typography.py` measures it, and small fixtures for
each rule."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pymupdf
import pytest
from conftest import article, write
from typography import measure, whole_lines

from builder.cli import main

BODY = 10.5  # pt, the body's size
PITCH = 10.5 * 1.45  # pt, its line pitch
ROOT = Path(__file__).resolve().parent.parent


def build(site: Path) -> Path:
    """The site built; its folder of PDFs."""
    assert main(["build", "--site", str(site)]) == 0
    return site / "output" / "pdf"


@pytest.fixture(scope="module")
def measured(sample_pdf):
    return measure(sample_pdf)


def test_every_pair_of_full_width_marks_is_compressed(measured):
    assert measured.pairs >= 150  # the sample has some 180 (”） 。（ 》（ ）、 …)
    assert measured.uncompressed == []


def spans(page: pymupdf.Page) -> list[dict]:
    return [span for block in page.get_text("dict")["blocks"] for line in block.get("lines", [])
            for span in line["spans"] if span["text"].strip()]


def test_the_running_head_names_the_section_at_the_top_of_each_page(sample_pdf):
    document = pymupdf.open(sample_pdf)
    # Where each section starts: its bookmark (level 1), the contents' aside.
    starts = [(entry[2], entry[3]["to"].y) for entry in document.get_toc(simple=False)
              if entry[0] == 1 and entry[1].startswith("【")]
    names = [entry[1] for entry in document.get_toc(simple=False) if entry[0] == 1 and entry[1].startswith("【")]
    assert len(starts) == 5
    checked = 0
    for number in range(2, document.page_count + 1):
        page = document[number - 1]
        head = "".join(span["text"] for span in spans(page)
                       if span["bbox"][1] < 66 and span["bbox"][0] > page.rect.width / 2).strip()
        top = min(span["bbox"][1] for span in spans(page) if span["bbox"][1] > 66)
        # The section the page's text starts in: the last to start before it, or one that opens the page.
        current = [name for name, (first, y) in zip(names, starts)
                   if first < number or (first == number and y <= top + 4)]
        assert head == current[-1], f"page {number}: the head says {head}, the text is in {current[-1]}"
        checked += 1
    assert checked == document.page_count - 1


def horizontal_rules(page: pymupdf.Page) -> list[pymupdf.Rect]:
    """The horizontal rules drawn on the page, each as a thin rectangle: a border drawn as
    two rectangles filled even-odd (WeasyPrint's way) gives its top and bottom bands."""
    found = []
    for drawing in page.get_drawings():
        rects = [item[1] for item in drawing["items"] if item[0] == "re"]
        if len(rects) == 2:
            first, second = rects
            x0, x1 = min(first.x0, second.x0), max(first.x1, second.x1)
            bands = [pymupdf.Rect(x0, min(first.y0, second.y0), x1, max(first.y0, second.y0)),
                     pymupdf.Rect(x0, min(first.y1, second.y1), x1, max(first.y1, second.y1))]
        else:
            bands = rects
        for item in drawing["items"]:  # a collapsed table border: a stroked line per cell
            if item[0] == "l" and abs(item[1].y - item[2].y) < 0.01:
                half = (drawing.get("width") or 1) / 2
                bands.append(pymupdf.Rect(min(item[1].x, item[2].x), item[1].y - half,
                                          max(item[1].x, item[2].x), item[1].y + half))
        found += [band for band in bands if 0.1 < band.height < 1.5]
    merged: list[pymupdf.Rect] = []  # the pieces of one rule (one per cell) joined
    for band in sorted(found, key=lambda band: (round(band.y0, 1), band.x0)):
        if merged and abs(merged[-1].y0 - band.y0) < 0.05 and band.x0 <= merged[-1].x1 + 0.5:
            merged[-1] = merged[-1] | band
        elif not any(abs(rule.y0 - band.y0) < 0.05 and abs(rule.x0 - band.x0) < 0.5 for rule in merged):
            merged.append(band)
    return [rule for rule in merged if rule.width > 40]


def test_the_running_head_stands_on_one_rule(sample_pdf):
    page = pymupdf.open(sample_pdf)[1]
    rules = [rule for rule in horizontal_rules(page) if rule.y1 < 90]
    assert len(rules) == 1, rules
    body = [span["bbox"] for span in spans(page) if span["bbox"][1] > 90]
    left, right = min(box[0] for box in body), max(box[2] for box in body)
    assert abs(rules[0].x0 - left) < 2 and abs(rules[0].x1 - right) < 2  # across the text's width


def test_the_columns_are_a_whole_number_of_characters_wide(sample_pdf):
    page = pymupdf.open(sample_pdf)[5]
    mid = page.rect.width / 2
    lefts = sorted({round(span["bbox"][0], 1) for span in spans(page) if span["size"] == BODY and span["bbox"][0] < mid})
    rights = [span["bbox"][2] for span in spans(page) if span["size"] == BODY and span["bbox"][2] < mid]
    width = max(rights) - lefts[0]
    assert width == pytest.approx(22 * BODY, abs=0.6)  # 22 characters, not 22.4


def test_a_long_entry_of_the_contents_hangs_and_keeps_its_number_on_its_last_line(sample_pdf):
    page = pymupdf.open(sample_pdf)[0]
    rows: list[list[dict]] = []  # the contents' lines: their spans, by baseline (within 2 pt)
    for span in sorted((s for s in spans(page) if 9.5 <= s["size"] <= 10.2), key=lambda s: s["origin"][1]):
        if rows and abs(rows[-1][0]["origin"][1] - span["origin"][1]) < 2:
            rows[-1].append(span)
        else:
            rows.append([span])
    lines = [(min(s["bbox"][0] for s in row), max(s["bbox"][2] for s in row),
              "".join(s["text"] for s in sorted(row, key=lambda s: s["bbox"][0]))) for row in rows]
    left = min(x0 for x0, _, _ in lines)
    right = max(x1 for _, x1, _ in lines)
    numbers = [x1 for _, x1, text in lines if text.rstrip()[-1:].isdigit()]
    assert len(numbers) == 25 and max(numbers) - min(numbers) < 0.5  # one column of page numbers
    unfinished = [(x0, x1, text) for x0, x1, text in lines if not text.rstrip()[-1:].isdigit()]
    assert unfinished, "no entry of the sample's contents wraps: the test has nothing to look at"
    for _, x1, text in unfinished:  # a line that is not an entry's last stops short of the numbers
        assert x1 < right - 10, text
    for x0, _, text in lines:
        if x0 > left + 5:  # a continuation: under the first line's text, 1 em in
            assert x0 == pytest.approx(left + 10, abs=1), text
    continued = [text for x0, _, text in lines if x0 > left + 5]
    assert len(continued) == len(unfinished)
    assert all(text.rstrip()[-1:].isdigit() and "..." in text for text in continued)  # leader and number


def test_the_title_in_a_title_is_marked_with_angle_brackets_in_both_editions(sample, sample_pdf):
    expected = "《关于印发〈循环发展引领行动〉的通知》"
    page = (sample / "output/issues/2017-18/policy-2/index.html").read_text(encoding="utf-8")
    assert expected in page
    text = subprocess.run(["pdftotext", str(sample_pdf), "-"], capture_output=True, text=True).stdout
    assert expected in "".join(text.split())


# --- fixtures -------------------------------------------------------------------------


def page_with(pdf: Path, text: str) -> pymupdf.Page:
    return next(page for page in pymupdf.open(pdf) if text in page.get_text())


def one_article(site: Path, body: str) -> Path:
    """The fixture site with its first issue holding this one article; the issue's folder."""
    folder = next(p for p in sorted((site / "content" / "issues").iterdir()) if p.is_dir())
    for old in folder.glob("*.md"):
        old.unlink()
    write(folder / "01-only.md", article(title="一篇", date="2017-01-05", body=body))
    return folder


LONG = "各地区、各部门要切实加强组织领导，明确责任分工，认真抓好贯彻落实。" * 3


def test_no_paragraph_of_the_sample_ends_with_one_character_alone(measured):
    assert measured.lone == []  # 段末孤字: 18 before, 5 in Typst's setting of the same text


HAN = "节能降碳绿色发展能源消费总量强度双控目标责任考核评价体系建设"


@pytest.mark.parametrize("ending", ["。", "", "。”", "）。", "**。"])
def test_a_paragraph_never_ends_with_one_character_alone(site, newsletter, ending):
    # Paragraphs of every length up to three lines: some would leave one character (with
    # its marks) alone on their last line, unless it is pulled back (the line's marks, a
    # hair of its gaps) or a second one sent down to it. "**。": the words in bold, the
    # full stop after them outside (a box of its own, which the last line must hold too).
    paragraphs = [(HAN * 4)[n % 7:n % 7 + length] + ending.strip("*") for n, length in enumerate(range(10, 70))]
    source = [f"**{text[:-1]}**。" if ending == "**。" else text for text in paragraphs]
    folder = one_article(site, "\n\n".join(source))
    pdf = build(site) / f"{folder.name}.pdf"
    assert measure(pdf).lone == []
    body = "".join(span["text"] for page in pymupdf.open(pdf) for span in spans(page) if span["size"] == BODY)
    for paragraph in paragraphs:
        assert paragraph in body  # every character kept, in order


def test_no_line_of_the_sample_has_a_hole(measured):
    assert measured.holes == []  # p28's 2020 年，营运客车…下降 2.1%， had 1.9 em beside 2020 (Typst: 0)


def test_a_range_breaks_after_its_tilde_rather_than_leave_a_hole(site, newsletter):
    # 2.4°C~2.6°C at every place in a line: where it meets the line's end it breaks after
    # the tilde, and no line is left with a gap wider than 0.75 em (p37 of the sample had
    # one of 2.8 em); the tilde and the figures copy out as they were written.
    sentences = "".join(f"{HAN[:n]}升温2.4°C~2.6°C，" for n in range(1, 23))
    folder = one_article(site, sentences[:-1] + "。")
    pdf = build(site) / f"{folder.name}.pdf"
    assert measure(pdf).holes == []
    rows = [line for page in pymupdf.open(pdf) for line in page.get_text().splitlines()]
    assert any(line.endswith("~") for line in rows), rows
    body = "".join(span["text"] for page in pymupdf.open(pdf) for span in spans(page) if span["size"] == BODY)
    assert body.count("2.4°C~2.6°C") == 22  # the zero-width space that allows the break copies out as nothing


def test_a_web_address_is_printed_once_at_the_foot_of_the_page_and_links_in_the_text_colour(site, newsletter):
    folder = one_article(site, f"据[国家发展改革委](https://www.ndrc.gov.cn/xxgk/)消息，{LONG}\n\n"
                      f"再见[该委网站](https://www.ndrc.gov.cn/xxgk/)。{LONG}\n\n"
                      "网址 https://www.ccchina.org.cn/ 如上。")
    pdf = build(site) / f"{folder.name}.pdf"
    document = pymupdf.open(pdf)
    found = [(number, span) for number, page in enumerate(document) for span in spans(page)
             if "ndrc.gov.cn" in span["text"]]
    assert len(found) == 1  # once
    _, note = found[0]
    assert note["size"] < BODY  # a note's size, at the foot of the page
    assert note["bbox"][1] > document[found[0][0]].rect.height * 0.7
    body_colour = next(span["color"] for span in spans(document[found[0][0]]) if "各地区" in span["text"])
    link = next(span for page in document for span in spans(page) if "国家发展改革委" in span["text"])
    assert link["color"] == body_colour
    text = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split())
    assert text.count("ccchina.org.cn") == 1  # shown in the text already: no note


def test_headings_are_set_by_their_rank(site, newsletter):
    paragraph = "本章规定了认证的基本要求，适用于各类认证机构。" * 4
    folder = one_article(site, f"## 第一章 总则\n\n{paragraph}\n\n### 第一节 范围\n\n{paragraph}\n\n"
                      f"#### 一、基本要求\n\n{paragraph}\n\n#### （一）认证范围\n\n{paragraph}")
    page = page_with(build(site) / f"{folder.name}.pdf", "第一节")
    by_text = {span["text"].strip(): span for span in spans(page)}
    chapter, part, item, subitem = (by_text[k] for k in ("第一章 总则", "第一节 范围", "一、基本要求", "（一）认证范围"))
    mid = page.rect.width / 2
    body = [span["bbox"][0] for span in spans(page) if span["size"] == BODY]
    lefts = (min(x for x in body if x < mid), min(x for x in body if x > mid))

    def column_left(span: dict) -> float:
        return lefts[span["bbox"][0] > mid]

    assert chapter["size"] > BODY and "Sans" in chapter["font"]
    assert part["size"] == BODY and "Sans" in part["font"]
    assert "Sans" in item["font"] and "Sans" in subitem["font"] and "Bold" in subitem["font"]
    for centred in (chapter, part):
        middle = (centred["bbox"][0] + centred["bbox"][2]) / 2
        assert middle == pytest.approx(column_left(centred) + 11 * BODY, abs=3)
    for indented in (item, subitem):
        assert indented["bbox"][0] == pytest.approx(column_left(indented) + 2 * BODY, abs=1.5)


def test_a_table_is_a_three_line_table_and_never_breaks_a_name(site, newsletter):
    rows = "\n".join(f"| 北京、天津、河北、上海、江苏、浙江、山东、广东{n} | {n}% |" for n in range(4))
    folder = one_article(site, f"{LONG}\n\n| 省（区、市） | 下降目标 |\n| --- | --- |\n{rows}\n\n{LONG}")
    pdf = build(site) / f"{folder.name}.pdf"
    page = page_with(pdf, "下降目标")
    table = [span["bbox"] for span in spans(page) if "北京" in span["text"] or "下降目标" in span["text"]]
    top, bottom = min(box[1] for box in table), max(box[3] for box in table)
    rules = [rule for rule in horizontal_rules(page) if top - 8 < rule.y0 < bottom + 8]
    assert len(rules) == 3, rules  # above, under the header, below; none between rows
    assert rules[0].height > rules[1].height < rules[2].height  # heavy, thin, heavy
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    for line in text.splitlines():
        for name in ("北京", "天津", "河北", "上海", "江苏", "浙江", "山东", "广东"):
            assert not line.rstrip().endswith(name[0]), line  # 江/苏


def test_check_warns_of_half_width_punctuation_among_chinese_characters_at_its_line(site, newsletter):
    folder = one_article(site, "第一段。\n\n欧盟(EU)表示,将继续推进。\n\n网址 https://example.org/a?b=c 与 Python3: 无妨。")
    run = newsletter("check", "--site", site)
    said = [line for line in run.out.splitlines() + run.err.splitlines() if "half-width" in line]
    assert len(said) == 1, run.out + run.err
    assert f"{folder.name}/01-only.md:" in said[0] and "( ) ," in said[0]
    line = int(said[0].split("01-only.md:")[1].split(":")[0])
    assert (folder / "01-only.md").read_text(encoding="utf-8").splitlines()[line - 1].startswith("欧盟(EU)")


# --- the tagged PDF ----------------------------------------------------------------------


def structure(pdf: Path) -> tuple[dict, list[tuple[int, str, str]]]:
    """The PDF's catalogue and its tag tree, depth first: (depth, tag, alt text), read with pypdf."""
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject

    root = PdfReader(pdf).trailer["/Root"]
    found: list[tuple[int, str, str]] = []

    def walk(element, depth: int) -> None:  # noqa: ANN001 (pypdf's objects)
        element = element.get_object()
        if not isinstance(element, DictionaryObject) or "/S" not in element:
            return
        found.append((depth, str(element["/S"]), str(element.get("/Alt", ""))))
        kids = element.get("/K")
        kids = kids.get_object() if kids is not None else []
        for kid in kids if isinstance(kids, ArrayObject) else [kids]:
            walk(kid, depth + 1)

    if "/StructTreeRoot" in root:
        kids = root["/StructTreeRoot"].get_object()["/K"].get_object()
        for kid in kids if isinstance(kids, ArrayObject) else [kids]:
            walk(kid, 0)
    return root, found


def test_the_print_edition_is_a_tagged_pdf_ua_in_chinese(sample_pdf, measured):
    root, tags = structure(sample_pdf)
    assert root["/Lang"] == "zh-CN" and root["/MarkInfo"]["/Marked"]
    xmp = root["/Metadata"].get_object().get_data().decode()
    assert "pdfuaid:part" in xmp and "节能减排信息动态" in xmp
    kinds = [tag for _, tag, _ in tags]
    assert kinds[0] == "/Document"
    # The masthead's title first, then the contents (a list of 25 entries, each a link),
    # then the five sections' markers and the 25 articles' titles, in the order they print.
    assert kinds.index("/H1") < kinds.index("/L") < kinds.index("/Table")
    assert kinds.count("/Link") >= 25
    headings = [tag for tag in kinds if tag in ("/H2", "/H3")]
    assert len(headings) >= 1 + 5 + 25  # 目录, the sections, the articles
    # reading-2's table: a header row of two cells, five rows of two.
    assert kinds.count("/TH") == 2 and kinds.count("/TD") == 10
    assert kinds.count("/P") > 400


def test_a_picture_is_tagged_as_a_figure_with_its_alt_text(site, newsletter):
    picture = next(p for p in sorted((site / "content/issues").glob("*/images/*")) if p.suffix == ".png")
    folder = one_article(site, f"{LONG}\n\n![四川省碳排放总量示意图](images/{picture.name})\n\n{LONG}")
    if picture.parent.parent != folder:
        (folder / "images").mkdir(exist_ok=True)
        shutil.copy(picture, folder / "images" / picture.name)
    _, tags = structure(build(site) / f"{folder.name}.pdf")
    assert ("/Figure", "四川省碳排放总量示意图") in [(tag, alt) for _, tag, alt in tags]


@pytest.mark.parametrize(("variant", "says"), [("pdf/a-3a", 'pdfaid:part="3" pdfaid:conformance="A"'),
                                               ("pdf/a-2b", 'pdfaid:part="2" pdfaid:conformance="B"'),
                                               ("none", None)])
def test_the_pdf_standard_is_a_setting_of_site_yaml(site, newsletter, variant, says):
    yaml = site / "site.yaml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(text.replace("pdf:\n", f"pdf:\n  variant: {variant}\n") if "pdf:\n" in text
                    else text + f"pdf:\n  variant: {variant}\n", encoding="utf-8")
    pdf = next(build(site).glob("*.pdf"))
    root, tags = structure(pdf)
    xmp = root["/Metadata"].get_object().get_data().decode() if "/Metadata" in root else ""
    if says is None:
        assert tags == [] and "pdfaid" not in xmp and "pdfuaid" not in xmp
    else:
        assert says in xmp
        assert bool(tags) == variant.endswith("a")  # A-…a is tagged, …b is not


def test_an_unknown_pdf_standard_is_an_error_at_its_line(site, newsletter):
    yaml = site / "site.yaml"
    text = yaml.read_text(encoding="utf-8")
    yaml.write_text(text + "pdf:\n  variant: pdf/x-4\n" if "pdf:\n" not in text
                    else text.replace("pdf:\n", "pdf:\n  variant: pdf/x-4\n"), encoding="utf-8")
    run = newsletter("build", "--site", site)
    assert run.code != 0
    assert "pdf.variant 'pdf/x-4' is not known" in run.err and "site.yaml:" in run.err and "pdf/ua-1" in run.err


def test_a_title_in_a_title_is_marked_in_the_text_and_never_in_code():
    from builder.render.markdown import render

    html = render("《关于印发<循环发展引领行动>的通知》与《a<b>c》。\n\n`《a<中>》`\n\n```\n《x<中>》\n```\n")
    assert "《关于印发〈循环发展引领行动〉的通知》" in html
    assert "《a&lt;b&gt;c》" in html  # no Chinese inside: not a title, left as typed
    assert "《a&lt;中&gt;》" in html and "《x&lt;中&gt;》" in html  # code is as typed


def test_a_link_in_a_note_or_a_heading_gets_no_note_of_its_own_and_a_cell_keeps_its_text():
    from builder.print.document import print_body

    html = ('<h2><a href="https://a.example/">标题</a></h2>'
            '<p>正文<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup></p>'
            '<div class="footnote"><ol><li id="fn:1"><p>见<a href="HTTPS://B.EXAMPLE/">网站</a>。'
            '<a class="footnote-backref" href="#fnref:1">↩</a></p></li></ol></div>'
            '<p>又见<a href="HTTPS://C.EXAMPLE/">此处</a>。</p>'
            '<table><tr><td>、北京、天津、河北、上海、江苏、浙江、山东、广东</td><td>1</td></tr></table>')
    out = print_body(html)
    assert out.count('class="page-footnote') == 2  # the note, and C's address; none for A or B
    assert "HTTPS://C.EXAMPLE/</span>" in out and "a.example/</span>" not in out
    assert "、北京、天津" in out.replace('<span class="unbroken">', "").replace("</span>", "")


def test_a_break_is_allowed_after_a_tilde_between_values_only_in_the_text():
    from builder.print.document import range_breaks

    def marked(text: str) -> str:
        return text.replace("~", "\u2060~\u200b")  # kept with what it follows, a break after it

    assert range_breaks("<p>升温2.4°C~2.6°C，5%~8%，2008年~2012年</p>") == marked("<p>升温2.4°C~2.6°C，5%~8%，2008年~2012年</p>")
    assert range_breaks('<a href="https://example.org/~user/1~2">2016~2020年</a>') == \
        '<a href="https://example.org/~user/1~2">' + marked("2016~2020年</a>")
    assert range_breaks("<pre><code>1~2</code></pre><code>3~4</code>5~6") == \
        "<pre><code>1~2</code></pre><code>3~4</code>" + marked("5~6")
    assert range_breaks("约 ~ 5，~1") == "约 ~ 5，~1"  # no value before or after it


def test_a_long_title_breaks_at_a_phrase_boundary_never_inside_a_word_or_a_number():
    from builder.render.titles import balanced, break_at

    guangzhou = "广州市人民政府办公厅关于印发广州市节能降碳第十三个五年规划（2016—2020年）的通知"
    assert str(balanced(guangzhou, 37)) == guangzhou.replace("第十三", "<br>第十三")  # not 2016—2020 / 年
    office = "中环联合认证中心应对气候变化部、国家应对气候变化战略研究和国际合作中心联合发布研究报告"
    assert str(balanced(office, 37)) == office.replace("、", "、<br>")  # not 应对气 / 候变化
    assert break_at("广州市人民政府办公厅关于印发节能降碳规划实施细则", 20) == 10  # 办公厅 / 关于
    assert break_at("江西省“十三五”控制温室气体排放工作方案", 37) is None  # one line holds it
    assert break_at("应对气候变化" * 8, 37) == 24  # no boundary that fits: balanced all the same
    assert break_at("，".join(["节能"] * 20000), 37) is None  # three lines or more: the line breaking decides
    assert str(balanced("<script>alert(1)</script>" + "节能" * 30 + "，" + "减排" * 10, 37)).startswith(
        "&lt;script&gt;alert(1)&lt;/script&gt;")


@pytest.mark.parametrize("middle", ["2020年", "30%", "十三个", "二〇二〇年", "CCER", "7.5亿吨"])
def test_a_title_with_no_phrase_boundary_is_balanced_and_never_breaks_a_number(middle):
    # Where no phrase boundary gives two lines that fit, the title is still set in two lines
    # of nearly equal length, broken between two Chinese characters, never inside a number,
    # a Latin word or a Chinese numeral, nor between a number and its unit; after 的 where
    # that costs little balance.
    from builder.render.titles import break_at, width

    for shift in range(6):
        title = "节能降碳减排" * 3 + "推进"[:shift % 3] + middle + "绿色低碳发展" * 3 + "建设工作会议"
        at = break_at(title, 30)
        assert at is not None, title
        first, second = title[:at], title[at:]
        assert abs(width(first) - width(second)) <= 2.5 + width(middle), (first, second)
        assert middle in first or middle in second, (first, second)  # whole, on one line
    assert break_at("节能降碳减排" * 3 + "绿色的" + "低碳发展建设" * 3 + "会议", 30) == 21  # …绿色的 / 低碳…


def test_a_long_article_title_is_set_in_two_lines_broken_at_a_phrase(site, newsletter):
    folder = next(p for p in sorted((site / "content" / "issues").iterdir()) if p.is_dir())
    for old in folder.glob("*.md"):
        old.unlink()
    title = "广州市人民政府办公厅关于印发广州市节能降碳第十三个五年规划（2016—2020年）的通知"
    write(folder / "01-only.md", article(title=title, body=LONG))
    pdf = build(site) / f"{folder.name}.pdf"
    page = page_with(pdf, "五年规划")
    heads = [span["text"].strip() for span in spans(page) if span["size"] == pytest.approx(13, abs=0.01)
             and span["text"].replace(" ", "").strip() in title]
    assert heads == ["广州市人民政府办公厅关于印发广州市节能降碳", "第十三个五年规划（2016—2020 年）的通知"]


SIGNERS = ["国家发展改革委", "科技部", "工业和信息化部", "财政部", "国土资源部", "环境保护部", "住房城乡建设部",
           "水利部", "农业部", "商务部", "国资委", "税务总局", "国家统计局", "国家林业局"]


def test_many_co_signers_are_set_in_rows_each_name_whole_the_date_under_them(site, newsletter):
    signature = "".join(f"{name}\n{{: .signature }}\n\n" for name in SIGNERS) + "2017年4月21日\n{: .signature }\n"
    folder = one_article(site, f"{LONG}\n\n{signature}")
    page = page_with(build(site) / f"{folder.name}.pdf", "国家林业局")
    rows = []  # each line of the block: its names, as the gaps between characters part them
    for block in page.get_text("rawdict")["blocks"]:
        for line in block.get("lines", []):
            chars = [char for span in line["spans"] for char in span["chars"] if char["c"].strip()]
            if not chars or not "".join(char["c"] for char in chars).startswith(tuple(SIGNERS)):
                continue
            names, gaps = [chars[0]["c"]], []
            for previous, char in zip(chars, chars[1:]):
                gap = char["origin"][0] - previous["origin"][0] - BODY
                if gap > 0.2 * BODY:
                    names.append("")
                    gaps.append(gap)
                names[-1] += char["c"]
            rows.append((line["bbox"][3], names, gaps))
    rows.sort()
    assert [name for _, names, _ in rows for name in names] == SIGNERS  # in order, each whole
    assert len(rows) <= 5  # rows across the column, not fourteen lines
    date = [line["bbox"][3] for block in page.get_text("dict")["blocks"] for line in block.get("lines", [])
            if "".join(span["text"] for span in line["spans"]).replace(" ", "") == "2017年4月21日"]
    assert len(date) == 1 and date[0] > rows[-1][0]  # the date under them
    assert all(gap < 0.75 * BODY for _, _, gaps in rows for gap in gaps)  # no hole in a row
    text = subprocess.run(["pdftotext", "-layout", str(folder.parent.parent.parent / "output" / "pdf" /
                                                       f"{folder.name}.pdf"), "-"], capture_output=True, text=True).stdout
    assert "国家发展改革委 科技部" in text  # the names copy out apart


def test_a_few_signers_stay_one_a_line():
    from builder.print.document import print_body

    html = '<p class="signature">辽宁省人民政府</p>\n<p class="signature">2017年4月21日</p>'
    assert print_body(html) == html
    long_names = "".join(f'<p class="signature">甘肃省应对气候变化及节能减排工作领导小组办公室{n}</p>' for n in range(5))
    assert "signers" not in print_body(long_names)  # two would not fit a row
    noted = ('<p class="signature">国家发展改革委<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup></p>'
             + "".join(f'<p class="signature">{name}</p>' for name in SIGNERS[1:4])
             + '<div class="footnote"><ol><li id="fn:1"><p>牵头。</p></li></ol></div>')
    printed = print_body(noted)
    assert "国家发展改革委牵头" not in printed and "page-footnote" in printed  # the note stays a note
    assert "signers" not in printed  # fewer than four plain names: one a line


def test_a_paragraph_all_in_bold_is_a_document_title_centred_not_a_numbered_heading():
    from builder.print.document import print_body

    def classes(html: str) -> str:
        return print_body(html).split(">")[0]

    assert classes("<p><strong>江西省“十三五”控制温室气体排放工作方案</strong></p>") == '<p class="document-title"'
    assert classes("<p><strong>一、总体要求</strong></p>") == "<p"  # a numbered heading, set by its rank
    assert classes("<p><strong>注意：</strong></p>") == "<p"  # a clause, not a title
    assert classes("<p><strong>标题</strong>正文。</p>") == "<p"  # bold words in a paragraph
    assert classes('<p class="signature"><strong>国家能源局</strong></p>') == '<p class="signature"'  # a 落款
    assert classes("<p><strong>（1）加强组织领导</strong></p>") == "<p"  # 公文's fourth heading level
    assert classes("<p><strong>附件1</strong></p>") == classes("<p><strong>2017年5月10日</strong></p>") == "<p"
    assert classes("<p><strong>请各单位于5月15日前报送</strong></p>") == "<p"  # an instruction names no document
    title = "广州市人民政府办公厅关于印发广州市节能降碳第十三个五年规划（2016—2020年）的通知"
    assert print_body(f"<p><strong>{title}</strong></p>") == (  # two lines of a column, broken at a phrase
        f'<p class="document-title"><strong>{title[:21]}<br/>{title[21:]}</strong></p>')


def test_a_signature_date_as_the_importer_marks_it_stays_under_the_signers():
    from builder.print.document import print_body

    for date in ("2017年5月10日印发", "二〇一七年五月十日"):
        html = "".join(f'<p class="signature">{name}</p>' for name in SIGNERS[:5]) + f'<p class="signature">{date}</p>'
        assert print_body(html).endswith(f'</p><p class="signature">{date}</p>')


def test_the_marks_that_let_a_range_break_are_not_counted_nor_compared():
    from builder.print.document import print_body

    url = "https://example.com/docs/2008~2012.pdf"
    linked = print_body(f'<p><a href="{url}">{url}</a></p>')
    assert "link-address" not in linked  # the address is printed once: it is the link's text
    cell = print_body("<table><tr><td>10~20万元</td><td>合计</td></tr></table>")
    assert '<td class="unbroken">10\u2060~\u200b20万元</td>' in cell  # a short cell kept whole


def test_the_sample_s_baselines_are_level_and_its_columns_end_full(measured):
    # Headings on the body's grid, a column after one that ends short ending on the same
    # line, the blank at a page's foot shared among its articles' gaps, and a paragraph's
    # first line allowed at a column's foot: 93% level before (1494 of 1600), XeLaTeX 81%,
    # Typst 100%. The two lines left: a heading keeping two lines of its text (p24) and an
    # article's end balanced over its signature block (p25).
    assert measured.right - measured.level <= 2, (measured.level, measured.right)
    # 16 columns more than two lines short before.
    assert measured.holes_in_feet() == []


def _baselines(page: pymupdf.Page) -> tuple[list[float], list[float]]:
    """The baselines of the body's text and headings (10.5 to 11 pt) in the page's left and
    right columns, top to bottom (the 9pt 发布日期 line and the 10pt closing lines aside)."""
    mid = page.rect.width / 2
    columns: tuple[set[float], set[float]] = (set(), set())
    for block in page.get_text("dict")["blocks"]:
        for line in block.get("lines", []):
            found = [span for span in line["spans"] if span["text"].strip()]
            if found and BODY <= found[0]["size"] <= 11 and 60 < line["bbox"][1] < 800:
                columns[line["bbox"][0] > mid].add(round(found[0]["origin"][1], 1))
    return sorted(columns[0]), sorted(columns[1])


def _baselines_on_the_grid(document: pymupdf.Document) -> int:
    """Assert every body baseline of every page but the first (the masthead's lines) is a
    whole number of pitches from its column's first; how many were checked."""
    checked = 0
    for page in list(document)[1:]:
        for column in _baselines(page):
            for baseline in column:
                steps = (baseline - column[0]) / PITCH
                assert abs(steps - round(steps)) * PITCH < 0.5, (page.number, baseline, column[0])
                checked += 1
    return checked


def test_headings_stand_on_the_lines_of_the_body(site, newsletter):
    # 第一章, 第一节, 一、 and （一） each take one line of the body's grid, as 公文 sets them:
    # every baseline of the column a whole number of pitches from its first one.
    paragraph = "本章规定了认证的基本要求，适用于各类认证机构。" * 3
    body = "\n\n".join(f"## 第{n}章 总则\n\n{paragraph}\n\n### 第一节 范围\n\n{paragraph}\n\n"
                       f"#### 一、基本要求\n\n{paragraph}\n\n#### （一）认证范围\n\n{paragraph}"
                       for n in "一二三四五六七八九")
    folder = one_article(site, body)
    document = pymupdf.open(build(site) / f"{folder.name}.pdf")
    assert _baselines_on_the_grid(document) > 60
    # None ends a column: each keeps two lines of its text under it in the same column.
    mid = document[0].rect.width / 2
    for page in document:
        for right in (False, True):
            rows = sorted((line["bbox"][1], "Sans" in line["spans"][0]["font"])
                          for block in page.get_text("dict")["blocks"] for line in block.get("lines", [])
                          if line["spans"] and line["spans"][0]["text"].strip() and (line["bbox"][0] > mid) == right
                          and line["spans"][0]["size"] in (BODY, 11) and 60 < line["bbox"][1] < 800)
            for k, (_, heading) in enumerate(rows):
                after = rows[k + 1:k + 3]  # a heading right under it keeps for both
                assert not heading or after and (after[0][1] or len(after) == 2), (page.number, right, rows[k:])


def test_a_column_that_ends_short_has_the_next_end_on_the_same_line(site, newsletter):
    # Paragraphs of 2 to 9 lines over several pages: where a paragraph's first or last two
    # lines are kept together, the left column ends a line or two short of the foot, and the
    # right column then ends on that line too (栏底平齐), not one below it.
    lengths = [3, 7, 2, 5, 9, 3, 4, 8, 2, 6, 3, 5]
    paragraphs = [(HAN * 12)[n:n + 21 * lines - 10] + "。" for n, lines in enumerate(lengths * 6)]
    folder = one_article(site, "\n\n".join(paragraphs))
    document = pymupdf.open(build(site) / f"{folder.name}.pdf")
    assert document.page_count >= 4
    for page in list(document)[1:-1]:  # the first under the masthead, the last balanced
        left, right = _baselines(page)
        assert right[-1] <= left[-1] + 1, (page.number, left[-1], right[-1])
        level = sum(any(abs(y - x) < 1 for x in left) for y in right)
        assert level == len(right), (page.number, level, len(right))


def _titles(pdf: Path) -> dict[int, list[float]]:
    """The tops of the article titles below the top of each page but the last, by page."""
    document = pymupdf.open(pdf)
    found: dict[int, list[float]] = {}
    for page in list(document)[:-1]:
        for span in spans(page):
            if "篇文章的标题" in span["text"] and span["size"] > 12 and span["bbox"][1] > 100:
                found.setdefault(page.number, []).append(span["bbox"][1])
    return found


@pytest.mark.parametrize("lengths", [[8, 14, 8, 2, 6, 10, 9, 8, 14, 6, 9, 7],
                                     [4, 11, 14, 14, 3, 6, 3, 9, 14, 9, 9, 12],
                                     [5, 11, 10, 4, 7, 11, 9, 12, 11, 3, 11, 2]])
def test_the_blank_at_a_page_s_foot_is_shared_among_the_gaps_between_its_articles(site, newsletter, lengths):
    # Articles of many lengths (paragraphs of three to four lines). Where the next article's
    # title and its first lines do not fit under the last one on a page, the page's foot is
    # not left blank: the gaps before the articles on it open instead, each by the same
    # amount, at most three lines. The same issue set with `--page-fill: none` (a site's own
    # print stylesheet may say so) shows where the titles stood before.
    folder = next(p for p in sorted((site / "content" / "issues").iterdir()) if p.is_dir())
    for old in folder.glob("*.md"):
        old.unlink()
    for n, count in enumerate(lengths):
        text = "\n\n".join((HAN * 8)[k:k + 60 + 7 * (k % 5)] + "。" for k in range(count))
        write(folder / f"{n + 1:02d}-article-{n + 1}.md", article(title=f"第{n + 1}篇文章的标题", body=text))
    stylesheet = (ROOT / "themes/default/templates/print/issue.css").read_text(encoding="utf-8")
    assert stylesheet.count("--page-fill: stretch") == 2
    override = write(site / "templates/print/issue.css", stylesheet.replace("--page-fill: stretch", "--page-fill: none"))
    pdf = build(site) / f"{folder.name}.pdf"
    before, feet_before = _titles(pdf), measure(pdf).feet
    override.unlink()
    pdf = build(site) / f"{folder.name}.pdf"
    after, feet_after = _titles(pdf), measure(pdf).feet
    assert before.keys() == after.keys()  # the same articles on the same pages
    opened = 0
    for number, tops in before.items():
        moved = [new - old for old, new in zip(tops, after[number])]
        share = moved[0]
        assert all(step == pytest.approx(share * (k + 1), abs=0.3) for k, step in enumerate(moved)), moved
        assert -0.3 < share <= 3 * PITCH + 0.3  # three lines a gap at most
        if number == 0:
            continue  # the masthead's page: its feet are not measured
        blank_before = max(whole_lines(foot) for foot in feet_before if foot.page == number + 1)
        blank_after = max(whole_lines(foot) for foot in feet_after if foot.page == number + 1)
        if share > 0.3:
            opened += 1
            assert blank_after == blank_before - round(len(moved) * share / PITCH)
        assert blank_after <= 2 or share == pytest.approx(3 * PITCH, abs=0.3), (number, blank_before, moved)
    assert opened >= 1


def test_a_section_s_name_is_never_parted_from_its_first_article(sample_pdf):
    # The gaps a page's blank opens are before articles and sections, never between a
    # section's name and its first article's title: the same distance on every page.
    distances = set()
    for page in pymupdf.open(sample_pdf):
        found = spans(page)
        for name in (span for span in found if span["size"] >= 13.5 and span["text"].startswith("【")):
            titles = [span["bbox"][1] for span in found if 12 < span["size"] < 13.5 and span["bbox"][1] > name["bbox"][1]]
            distances.add(round(min(titles) - name["bbox"][1], 1))
    assert len(distances) == 1, distances


def _articles_of_many_parts(folder: Path, seed: int, notes: bool = False) -> list[str]:
    """30 articles of headings, tables and paragraphs of many lengths, over three sections,
    with a footnote in every third if `notes`; the texts that must each appear once in the PDF."""
    import random

    chance = random.Random(seed)
    words = HAN + "各地区各部门要切实加强组织领导明确责任分工认真抓好贯彻落实"

    def paragraph(length: int) -> str:
        start = chance.randrange(len(words))
        return (words * 20)[start:start + length] + "。"

    for old in folder.glob("*.md"):
        old.unlink()
    texts = []
    for number in range(30):
        parts = []
        for k in range(chance.randrange(3, 9)):
            roll = chance.random()
            if roll < 0.3:
                parts.append(f"#### {'一二三四五六七八九'[k % 9]}、{paragraph(8)[:-1]}")
            elif roll < 0.45:
                parts.append("| 地区 | 目标 | 完成 |\n|---|---|---|\n| 北京 | 10 | 9 |\n| 上海 | 12 | 11 |")
            else:
                parts.append(f"段{number}x{k}" + paragraph(chance.choice([20, 30, 45, 60, 80, 110])))
                texts.append(f"段{number}x{k}")
        if notes and number % 3 == 0:
            parts.append(f"据统计{number}[^1]。\n\n[^1]: 第{number}篇的注：数据来源于国家统计局。")
        parts.append(f"文末标记{number}号。")
        texts.append(f"文末标记{number}号")
        section = ["市场热点", "政策聚焦", "国际资讯"][number * 3 // 30]
        write(folder / f"{number + 1:02d}-part-{number + 1}.md",
              article(title=f"第{number + 1}篇文章", section=section, body="\n\n".join(parts)))
    return texts


@pytest.mark.parametrize(("columns", "seed"), [(2, 8), (3, 1), (3, 8)])
def test_full_pages_and_level_feet_lose_no_text_and_break_no_page_early(site, newsletter, columns, seed):
    # Headings, tables and paragraphs of many lengths, in two columns and in three, as a
    # site's own print stylesheet may set them (where a column kept level with the one
    # before it is not the last: the text it gives up must find room in the next, never be
    # lost nor end the page early).
    folder = next(p for p in sorted((site / "content" / "issues").iterdir()) if p.is_dir())
    texts = _articles_of_many_parts(folder, seed)
    if columns == 3:
        stylesheet = (ROOT / "themes/default/templates/print/issue.css").read_text(encoding="utf-8")
        write(site / "templates/print/issue.css", stylesheet + "\n.body { column-count: 3; column-gap: 10.5pt; }\n")
    document = pymupdf.open(build(site) / f"{folder.name}.pdf")
    body = "".join(span["text"] for page in document for span in spans(page)).replace(" ", "")
    for text in texts:
        assert body.count(text.replace(" ", "")) == 1, text
    for page in list(document)[1:-1]:
        lowest = max(span["bbox"][3] for span in spans(page) if span["bbox"][3] < page.rect.height - 60)
        assert lowest > page.rect.height - 60 - 4 * PITCH, (page.number, lowest)  # no page ends early


def test_full_pages_move_only_the_flow_not_what_is_fixed_nor_over_the_footnotes(site, newsletter):
    # A site's own stylesheet with a stamp fixed on every page and a background behind each
    # section: opening the gaps moves neither the stamp nor the background over the notes
    # at the foot of the page.
    folder = next(p for p in sorted((site / "content" / "issues").iterdir()) if p.is_dir())
    _articles_of_many_parts(folder, 8, notes=True)
    stylesheet = (ROOT / "themes/default/templates/print/issue.css").read_text(encoding="utf-8")
    write(site / "templates/print/issue.css", stylesheet + "\n.section { background: #eeeeff; }\n"
          'body::after { content: "内部资料"; position: fixed; top: 2mm; right: 0; font-size: 9pt; }\n')
    document = pymupdf.open(build(site) / f"{folder.name}.pdf")
    stamps = {round(span["bbox"][1], 1) for page in list(document)[1:] for span in spans(page)
              if span["text"] == "内部资料"}
    assert len(stamps) == 1, stamps  # at the same place on every page (the first, WeasyPrint's own, aside)
    noted = 0
    for page in document:
        notes = [span["bbox"][1] for span in spans(page) if "的注：" in span["text"]]
        if not notes:
            continue
        noted += 1
        fills = [drawing["rect"] for drawing in page.get_drawings()
                 if drawing.get("fill") and all(abs(c - e) < 0.02 for c, e in zip(drawing["fill"], (14 / 15, 14 / 15, 1)))]
        assert fills and max(rect.y1 for rect in fills) < min(notes) - 6, (page.number, fills, notes)
    assert noted >= 3


@pytest.mark.parametrize("height", [37, 90, 151])
def test_a_picture_or_a_rule_takes_a_whole_number_of_lines(site, newsletter, height):
    # Pictures of any height, with their captions, and a rule: the lines after them stay on
    # the column's grid, level with the other column's (pdf: a whole number of pitches from
    # the column's first line).
    import zlib

    folder = next(p for p in sorted((site / "content" / "issues").iterdir()) if p.is_dir())
    rows = b"".join(b"\x00" + bytes([200, 120, 60]) * 64 for _ in range(height))
    chunk = lambda kind, data: (len(data).to_bytes(4, "big") + kind + data  # noqa: E731
                                + zlib.crc32(kind + data).to_bytes(4, "big"))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", (64).to_bytes(4, "big") + height.to_bytes(4, "big") + b"\x08\x02\x00\x00\x00")
           + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    (folder / "images" / "tall.png").write_bytes(png)
    paragraph = "本章规定了认证的基本要求，适用于各类认证机构。" * 3
    one_article(site, "\n\n".join(f"{paragraph}\n\n![图{n}　示意](images/tall.png)\n\n{paragraph}\n\n---"
                                   for n in range(1, 7)))
    document = pymupdf.open(build(site) / f"{folder.name}.pdf")
    assert _baselines_on_the_grid(document) > 10


def test_the_quarter_em_beside_latin_goes_to_letters_and_digits_only():
    # Not beside the 间隔号 (· or the • typed for it) nor between a Han character and an
    # ASCII bracket: p35's 欧盟(EU)表示，唐纳德•特朗普 is set without spaces.
    from builder.print.weasyprint_cjk.cjk import latin_gaps

    assert latin_gaps("欧盟(EU)表示，唐纳德•特朗普与马克·吐温") == ()
    assert latin_gaps("比2015年下降，CCER交易") == (0, 4, 12)  # after 比, after 2015, after CCER; not after ，
