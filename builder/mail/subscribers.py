"""The bulletin's subscribers: a CSV file (email, name, groups) -> SubscriberList, less the suppressed.

The list is an editor's spreadsheet, and every name and address in it ends up in a mail
header. So each address is checked and normalised by email-validator (its syntax only: no
network), and a cell holding a line break or an invisible character is refused: a name
"张三\\r\\nBcc: …" would add a header to the message. A bad row is reported with its line
and never stops the others; only a file that cannot be read at all stops a send.

Encoding: UTF-8, with or without a BOM. Excel on a Chinese Windows saves "CSV (逗号分隔)" in
GBK, so a file that is not UTF-8 (and has no UTF-8 BOM) is read as GB18030, GBK's superset,
with a warning: the addresses are ASCII either way, and a wrongly read name shows in the
preview of a send.
"""

from __future__ import annotations

import csv
import io
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from email_validator import EmailNotValidError, validate_email

from builder.errors import ContentError, ErrorLog
from builder.files import CONTROL, INVISIBLE, MAX_TEXT_BYTES, UnsafePath, read_bytes, regular_file

COLUMNS = ("email", "name", "groups")
MAX_NAME = 100  # characters: a greeting, not a paragraph
# Between groups in a cell: the ASCII separators, and the full-width ones a Chinese input
# method types (；，、).
GROUP_SEPARATORS = re.compile(r"[;；,，、]")
# Trimmed around a cell: ordinary, no-break and ideographic (full-width) spaces. Not line
# breaks: a name ending in one is refused, not quietly mended.
SPACES = " \u00a0\u3000"
LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
SAVE_AS_UTF8 = "save it as UTF-8: in Excel, File → Save As → 'CSV UTF-8 (逗号分隔) (*.csv)'"


@dataclass(frozen=True)
class Subscriber:
    email: str  # as normalised by email-validator (domain lower-cased, IDN handled); compare case-insensitively
    name: str  # may be Chinese; may be empty
    groups: tuple[str, ...]
    path: Path  # the CSV file
    line: int  # its line in that file (1-based, the header is line 1)

    @property
    def key(self) -> str:
        """The address as two rows or lists compare it: `A@Example.org` is `a@example.org`."""
        return self.email.lower()


@dataclass(frozen=True)
class SubscriberList:
    subscribers: tuple[Subscriber, ...]  # in file order, each address once
    rejected: tuple[ContentError, ...]  # rows that cannot be used: file, line, why, what to do
    skipped: tuple[tuple[Subscriber, str], ...]  # (subscriber, reason): suppressed, or a duplicate of line N


def load_subscribers(path: Path, suppressed: Path | None, log: ErrorLog) -> SubscriberList | None:
    """The subscribers of the CSV file at `path`, less those on the suppression list at
    `suppressed` (none if None or if there is no such file).

    None, with the error in `log`, when a file as a whole cannot be used: the list missing,
    not a regular file, not text, without a header or an `email` column; or a suppression
    list that exists but cannot be read (sending to those who asked not to be written to
    is worse than not sending). A bad row goes to `rejected`, not to `log`."""
    blocked = _suppressed(suppressed, log) if suppressed is not None else {}
    text = _read(path, log, "the subscriber list",
                 "give the path of a CSV file saved as UTF-8, with the columns email,name,groups")
    if blocked is None or text is None:
        return None
    rows = _rows(path, text, log)
    if rows is None:
        return None
    if not rows:
        log.error(path, "the subscriber list is empty", None,
                  "its first line names the columns: email,name,groups; then one subscriber a line")
        return None
    columns = _columns(path, rows[0], log)
    if columns is None:
        return None

    subscribers: list[Subscriber] = []
    rejected: list[ContentError] = []
    skipped: list[tuple[Subscriber, str]] = []
    first: dict[str, int] = {}  # address -> the line it was first seen on
    listed = suppressed.name if suppressed is not None else ""
    for start, end, cells in rows[1:]:
        row = _subscriber(path, start, end, cells, columns)
        if isinstance(row, ContentError):
            rejected.append(row)
        elif row.key in first:
            skipped.append((row, f"the same address as line {first[row.key]}"))
        else:
            first[row.key] = row.line
            if row.key in blocked:
                skipped.append((row, f"on the suppression list ({listed} line {blocked[row.key]})"))
            else:
                subscribers.append(row)
    return SubscriberList(tuple(subscribers), tuple(rejected), tuple(skipped))


