"""builder.importer.back_issue: back issues from the text extracted from a printed issue."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from builder.errors import ContentErrors
from builder.importer.back_issue import ImportedIssue, IssueMeta, format_summary, parse_extracted_text, write_issue
from builder.model import Section

SEED = Path(__file__).parent / "fixtures" / "import" / "2017-05-issue.txt"
SECTIONS = [Section("市场热点", "market"), Section("政策聚焦", "policy"), Section("国内资讯", "domestic"),
            Section("国际资讯", "international"), Section("推荐阅读", "reading")]
META = IssueMeta(year=2017, number=18, total=106, date=dt.date(2017, 5, 5))
# The seed's one page header: running title, publisher, its English name, page number.
SEED_PAGE_HEADER = {5296, 5300, 5301, 5305}

SEED_ARTICLES = [
    ("各交易所碳市价格走势（2017年4月28日-2017年5月4日）", "2017-05-05", "碳K线", "市场热点"),
    ("四川：到2020年碳排放总量得到有效控制", "2017-05-03", "新华社", "市场热点"),
    ("广西碳市场能力建设市级管理培训班圆满结束", "2017-04-28", "上海环境能源交易所", "市场热点"),
    ("山西省发展和改革委员会气候处参加“应对气候变化及控制温室气体排放统计核算和考核制度研究”座谈会",
     "2017-05-03", "山西省发改委 气候处", "市场热点"),
    ("国家认监委关于发布《低碳认证技术委员会章程》的通知", "2017-05-03", "国家认监委", "政策聚焦"),
    ("关于印发《循环发展引领行动》的通知", "2017-04-21", "国家发展改革委", "政策聚焦"),
    ("辽宁省人民政府关于印发辽宁省“十三五”节能减排综合工作实施方案的通知", "2017-04-13",
     "上海市应对气候变化及节能减排工作领导小组办公室", "政策聚焦"),
    ("广州市人民政府办公厅关于印发广州市节能降碳第十三个五年规划（2016—2020年）的通知",
     "2017-04-17", "广州市人民政府办公厅", "政策聚焦"),
    ("江西省“十三五”控制温室气体排放工作方案", "2017-04-22", "江西省人民政府", "政策聚焦"),
    ("甘肃省应对气候变化及节能减排工作领导小组办公室关于印发《2017年甘肃省应对气候变化工作要点》的通知",
     "2017-05-03", "甘肃省应对气候变化及节能减排工作领导小组办公室", "政策聚焦"),
    ("发改委：推进环境污染治理 推行绿色“一带一路”", "2017-05-02", "中国金融信息网", "国内资讯"),
    ("我国加速构建绿色能源供需体系", "2017-05-04", "国际商报", "国内资讯"),
    ("减低温室气体排放 环保部启动聚氨酯行业淘汰计划", "2017-04-26", "第一财经日报(上海)", "国内资讯"),
    ("上海市政府召开2017年节能减排和应对气候变化暨产业结构调整工作会议", "2017-05-03",
     "上海市发展改革委网站", "国内资讯"),
    ("河北：“十三五”着力推进重点领域节能", "2017-05-04", "河北新闻网", "国内资讯"),
    ("河南确定控制温室气体排放目标 到2020年碳排放强度下降19.5%", "2017-05-03", "郑州日报", "国内资讯"),
    ("甘肃出台新能源消纳方案", "2017-05-02", "科技鑫报", "国内资讯"),
    ("解振华特别代表访问斐济推动气候变化交流合作", "2017-05-04", "国家发改委应对气候变化司", "国际资讯"),
    ("美媒：白宫倾向于下周宣布退出巴黎气候协定", "2017-05-03", "环球网", "国际资讯"),
    ("欧盟：履行巴黎协议 美国可走自己的路", "2017-05-04", "英国《金融时报》", "国际资讯"),
    ("英国委员会表示现在开展CCS项目将节约数十亿资金", "2017-05-03", "领先财纳编译", "国际资讯"),
    ("芬兰将采取措施履行巴黎协定承诺", "2017-05-02", "驻芬兰经商参处", "国际资讯"),
    ("全球升温须控制在1.5°C以内", "2017-04-27", "中国科学报", "国际资讯"),
    ("瑞士碳市场概述——背景与发展", "2016-05-01", "中创碳投", "推荐阅读"),
    ("各地十三五规划中能耗和温室气体控制目标都如何？", "2017-05-04", "碳道", "推荐阅读"),
]


def extracted(*lines: str) -> str:
    """Text as the PDF extraction gives it: an empty line after every line."""
    return "\n\n".join(lines) + "\n"


def article(*body: str, title: str = "标题 ", dateline: str = "发布日期：2017-5-3  来源：新华社 ") -> list[str]:
    return [title, dateline, *body]


def parse(text: str, sections: list[Section] = SECTIONS) -> ImportedIssue:
    return parse_extracted_text(text, Path("issue.txt"), sections)


def paragraphs(*body: str) -> tuple[str, ...]:
    """The Markdown blocks of a one-article issue with this body."""
    issue = parse(extracted("【市场热点】", *article(*body)))
    assert len(issue.articles) == 1
    return issue.articles[0].paragraphs


def guessed_paragraphs(*body: str) -> tuple[str, ...]:
    """Like `paragraphs`, for an extraction that left no trailing spaces at all."""
    lines = ["【市场热点】", *article(*body)]
    issue = parse(extracted(*(line.rstrip() for line in lines)))
    assert any("guessed" in w for w in issue.warnings)
    return issue.articles[0].paragraphs


def read_article(path: Path) -> tuple[dict, str]:
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    return yaml.safe_load(front), body


def wide_characters(text: str) -> Counter[str]:
    return Counter(c for c in text if unicodedata.east_asian_width(c) in "WF")


# --- the seed: one whole printed issue -------------------------------------------------

@pytest.fixture(scope="module")
def seed_issue() -> ImportedIssue:
    return parse_extracted_text(SEED.read_text(encoding="utf-8"), SEED, SECTIONS)


def test_seed_articles_have_their_title_date_source_and_section(seed_issue: ImportedIssue) -> None:
    found = [(a.title, a.date.isoformat(), a.source, a.section) for a in seed_issue.articles]
    assert found == SEED_ARTICLES
    assert [a.order for a in seed_issue.articles] == list(range(1, 26))
    assert seed_issue.unknown_sections == ()
    assert seed_issue.printed_total == 106


def test_seed_files_keep_every_chinese_character_once(seed_issue: ImportedIssue, tmp_path: Path) -> None:
    expected: Counter[str] = Counter()
    for number, line in enumerate(SEED.read_text(encoding="utf-8").split("\n"), start=1):
        text = line.strip()
        if number in SEED_PAGE_HEADER or (text.startswith("【") and text.endswith("】")):
            continue
        if text.startswith("发布日期"):
            text = text.split("来源：", 1)[1]
        expected += wide_characters(text)

    written = write_issue(seed_issue, tmp_path / "2017-18", META, force=False)

    found: Counter[str] = Counter()
    for path in written[1:]:
        front, body = read_article(path)
        found += wide_characters(front["title"] + front["source"] + body)
    assert found == expected


def test_seed_summary_names_each_file_and_what_to_check(seed_issue: ImportedIssue) -> None:
    summary = format_summary(seed_issue)
    assert "01-market-1.md" in summary and "25-reading-2.md" in summary
    assert "no text" in summary  # the price chart of article 1 was a picture
    assert "P020170427564663020397.zip" in summary  # a link target standing in another article
    assert "2016-05-01" in summary  # the date that is a year off


# --- finding articles ----------------------------------------------------------------

def test_title_spanning_two_lines_is_joined() -> None:
    issue = parse(extracted(
        "【市场热点】",
        "前一篇的最后一句。 ",
        "山西省发展和改革委员会气候处参加“应对气候变化及控制温室气体",
        "排放统计核算和考核制度研究”座谈会 ",
        "发布日期：2017-5-3  来源：山西省发改委 气候处 ",
        "近日召开座谈会。 ",
    ))
    assert [a.title for a in issue.articles] == [
        "山西省发展和改革委员会气候处参加“应对气候变化及控制温室气体排放统计核算和考核制度研究”座谈会"]


def test_short_title_does_not_take_the_previous_articles_last_line() -> None:
    issue = parse(extracted("【市场热点】", *article("第一篇正文。 ", title="第一篇 "),
                            *article("第二篇正文。 ", title="第二篇 ")))
    assert [(a.title, a.paragraphs) for a in issue.articles] == [
        ("第一篇", ("第一篇正文。",)), ("第二篇", ("第二篇正文。",))]


def test_section_comes_from_the_nearest_marker_above() -> None:
    issue = parse(extracted("  【市场热点】  ", *article("甲。 ", title="甲 "),
                            " 【政策聚焦】 ", *article("乙。 ", title="乙 ")))
    assert [(a.section, a.slug) for a in issue.articles] == [("市场热点", "market-1"), ("政策聚焦", "policy-1")]


def test_unknown_section_is_reported_not_dropped() -> None:
    issue = parse(extracted("【市场热点】", *article("甲。 ", title="甲 "),
                            "【专题报道】", *article("乙。 ", title="乙 ")))
    assert issue.unknown_sections == ("专题报道",)
    second = issue.articles[1]
    assert second.section == "专题报道"
    assert any("专题报道" in w for w in second.warnings)
    assert any("专题报道" in w for w in issue.warnings)


def test_dates_are_normalised_and_sources_trimmed() -> None:
    issue = parse(extracted(
        "【政策聚焦】",
        *article("甲。 ", title="甲 ", dateline="发布日期：2017-4-17  来源： 广州市人民政府办公厅 "),
        *article("乙。 ", title="乙 ", dateline="发布日期：2017-5-5  来源：碳 K 线 "),
    ))
    assert [(a.date, a.source) for a in issue.articles] == [
        (dt.date(2017, 4, 17), "广州市人民政府办公厅"), (dt.date(2017, 5, 5), "碳K线")]


def test_unreadable_date_is_an_error_with_its_line() -> None:
    with pytest.raises(ContentErrors) as caught:
        parse(extracted("【市场热点】", *article("甲。 ", dateline="发布日期：五月三日  来源：新华社 ")))
    (error,) = caught.value.errors
    assert error.line == 5 and "date" in error.message and "2017-5-3" in error.hint


def test_article_before_any_section_marker_is_an_error() -> None:
    with pytest.raises(ContentErrors) as caught:
        parse(extracted(*article("甲。 ")))
    assert caught.value.errors[0].line == 1
    assert "【市场热点】" in caught.value.errors[0].hint


def test_text_that_is_not_an_extracted_issue_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    target = tmp_path / "2017-18"
    with pytest.raises(ContentErrors) as caught:
        issue = parse_extracted_text("Dear editor,\nplease find the minutes attached.\n",
                                     tmp_path / "letter.txt", SECTIONS)
        write_issue(issue, target, META, force=False)
    (error,) = caught.value.errors
    assert error.path == tmp_path / "letter.txt"
    assert "发布日期" in error.message and "pdftotext" in error.hint
    assert not target.exists()


# --- paragraphs and spacing ------------------------------------------------------------

def test_wrapped_lines_join_without_spaces_between_chinese_characters() -> None:
    assert paragraphs("四川省明确提出，将低碳发展作为经济", "社会发展的重大战略。 ") == (
        "四川省明确提出，将低碳发展作为经济社会发展的重大战略。",)


def test_extraction_spaces_around_numbers_and_latin_words_are_removed() -> None:
    assert paragraphs("主要目标是到 2020 年，碳排放比 2015 年下", "降 19.5%，开展 CCS 项目。 ") == (
        "主要目标是到2020年，碳排放比2015年下降19.5%，开展CCS项目。",)


def test_latin_words_keep_one_space_also_across_a_line_break() -> None:
    assert paragraphs("除了欧盟碳排放交易体系（EU ", "ETS）和 Luke  Warren 博士。 ") == (
        "除了欧盟碳排放交易体系（EU ETS）和Luke Warren博士。",)


def test_letter_spaced_justified_line_is_closed_up() -> None:
    assert paragraphs("进一步通过预估表明，湿润区升温仅为", "2.4°C~2.6°C ， 而 干 旱 半 干 旱 区 或 达",
                      "3.2°C，比湿润区多约 44％。 ") == (
        "进一步通过预估表明，湿润区升温仅为2.4°C~2.6°C，而干旱半干旱区或达3.2°C，比湿润区多约44％。",)


def test_blank_lines_of_the_extraction_do_not_end_paragraphs() -> None:
    text = "【市场热点】\n\n标题 \n\n发布日期：2017-5-3  来源：新华社 \n\n第一行还没有说完，\n\n\n\n第二行说完了。 \n"
    assert parse(text).articles[0].paragraphs == ("第一行还没有说完，第二行说完了。",)


def test_trailing_space_after_a_chinese_character_ends_a_paragraph() -> None:
    assert paragraphs("第一段只有一行，但它是满的。 ", "第二段。 ") == ("第一段只有一行，但它是满的。", "第二段。")


def test_trailing_space_is_trusted_over_line_width() -> None:
    # A wrapped heading fills the column as a short heading would; only the space tells.
    assert paragraphs("七、强化节能减排技术支撑和服务体", "系建设 ", "（二十六）加快技术研发。 ") == (
        "## 七、强化节能减排技术支撑和服务体系建设", "（二十六）加快技术研发。")


def test_without_trailing_spaces_a_short_line_ending_a_sentence_ends_a_paragraph() -> None:
    assert guessed_paragraphs(
        "四川还将建立信息披露制度，通过信息",
        "公开推动低碳发展。四川将鼓励全省国有企",
        "业率先公布排放信息。",
        "据了解，四川将完善财税、金融等政策，",
        "通过经济手段推动低碳发展，支持应对气",
        "候变化工作。",
    ) == ("四川还将建立信息披露制度，通过信息公开推动低碳发展。四川将鼓励全省国有企业率先公布排放信息。",
          "据了解，四川将完善财税、金融等政策，通过经济手段推动低碳发展，支持应对气候变化工作。")


def test_without_trailing_spaces_a_full_line_ending_a_sentence_does_not_end_a_paragraph() -> None:
    assert guessed_paragraphs(
        "构建绿色制造体系，推进全生命周期管理。",
        "支持重点行业改造升级，鼓励企业瞄准国",
        "际标杆。",
    ) == ("构建绿色制造体系，推进全生命周期管理。支持重点行业改造升级，鼓励企业瞄准国际标杆。",)


def test_indented_line_starts_a_paragraph() -> None:
    assert guessed_paragraphs(
        "省发展改革委会将同有关部门制定出台全",
        "省清洁供暖实施方案，结合新能源消纳，",
        "    首先，我省建立新能源优先发电调度",
        "机制，认真落实保障性收购制度。",
    ) == ("省发展改革委会将同有关部门制定出台全省清洁供暖实施方案，结合新能源消纳，",
          "首先，我省建立新能源优先发电调度机制，认真落实保障性收购制度。")


# --- structure ---------------------------------------------------------------------------

def test_chapters_sections_and_articles_of_a_regulation() -> None:
    assert paragraphs(
        "第一章  总则 ",
        "第一条 为配合生态文明改革整体方",
        "案，制定本章程。 ",
        "第二节 组织 ",
        "第七条技术委员会组成由国家认监委公布。 ",
    ) == ("## 第一章 总则", "**第一条** 为配合生态文明改革整体方案，制定本章程。",
          "### 第二节 组织", "**第七条** 技术委员会组成由国家认监委公布。")


def test_numbered_items_are_paragraphs_of_their_own_and_short_ones_headings() -> None:
    assert paragraphs(
        "一、总体要求和目标",
        "（一）研究国家应对气候变化发展战",
        "略，提出发展规划；",
        "（二）提出国家低碳产品认证目录建",
        "议；",
    ) == ("## 一、总体要求和目标", "（一）研究国家应对气候变化发展战略，提出发展规划；",
          "（二）提出国家低碳产品认证目录建议；")


def test_document_number_and_signature_lines() -> None:
    assert paragraphs(
        "穗府办〔2017〕15 号 ",
        "各区人民政府： ",
        "现印发给你们，请认真组织实施。 ",
        "广州市人民政府办公厅 ",
        "2017 年 4 月 17 日 ",
    ) == ("穗府办〔2017〕15号\n{: .doc-number }", "各区人民政府：", "现印发给你们，请认真组织实施。",
          "广州市人民政府办公厅\n{: .signature }", "2017年4月17日\n{: .signature }")


def test_signature_block_spacing_is_closed_up() -> None:
    blocks = paragraphs("请贯彻执行。 ", "科    技    部 ", "国 土 资 源 部 ", "2017 年 4 月 21 日 ")
    assert blocks[1:] == ("科技部\n{: .signature }", "国土资源部\n{: .signature }",
                          "2017年4月21日\n{: .signature }")


def test_bullet_lines_become_one_list() -> None:
    assert paragraphs(
        "瑞士各类温室气体排放中： ",
        "•          二氧化碳排放基本维持不变 ",
        "•          甲烷和氮氧化物（主要由农业产",
        "生）减少 ",
        "其后一段。 ",
    ) == ("瑞士各类温室气体排放中：", "- 二氧化碳排放基本维持不变\n- 甲烷和氮氧化物（主要由农业产生）减少",
          "其后一段。")


def test_paragraph_that_looks_like_markdown_stays_text() -> None:
    assert paragraphs("1. CCS 项目进展。 ") == ("1\\. CCS项目进展。",)


def test_title_keeps_the_space_between_two_headline_clauses() -> None:
    issue = parse(extracted("【国际资讯】", *article("正文。 ", title=" 欧盟：履行巴黎协议 美国可走自己的路 ")))
    assert issue.articles[0].title == "欧盟：履行巴黎协议 美国可走自己的路"


# --- artefacts and links -----------------------------------------------------------------

def test_page_header_and_number_inside_a_paragraph_are_removed() -> None:
    issue = parse(extracted(
        "【政策聚焦】", *article(
            "加大火电清洁化改造力度，积极开发利用",
            " ",
            "节能减排信息动态               总第 106 期 ",
            "中环联合认证中心 应对气候变化部 ",
            "(Department of Climate Change)  ",
            "45 ",
            " 煤层气，控制煤化工等行业碳排放。 ",
            "务 ",
        )))
    assert issue.articles[0].paragraphs == ("加大火电清洁化改造力度，积极开发利用煤层气，控制煤化工等行业碳排放。", "务")
    assert issue.printed_total == 106


def test_addresses_become_attachments_once_each() -> None:
    url = "http://www.sdpc.gov.cn/gzdt/201705/W020170504555308273503.doc"
    issue = parse(extracted("【政策聚焦】", *article("请贯彻执行。 ", " 附件：循环发展引领行动 ", url, url)))
    (only,) = issue.articles
    assert [(a.title, a.url) for a in only.attachments] == [("附件：循环发展引领行动", url)]
    assert all(url not in block for block in only.paragraphs)
    assert only.warnings == ()


def test_address_in_the_middle_of_the_text_is_flagged() -> None:
    url = "http://www.yicai.com/news/5273763.html"
    issue = parse(extracted("【国内资讯】", *article("防止全球升温 0.5 摄氏度。", url, " 这就是基加利修正案。 ")))
    (only,) = issue.articles
    assert only.paragraphs == ("防止全球升温0.5摄氏度。这就是基加利修正案。",)
    assert [a.url for a in only.attachments] == [url]
    assert any(url in w and "middle" in w for w in only.warnings)


# --- writing the issue -------------------------------------------------------------------

def test_written_files_round_trip_through_yaml(tmp_path: Path) -> None:
    url = "http://example.gov.cn/a.pdf"
    issue = parse(extracted(
        "【市场热点】",
        *article("第一段。 ", "第二段。 ", url, title="四川：到 2020 年碳排放总量得到有效控制 "),
        *article("正文。 ", title="Note: a title with a colon "),
    ))
    written = write_issue(issue, tmp_path / "2017-18", META, force=False)

    assert [p.name for p in written] == ["issue.yaml", "01-market-1.md", "02-market-2.md"]
    assert yaml.safe_load(written[0].read_text(encoding="utf-8")) == {
        "year": 2017, "number": 18, "total": 106, "date": dt.date(2017, 5, 5), "note": None}
    front, body = read_article(written[1])
    assert front == {"title": "四川：到2020年碳排放总量得到有效控制", "date": dt.date(2017, 5, 3),
                     "source": "新华社", "section": "市场热点", "order": 1,
                     "attachments": [{"title": "附件", "url": url}]}
    assert body == "\n第一段。\n\n第二段。\n"
    assert read_article(written[2])[0]["title"] == "Note: a title with a colon"


def test_existing_issue_is_not_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "2017-18"
    target.mkdir()
    (target / "issue.yaml").write_text("year: 2016\n", encoding="utf-8")
    issue = parse(extracted("【市场热点】", *article("正文。 ")))

    with pytest.raises(ContentErrors) as caught:
        write_issue(issue, target, META, force=False)

    (error,) = caught.value.errors
    assert error.path == target and "--force" in error.hint
    assert (target / "issue.yaml").read_text(encoding="utf-8") == "year: 2016\n"


def test_force_replaces_the_issue_files_only(tmp_path: Path) -> None:
    target = tmp_path / "2017-18"
    target.mkdir()
    (target / "09-old-article.md").write_text("old", encoding="utf-8")
    (target / "chart.png").write_bytes(b"png")
    issue = parse(extracted("【市场热点】", *article("正文。 ")))

    write_issue(issue, target, META, force=True)

    assert sorted(p.name for p in target.iterdir()) == ["01-market-1.md", "chart.png", "issue.yaml"]


# The `newsletter import` command, end to end.

@pytest.fixture
def bulletin_site(tmp_path: Path) -> Path:
    """An empty site with the bulletin's five sections (the repository's own site.yaml)."""
    root = tmp_path / "site"
    (root / "content" / "issues").mkdir(parents=True)
    (root / "site.yaml").write_text((ROOT / "site.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    return root


def test_import_command_writes_an_issue_that_checks_clean(bulletin_site, newsletter):
    run = newsletter("import", "--site", bulletin_site, SEED, "--issue", "2017-18", "--number", "18")
    assert run.code == 0, run.err
    assert "wrote" in run.out and "25 articles (2017年第18期，总第106期，2017-05-05)" in run.out
    assert "To review:" in run.out and "01-market-1.md (line 3): no text" in run.out
    folder = bulletin_site / "content/issues/2017-18"
    assert len(list(folder.glob("*.md"))) == 25
    meta = yaml.safe_load((folder / "issue.yaml").read_text(encoding="utf-8"))
    assert (meta["year"], meta["number"], meta["total"]) == (2017, 18, 106)
    check = newsletter("check", "--site", bulletin_site)
    assert check.code == 0, check.err
    assert "checked 1 issues and 25 articles: no errors" in check.out


def test_import_command_never_replaces_an_issue_without_force(bulletin_site, newsletter):
    args = ("import", "--site", bulletin_site, SEED, "--issue", "2017-18", "--number", "18")
    assert newsletter(*args).code == 0
    edited = bulletin_site / "content/issues/2017-18/02-market-2.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\n编辑补充的段落。\n", encoding="utf-8")
    again = newsletter(*args)
    assert again.code == 1
    assert "this issue folder already has files; nothing was written" in again.err
    assert "pass --force to replace it" in again.err
    assert "编辑补充的段落。" in edited.read_text(encoding="utf-8")
    assert newsletter(*args, "--force").code == 0
    assert "编辑补充的段落。" not in edited.read_text(encoding="utf-8")


def test_import_command_refuses_text_that_is_not_a_bulletin(bulletin_site, newsletter, tmp_path):
    letter = tmp_path / "letter.txt"
    letter.write_text("Dear editor,\nplease find the minutes attached.\n", encoding="utf-8")
    run = newsletter("import", "--site", bulletin_site, letter, "--issue", "2017-18", "--number", "1")
    assert run.code == 1
    assert "letter.txt: this is not text extracted from the bulletin" in run.err
    assert not (bulletin_site / "content/issues/2017-18").exists()


def test_import_command_asks_for_what_the_text_does_not_say(bulletin_site, newsletter):
    run = newsletter("import", "--site", bulletin_site, SEED, "--issue", "2017-18")
    assert run.code == 1
    assert "the text does not say the issue's 期号 within the year" in run.err
    assert "hint: pass --number N (期号 within the year)" in run.err
    assert newsletter("import", "--site", bulletin_site, SEED, "--issue", "../x", "--number", "1").code == 1
    assert newsletter("import", "--site", bulletin_site, SEED, "--issue", "a", "--date", "明天").code == 2
