from builder.markdown import is_local, local_references, render


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


def test_local_links_and_images_go_through_link_for():
    html = render("![图](images/a.png) [附件](plan.pdf) [外链](https://example.org/x) [锚](#fn)",
                  lambda ref: "../" + ref)
    assert 'src="../images/a.png"' in html
    assert 'href="../plan.pdf"' in html
    assert 'href="https://example.org/x"' in html
    assert 'href="#fn"' in html


def test_is_local():
    assert is_local("images/a.png") and is_local("../a.png")
    assert not is_local("https://example.org/a.png")
    assert not is_local("mailto:a@example.org")
    assert not is_local("#top") and not is_local("/abs/a.png")


def test_local_references_give_target_and_line():
    text = "第一段\n\n![图](images/a.png)\n\n[定义]: files/b.pdf\n[^1]: 脚注不是链接\n<img src=\"c.png\">"
    assert local_references(text) == [("images/a.png", 3), ("files/b.pdf", 5), ("c.png", 7)]
