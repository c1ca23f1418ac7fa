"""builder.source.svg: an SVG file that could run script or load other files is not published."""

import pytest

from builder.source.svg import svg_problem

SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">{}</svg>'


@pytest.mark.parametrize("body", ['<rect width="1" height="1"/>', '<use xlink:href="#a"/>',
                                  '<g style="clip-path: url(&quot;#c&quot;)"><rect fill="url(\'#g\')"/></g>',
                                  '<image href="data:image/png;base64,iVBORw0KGgo="/>', "<text>中文</text>"])
def test_plain_svg_pictures_pass(body):
    assert svg_problem(SVG.format(body).encode("utf-8")) is None


@pytest.mark.parametrize("svg, problem", [
    (SVG.format("<script>alert(1)</script>"), "<script>"),
    (SVG.format('<rect onclick="alert(1)"/>'), "event handler"),
    (SVG.format('<a xlink:href="java&#9;script:alert(1)"><text>x</text></a>'), "script address"),
    (SVG.format('<image href="other.png"/>'), "refers to another file"),
    (SVG.format('<set attributeName="onclick" to="alert(1)"/>'), "animates the attribute onclick"),
    (SVG.format("<style>a { background: url(x.png) }</style>"), "url() or @import in its styles"),
    ('<?xml-stylesheet href="x.xsl"?>' + SVG.format(""), "processing instruction"),
    ('<!DOCTYPE svg [<!ENTITY a "b">]>' + SVG.format(""), "entities"),
    ("<svg", "not a valid SVG"),
    (SVG.format('<g id="g">' + "<rect/>" * 4000 + "</g>" + '<use href="#g"/>' * 10), "more than 20,000 shapes"),
    (SVG.format('<g id="a"><rect/></g><g id="b"><use href="#a" xlink:href="#b"/></g>'), "shows itself"),
    (SVG.format('<g id="a">' + "<rect/>" * 200 + '</g><g id="b">' + '<use href=" #a"/>' * 200 + "</g>"), "shapes"),
    (SVG.format('<rect fill="&#117;rl(https://evil.example/t.svg#p)"/>'), "refers to another file"),
    (SVG.format('<style>@import "https://evil.example/x.css";</style>'), "@import"),
    (SVG.format("<style>a { background: \\75 rl(x.png) }</style>"), "url() or @import"),
])
def test_svg_that_could_run_script_or_load_files_is_refused(svg, problem):
    assert problem in svg_problem(svg.encode("utf-8"))
