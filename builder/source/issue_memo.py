"""Issues read by an earlier build, taken again while their folders are as they were.

Reading an issue (its front matter parsed, its references checked) depends on its folder
alone, besides the site's settings and the builder's code: so an issue is kept under a
digest of those and of a `snapshot` of the folder (names, sizes, times, links), and a
folder that looks exactly as it did is not read again. A folder changed in the last two
seconds is not kept (its time stamps could hide a change made since), and an issue with
errors is never kept: the next build reads it and reports them again.

Kept as JSON, not pickles: a cache file, like the content, is not trusted to run code.
Whatever cannot be decoded is read from the folder instead.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from builder.errors import ContentError, ErrorLog
from builder.files import snapshot
from builder.forked import fork_map
from builder.model import Article, Attachment, Issue, Site

KIND = "issue"


class Memo(Protocol):
    """Where results are kept between builds (builder.cache.store.Store)."""

    def get(self, kind: str, key: str) -> bytes | None: ...

    def put(self, kind: str, key: str, value: bytes) -> None: ...


@dataclass
class IssueMemo:
    memo: Memo
    salt: str  # what else an issue depends on: the builder's code, with or without drafts
    # folder -> the key of the issue read from it, where the key vouches for its content
    # (the folder had not changed in the last seconds): what the pages made of it depend on.
    keys: dict[Path, str] = field(default_factory=dict)
    # An issue folder's snapshot by its name, taken earlier in the build (builder.cache.stamp)
    seen: Mapping[str, tuple[str, bool]] = field(default_factory=dict)

    def key(self, folder: Path, site: Site) -> tuple[str, bool]:
        """The issue's key, and whether it may be kept (see `snapshot`)."""
        state, racy = self.seen.get(folder.name) or snapshot(folder)
        parts = (self.salt, repr(site), str(folder), state)
        return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest(), not racy

    def get(self, key: str, folder: Path, site: Site) -> tuple[Issue, tuple[ContentError, ...]] | None:
        kept = self.memo.get(KIND, key)
        if kept is None:
            return None
        try:
            head, _, bodies = kept.partition(b"\n")
            return _decode(json.loads(head), bodies, folder, site)
        except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
            return None

    def put(self, key: str, issue: Issue, warnings: Sequence[ContentError]) -> None:
        # The articles' bodies after the rest (one line of JSON), as they are: most of the
        # bytes, and read again much faster as text than as JSON strings. In UTF-16, which
        # Python reads back into Chinese text four times as fast as UTF-8 (a rebuild of
        # 6,000 articles: 20 ms, not 80), and a third smaller.
        try:
            bodies = [article.body.encode(BODIES) for article in issue.articles]
        except UnicodeEncodeError:  # a surrogate, which no file read as UTF-8 gives: not kept
            return
        head = json.dumps(_encode(issue, warnings, [len(body) for body in bodies]), ensure_ascii=False)
        self.memo.put(KIND, key, head.encode("utf-8", "surrogateescape") + b"\n" + b"".join(bodies))


BODIES = "utf-16-le"


def load_all(memo: IssueMemo | None, folders: Sequence[Path], site: Site, log: ErrorLog,
             load: Callable[[Path, Site, ErrorLog], Issue | None], jobs: int = 1) -> list[Issue | None]:
    """`load(folder, site, log)` for each folder, or what it returned for the folder as
    it is now; the folders not kept are read over `jobs` processes. What is found is
    reported in the order of the folders, whichever way each was read."""
    kept: dict[int, tuple[Issue, tuple[ContentError, ...]]] = {}
    keys: dict[int, tuple[str, bool]] = {}
    for index, folder in enumerate(folders):
        if memo is None:
            continue
        key, keep = keys[index] = memo.key(folder, site)
        if keep:
            memo.keys[folder] = key
        found = memo.get(key, folder, site)
        if found is not None:
            kept[index] = found
    missing = [index for index in range(len(folders)) if index not in kept]
    read = dict(zip(missing, fork_map(lambda index: _read(load, folders[index], site), missing, jobs)))
    issues: list[Issue | None] = []
    for index in range(len(folders)):
        if index in kept:
            issue, warnings = kept[index]
            log.add(warnings=warnings)
        else:
            issue, errors, warnings = read[index]
            log.add(errors, warnings)
            if memo is not None and issue is not None and not errors and keys[index][1]:
                memo.put(keys[index][0], issue, warnings)
        issues.append(issue)
    return issues


