"""builder.print.weasyprint_cjk.columns: columns taken from WeasyPrint's own trials give the PDF that laying
them out again gives, whatever the columns hold."""

import pytest
import weasyprint

from builder.print.weasyprint_cjk import columns, typesetting

S = "四川省明确提出，将低碳发展作为经济社会发展的重大战略和生态文明建设的重要途径。"
CSS = ('@page { size: 120mm 120mm; margin: 10mm } body { font: 10.5pt/1.5 "Noto Serif CJK SC" }'
       ".b { column-count: 2; column-gap: 5mm; text-align: justify } p { margin: 0 0 1em }")


def p(n=4, attributes=""):
    return f"<p{attributes}>{S * n}</p>"


FOOTNOTE = f'<p>脚注前<span class="fn">这是一个脚注。{S}</span>脚注后{S * 2}</p>'
TABLE = '<table border="1" style="width: 100%"><tr><td>一</td><td>二</td></tr><tr><td>三</td><td>四</td></tr></table>'
CASES = {
    "plain": ("", p() * 8),
    "after a heading": ("", "</div><h1>标题</h1><div class='b'>" + p() * 8),
    "footnotes": (".fn { float: footnote }", (p(2) + FOOTNOTE) * 6),
    "tables": ("", (p(2) + TABLE) * 6),
    "nested columns": ("", p(2) + f'<div style="column-count: 2">{p(3) * 3}</div>' + p(3) * 5),
    "right to left": (".b { direction: rtl }", p() * 8),
    "floats": ("", (p(2) + '<div style="float: left; width: 20mm; height: 10mm"></div>') * 6),
    "positioned": (".b { position: relative }", (p(2) + '<span style="position: absolute; top: 0">A</span>') * 6),
    "top margins": ("", p(3, ' style="margin-top: 5mm"') * 8),
    "column-span": ("", p() * 3 + '<h2 style="column-span: all">跨栏</h2>' + p() * 6),
    "running elements": (".r { position: running(hdr) } @page { @top-center { content: element(hdr, all-once) } }",
                         (p(3) + '<div class="r">页眉</div>') * 6),
    "first letters": (".w::first-letter { color: red } .c1::first-letter { font-size: 3em }",
                      "".join(p(3, f' class="c{i}"') for i in range(8))),
}


def pdf(html, reuse):
    """The PDF of `html` with the Chinese typesetting; `reuse`: columns taken from the trials."""
    with typesetting(reuse_columns=reuse):
        return weasyprint.HTML(string=html).write_pdf()


@pytest.mark.parametrize("name", CASES)
def test_same_pdf_as_laying_the_columns_out_again(name):
    css, body = CASES[name]
    html = f'<style>{CSS}{css}</style><div class="w"><div class="b">{body}</div></div>'
    assert pdf(html, reuse=True) == pdf(html, reuse=False)


def test_both_columns_of_a_page_are_taken_from_the_trials(monkeypatch):
    taken = []
    same_call = columns._same_call

    def counting(trial, context, box, *rest):
        if same_call(trial, context, box, *rest):
            taken.append(box.position_x)
            return True
        return False

    monkeypatch.setattr(columns, "_same_call", counting)
    pdf(f'<style>{CSS}</style><div class="b">{p() * 30}</div>', reuse=True)
    assert len(set(round(x) for x in taken)) == 2  # left and right columns
