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
