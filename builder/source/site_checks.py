"""What only a view of the whole site finds, beyond what each file's own checks find:
gaps in the numbering, 总期号 against the dates, an article dated after its issue, a
section an issue leaves empty, a title used in two issues. All are warnings: each can be
right (an archive that starts mid-year, a week without international news), so the
editor is told and decides. `newsletter check` runs them; a build does not."""

from __future__ import annotations

import re

from builder.chinese import CJK_CLASS
from builder.errors import ContentError
from builder.model import Archive, Issue
from builder.routes import ISSUE_FILE


def site_findings(archive: Archive) -> list[ContentError]:
    issues = sorted(archive.issues, key=lambda issue: (issue.year, issue.number))
    return [*_numbering(issues), *_totals(archive.issues), *_dates(archive.issues), *_empty_sections(archive),
            *_repeated_titles(archive.issues), *_half_width_punctuation(archive.issues)]


def _numbering(issues: list[Issue]) -> list[ContentError]:
    found = []
    for earlier, later in zip(issues, issues[1:]):
        if earlier.year == later.year and later.number > earlier.number + 1:
            missing = (f"第{earlier.number + 1}期" if later.number == earlier.number + 2
                       else f"第{earlier.number + 1}–{later.number - 1}期")
            found.append(ContentError(later.folder / ISSUE_FILE, f"{later.year}年{missing} is missing: the issue "
                                      f"before this one is {earlier.folder.name} (第{earlier.number}期)",
                                      later.line("number"), "check 'number' here, or add the missing issue"))
    return found


def _totals(issues: tuple[Issue, ...]) -> list[ContentError]:
    found = []
    by_total = sorted(issues, key=lambda issue: issue.total)
    for earlier, later in zip(by_total, by_total[1:]):
        if later.total > earlier.total + 1:
            missing = (f"总第{earlier.total + 1}期" if later.total == earlier.total + 2
                       else f"总第{earlier.total + 1}–{later.total - 1}期")
            found.append(ContentError(later.folder / ISSUE_FILE, f"{missing} is missing: the issue before this "
                                      f"one is {earlier.folder.name} "
                                      f"(总第{earlier.total}期)", later.line("total"),
                                      "check 'total' here, or add the missing issue"))
        if later.date < earlier.date:
            found.append(ContentError(later.folder / ISSUE_FILE, f"总第{later.total}期 is dated "
                                      f"{later.date.isoformat()}, before 总第{earlier.total}期 ({earlier.folder.name}, "
                                      f"{earlier.date.isoformat()})", later.line("date"),
                                      "check 'date' and 'total' in the two issue.yaml files"))
    return found


def _dates(issues: tuple[Issue, ...]) -> list[ContentError]:
    return [ContentError(article.path, f"发布日期 {article.date.isoformat()} is after the issue's date "
                         f"{issue.date.isoformat()}", article.line("date"),
                         "check 'date': an article is published before the issue that carries it")
            for issue in issues for article in issue.articles if article.date > issue.date]


def _empty_sections(archive: Archive) -> list[ContentError]:
    found = []
    for issue in archive.issues:
        if not issue.articles:
            found.append(ContentError(issue.folder, "this issue has no articles", None,
                                      "add articles with `newsletter new article`, or remove the issue"))
            continue
        used = {article.section for article in issue.articles}
        empty = [section.name for section in archive.site.sections if section not in used]
        if empty:
            found.append(ContentError(issue.folder / ISSUE_FILE, "this issue has no article in "
                                      + "、".join(f"【{name}】" for name in empty), None,
                                      "if that is meant, nothing needs doing: the section is left out of the issue"))
    return found


def _repeated_titles(issues: tuple[Issue, ...]) -> list[ContentError]:
    found = []
    first: dict[str, tuple[Issue, str]] = {}
    for issue in sorted(issues, key=lambda issue: (issue.date, issue.total)):
        for article in issue.articles:
            title = "".join(article.title.split())
            if title in first and first[title][0] is not issue:
                other, name = first[title]
                found.append(ContentError(article.path, f"the same title is in {other.folder.name} ({name})",
                                          article.line("title"), "if it is the same article, remove one; "
                                          "if not, tell them apart in their titles"))
            first.setdefault(title, (issue, article.path.name))
    return found


# Half-width , : ; ? between Chinese characters, ( after one, ) before one (欧盟(EU)表示): the
# print edition sets them as Latin punctuation, narrow and low, among 汉字.
_HALF_WIDTH = re.compile(rf"(?<=[{CJK_CLASS}])[,:;?](?=[{CJK_CLASS}])|(?<=[{CJK_CLASS}])\(|\)(?=[{CJK_CLASS}])")
_FULL_WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "(": "（", ")": "）"}
_CODE = re.compile(r"`[^`\n]*`")


def _half_width_punctuation(issues: tuple[Issue, ...]) -> list[ContentError]:
    found = []
    for issue in issues:
        for article in issue.articles:
            fence = ""  # the fence of the code block the line is in
            for number, line in enumerate(article.body.split("\n")):
                marker = line.lstrip()[:3]
                if marker in ("```", "~~~") and fence in ("", marker):
                    fence = "" if fence else marker
                    continue
                if fence or line.startswith(("    ", "\t")):
                    continue
                marks = [match.group() for match in _HALF_WIDTH.finditer(_CODE.sub("", line))]
                if marks:
                    found.append(ContentError(article.path, "half-width " + " ".join(dict.fromkeys(marks))
                                              + " among Chinese characters", article.body_line + number,
                                              "type " + " ".join(dict.fromkeys(_FULL_WIDTH[mark] for mark in marks))
                                              + " instead (full width), as Chinese text is set"))
    return found