def _read(load: Callable[[Path, Site, ErrorLog], Issue | None], folder: Path,
          site: Site) -> tuple[Issue | None, list[ContentError], list[ContentError]]:
    found = ErrorLog()
    issue = load(folder, site, found)
    return issue, found.errors, found.warnings


def _encode(issue: Issue, warnings: Sequence[ContentError], sizes: Sequence[int]) -> dict[str, Any]:
    return {
        "issue": [issue.slug, issue.year, issue.number, issue.total, issue.date.isoformat(), issue.title,
                  issue.note, issue.draft, list(issue.files), [list(pair) for pair in issue.lines]],
        "articles": [[a.slug, a.title, a.date.isoformat(), a.source, a.section.slug, a.order, a.path.name,
                      size, a.body_line, a.author, a.summary, list(a.tags), a.link,
                      [[t.title, t.url, t.local] for t in a.attachments], a.draft,
                      [list(pair) for pair in a.lines]] for a, size in zip(issue.articles, sizes)],
        "warnings": [[str(w.path) if w.path is not None else None, w.message, w.line, w.hint] for w in warnings],
    }


def _decode(data: dict[str, Any], bodies: bytes, folder: Path, site: Site) -> tuple[Issue, tuple[ContentError, ...]]:
    (slug, year, number, total, date, title, note, draft, files, lines) = data["issue"]
    sections = {section.slug: section for section in site.sections}
    if slug != folder.name or any(not _plain_name(name) for name in files):
        raise ValueError("not this folder's issue")
    articles = []
    start = 0
    for (a_slug, a_title, a_date, source, section, order, name, size, body_line, author, summary, tags, link,
         attachments, a_draft, a_lines) in data["articles"]:
        if "/" in name or name in ("", ".", ".."):
            raise ValueError("not a file of this folder")
        if not isinstance(size, int) or size < 0:
            raise ValueError("not a body's length")
        body, start = bodies[start:start + size].decode(BODIES), start + size
        articles.append(Article(
            issue_slug=slug, slug=str(a_slug), title=str(a_title), date=dt.date.fromisoformat(a_date),
            source=str(source), section=sections[section], order=int(order), path=folder / name, body=body,
            body_line=int(body_line), author=str(author), summary=str(summary), tags=tuple(map(str, tags)),
            link=str(link), attachments=tuple(Attachment(str(t), str(u), bool(local)) for t, u, local in attachments),
            draft=bool(a_draft), lines=tuple((str(k), int(v)) for k, v in a_lines)))
    issue = Issue(slug=slug, year=int(year), number=int(number), total=int(total), date=dt.date.fromisoformat(date),
                  folder=folder, articles=tuple(articles), title=str(title), note=str(note), draft=bool(draft),
                  files=tuple(map(str, files)), lines=tuple((str(k), int(v)) for k, v in lines))
    if start != len(bodies):
        raise ValueError("bodies left over")
    warnings = tuple(ContentError(Path(path) if path is not None else None, str(message),
                                  int(line) if line is not None else None, str(hint))
                     for path, message, line, hint in data["warnings"])
    return issue, warnings


def _plain_name(name: str) -> bool:
    """A file of the issue as the loader names it: relative, inside the folder."""
    return bool(name) and not name.startswith("/") and ".." not in name.split("/") and "\\" not in name
