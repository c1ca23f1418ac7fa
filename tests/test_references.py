"""builder.source.references: the files Markdown text refers to, found where they are written."""

from builder.source.references import is_local, local_references, markdown_work, raw_html_references, too_deep


def test_is_local():
    assert is_local("images/a.png") and is_local("../a.png")
    assert not is_local("https://example.org/a.png")
    assert not is_local("mailto:a@example.org")
    assert not is_local("#top") and not is_local("/abs/a.png")


def test_local_references_give_target_and_line():
    text = "第一段\n\n![图](images/a.png)\n\n[定义]: files/b.pdf\n[^1]: 脚注不是链接\n![图](<my chart.png>)"
    assert [(r.target, r.line, r.image) for r in local_references(text)] == [
        ("images/a.png", 3, True), ("files/b.pdf", 5, False), ("my chart.png", 7, True)]


def test_local_files_in_raw_html_are_found():
    assert raw_html_references('文字\n<img src="c.png"> <a href="https://x.org/">外</a>') == [("c.png", 2)]


def test_nesting_is_measured_at_the_line_that_goes_deepest():
    text = "正文\n\n" + "> " * 30 + "深\n\n" + "> " * 3 + "浅\n"
    assert too_deep(text) == (3, 30)
    assert too_deep("> > 引文\n\n- 列表\n  - 子项\n") is None


def test_ordinary_text_asks_little_work_and_unclosed_brackets_much():
    assert markdown_work("正文[链接](a.pdf)，**加粗**。\n\n" * 200) is None
    line, work = markdown_work("说明\n\n" + "[" * 20000 + "\n")
    assert line == 3 and work > 10_000_000
