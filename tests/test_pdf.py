"""The print edition, read the way a reader (and a PDF tool) sees it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, article, write
from pypdf import PdfReader

from builder.pipeline import load
from builder.print.document import print_document
from builder.print.pdf import render_pdf
from builder.render.themes import template_env

RAGGED = ROOT.parent / "shared" / "tools" / "ragged.py"
HAN = "\u4e00-\u9fff"
RUNNING_HEAD = ("节能减排信息动态", "2017年第18期（总第106期）")


def pdftotext(pdf: Path, first: int | None = None, last: int | None = None, *options: str) -> str:
    pages = ["-f", str(first), "-l", str(last or first)] if first else []
    return subprocess.run(["pdftotext", *options, *pages, str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout


def pdftotext_bytes(pdf: bytes, *options: str) -> str:
    return subprocess.run(["pdftotext", *options, "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def unspaced(text: str) -> str:
    """pdftotext's text without the spaces it reads into the quarter em set between
    汉字 and Latin letters or digits (pdf.latin_spacing)."""
    return re.sub(rf"(?<=[{HAN}]) (?=[0-9A-Za-z])|(?<=[0-9A-Za-z]) (?=[{HAN}])", "", text)


@pytest.fixture(scope="module")
def sample_archive(sample):
    archive, _ = load(sample)
    return archive


def test_masthead_on_page_one(sample_pdf):
    first = pdftotext(sample_pdf, 1)
    lines = [line.strip() for line in first.splitlines() if line.strip()]
    assert lines[0] == "节能减排信息动态"
    # A quarter em sets 汉字 and digits apart (clreq §3.2.1); pdftotext reads it as a space.
    assert lines[1] == "2017 年第 18 期（总第 106 期）"
    assert "中环联合认证中心应对气候变化部" in first and "2017 年 5 月 5 日" in first
    assert "目录" in squeeze(first) and "【市场热点】" in first
    assert "节能减排信息动态 2017 年第 18 期" not in first  # no running header on the first page
    assert "各地十三五规划中能耗和温室气体控制目标都如何？" in first  # the whole 目录 on the first page


def toc_entries(pdf: Path) -> list[tuple[str, int]]:
    """(title, page) as the table of contents prints them, wrapped titles joined."""
    text = pdftotext(pdf, 1, 2)
    toc = text[text.index("录") + 1:]
    # pdftotext reads the column of page numbers apart, each number after its entry's leader
    toc = re.sub(r"(\.{3,})\s*\n\s*(\d+)\s*\n", r"\1 \2\n", toc)
    entries, pending = [], ""
    for line in toc.splitlines():
        line = line.strip()
        if not line or line.startswith("【") or line.startswith("—") or unspaced(line) in RUNNING_HEAD:
            continue
        match = re.match(r"^(.*?)[\s.…]*?\.{3,}\s*(\d+)$", line)  # every entry has its dotted leader
        if match:
            entries.append((squeeze(pending + match.group(1)).rstrip("."), int(match.group(2))))
            pending = ""
        else:
            pending += line
    return entries


def test_every_article_is_on_the_page_the_contents_say(sample_pdf, sample_archive):
    entries = toc_entries(sample_pdf)
    titles = [squeeze(a.title) for a in sample_archive.issues[0].articles]
    assert [title for title, _ in entries] == titles
    for title, page in entries:
        assert title in squeeze(pdftotext(sample_pdf, page)), f"{title} is not on page {page}"


def test_running_header_and_page_number_on_a_middle_page(sample_pdf):
    page = pdftotext(sample_pdf, 10)
    head = unspaced("".join(page.strip().splitlines()[:5]))
    assert "节能减排信息动态" in head and "2017年第18期（总第106期）" in head and "【政策聚焦】" in head
    assert page.strip().splitlines()[-1].strip() == "— 10 —"


def test_page_number_style_from_site_yaml(site, newsletter):
    assert newsletter("build", "--site", site).code == 0
    text = pdftotext(site / "output/pdf/2017-01.pdf", 1)
    assert re.search(r"第1页共\d+页", squeeze(text))


def test_bookmarks_follow_sections_and_articles(sample_pdf, sample_archive):
    outline = PdfReader(sample_pdf).outline
    top = [item.title for item in outline if not isinstance(item, list)]
    assert top == ["目录", "【市场热点】", "【政策聚焦】", "【国内资讯】", "【国际资讯】", "【推荐阅读】"]
    children = [item.title for group in outline if isinstance(group, list) for item in group]
    assert [squeeze(t) for t in children] == [squeeze(a.title) for a in sample_archive.issues[0].articles]


def test_fonts_are_embedded_and_subset(sample_pdf):
    fonts = subprocess.run(["pdffonts", str(sample_pdf)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows, fonts
    for row in rows:
        assert "Noto" in row and re.search(r"\byes\s+yes\s+yes\b", row), row  # embedded, subset, unicode map


def test_metadata_comes_from_the_issue(sample_pdf):
    reader = PdfReader(sample_pdf)
    info = reader.metadata
    assert info.title == "节能减排信息动态 2017年第18期"
    assert info.author == "中环联合认证中心应对气候变化部"
    assert info.subject == "2017年第18期（总第106期）"
    assert info["/CreationDate"].startswith("D:20170505000000+08")
    assert reader.trailer["/Root"]["/Lang"] == "zh-CN"


def test_size(sample_pdf):
    # Under 1 MB untagged (0.92 MB); the tags of PDF/UA (pdf.variant's default: some 5,300
    # structure elements, a line each, and their marked content) add about 125 kB.
    assert sample_pdf.stat().st_size < 1_100_000


def test_lines_are_flush(sample_pdf):
    if not RAGGED.is_file():
        message = f"the measuring tool {RAGGED} is not beside the repository"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    measured = subprocess.run([sys.executable, str(RAGGED), str(sample_pdf)], capture_output=True, text=True,
                              check=True).stdout
    flush, total = map(int, re.match(r"flush (\d+) of (\d+)", measured).groups())
    assert total > 2000 and flush / total >= 0.99, measured


def test_text_copies_out_without_inserted_spaces(sample_pdf, sample_archive):
    text = pdftotext(sample_pdf)
    sources = "\n".join("\n".join((a.title, a.source, a.body.replace("*", ""))) for a in sample_archive.issues[0].articles)
    allowed = set(re.findall(rf"[{HAN}] [{HAN}]", sources))
    for written in sample_archive.issues[0].articles:  # co-signers set in a row copy out apart: 国家发展改革委 科技部
        lines = written.body.split("\n")
        signers = [line.strip() for line, after in zip(lines, lines[1:]) if after.strip() == "{: .signature }"]
        allowed |= {f"{name[-1]} {following[0]}" for name, following in zip(signers, signers[1:])}
    for chart in charts_of(sample_archive.issues[0].articles):  # a chart's labels stand apart, one under another
        labels = {char for label, _ in chart.rows for char in label} | set(chart.x + "".join(chart.series))
        allowed |= {f"{a} {b}" for a in labels for b in labels}
    assert set(re.findall(rf"[{HAN}] [{HAN}]", text)) <= allowed
    assert "合同能源管理" in squeeze(text)


def charts_of(articles) -> list:
    from builder.charts.spec import CHART_MARK, Chart

    return [Chart.from_json(line[len(CHART_MARK):]) for article in articles
            for line in article.body.split("\n") if line.startswith(CHART_MARK)]


def test_paragraphs_come_out_in_reading_order(sample_pdf, sample_archive):
    text = squeeze(pdftotext(sample_pdf))
    sichuan = next(a for a in sample_archive.issues[0].articles if a.title.startswith("四川"))
    for paragraph in [p for p in sichuan.body.split("\n\n") if p.strip()]:
        assert squeeze(paragraph) in text


def test_columns_are_laid_out_once_without_changing_a_byte(sample, sample_pdf, monkeypatch):
    """builder.print.weasyprint_cjk.columns takes a trial's columns instead of laying them out again: the
    PDF must be the very one WeasyPrint's own column layout gives."""
    import functools

    from builder.print import weasyprint_cjk
    from builder.print.weasyprint_cjk import columns

    archive, _ = load(sample)
    document = print_document(archive, archive.issues[0], template_env(archive.site))
    reused = []
    same_call = columns._same_call
    monkeypatch.setattr(columns, "_same_call", lambda *a: reused.append(same_call(*a)) or reused[-1])
    assert render_pdf(document).pdf == sample_pdf.read_bytes()
    assert sum(reused) > 20  # the saving is real: columns were taken from trials
    reused.clear()
    monkeypatch.setattr(weasyprint_cjk, "typesetting", functools.partial(weasyprint_cjk.typesetting, reuse_columns=False))
    assert render_pdf(document).pdf == sample_pdf.read_bytes()
    assert not reused  # laid out again by WeasyPrint itself


