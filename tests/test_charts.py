"""Charts drawn from data in an article (issue 15): the same drawing in the article's page
and the print edition, the data under 查看数据, errors at the Markdown file's line (and the
CSV's), and a chart drawn once."""

from __future__ import annotations

import csv
import re
import subprocess
from pathlib import Path

import pymupdf
import pytest
from bs4 import BeautifulSoup
from conftest import article, write

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "content" / "issues" / "2017-18"


def _csv_rows(name: str) -> list[list[str]]:
    lines = [line for line in (SAMPLE / name).read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    return list(csv.reader(lines))[1:]


def test_the_sample_s_charts_are_in_the_article_s_page_with_their_data(sample):
    page = BeautifulSoup((sample / "output/issues/2017-18/reading-2/index.html").read_text(encoding="utf-8"),
                         "html.parser")
    figures = page.select("figure.chart")
    assert len(figures) == 2
    for number, (figure, data, title) in enumerate(zip(
            figures, ("energy-intensity.csv", "carbon-intensity.csv"),
            ("“十三五”能耗强度下降要求最高和最低的地区", "各省（区、市）“十三五”碳排放强度下降目标")), start=1):
        svg = figure.select_one(".chart-drawing svg")
        assert svg is not None and svg.find("title").text == title  # in the page, with its title
        assert svg.find("desc").text.startswith("柱状图")
        labels = {text.get_text() for text in svg.find_all("text")}
        assert "北京" in labels or "北" in labels  # the names are text, not paths
        caption = figure.find("figcaption").get_text()
        assert caption.startswith(f"图{number}") and title in caption and "资料来源：" in caption
        table = figure.find_next_sibling("details")
        assert table.find("summary").text == "查看数据"
        shown = [[cell.get_text() for cell in row.find_all(["th", "td"])] for row in table.select("tbody tr")]
        assert shown == [[name, value] for name, value in _csv_rows(data)]  # the CSV's numbers, in its order


def test_the_sample_s_charts_are_vector_drawings_in_the_pdf_with_their_text(sample_pdf):
    document = pymupdf.open(sample_pdf)
    found = [page for page in document if "碳排放强度下降目标" in page.get_text() and "资料来源" in page.get_text()]
    assert found
    page = found[0]
    assert page.get_images() == []  # drawn, not a picture
    red = [d for d in page.get_drawings() if d.get("fill") and abs(d["fill"][0] - 0.75) < 0.02 and d["fill"][1] < 0.05]
    assert len(red) >= 31 + 12  # a bar for each province of the two charts, in the publication's colour
    text = subprocess.run(["pdftotext", "-f", str(page.number + 1), "-l", str(page.number + 1), str(sample_pdf), "-"],
                          capture_output=True, text=True).stdout
    for label in ("北京", "新疆", "能耗强度下降", "图 1", "图 2"):
        assert label.replace(" ", "") in text.replace(" ", ""), label
    assert "黑" in text and "疆" in text  # the page-wide chart's names, one character under another


def _chart_site(site: Path, block: str, files: dict[str, bytes] | None = None) -> Path:
    """The fixture site's first issue with one article: a paragraph, then `block` from line 10."""
    folder = next(p for p in sorted((site / "content" / "issues").iterdir()) if p.is_dir())
    for old in folder.glob("*.md"):
        old.unlink()
    path = write(folder / "01-chart.md", article(title="图表", body=f"正文。\n\n{block}"))
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    return path


GOOD = '地区,下降目标\n北京,20.5\n上海,20.5%\n广东,"1,234"\n'


def block(**settings: str) -> str:
    values = {"type": "bar", "title": "下降目标", "data": "t.csv", "x": "地区", "y": "下降目标", "unit": '"%"'}
    values.update(settings)
    return "```chart\n" + "".join(f"{k}: {v}\n" for k, v in values.items() if v is not None) + "```"


@pytest.mark.parametrize(("settings", "data", "expected"), [
    ({"type": "radar"}, GOOD, r"01-chart\.md:11: unknown chart type 'radar'"),
    ({"type": None}, GOOD, r"01-chart\.md:10: this chart has no type"),
    ({"y": "目标"}, GOOD, r"01-chart\.md:15: the chart's column '目标' is not in t\.csv"),
    ({"x": "省份"}, GOOD, r"01-chart\.md:14: the chart's column '省份' is not in t\.csv"),
    ({}, "地区,下降目标\n北京,20.5\n上海,约20\n", r"01-chart\.md:13: t\.csv, line 3: '约20' in the column '下降目标' is not a number"),
    ({}, "# 来源：某文\n地区,下降目标\n北京,\n", r"01-chart\.md:13: t\.csv, line 3: the column '下降目标' is empty"),
    ({}, "地区,下降目标\n北京,20.5\n".encode("gbk"), r"01-chart\.md:13: the chart's data t\.csv is not UTF-8 \(it reads as GB18030"),
    ({"data": "../../../site.yaml"}, GOOD, r"01-chart\.md:13: the chart's data '\.\./\.\./\.\./site\.yaml' "),
    ({"data": "'%2E%2E/2017-02/t.csv'"}, GOOD, r"01-chart\.md:13: the chart's data '%2E%2E/2017-02/t\.csv' "),
    ({"data": "missing.csv"}, GOOD, r"01-chart\.md:13: the chart's data 'missing\.csv' does not exist"),
    ({"colour": "red"}, GOOD, r"01-chart\.md:17: unknown chart setting 'colour'"),
    ({"type": "pie", "y": "[下降目标, 地区]"}, GOOD, r"01-chart\.md:15: a pie shows one series"),
    ({"title": "'unclosed"}, GOOD, r"01-chart\.md:1[1-6]: this is not valid YAML"),
])
def test_a_broken_chart_is_an_error_at_its_line(site, newsletter, settings, data, expected):
    _chart_site(site, block(**settings), {"t.csv": data.encode("utf-8") if isinstance(data, str) else data})
    run = newsletter("build", "--site", site)
    assert run.code == 1
    assert re.search(expected, run.err), run.err
    assert "Traceback" not in run.err


def test_an_unclosed_chart_block_and_a_chart_with_no_settings_are_errors(site, newsletter):
    _chart_site(site, "```chart\ntype: bar\n")
    run = newsletter("build", "--site", site)
    assert run.code == 1 and "01-chart.md:10: this chart block is not closed" in run.err
    _chart_site(site, "```chart\n```")
    run = newsletter("build", "--site", site)
    assert run.code == 1 and "01-chart.md:10: this chart block holds no settings" in run.err


def test_rows_in_the_block_and_every_kind_of_chart_are_drawn(site, newsletter):
    rows = "rows:\n  - {年份: 2014, 煤炭: 66, 石油: 17.1}\n  - {年份: 2015, 煤炭: 64, 石油: 18.1}\n" \
           "  - {年份: 2016, 煤炭: 62, 石油: 18.3}"
    charts = "\n\n".join(f"```chart\ntype: {kind}\ntitle: 能源消费结构（{kind}）\nx: 年份\ny: {y}\nunit: \"%\"\n{rows}\n```"
                         for kind, y in (("line", "[煤炭, 石油]"), ("stacked bar", "[煤炭, 石油]"), ("pie", "煤炭"),
                                         ("bar", "[煤炭, 石油]")))
    folder = _chart_site(site, charts).parent
    run = newsletter("build", "--site", site)
    assert run.code == 0, run.err
    assert "drew 4 charts" in run.out
    page = (site / "output/issues" / folder.name / "chart/index.html").read_text(encoding="utf-8")
    assert page.count("<svg") == 4 and page.count("查看数据") == 4
    for kind in ("line", "stacked bar", "pie", "bar"):
        assert f"能源消费结构（{kind}）" in page
    assert ">2015</th><td>64</td><td>18.1</td>" in page


def test_an_unchanged_chart_is_not_drawn_again(site, newsletter):
    import sys

    path = _chart_site(site, block(), {"t.csv": GOOD.encode()})
    run = newsletter("build", "--site", site)
    assert run.code == 0 and "drew 1 chart" in run.out
    # Drawn in a child process, and taken from the cache by the page, the feed and the PDF:
    # the build's own process never loads matplotlib (it did, drawing each chart twice more).
    assert "matplotlib" not in sys.modules
    path.write_text(path.read_text(encoding="utf-8").replace("正文。", "新的正文。"), encoding="utf-8")
    run = newsletter("build", "--site", site)
    assert run.code == 0 and "drew" not in run.out  # the text changed, the chart did not
    assert "新的正文" in (site / "output/issues" / path.parent.name / "chart/index.html").read_text(encoding="utf-8")
    (path.parent / "t.csv").write_text(GOOD.replace("20.5%", "19.5%"), encoding="utf-8")
    run = newsletter("build", "--site", site)
    assert run.code == 0 and "drew 1 chart" in run.out  # its data changed
    assert "<td>19.5</td>" in (site / "output/issues" / path.parent.name / "chart/index.html").read_text(encoding="utf-8")


def test_content_cannot_put_a_script_into_a_chart(site, newsletter):
    hostile = "<script>alert(1)</script>"
    data = f"地区,下降目标\n\"{hostile}\",20.5\n\"$\\\\frac{{1}}{{0}}$\",3\n"
    folder = _chart_site(site, block(title=f"'{hostile}'", unit=f"'{hostile}'", source=f"'{hostile}'"),
                         {"t.csv": data.encode()}).parent
    run = newsletter("build", "--site", site)
    assert run.code == 0, run.err
    page = (site / "output/issues" / folder.name / "chart/index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    pdf = site / "output/pdf" / f"{folder.name}.pdf"
    assert "alert(1)" in subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout


def test_a_chart_in_the_tagged_pdf_is_a_figure_with_its_title_as_alt_text(sample_pdf):
    from test_print_typography import structure

    _, tags = structure(sample_pdf)
    figures = [(tag, alt) for _, tag, alt in tags if tag == "/Figure"]
    assert ("/Figure", "各省（区、市）“十三五”碳排放强度下降目标") in figures
    assert ("/Figure", "“十三五”能耗强度下降要求最高和最低的地区") in figures


LAUGHS = "title: &a [甲, 甲, 甲, 甲, 甲, 甲, 甲, 甲, 甲]\n" + "".join(
    f"t{k}: &{chr(98 + k)} [*{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}, *{chr(97 + k)}]\n"
    for k in range(9))


@pytest.mark.parametrize(("chart", "data", "expected"), [
    # YAML that would blow up or nest past what Python can follow
    (f"```chart\n{LAUGHS}type: bar\n```", GOOD, r"anchors and aliases"),
    ("```chart\ntitle: " + "[" * 20000 + "]" * 20000 + "\n```", GOOD, r"01-chart\.md:1\d: "),
    # a block too big to read: its data goes in a CSV
    ("```chart\nrows:\n" + "".join(f"  - {{地区: 甲{k}, 目标: {k}}}\n" for k in range(3000)) + "```", GOOD,
     r"01-chart\.md:10: this chart's settings are [\d,]+ characters"),
    ("```chart\ntype: bar\ntitle: 多列\nx: 地区\ny: 目标\nrows:\n  - {" + ", ".join(f"k{k}: 1" for k in range(3000))
     + "}\n```", GOOD, r"this chart's settings are|more than 50 columns"),
    # numbers a drawing cannot take
    (block(type="pie"), "地区,下降目标\n北京," + "9" * 400 + "\n", r"t\.csv, line 2: '9{10}"),
    (block(), "地区,下降目标\n北京,1e308\n上海,nan\n", r"t\.csv, line 2: '1e308' .* is not a number"),
    (block(), "地区,下降目标\n北京,inf\n", r"t\.csv, line 2: 'inf' .* is not a number"),
    # text a feed or a page cannot carry
    (block(title='"标题\\x01"'), GOOD, r"01-chart\.md:12: the chart's title holds a control or invisible character"),
    (block(title='"标题\\u202e"'), GOOD, r"the chart's title holds a control or invisible character"),
    (block(title='"标题\\ud800"'), GOOD, r"01-chart\.md:12: "),
    (block(), "地区,下降目标\n北\x01京,20\n", r"t\.csv, line 2: the name in the column '地区' holds a control"),
    (block(), "地区,下降目标\n" + "北" * 3000 + ",20\n", r"t\.csv, line 2: the name in the column '地区' is 3000"),
    (block(x="a", y="b"), "b,a\n1\n", r"t\.csv, line 2: the name in the column 'a' is empty"),
    (block(), "地区," + ",".join(f"c{k}" for k in range(200)) + "\n北京,1\n", r"has 201 columns; a chart reads at most 50"),
    # a line typed to look like a drawn chart
    ("\u2063chart\u2063 " + '["pie","t","x",["y"],"","",[["a",[-1]]],""]', GOOD,
     r"01-chart\.md:10: this line starts with an invisible character"),
])
def test_hostile_chart_input_is_an_error_never_a_fault(site, newsletter, chart, data, expected):
    _chart_site(site, chart, {"t.csv": data.encode("utf-8", "surrogatepass")})
    run = newsletter("build", "--site", site)
    assert run.code == 1, run.out
    assert re.search(expected, run.err), run.err
    assert "unexpectedly" not in run.err and "Traceback" not in run.err


def test_the_same_chart_twice_in_a_page_has_ids_of_its_own_and_the_description_no_drawing(site, newsletter):
    folder = _chart_site(site, block() + "\n\n" + block(), {"t.csv": GOOD.encode()}).parent
    run = newsletter("build", "--site", site)
    assert run.code == 0, run.err
    page = (site / "output/issues" / folder.name / "chart/index.html").read_text(encoding="utf-8")
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    description = BeautifulSoup(page, "html.parser").find("meta", attrs={"name": "description"})["content"]
    assert "stroke" not in description and "柱状图" not in description


@pytest.mark.parametrize("kind", ["link out", "link to another issue", "pipe", "folder", "huge"])
def test_a_chart_s_data_that_is_no_plain_file_of_its_folder_is_refused(site, newsletter, kind):
    import os

    path = _chart_site(site, block())
    target = path.parent / "t.csv"
    if kind == "link out":
        target.symlink_to("/etc/passwd")
    elif kind == "link to another issue":
        other = write(site / "content/issues/2017-02/t.csv", GOOD)
        target.symlink_to(other)
    elif kind == "pipe":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    else:
        target.write_text("地区,下降目标\n" + "北京,1\n" * 200_000, encoding="utf-8")
    run = newsletter("build", "--site", site)  # a pipe would block a read: the build must not wait on it
    assert run.code == 1
    assert "01-chart.md:13: the chart's data" in run.err, run.err
    assert "root:" not in run.err and "unexpectedly" not in run.err
