"""Checking the values of a YAML mapping against a small schema, with editors' messages.

One mechanism serves site.yaml, issue.yaml and article front matter: each names its
keys with a `Field`, and every problem is reported with the file and line of the value.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from builder.errors import ErrorLog
from builder.files import CONTROL, INVISIBLE
from builder.source.yamlfile import Key, YamlDoc

_DATE = re.compile(r"^\s*(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?\s*$")


@dataclass(frozen=True)
class Field:
    kind: str  # text | int | bool | date | texts | mapping | list
    required: bool = False
    hint: str = ""
    least: int | None = None  # for int: the smallest value that makes sense
    most: int | None = None  # for int: the largest


def parse_date(value: object) -> dt.date | None:
    """A date as editors write it: 2017-05-03, 2017-5-3, 2017.5.3 or 2017年5月3日."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        match = _DATE.match(value)
        if match:
            try:
                return dt.date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


def read_fields(doc: YamlDoc, spec: Mapping[str, Field], log: ErrorLog,
                at: Key = (), what: str = "") -> dict[str, Any] | None:
    """The checked values of the mapping at `at` in `doc`; None if any of them is wrong."""
    data: Any = doc.data
    for key in at:
        data = data[key]
    place = f" in {what}" if what else ""
    if not isinstance(data, dict):
        log.error(doc.path, f"expected a list of 'key: value' lines{place}", doc.line(*at))
        return None
    found = log.scope()  # the errors of this mapping
    result: dict[str, Any] = {}
    for key in data:
        if key not in spec:
            close = difflib.get_close_matches(str(key), list(spec), n=1)
            hint = f"did you mean '{close[0]}'?" if close else "the known keys are: " + ", ".join(spec)
            found.error(doc.path, f"unknown key '{key}'{place}", doc.line(*at, key), hint)
    for name, field in spec.items():
        line = doc.line(*at, name)
        if name not in data or data[name] is None or data[name] == "":
            if field.required:
                found.error(doc.path, f"'{name}' is missing{place}", doc.line(*at),
                            field.hint or f"add a line '{name}: …'")
            continue
        value = _convert(data[name], field)
        if value is None:
            found.error(doc.path, f"'{name}' should be {_DESCRIPTION[field.kind]}, not {_shown(data[name])}",
                        line, field.hint)
            continue
        invisible = _invisible(value)
        if invisible:
            found.error(doc.path, f"'{name}' holds the invisible character U+{ord(invisible):04X}, which would "
                                  f"hide or disguise what readers see", line,
                        "delete it: it may have come with pasted text, or be written as an escape such as \\0")
            continue
        if value == "" or value == ():
            # `title: "  "` says nothing; a page, a feed entry or a PDF bookmark needs words.
            if field.required:
                found.error(doc.path, f"'{name}' is empty{place}", line,
                            field.hint or f"write something after '{name}:'")
            continue
        if field.kind == "int" and not _within(value, field):
            found.error(doc.path, f"'{name}' should be {_range(field)}, not {value}", line, field.hint)
            continue
        result[name] = value
    return None if found else result


def _invisible(value: Any) -> str | None:
    """The first control character (or other unpublishable one) of a text value, if any."""
    for text in (value if isinstance(value, tuple) else (value,)):
        if isinstance(text, str) and (match := CONTROL.search(text) or INVISIBLE.search(text)):
            return match.group()
    return None


def _within(value: int, field: Field) -> bool:
    return (field.least is None or value >= field.least) and (field.most is None or value <= field.most)


def _range(field: Field) -> str:
    if field.most is None:
        return f"a whole number of at least {field.least}"
    if field.least is None:
        return f"a whole number of at most {field.most}"
    return f"a whole number from {field.least} to {field.most}"


def _shown(value: object) -> str:
    """A wrong value as the message quotes it: not all of a 10,000-character one."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


_DESCRIPTION = {
    "text": "text",
    "int": "a whole number",
    "bool": "true or false",
    "date": "a date such as 2017-05-03",
    "texts": "a list of texts",
    "mapping": "a list of 'key: value' lines",
    "list": "a list",
}


def _convert(value: object, field: Field) -> Any:
    kind = field.kind
    if kind == "text":
        # YAML reads `title: 2017` as a number; editors mean the text.
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value).strip()
        if isinstance(value, dt.date):
            return value.isoformat()
        return None
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value.strip()):
            return int(value)
        return None
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if kind == "date":
        return parse_date(value)
    if kind == "texts":
        if isinstance(value, str):
            return (value.strip(),)
        if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
            return tuple(text for v in value if (text := str(v).strip()))
        return None
    if kind == "mapping":
        return value if isinstance(value, dict) else None
    if kind == "list":
        return value if isinstance(value, list) else None
    raise ValueError(f"unknown field kind {kind}")