def test_archive_links_the_print_edition(sample):
    issue_page = (sample / "output/issues/2017-18/index.html").read_text(encoding="utf-8")
    assert 'href="../../pdf/2017-18.pdf"' in issue_page


def test_same_input_gives_the_same_bytes(site):
    archive, _ = load(site)
    document = print_document(archive, archive.issues[1], template_env(archive.site))
    assert render_pdf(document).pdf == render_pdf(document).pdf


def test_fixture_edition_has_note_closing_footnote_and_wide_table(site, newsletter):
    assert newsletter("build", "--site", site).code == 0
    pdf = site / "output/pdf/2017-01.pdf"
    text = squeeze(pdftotext(pdf))
    assert "编者按本期关注全国碳市场建设。" in text
    assert "编印：测试编印单位报送：有关部门" in text
    assert re.search(r"1\s+据交易所公告。\s+第1页共2页", pdftotext(pdf, 1, 1, "-layout"))  # at the foot of its page
    layout = pdftotext(pdf, None, None, "-layout")
    assert re.search(r"北京\s+50\.1\s+50\.5\s+12000", layout)  # four columns side by side across the page
    assert "附件：原始数据（https://example.com/data.xls）" in text


def test_no_pdf_flag(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert not (site / "output/pdf").exists()
    assert "pdf-link" not in (site / "output/issues/2017-01/index.html").read_text(encoding="utf-8")


def test_image_that_cannot_be_loaded_is_an_error_with_file_and_line(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    before = sorted(p.name for p in (site / "output").rglob("*"))
    write(site / "content/issues/2017-02/broken.png", "this is not a picture")
    write(site / "content/issues/2017-02/chart.md", article(body="碳价走势如下。\n\n![碳价走势](broken.png)\n"))
    run = newsletter("build", "--site", site)
    assert run.code == 1
    assert "content/issues/2017-02/chart.md:10: the print edition cannot use this file" in run.err
    assert "broken.png" in run.err
    assert sorted(p.name for p in (site / "output").rglob("*")) == before


def test_one_column_setting(site, newsletter):
    yaml_text = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(yaml_text.replace("pdf:\n", "pdf:\n  columns: 1\n"), encoding="utf-8")
    assert newsletter("build", "--site", site).code == 0
    bbox = pdftotext(site / "output/pdf/2017-01.pdf", 1, 1, "-bbox-layout")
    widths = [float(b) - float(a) for a, b in re.findall(r'<line xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', bbox)]
    assert max(widths) > 400  # a body line runs across the page (A4 text width is about 490 pt)


def test_same_site_in_another_folder_gives_the_same_pdf(site, tmp_path, newsletter):
    elsewhere = tmp_path / "another" / "copy"
    shutil.copytree(site, elsewhere)
    assert newsletter("build", "--site", site).code == 0
    assert newsletter("build", "--site", elsewhere).code == 0
    for name in ("2017-01.pdf", "2017-02.pdf"):
        assert (site / "output/pdf" / name).read_bytes() == (elsewhere / "output/pdf" / name).read_bytes()
    assert b"file:" not in (site / "output/pdf/2017-01.pdf").read_bytes()  # no link into the build machine


def test_latin_spacing_and_line_end_settings(site):
    # Sentences that fill a column line each, so that every line ends with "，".
    han = "节能减排" * 6
    body = han[:19] + "，" + (han[:21] + "，") * 7  # the first line is indented 2 em
    write(site / "content/issues/2017-02/09-commas.md", article(title="逗号", body=body + "\n\n2017年1月4日"))
    archive, _ = load(site)
    issue = next(i for i in archive.issues if i.slug == "2017-02")
    document = print_document(archive, issue, template_env(archive.site))
    assert "--cjk-latin-space: 0.25em;" in document.html and "--cjk-line-end: full;" in document.html
    assert "--cjk-line-start: full;" in document.html
    full = pdftotext_bytes(render_pdf(document).pdf, "-bbox-layout")
    assert "2017 年 1 月 4 日" in pdftotext_bytes(render_pdf(document).pdf)  # a quarter em apart

    yaml_text = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(
        yaml_text.replace("pdf:\n", "pdf:\n  latin_spacing: none\n  line_end_punctuation: half\n"
                          "  line_start_bracket: half\n"), encoding="utf-8")
    archive, _ = load(site)
    issue = next(i for i in archive.issues if i.slug == "2017-02")
    changed = print_document(archive, issue, template_env(archive.site))
    assert "--cjk-latin-space: 0;" in changed.html and "--cjk-line-end: half;" in changed.html
    assert "--cjk-line-start: half;" in changed.html
    assert changed.digest != document.digest  # the cached PDF is not taken for the new settings
    assert "2017年1月4日" in pdftotext_bytes(render_pdf(changed).pdf)  # no quarter em: no space read
    half = pdftotext_bytes(render_pdf(changed).pdf, "-bbox-layout")

    def comma_line_ends(bbox: str) -> list[float]:
        return [float(x1) for x1, body in re.findall(r'<line xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>(.*?)</line>',
                                                       bbox, re.S) if "节能减排" in body and body.rstrip().endswith("，</word>")]

    # Half width: each justified line's mark reaches half an em (5.25 pt) past the column
    # edge in pdftotext's boxes, its ink at the edge; the paragraph's last line stays.
    moved = [h - f for f, h in zip(sorted(comma_line_ends(full)), sorted(comma_line_ends(half)))]
    assert len(moved) == 8
    assert sum(abs(m - 5.25) < 0.5 for m in moved) == 7 and sum(abs(m) < 0.01 for m in moved) == 1, moved
