"""The one date formatter: every date a reader sees goes through `format_date`."""

from __future__ import annotations

import datetime as dt

STYLES = ("long", "short", "iso")


def format_date(date: dt.date, style: str = "long") -> str:
    """long: 2017年5月3日 (archive pages); short: 2017-5-3 (as the printed bulletin writes
    发布日期); iso: 2017-05-03 (machines)."""
    if style == "long":
        return f"{date.year}年{date.month}月{date.day}日"
    if style == "short":
        return f"{date.year}-{date.month}-{date.day}"
    if style == "iso":
        return date.isoformat()
    raise ValueError(f"unknown date style {style!r}; use one of {STYLES}")
