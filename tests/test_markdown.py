import pytest

from builder.render.markdown import render


def test_line_break_between_chinese_characters_is_dropped():
    assert render("上周各交易所碳价\n整体平稳。") == "<p>上周各交易所碳价整体平稳。</p>"


def test_line_break_beside_latin_text_stays_a_space():
    html = render("成交 CCER\nunits 共计")
    assert "CCER\nunits" in html


def test_chinese_punctuation_and_quotes_pass_through_untouched():
    text = "“一带一路”——推行绿色发展……（一）加强统筹；\"直引号\"和'单引号'"
    html = render(text)
    assert "“一带一路”——推行绿色发展……（一）加强统筹；" in html
    assert "&quot;直引号&quot;" in html or '"直引号"' in html
    assert "&ldquo;" not in html and "&rsquo;" not in html


def test_no_space_added_or_lost_inside_chinese_text():
    text = "国家发展改革委28日公告，CCER 成交 10 万吨。"
    assert render(text) == f"<p>{text}</p>"


def test_tables_footnotes_and_attribute_lists():
    html = render("| 省份 | 目标 |\n|---|---|\n| 四川 | 19.5% |\n\n见注[^1]。\n\n[^1]: 注释内容。\n\n签名\n{: .signature }")
    assert "<td>四川</td>" in html and "<td>19.5%</td>" in html
    assert 'class="footnote-ref"' in html and "注释内容。" in html
    assert '<p class="signature">签名</p>' in html
    assert "返回正文第 1 处" in html  # the footnote's back link speaks Chinese


def test_local_links_and_images_are_relocated():
    html = render("![图](images/a.png) [附件](plan.pdf#page=2) [外链](https://example.org/x) [锚](#fn) "
                  "[表](数据 表.xls)", "../")
    assert 'src="../images/a.png"' in html
    assert 'href="../plan.pdf#page=2"' in html
    assert 'href="../%E6%95%B0%E6%8D%AE%20%E8%A1%A8.xls"' in html
    assert 'href="https://example.org/x"' in html
    assert 'href="#fn"' in html


def test_images_can_have_their_own_base():
    html = render("![图](images/a.png) [附件](plan.pdf)", "https://example.org/issues/1/", image_base="")
    assert 'src="images/a.png"' in html and 'href="https://example.org/issues/1/plan.pdf"' in html


def test_a_paragraph_of_one_image_is_a_figure_with_caption():
    assert render("![碳价走势](a.png)") == \
        '<figure><img alt="碳价走势" src="a.png"><figcaption>碳价走势</figcaption></figure>'
    assert render("文字![x](b.png)").startswith("<p>")


# The converter's two shortcuts for plain Chinese paragraphs (a block whose every line
# starts with a Chinese character goes straight to the paragraph processor; a text none of
# the inline patterns can match is left alone) must give what Python-Markdown gives without
# them, for every kind of text: the sample's articles, and texts that mix Chinese lines
# with every block and inline syntax, and full-width digits (which `\d` takes for a list
# number).
_SYNTAX = ["中文", "，。", "“引”", "（一）", "１２", "１. ", "1. ", "- ", "* ", "> ", "# ", "    ",
           "\n", "\n\n", "  \n", "\n===", "\n---", "**粗**", "_斜_", "`码`", "\\*", "[链](a.md)",
           "![图](b.png)", "[^1]", "\n[^1]: 注", "\n[a]: /u", "<http://x.y>", "<b>", "&amp;",
           "| 甲 | 乙 |\n|---|---|\n| 1 | 2 |", "中|文\n-|-", "{: .x }", "abc", "2017"]


def _mixed_texts(count: int) -> list[str]:
    import random

    chooser = random.Random(20170505)
    return ["".join(chooser.choice(_SYNTAX) for _ in range(chooser.randint(1, 24))) for _ in range(count)]


@pytest.mark.parametrize("raw_html", [False, True])
def test_the_shortcuts_for_plain_chinese_text_change_no_conversion(monkeypatch, raw_html):
    from pathlib import Path

    from builder.render import markdown as pipeline

    sample = sorted(Path(__file__).resolve().parent.parent.joinpath("content").rglob("*.md"))
    texts = [path.read_text(encoding="utf-8") for path in sample] + _mixed_texts(3000)
    pipeline._converter.cache_clear()
    quick = pipeline._converter("../", "", None, raw_html)
    assert "quick_paragraph" in quick.parser.blockprocessors
    assert isinstance(quick.treeprocessors["inline"], pipeline._QuickInline)
    with_shortcuts = [pipeline._convert(text, "../", "", None, raw_html) for text in texts]
    pipeline._converter.cache_clear()
    monkeypatch.setattr(pipeline, "_BLOCK_PROCESSORS", set())
    monkeypatch.setattr(pipeline, "_INLINE_PATTERNS", set())
    try:
        assert "quick_paragraph" not in pipeline._converter("../", "", None, raw_html).parser.blockprocessors
        without = [pipeline._convert(text, "../", "", None, raw_html) for text in texts]
    finally:
        pipeline._converter.cache_clear()
    differing = [text for text, a, b in zip(texts, with_shortcuts, without) if a != b]
    assert differing == []
