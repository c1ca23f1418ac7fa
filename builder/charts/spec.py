"""A chart as an editor writes it: a fenced block of YAML in the article's Markdown.

    ```chart
    type: bar                 # bar, line, stacked bar, pie
    title: 各省（区、市）“十三五”碳排放强度下降目标
    data: targets.csv         # a CSV file beside the article, or `rows:` in the block
    x: 地区
    y: 下降目标                # a column, or a list of columns (several series)
    unit: "%"
    source: 国家《“十三五”控制温室气体排放工作方案》
    ```

`resolve` reads each block of an article (its data included) into a `Chart` and writes
it back into the body as one line, `CHART_MARK` and the chart as JSON, the block's other
lines left blank: the body then holds all a chart depends on (the caches keyed by an
article's text see a changed CSV), and every line after it keeps its number. What is
wrong is reported at the Markdown file's line, a CSV's faults with the CSV's line too.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from builder.charts.data import Table, read_csv, table_from_rows
from builder.errors import ErrorLog
from builder.files import CONTROL, INVISIBLE, UnsafePath, resolve_reference

KINDS = ("bar", "line", "stacked bar", "pie")
MOST_SETTINGS = 20_000  # characters of a block: more data goes in a CSV file
MOST_LABEL = 40  # characters of a name (a column, a bar's)
MOST_TITLE = 200
_TEXT_HINT = "write it as plain text on one line, without control or invisible characters"
# A chart's text holds no control or invisible character, as the site's other texts
# (files.CONTROL: control characters, lone surrogates; files.INVISIBLE: bidirectional
# overrides and the like).


class Parser(Protocol):
    def __call__(self, text: str, path: Path, log: ErrorLog, first_line: int = 1) -> Any: ...


def text_problem(text: str, most: int) -> str | None:
    """What is wrong with a chart's text, or None."""
    if len(text) > most:
        return f"is {len(text)} characters long; at most {most}"
    if CONTROL.search(text) or INVISIBLE.search(text) or "\n" in text or "\t" in text:
        return "holds a control or invisible character"
    return None
MOST_SERIES = 8
MOST_ROWS = 400
# The line a resolved chart takes in an article's body (not something an editor types:
# a line that starts so but is not a chart this code wrote is shown as text).
CHART_MARK = "\u2063chart\u2063 "

_FENCE = re.compile(r"^(```|~~~)\s*chart\s*$")


