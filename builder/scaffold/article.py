"""A new article's Markdown file in an issue: the next number in the folder for its file
name, the next `order` in its section, an address from its title, complete front matter."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from builder import routes
from builder.errors import ContentErrors
from builder.model import Archive, Issue, Section
from builder.scaffold.slugs import slug_of


@dataclass(frozen=True)
class NewArticle:
    issue: Issue
    section: Section
    title: str
    source: str
    date: dt.date
    order: int
    slug: str
    file_name: str

    def text(self) -> str:
        return (f"---\n"
                f"title: {_quoted(self.title)}\n"
                f"date: {self.date.isoformat()}\n"
                f"source: {_quoted(self.source)}\n"
                f"section: {self.section.name}\n"
                f"order: {self.order}\n"
                f"---\n\n")


def new_article(archive: Archive, issue_slug: str | None, section: str, title: str, source: str,
                date: dt.date | None, today: dt.date) -> NewArticle:
    issues = sorted(archive.issues, key=lambda issue: (issue.date, issue.total))
    issue = issues[-1] if issue_slug is None and issues else next((i for i in issues if i.slug == issue_slug), None)
    if issue is None:
        where = archive.site.root / routes.ISSUES_DIR
        raise ContentErrors.one(where / (issue_slug or ""), "there is no such issue" if issue_slug else
                                "there is no issue to add the article to", None,
                                "start one with `newsletter new issue`" if not issues else
                                "give one of: " + ", ".join(i.slug for i in issues[-5:]))
    chosen = next((s for s in archive.site.sections if section in (s.name, s.slug)), None)
    if chosen is None:
        raise ContentErrors.one(archive.site.root / routes.SITE_FILE, f"there is no section '{section}'", None,
                                "give one of the sections of site.yaml: "
                                + "、".join(s.name for s in archive.site.sections))
    if not title.strip():
        raise ContentErrors.one(None, "the title is empty", None, 'give it with --title "…"')
    for name, value in (("--title", title), ("--source", source)):
        if any(unicodedata.category(character) in ("Cc", "Cf", "Zl", "Zp") for character in value):
            raise ContentErrors.one(None, f"{name} holds a line break or an invisible control character", None,
                                    "type it on one line, without pasted formatting characters")
    order = max((a.order for a in issue.articles if a.section == chosen), default=0) + 1
    taken = {a.slug for a in issue.articles} | {re.sub(r"^\d+[-_]", "", path.stem)
                                                for path in issue.folder.glob("*.md")}
    base = slug_of(title)
    slug = next(f"{base}-{n}" if n > 1 else base for n in range(1, 1000)
                if (f"{base}-{n}" if n > 1 else base) not in taken)
    numbers = [int(found.group(1)) for path in issue.folder.glob("*.md")
               if (found := re.match(r"(\d+)[-_]", path.name))]
    file_name = f"{max(numbers, default=0) + 1:02d}-{slug}.md"
    return NewArticle(issue, chosen, title.strip(), source.strip() or archive.site.title, date or
                      min(today, issue.date), order, slug, file_name)


def write_article(article: NewArticle) -> Path:
    path = article.issue.folder / article.file_name
    with open(path, "x", encoding="utf-8") as file:  # never over a file: "x" fails if it exists
        file.write(article.text())
    return path


def _quoted(text: str) -> str:
    """YAML for a line of text: plain where YAML reads it back as it is, else double-quoted."""
    import yaml

    plain = text
    try:
        if yaml.safe_load(f"k: {plain}") == {"k": plain}:
            return plain
    except yaml.YAMLError:
        pass
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

