"""A chart drawn as SVG by matplotlib, the same drawing for the web page and the PDF.

Chosen by measurement against Vega-Lite through vl-convert on the sample's 31-province
bar chart (2026-11-27, this machine): 70 ms a chart against 140 ms (and 0.5 s for
vl-convert's first), 22 kB of SVG against 18 kB, 80 MB against 104 MB of memory; both
keep the text as text. matplotlib is imported only when a chart is drawn (0.6 s), and a
chart already drawn is taken from the build's cache.

The drawing is sized to the print edition's column (22 characters of 10.5 pt) and scales
on the web page. Its text stays text (`svg.fonttype: none`) in Noto Serif CJK, the PDF's
text face (a face of its own would add 150 kB to the PDF), so that it can be read,
searched and copied; the first series takes the
publication's colour. The SVG carries the chart's title and a description of its data
(`<title>`, `<desc>`), and its ids are the chart's own, so that several charts can stand
in one page. The same chart and colour always give the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import re

from markupsafe import escape

from builder.charts.spec import Chart
from builder.chinese import is_han

COLUMN_PT = 22 * 10.5  # the print edition's column, in points
PAGE_PT = 2 * COLUMN_PT + 2 * 10.5  # its text's width, two columns and the gap
MOST_IN_A_COLUMN = 8  # bars or points; a chart with more spans the page (`is_wide`)
FONT = "Noto Serif CJK SC"  # the PDF's text face: no third face embedded for the charts
ID_STEM = "chart-"  # the ids in a drawing start so, then a digest of the chart (html.place numbers them)
GREYS = ("#5b6770", "#9aa5ad", "#c9a227", "#3f7f5f", "#8c5a9e", "#b0413e", "#2f6f9f")


def draw(chart: Chart, colour: str) -> str:
    """The chart as an SVG document (text)."""
    import matplotlib

    matplotlib.use("svg", force=False)
    from matplotlib.figure import Figure

    with matplotlib.rc_context({
        "svg.fonttype": "none", "svg.hashsalt": "newsletter", "font.family": [FONT, "sans-serif"],
        "text.parse_math": False, "text.usetex": False,
        "font.size": 7.5, "axes.edgecolor": "#666666", "axes.linewidth": 0.6, "xtick.color": "#333333",
        "ytick.color": "#333333", "xtick.major.width": 0.6, "ytick.major.width": 0.6, "axes.titlesize": 8,
    }):
        colours = [colour, *GREYS]
        wide = is_wide(chart)
        height = 2.4
        figure = Figure(figsize=((PAGE_PT if wide else COLUMN_PT) / 72, height), layout="constrained")
        axes = figure.add_subplot()
        labels = [label for label, _ in chart.rows]
        if chart.kind == "pie":
            _pie(axes, chart, colours)
        elif chart.kind == "line":
            for k, name in enumerate(chart.series):
                axes.plot(labels, [values[k] for _, values in chart.rows], marker="o", markersize=2.5,
                          linewidth=1.2, color=colours[k % len(colours)], label=name)
            _category_ticks(axes, list(range(len(labels))), labels)
            _frame(axes, chart)
        else:
            _bars(axes, chart, colours)
            _frame(axes, chart)
        if len(chart.series) > 1 and chart.kind != "pie":
            axes.legend(frameon=False, fontsize=7, loc="best")
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None}, transparent=True)
    return _accessible(out.getvalue(), chart)


def _bars(axes, chart: Chart, colours: list[str]) -> None:
    count = len(chart.series)
    positions = range(len(chart.rows))
    stacked = chart.kind == "stacked bar"
    width = 0.7 if stacked or count == 1 else 0.8 / count
    base = [0.0] * len(chart.rows)
    for k, name in enumerate(chart.series):
        values = [values[k] for _, values in chart.rows]
        offset = 0.0 if stacked else (k - (count - 1) / 2) * width
        places = [p + offset for p in positions]
        kwargs = {"bottom": base} if stacked else {}
        bars = axes.bar(places, values, width, color=colours[k % len(colours)], label=name, **kwargs)
        labels = [_value(v, chart.unit) for v in values]
        room = axes.figure.get_figwidth() * 72 / (len(chart.rows) * count)  # pt a bar, across
        if not stacked and count <= 2 and max(map(len, labels)) * 0.6 * 6.5 <= room:
            axes.bar_label(bars, labels=labels, fontsize=6.5, padding=1.5)
        if stacked:
            base = [b + v for b, v in zip(base, values)]
    ticks, names = list(positions), [label for label, _ in chart.rows]
    _category_ticks(axes, ticks, names)


def is_wide(chart: Chart) -> bool:
    """Whether the chart spans the page (more bars or points than a column holds legibly)."""
    return chart.kind != "pie" and len(chart.rows) > MOST_IN_A_COLUMN


def _category_ticks(axes, ticks: list[int], names: list[str]) -> None:
    """The categories under the bars or points: side by side where they fit, else Chinese
    names of up to four characters set upright one character under another (as Chinese
    charts set them), else turned."""
    room = axes.figure.get_figwidth() * 72 / max(len(names), 1)  # pt a category
    longest = max(len(name) for name in names)
    if longest * 7.5 <= room * 0.9:
        axes.set_xticks(ticks, names)
    elif longest <= 4 and all(all(is_han(char) for char in name) for name in names):
        # One character under another, each set on its own at the same height across the
        # axis (matplotlib's lines of a text would each take the height of their own glyphs).
        axes.set_xticks(ticks, [""] * len(names))
        for tick, name in zip(ticks, names):
            for row, char in enumerate(name):
                axes.annotate(char, xy=(tick, 0), xycoords=("data", "axes fraction"), xytext=(0, -5 - 8.5 * row),
                              textcoords="offset points", ha="center", va="top", annotation_clip=False)
    else:
        axes.set_xticks(ticks, names, rotation=45, ha="right", rotation_mode="anchor")


def _frame(axes, chart: Chart) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    unit = f"（{chart.unit}）" if chart.unit else ""
    label = (chart.series[0] if len(chart.series) == 1 else "") + unit
    axes.set_ylabel(label)
    axes.margins(x=0.02, y=0.08)
    axes.yaxis.grid(True, linewidth=0.4, color="#dddddd")
    axes.set_axisbelow(True)


def _pie(axes, chart: Chart, colours: list[str]) -> None:
    values = [values[0] for _, values in chart.rows]
    total = sum(values)
    axes.pie(values, labels=[label for label, _ in chart.rows],
             colors=[colours[k % len(colours)] for k in range(len(values))],
             autopct=lambda share: f"{share:.1f}%" if share >= 4 else "", startangle=90, counterclock=False,
             wedgeprops={"linewidth": 0.6, "edgecolor": "white"}, textprops={"fontsize": 7})
    axes.set_aspect("equal")
    axes.set_xlabel(f"合计 {_value(total, chart.unit)}")


def _value(value: float, unit: str) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text + ("%" if unit in ("%", "％") else "")


def description(chart: Chart) -> str:
    """What the chart shows, in words: for a screen reader and for the SVG's <desc>."""
    kind = {"bar": "柱状图", "line": "折线图", "stacked bar": "堆积柱状图", "pie": "饼图"}[chart.kind]
    parts = []
    for k, name in enumerate(chart.series):
        values = [(values[k], label) for label, values in chart.rows]
        high, low = max(values), min(values)
        parts.append(f"{name}：最高 {high[1]} {_value(high[0], chart.unit)}，"
                     f"最低 {low[1]} {_value(low[0], chart.unit)}")
    return f"{kind}，{chart.x}共 {len(chart.rows)} 项。" + "；".join(parts) + "。"