def group_filter(subscribers: Iterable[Subscriber], groups: set[str]) -> tuple[Subscriber, ...]:
    """The subscribers in any of `groups` (`--group`), compared without regard to case;
    none if `groups` is empty."""
    wanted = {group.strip(SPACES).casefold() for group in groups}
    return tuple(s for s in subscribers if any(group.casefold() in wanted for group in s.groups))


def _read(path: Path, log: ErrorLog, what: str, hint: str) -> str | None:
    """The text of a regular file: UTF-8 (BOM or not), else GB18030 with a warning."""
    try:
        data = read_bytes(regular_file(path, path.parent, "its folder"), MAX_TEXT_BYTES)
    except UnsafePath as exc:
        log.error(path, f"{what} cannot be read: it {exc}", None, hint)
        return None
    if data.startswith(b"PK\x03\x04"):
        log.error(path, f"{what} is a spreadsheet workbook (.xlsx), not a text file", None, SAVE_AS_UTF8)
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        log.error(path, f"{what} is UTF-16 text (Excel's 'Unicode Text'), not UTF-8", None, SAVE_AS_UTF8)
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        # A file marked as UTF-8 by its BOM has a broken byte, not another encoding.
        gbk = None if data.startswith(b"\xef\xbb\xbf") else _gb18030(data)
        if gbk is None:
            log.error(path, f"{what} is not UTF-8 text (the first byte that is not is on line {line})", line,
                      SAVE_AS_UTF8)
            return None
        log.warn(path, f"{what} is not UTF-8: it was read as GB18030 (GBK), the encoding of Excel's "
                       "'CSV (逗号分隔)' on a Chinese Windows", line,
                 f"check that the names read right; to be sure, {SAVE_AS_UTF8}")
        text = gbk
    if "\0" in text:
        line = text.count("\n", 0, text.index("\0")) + 1
        log.error(path, f"{what} holds NUL characters: it is not a text file", line, SAVE_AS_UTF8)
        return None
    return text


def _gb18030(data: bytes) -> str | None:
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        return None


def _suppressed(path: Path, log: ErrorLog) -> dict[str, int] | None:
    """The suppression list: each address (as `Subscriber.key`) with its line; {} if the
    file does not exist, None (reported) if it cannot be read."""
    if not os.path.lexists(path):
        return {}
    text = _read(path, log, "the suppression list", "make it a plain text file, one address a line")
    if text is None:
        return None
    blocked: dict[str, int] = {}
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), 1):
        entry = re.split(r"\s#", line, maxsplit=1)[0].strip()  # `a@b.org  # bounced` as well
        if not entry or entry.startswith("#"):
            continue
        try:
            checked = validate_email(entry, check_deliverability=False)
            address = checked.ascii_email or checked.normalized
        except EmailNotValidError as exc:
            log.warn(path, f"{_shown(entry)} is not an email address ({exc}): it suppresses nothing", number,
                     "correct the address, or make the line a comment by starting it with '#'")
            continue
        blocked.setdefault(address.lower(), number)
    return blocked


def _rows(path: Path, text: str, log: ErrorLog) -> list[tuple[int, int, list[str]]] | None:
    """The CSV's rows as (first line, last line, cells), blank rows left out; a quoted cell
    may run over several lines."""
    # newline="": the csv module sees every line break, so a quoted one stays in its cell
    # and `line_num` counts lines as an editor does (CR LF, LF or CR alone).
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, int, list[str]]] = []
    end = 0
    try:
        for cells in reader:
            start, end = end + 1, reader.line_num
            if any(cell.strip(SPACES) for cell in cells):
                rows.append((start, end, cells))
    except csv.Error as exc:  # a cell beyond the csv module's field size limit
        log.error(path, f"the subscriber list cannot be read as CSV: {exc}", end + 1,
                  "a quote \" that is never closed makes the rest of the file one cell: close it, or delete it")
        return None
    return rows


