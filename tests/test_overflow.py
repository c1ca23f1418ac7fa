"""builder/print/overflow.py: what does not fit the print page, found in WeasyPrint's boxes."""

import weasyprint

from builder.print.overflow import Overflow, _line, find_overflows

PAGE = "<style>@page { size: A5; margin: 15mm } body { margin: 0 }</style>"


def overflows(body: str) -> tuple[Overflow, ...]:
    return find_overflows(weasyprint.HTML(string=PAGE + body).render().pages)


def test_content_that_fits_gives_nothing():
    assert overflows('<article id="article-1"><p>' + "正文。" * 500 + "</p><table><tr><td>1</td></tr></table></article>") == ()


def test_a_table_wider_than_the_page_is_found_in_its_article():
    row = "<td>列</td>" * 80
    found = overflows(f'<article id="article-1"><table><tr>{row}</tr></table></article>'
                      f'<article id="article-2"><p>正文</p><table><tr><td>1</td></tr></table><table><tr>{row}</tr></table></article>')
    assert [(o.anchor, o.what, o.index) for o in found] == [("article-1", "table", 0), ("article-2", "table", 1)]


def test_a_long_word_and_a_tall_picture_are_found():
    found = overflows('<article id="article-1"><p>' + "A" * 500 + "</p></article>")
    assert [(o.what, o.sample[:5]) for o in found] == [("text", "AAAAA")]
    tall = '<img src="data:image/svg+xml,%3Csvg xmlns=%22http://www.w3.org/2000/svg%22 width=%2210%22 height=%2210%22/%3E" style="width: 10mm; height: 400mm; display: block">'
    assert [o.what for o in overflows(f'<article id="article-1">{tall}</article>')] == ["tall"]


def test_the_line_of_the_nth_table_skips_rules_and_underlines():
    body = "标题\n---\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n| c |\n| - |\n| 3 |\n"
    assert _line(body, Overflow("article-1", 1, "table", 0, "")) == 6
    assert _line(body, Overflow("article-1", 1, "table", 1, "")) == 10
    assert _line("甲\n乙 AAAAAAAAAAAAAAAAAAAA\n", Overflow("article-1", 1, "text", 0, "AAAAAAAAAAAAAAAAAAAA")) == 2
