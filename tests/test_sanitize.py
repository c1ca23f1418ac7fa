"""builder.render.sanitize: what HTML from content may hold in a page, a feed or a PDF."""

import pytest

from builder.render.sanitize import clean


def test_what_a_bulletin_needs_is_kept():
    html = ('<p class="signature" id="di-shi-tiao">H<sub>2</sub>O<sup id="fnref:1"><a class="footnote-ref" '
            'href="#fn:1">1</a></sup></p><table><tbody><tr><td colspan="2" style="text-align: right;">1</td>'
            '</tr></tbody></table><figure><img alt="图" src="images/a.png"><figcaption>图</figcaption></figure>'
            '<a href="https://example.org/">原文</a><a href="mailto:a@example.org">邮件</a>')
    assert clean(html) == html.replace("text-align: right;", "text-align:right")


@pytest.mark.parametrize("html, kept", [
    ("<script>alert(1)</script>正文", "正文"),
    ('<img src="a.png" onerror="alert(1)">', '<img src="a.png">'),
    ('<a href="javascript:alert(1)">x</a>', "<a>x</a>"),
    ('<a href=" JaVaScRiPt:alert(1)">x</a>', "<a>x</a>"),
    ('<a href="data:text/html,x">x</a>', "<a>x</a>"),
    ('<p style="position:fixed">x</p>', "<p>x</p>"),
    ('<p id="article-1">x</p>', "<p>x</p>"),
    ("<iframe src=x></iframe><object></object><form><button>x</button></form>", "x"),
    ("<style>p{}</style><!-- note -->正文", "正文"),
])
def test_what_could_run_or_restyle_is_removed(html, kept):
    assert clean(html) == kept
