"""The next issue: its 期号 (1 in a new year), 总期号, date and folder, from the issues
there are; its issue.yaml, every key commented, a draft until the editor says otherwise."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from builder import routes
from builder.errors import ContentErrors
from builder.model import Archive, Issue


@dataclass(frozen=True)
class NextIssue:
    slug: str
    year: int
    number: int
    total: int
    date: dt.date

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.number}期（总第{self.total}期）"


def next_issue(archive: Archive, date: dt.date | None, today: dt.date) -> NextIssue:
    """After the latest issue (by date): on `date`, or on the first day on or after today,
    and after the latest, that falls on its weekday; 1 in a new year, else the next 期号."""
    issues = sorted(archive.issues, key=lambda issue: (issue.date, issue.total))
    latest = issues[-1] if issues else None
    if date is None:
        date = _next_weekday(latest, today)
    if latest is not None and date <= latest.date:
        raise ContentErrors.one(latest.folder / routes.ISSUE_FILE,
                                f"the new issue's date {date.isoformat()} is not after the latest issue's "
                                f"({latest.date.isoformat()})", latest.line("date"),
                                "give a later date with --date, e.g. --date "
                                f"{(latest.date + dt.timedelta(days=7)).isoformat()}")
    same_year = [issue for issue in archive.issues if issue.year == date.year]
    number = max((issue.number for issue in same_year), default=0) + 1
    total = max((issue.total for issue in archive.issues), default=0) + 1
    return NextIssue(_folder_name(archive.issues, date.year, number, total), date.year, number, total, date)


def _next_weekday(latest: Issue | None, today: dt.date) -> dt.date:
    if latest is None:
        return today
    start = max(today, latest.date + dt.timedelta(days=1))
    return start + dt.timedelta(days=(latest.date.weekday() - start.weekday()) % 7)


def _folder_name(issues: tuple[Issue, ...], year: int, number: int, total: int) -> str:
    """As the existing folders are named: 2017-18 (year and 期号), 106 (总期号), or
    2017-018; 2017-18 where there are none to follow."""
    names = [issue.slug for issue in issues]
    if names and all(issue.slug == str(issue.total) for issue in issues):
        return str(total)
    widths = {len(found.group(1)) for name in names if (found := re.fullmatch(r"\d{4}-(\d+)", name))}
    width = max(widths) if widths else 2
    return f"{year}-{number:0{width}d}"


def issue_yaml(issue: NextIssue) -> str:
    keys = (("year", str(issue.year), "年度"),
            ("number", str(issue.number), "期号：本年第几期"),
            ("total", str(issue.total), "总期号"),
            ("date", issue.date.isoformat(), "出版日期"),
            ("# title", "本期标题", "可选：本期的标题，删去行首的 # 即生效"),
            ("note", "null", "编者按（Markdown；多行写作 note: | 后接缩进的段落），没有就写 null"),
            ("draft", "true", "草稿：只在 newsletter serve 与 build --drafts 中出现；发布前删去这一行"))
    return f"# {issue.label}\n" + "".join(f"{f'{key}: {value}':<24}# {comment}\n" for key, value, comment in keys)


def write_issue(root: Path, issue: NextIssue) -> Path:
    folder = root / routes.ISSUES_DIR / issue.slug
    if folder.exists() or folder.is_symlink():
        raise ContentErrors.one(folder, "this issue folder exists already; nothing was written", None,
                                "give another date with --date, or add articles to it with "
                                f"`newsletter new article --issue {issue.slug}`")
    folder.mkdir(parents=True)
    path = folder / routes.ISSUE_FILE
    with open(path, "x", encoding="utf-8") as file:
        file.write(issue_yaml(issue))
    return path