def _accessible(svg: str, chart: Chart) -> str:
    """`svg` with the chart's title and description, and ids of its own."""
    prefix = id_prefix(chart)

    def tag(match: re.Match[str]) -> str:  # ids and references to them, in tags (not in the text)
        text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', match.group())
        text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
        return re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', text)

    svg = re.sub(r"<[^>]+>", tag, svg)
    svg = re.sub(r"<\?xml[^>]*\?>\s*|<!DOCTYPE[^>]*>\s*|<!--.*?-->\s*|<metadata>.*?</metadata>\s*", "", svg,
                 flags=re.S)
    head = re.search(r"<svg\b[^>]*>", svg)
    if head is None:
        return svg
    title = escape(chart.title)
    opening = head.group().replace("<svg", f'<svg role="img" aria-labelledby="{prefix}title {prefix}desc"', 1)
    inserted = f'<title id="{prefix}title">{title}</title><desc id="{prefix}desc">{escape(description(chart))}</desc>'
    return svg[:head.start()] + opening + inserted + svg[head.end():]


def id_prefix(chart: Chart) -> str:
    """What every id of the chart's drawing starts with."""
    return ID_STEM + hashlib.sha256(chart.to_json().encode()).hexdigest()[:8] + "-"


def numbered(svg: str, chart: Chart, number: int) -> str:
    """`svg`'s ids (and the references to them: id="…", url(#…), href="#…", the ids
    aria-labelledby lists) made those of the page's figure `number`."""
    prefix = id_prefix(chart)
    return (svg.replace(f'"{prefix}', f'"{prefix}{number}-').replace(f"#{prefix}", f"#{prefix}{number}-")
            .replace(f" {prefix}", f" {prefix}{number}-"))


