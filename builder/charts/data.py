"""A chart's data: a CSV file beside the article, or rows written in the chart's block.

A CSV is read as UTF-8 (with or without the byte-order mark Excel writes with "CSV UTF-8");
one in another encoding is refused with what it seems to be (Excel's plain "CSV" on a
Chinese system writes GB18030) and how to save it again. Its first line names the
columns; lines starting with `#` before it are notes (where the figures come from). A
value is a number, written as 20.5, 20.5% or 1,234; anything else is an error at the
CSV's line and the article's.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from builder.errors import ErrorLog
from builder.files import UnsafePath, read_bytes

MOST_BYTES = 1_000_000
MOST_COLUMNS = 50
# A number of at most 15 digits before its point and 15 after (a chart shows no more).
_NUMBER = re.compile(r"[+-]?(\d{1,3}(,\d{3}){0,4}|\d{1,15})(\.\d{1,15})?|[+-]?\.\d{1,15}")


@dataclass(frozen=True)
class Row:
    cells: tuple[str, ...]
    line: int  # of the CSV (or of the article, for rows in the block)


@dataclass(frozen=True)
class Table:
    name: str  # the CSV's name as the article gives it, or "the chart's rows"
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    def number(self, row: Row, column: str, log: ErrorLog, article: Path, article_line: int) -> float | None:
        """The row's value in `column` as a number, or None (reported at both lines)."""
        text = row.cells[self.columns.index(column)].strip() if self.columns.index(column) < len(row.cells) else ""
        plain = text.removesuffix("%").removesuffix("％").strip()
        if _NUMBER.fullmatch(plain):
            return float(plain.replace(",", ""))  # finite: at most 15 digits before the point
        where = f"{self.name}, line {row.line}"
        log.error(article, f"{where}: '{text}' in the column '{column}' is not a number" if text
                  else f"{where}: the column '{column}' is empty", article_line,
                  "write the value as a number (20.5, 20.5% or 1,234), without words or units")
        return None


ROWS = "the chart's rows"


def read_csv(file: Path, name: str, article: Path, line: int, log: ErrorLog) -> Table | None:
    """The table in `file` (named `name` in the article, at `line`), or None (reported)."""
    try:
        raw = read_bytes(file, MOST_BYTES)  # a regular file, opened without following a link swapped in
    except UnsafePath as exc:
        log.error(article, f"the chart's data {name} {exc}", line,
                  "give the chart a CSV file of only the rows it shows")
        return None
    except OSError as exc:
        log.error(article, f"the chart's data {name} cannot be read: {exc.strerror or exc}", line,
                  "check that the file is there and readable")
        return None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad_line = raw[:exc.start].count(b"\n") + 1
        seems = ""
        try:
            raw.decode("gb18030")
            seems = " (it reads as GB18030, as Excel's plain CSV saves it on a Chinese system)"
        except UnicodeDecodeError:
            pass
        log.error(article, f"the chart's data {name} is not UTF-8{seems}: line {bad_line} of it cannot be read",
                  line, "save it again as 'CSV UTF-8' (Excel) or in UTF-8 (any editor)")
        return None
    if "\0" in text:
        log.error(article, f"the chart's data {name} holds a NUL character: it is not a text file", line,
                  "give the chart a CSV file")
        return None
    lines = text.split("\n")
    start = 0
    while start < len(lines) and (lines[start].lstrip().startswith("#") or not lines[start].strip()):
        start += 1
    try:
        records = list(csv.reader(io.StringIO("\n".join(lines[start:]))))
    except csv.Error as exc:
        log.error(article, f"the chart's data {name} is not a CSV file: {exc}", line,
                  "write one row a line, the values separated by commas")
        return None
    numbered = [(start + 1 + k, record) for k, record in enumerate(records) if any(cell.strip() for cell in record)]
    if not numbered:
        log.error(article, f"the chart's data {name} is empty", line, "its first line names the columns")
        return None
    (_, header), rest = numbered[0], numbered[1:]
    if len(header) > MOST_COLUMNS:
        log.error(article, f"the chart's data {name} has {len(header)} columns; a chart reads at most {MOST_COLUMNS}",
                  line, "keep the columns the chart shows")
        return None
    columns = tuple(cell.strip() for cell in header)
    return Table(name, columns, tuple(Row(tuple(record[:MOST_COLUMNS]), number) for number, record in rest))


def table_from_rows(rows: Any, article: Path, line: int, log: ErrorLog) -> Table | None:
    """The table of `rows:` in a chart's block: a list of mappings, one a row."""
    if not isinstance(rows, list) or not rows or not all(isinstance(row, dict) for row in rows):
        log.error(article, "the chart's rows are not a list of rows", line,
                  "write each row on a line of its own: - {地区: 北京, 下降目标: 20.5}")
        return None
    named = [{str(key): value for key, value in row.items()} for row in rows]  # YAML may read 2020 as a number
    columns: dict[str, None] = {}
    for row in named:
        columns.update(dict.fromkeys(row))
        if len(columns) > MOST_COLUMNS:
            log.error(article, f"the chart's rows have more than {MOST_COLUMNS} columns", line,
                      "keep the columns the chart shows")
            return None
    made = tuple(Row(tuple("" if row.get(column) is None or isinstance(row.get(column), (list, dict))
                           else str(row.get(column)) for column in columns), line + 1 + k)
                 for k, row in enumerate(named))
    return Table(ROWS, tuple(columns), made)
