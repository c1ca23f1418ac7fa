"""A resolved chart in the HTML of each output, put in after the text is sanitised.

`take` swaps each chart line of a body (spec.CHART_MARK) for a paragraph holding a token;
once the Markdown is converted and sanitised, `place` swaps the token's paragraph for
the chart's figure, made here from the chart's own values (escaped) and the SVG drawn
by `draw` (escaped by matplotlib):

- on the web page, the SVG in the page (its text text, scaled to the page; on a narrow
  screen it scrolls sideways, so it takes the keyboard's focus too), the caption
  (图N, the title, 资料来源) and the data as a table under 查看数据;
- in the print edition, the same SVG as the figure's picture (WeasyPrint draws it as
  vectors, its text as text), its alt text the title, and the caption;
- in a feed, where readers drop pictures made of code, the caption and the table.

Charts are numbered in the order of the article (图1、图2…).
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

from markupsafe import escape

from builder.charts.draw import _value, is_wide, numbered
from builder.charts.spec import CHART_MARK, Chart

_LINE = re.compile("^" + re.escape(CHART_MARK) + "(.*)$", re.M)
KINDS = ("web", "print", "feed")


def take(text: str) -> tuple[str, list[Chart], str]:
    """`text` with each chart line a token paragraph; the charts; the tokens' stem."""
    if CHART_MARK not in text:
        return text, [], ""
    stem = "CHART" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    charts: list[Chart] = []

    def token(match: re.Match[str]) -> str:
        chart = Chart.from_json(match.group(1))
        if chart is None:
            return match.group()  # not one of ours: shown as text
        charts.append(chart)
        return f"\n\n{stem}N{len(charts) - 1}\n\n"

    return _LINE.sub(token, text), charts, stem


def place(html: str, charts: list[Chart], stem: str, kind: str, colour: str,
          drawn: Callable[[Chart, str], str]) -> str:
    """`html` with each token's paragraph the chart's figure for `kind` (see KINDS);
    `drawn(chart, colour)` gives its SVG."""
    if not charts:
        return html

    def figure(match: re.Match[str]) -> str:
        number = int(match.group(1))
        chart = charts[number]
        # The same chart twice in a page: its ids made its own for each figure.
        return _figure(chart, number + 1, kind, lambda: numbered(drawn(chart, colour), chart, number + 1))

    return re.sub(rf"<p>{stem}N(\d+)</p>", figure, html)


def _figure(chart: Chart, number: int, kind: str, svg: Callable[[], str]) -> str:
    caption = (f'<figcaption><span class="chart-number">图{number}</span>　{escape(chart.title)}'
               + (f'<span class="chart-source">资料来源：{escape(chart.source)}</span>' if chart.source else "")
               + "</figcaption>")
    wide = " wide" if is_wide(chart) else ""
    if kind == "print":
        data = base64.b64encode(svg().encode("utf-8")).decode("ascii")
        return (f'<figure class="chart{wide}"><img src="data:image/svg+xml;base64,{data}" alt="{escape(chart.title)}">'
                f"{caption}</figure>")
    table = _table(chart)
    if kind == "feed":
        return f'<figure class="chart">{caption}{table}</figure>'
    return (f'<div class="chart-block"><figure class="chart{wide}">'
            f'<div class="chart-drawing" tabindex="0">{svg()}</div>{caption}</figure>'
            f'<details class="chart-data"><summary>查看数据</summary>{table}</details></div>')


def _table(chart: Chart) -> str:
    unit = f"（{escape(chart.unit)}）" if chart.unit else ""
    head = "".join(f"<th>{escape(name)}{unit}</th>" for name in chart.series)
    rows = "".join(f"<tr><th>{escape(label)}</th>" + "".join(f"<td>{_value(v, '')}</td>" for v in values) + "</tr>"
                   for label, values in chart.rows)
    return f"<table><thead><tr><th>{escape(chart.x)}</th>{head}</tr></thead><tbody>{rows}</tbody></table>"