def _columns(path: Path, header: tuple[int, int, list[str]], log: ErrorLog) -> dict[str, int] | None:
    """Where each known column is, from the header row; None (reported) without `email`."""
    line, _, cells = header
    columns: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell.strip(SPACES).lower()
        if name in columns:
            log.error(path, f"the column '{name}' is there twice (columns {columns[name] + 1} and {index + 1})",
                      line, "delete or rename one of them")
            return None
        if name in COLUMNS:
            columns[name] = index
    if "email" not in columns:
        shown = ",".join(cells)
        if len(cells) == 1 and (";" in cells[0] or "\t" in cells[0]):
            hint = "separate the columns by commas (,), not by semicolons or tabs; " + SAVE_AS_UTF8
        elif "@" in shown:
            hint = "the first line names the columns: add the line 'email,name,groups' above the first subscriber"
        else:
            hint = "name the column of addresses 'email' (and the others 'name' and 'groups')"
        log.error(path, f"the subscriber list has no 'email' column: its first line is {_shown(shown)}", line, hint)
        return None
    return columns


def _subscriber(path: Path, start: int, end: int, cells: list[str],
                columns: dict[str, int]) -> Subscriber | ContentError:
    """One row as a Subscriber, or the reason it cannot be used."""

    def cell(column: str) -> str:
        index = columns.get(column)
        return cells[index].strip(SPACES) if index is not None and index < len(cells) else ""

    def refused(message: str, hint: str) -> ContentError:
        if end > start:
            hint += (f" (this row runs from line {start} to line {end}: a cell in quotes holds a line break,"
                     " or a quote \" is never closed and takes in the lines after it)")
        return ContentError(path, message, start, hint)

    raw, name = cell("email"), cell("name")
    if not raw:
        return refused("this row has no address in its 'email' column", "write the address, or delete the row")
    for column, value in (("address", raw), ("name", name), ("groups", cell("groups"))):
        bad = _unsafe(value)
        if bad is not None:
            return refused(f"the {column} {_shown(value)} holds {bad}: in a mail header it could change the message",
                           f"retype the {column} on one line, without invisible characters")
    try:
        # Non-ASCII letters before the @ need SMTPUTF8, which many servers lack; a domain
        # in Chinese (例子.中国) is written in its ASCII form (xn--…), which every server takes.
        checked = validate_email(raw, check_deliverability=False, allow_smtputf8=False)
        email = checked.ascii_email or checked.normalized
    except EmailNotValidError as exc:
        return refused(f"{_shown(raw)} is not a usable email address: {exc}", "correct the address, or delete the row")
    if _ENCODED_WORD.search(name):
        return refused(f"the name {_shown(name)} is written as a mail header's encoded word (=?…?=): a mail "
                       "program would read it as other addresses", "write the name as it should be shown")
    if len(name) > MAX_NAME:
        return refused(f"the name is {len(name)} characters long, more than the {MAX_NAME} a greeting may have",
                       "shorten it; an organisation or a title belongs in another column")
    groups = dict.fromkeys(g.strip(SPACES) for g in GROUP_SEPARATORS.split(cell("groups")))
    return Subscriber(email, name, tuple(g for g in groups if g), path, start)


# RFC 2047's =?charset?encoding?text?=: mail programs decode it inside a display name.
_ENCODED_WORD = re.compile(r"=\?[^?]*\?[bBqQ]\?")


def _unsafe(text: str) -> str | None:
    """What in `text` may not go into a mail header, in an editor's words; None if nothing."""
    for char in text:
        if char in LINE_BREAKS:
            return "a line break"
        if char == "\t":
            return "a tab"
        if unicodedata.category(char) == "Cc" or CONTROL.match(char):
            return f"the control character U+{ord(char):04X}"
        if INVISIBLE.match(char):
            return f"the invisible character U+{ord(char):04X}"
    return None


def _shown(text: str, limit: int = 60) -> str:
    """`text` quoted for a message: what prints nothing (or moves a terminal's cursor) as an
    escape, and cut short if long."""
    escapes = {"\r": "\\r", "\n": "\\n", "\t": "\\t"}
    shown = "".join(escapes.get(c, f"<U+{ord(c):04X}>") if _unsafe(c) else c for c in text[:limit])
    return f"'{shown}…'" if len(text) > limit else f"'{shown}'"