@dataclass(frozen=True)
class Chart:
    kind: str  # one of KINDS
    title: str
    x: str  # the column of the categories
    series: tuple[str, ...]  # the columns of the values
    unit: str
    source: str
    rows: tuple[tuple[str, tuple[float, ...]], ...]  # (category, a value for each series)
    data: str = ""  # the CSV's name, as the block gives it ("" for rows in the block)

    def to_json(self) -> str:
        return json.dumps([self.kind, self.title, self.x, list(self.series), self.unit, self.source,
                           [[label, list(values)] for label, values in self.rows], self.data],
                          ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Chart | None:
        """The chart `to_json` wrote, or None if `text` is not one (checked as strictly)."""
        try:
            kind, title, x, series, unit, source, rows, data = json.loads(text)
            chart = cls(str(kind), str(title), str(x), tuple(str(s) for s in series), str(unit), str(source),
                        tuple((str(label), tuple(float(v) for v in values)) for label, values in rows), str(data))
        except (ValueError, TypeError, RecursionError):
            return None
        if (chart.kind not in KINDS or not chart.series or len(chart.series) > MOST_SERIES
                or not chart.rows or len(chart.rows) > MOST_ROWS
                or any(len(values) != len(chart.series) for _, values in chart.rows)
                or not all(math.isfinite(v) for _, values in chart.rows for v in values)
                or (chart.kind == "pie" and any(values[0] <= 0 for _, values in chart.rows))
                or any(text_problem(t, MOST_TITLE) for t in (chart.title, chart.source))
                or any(text_problem(t, MOST_LABEL) for t in (chart.x, chart.unit, *chart.series,
                                                               *(label for label, _ in chart.rows)))):
            return None
        return chart


def resolve(body: str, body_line: int, path: Path, log: ErrorLog, parse: Parser) -> str:
    """`body` with each chart block replaced by its resolved line (see the module); a block
    with an error is reported and left as it was. `parse` reads YAML as the site's other
    YAML is read (source/yamlfile.py: no anchors or aliases, nesting bounded), reporting
    at the file's lines."""
    if "chart" not in body and CHART_MARK[0] not in body:
        return body  # most articles: no chart, no mark
    lines = body.split("\n")
    for index, text in enumerate(lines):
        if text.startswith(CHART_MARK[0]):
            log.error(path, "this line starts with an invisible character (U+2063)", body_line + index,
                      "delete the character at the start of the line")
            return body
    index = 0
    while index < len(lines):
        if not _FENCE.match(lines[index]):
            index += 1
            continue
        fence = lines[index][:3]
        end = next((k for k in range(index + 1, len(lines)) if lines[k].strip() == fence), None)
        line = body_line + index
        if end is None:
            log.error(path, "this chart block is not closed", line, f"end it with a line of {fence}")
            return body
        chart = read_chart("\n".join(lines[index + 1:end]), line + 1, path, log, parse)
        if chart is not None:
            lines[index] = CHART_MARK + chart.to_json()
            for k in range(index + 1, end + 1):
                lines[k] = ""
        index = end + 1
    return "\n".join(lines)


def read_chart(text: str, first_line: int, path: Path, log: ErrorLog, parse: Parser) -> Chart | None:
    """The chart a block's YAML (starting at `first_line` of `path`) describes, or None (reported)."""
    found = log.scope()
    if len(text) > MOST_SETTINGS:
        found.error(path, f"this chart's settings are {len(text):,} characters; a block takes at most "
                    f"{MOST_SETTINGS:,}", first_line - 1,
                    "put the chart's data in a CSV file beside the article (data: name.csv)")
        return None
    doc = parse(text, path, found, first_line)
    if doc is None:
        return None
    spec = doc.data
    if not isinstance(spec, dict) or not spec:
        found.error(path, "this chart block holds no settings", first_line - 1,
                    "write type, title, data (or rows), x and y, one a line")
        return None

    def line_of(key: str) -> int:
        return doc.line(key) or first_line

    known = {"type", "title", "data", "rows", "x", "y", "unit", "source"}
    for key in spec:
        if key not in known:
            found.error(path, f"unknown chart setting '{key}'", line_of(str(key)),
                        "the settings are " + ", ".join(sorted(known)))
    kind = str(spec.get("type", ""))
    if kind not in KINDS:
        found.error(path, f"unknown chart type '{kind}'" if kind else "this chart has no type",
                    line_of("type") if kind else first_line - 1,
                    "write type: bar, line, stacked bar or pie")
    for key in ("title", "x", "y"):
        if not spec.get(key):
            found.error(path, f"this chart has no {key}", first_line - 1, _HINTS[key])
    series = spec.get("y")
    names = tuple(str(s) for s in series) if isinstance(series, list) else (str(series),) if series else ()
    if len(names) > MOST_SERIES:
        found.error(path, f"this chart has {len(names)} series; at most {MOST_SERIES} can be told apart",
                    line_of("y"), "draw fewer columns, or make two charts")
    if kind == "pie" and len(names) > 1:
        found.error(path, "a pie shows one series", line_of("y"), "give y one column")
    if ("data" in spec) == ("rows" in spec):
        found.error(path, "a chart takes its data from a CSV file (data:) or from rows in the block (rows:)",
                    first_line - 1, "write one of the two")
    for key in ("type", "title", "x", "unit", "source", "data"):
        if key in spec and not isinstance(spec[key], (str, int, float)):
            found.error(path, f"the chart's {key} is not a text", line_of(key), "write it on one line, as `title: …`")
    if isinstance(series, list) and not all(isinstance(s, (str, int, float)) for s in series):
        found.error(path, "the chart's y is not a column or a list of columns", line_of("y"), "write y: [北京, 上海]")
    if found:
        return None
    for key in ("title", "x", "unit", "source"):
        problem = text_problem(str(spec.get(key, "") or ""), MOST_TITLE if key in ("title", "source") else MOST_LABEL)
        if problem:
            found.error(path, f"the chart's {key} {problem}", line_of(key), _TEXT_HINT)
    for name in names:
        problem = text_problem(name, MOST_LABEL)
        if problem:
            found.error(path, f"the chart's column '{name[:MOST_LABEL]}' {problem}", line_of("y"), _TEXT_HINT)
    if found:
        return None
    table = _table(spec, line_of, path, found)
    if table is None:
        return None
    x = str(spec["x"])
    for column in (x, *names):
        if column not in table.columns:
            shown = "、".join(table.columns[:20]) + ("…" if len(table.columns) > 20 else "")
            found.error(path, f"the chart's column '{column}' is not in {table.name}",
                        line_of("x" if column == x else "y"), "the columns are " + shown)
    if found:
        return None
    rows = []
    for row in table.rows:
        values = []
        for column in names:
            value = table.number(row, column, found, path, line_of("data" if "data" in spec else "rows"))
            if value is None:
                break
            values.append(value)
        else:
            at = table.columns.index(x)
            label = row.cells[at].strip() if at < len(row.cells) else ""
            problem = text_problem(label, MOST_LABEL) if label else "is empty"
            if problem:
                found.error(path, f"{table.name}, line {row.line}: the name in the column '{x}' {problem}",
                            line_of("data" if "data" in spec else "rows"), _TEXT_HINT)
            else:
                rows.append((label, tuple(values)))
    if found:
        return None
    if not rows:
        found.error(path, f"{table.name} has no rows", line_of("data" if "data" in spec else "rows"),
                  "give the chart at least one row of data")
        return None
    if len(rows) > MOST_ROWS:
        found.error(path, f"{table.name} has {len(rows)} rows; a chart shows at most {MOST_ROWS}",
                  line_of("data" if "data" in spec else "rows"), "sum or pick the rows the chart should show")
        return None
    if kind == "pie" and any(values[0] <= 0 for _, values in rows):
        found.error(path, "a pie shows parts of a whole: every value must be above zero", line_of("y"),
                  "draw a bar chart instead")
        return None
    return Chart(kind, str(spec["title"]), x, names, str(spec.get("unit", "") or ""), str(spec.get("source", "") or ""),
                 tuple(rows), str(spec.get("data", "") or ""))


_HINTS = {
    "title": "write title: and what the chart shows; it is the figure's caption",
    "x": "write x: and the column that names the bars or points (地区, 年份…)",
    "y": "write y: and the column (or a list of columns) of the values",
}


def _table(spec: dict[str, Any], line_of, path: Path, log: ErrorLog) -> Table | None:
    if "rows" in spec:
        return table_from_rows(spec["rows"], path, line_of("rows"), log)
    name = str(spec["data"])
    try:
        file = resolve_reference(name, path.parent, "the article's folder")
    except UnsafePath as exc:
        log.error(path, f"the chart's data '{name}' {exc}", line_of("data"),
                  "put the CSV file beside the article and give its name")
        return None
    return read_csv(file, name, path, line_of("data"), log)
