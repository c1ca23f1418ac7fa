"""The readers' search: the article pages indexed by Pagefind, whose bundle (an index in
small files, and the script that searches it in the browser) is published under
pagefind/. No server is needed: the archive searches itself wherever it is served from.

Pagefind's extended build segments Chinese into words. It reads the pages as they will be
published, the parts the templates mark (`data-pagefind-body`, `-meta`, `-filter`,
`-sort`, `-ignore`).

The archive is indexed in parts (`parts`): the issues of a year, at most PART_ISSUES of
them to a part, each part a bundle of its own under pagefind/<part>/, which the search
page merges (Pagefind's mergeIndex). Pagefind holds every page of a run in memory (6,000
long articles: 2.5 GB and 19 s); a part of 500 articles takes a few hundred MB and a
couple of seconds. A part is made again only when one of its article pages changed: a
build keeps the list of each bundle's files in its cache, under a digest of the pages it
indexed, and takes them from the last build while that digest is the same. An edit to
this week's issue indexes its part alone.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from builder import routes
from builder.errors import ContentErrors, SetupProblem
from builder.model import Issue
from builder.render.output import Page, page_bytes

if TYPE_CHECKING:
    from builder.cache.store import Store

KIND = "search"
# Pagefind's own search interfaces: the archive has its own (themes/default/static/search.js).
UNUSED = ("pagefind-ui.", "pagefind-modular-ui.", "pagefind-component-ui.")
# An index of the 6,000-article benchmark archive takes some seconds; one taking this long is stuck.
TIMEOUT_SECONDS = 900
# Bump when what is indexed changes other than through the pages (the options below).
VERSION = 1
# The issues of one part of the index at most: 20 issues of 25 articles, 500 articles.
PART_ISSUES = 20


def parts(issues: Sequence[Issue]) -> dict[str, list[Issue]]:
    """The issues of each part of the index, by its name: a year's issues, oldest first, in
    runs of PART_ISSUES (2017-1, 2017-2, …). A new issue joins its year's last part; the
    parts before it stay as they were."""
    years: dict[int, list[Issue]] = {}
    for issue in sorted(issues, key=lambda i: (i.year, i.number, i.slug)):
        years.setdefault(issue.year, []).append(issue)
    return {f"{year}-{k // PART_ISSUES + 1}": runs[k:k + PART_ISSUES]
            for year, runs in sorted(years.items(), reverse=True) for k in range(0, len(runs), PART_ISSUES)}


def bundle(part: str) -> str:
    """Where a part's bundle is published."""
    return f"{routes.SEARCH_BUNDLE}{part}/"


def executable() -> Path:
    """The Pagefind binary of the `pagefind[extended]` package."""
    try:
        from pagefind_bin_extended import get_executable
    except ImportError:
        raise SetupProblem("the search index needs Pagefind's extended build, which is not installed: "
                           "run ./dev build, or pip install 'pagefind[extended]'") from None
    return Path(get_executable())


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("pagefind_bin_extended")
    except PackageNotFoundError:
        return "?"


def index(pages: Sequence[Page], indexed: Mapping[str, Sequence[str]], digest_of: Callable[[str], str],
          previous: Callable[[str], Path | None], reusable: Callable[[str, str], bool],
          memo: Store | None, scratch: Path | None, report: Callable[[str], None] = lambda _: None,
          stale: Callable[[str], list[str]] | None = None) -> list[Page]:
    """The bundles' files as pages: for each part, the pages at its paths `indexed`
    (part -> paths) among `pages`, indexed (see `index_part`). With `stale` (the last
    build's files under a folder), a part whose pages changed keeps the last build's
    bundle, if it had one: `newsletter serve` shows the pages first, then makes it."""
    by_path = {page.path: page for page in pages}
    made: list[Page] = []
    for part, paths in indexed.items():
        kept = stale(bundle(part)) if stale is not None else []
        if kept:
            made.extend(_as_left(part, paths, by_path, digest_of, reusable, memo, kept, previous))
            continue
        made.extend(index_part(part, paths, by_path, digest_of, previous, reusable, memo, scratch, report))
    return made


def _as_left(part: str, indexed: Sequence[str], by_path: Mapping[str, Page], digest_of: Callable[[str], str],
             reusable: Callable[[str, str], bool], memo: Store | None, kept: list[str],
             previous: Callable[[str], Path | None]) -> list[Page]:
    """A part's bundle as the last build left it: taken as it is if it is still right,
    else its files' bytes, to be made again later."""
    key = _key(part, indexed, by_path, digest_of)
    listed = _kept(memo, key, bundle(part))
    if listed is not None and all(reusable(path, key) for path in listed):
        return [Page(path, None, key) for path in listed]
    found = []
    for path in kept:
        source = previous(path)
        if source is not None and source.is_file():
            found.append(Page(path, source.read_bytes()))
    return found


def _key(part: str, indexed: Sequence[str], by_path: Mapping[str, Page], digest_of: Callable[[str], str]) -> str:
    """A digest of what a part's bundle is made of: its pages (by the key of what each was
    made from, the same whether it was rendered now or taken from the last build: a page's
    bytes are not yet final when the index is made, its PDF's size still to be put in),
    Pagefind's version, ours."""
    digests = {path: by_path[path].key or (hashlib.sha256(page_bytes(by_path[path].content)).hexdigest()  # type: ignore[arg-type]
                                           if by_path[path].content is not None else digest_of(path))
               for path in indexed}
    return hashlib.sha256(json.dumps([VERSION, version(), part, sorted(digests.items())]).encode()).hexdigest()


def index_part(part: str, indexed: Sequence[str], by_path: Mapping[str, Page], digest_of: Callable[[str], str],
               previous: Callable[[str], Path | None], reusable: Callable[[str, str], bool],
               memo: Store | None, scratch: Path | None, report: Callable[[str], None]) -> list[Page]:
    """One part's bundle's files as pages, for the pages at the paths `indexed`.
    `digest_of(path)`: a page's digest where the build has not its text (left as the last
    build wrote it); `previous(path)`: that file in the last build's output; `reusable`
    and `memo` say whether the last build's bundle may be taken as it is. The pages are laid
    out for Pagefind in a folder made in `scratch` (the site's cache, on the output's disk
    if it can be: the pages left as they were are linked there, not copied; None: the
    system's temporary folder)."""
    key = _key(part, indexed, by_path, digest_of)
    kept = _kept(memo, key, bundle(part))
    if kept is not None and all(reusable(path, key) for path in kept):
        return [Page(path, None, key) for path in kept]
    report(f"indexing {len(indexed)} articles for the search ({part})")
    made = _run(indexed, by_path, previous, scratch, bundle(part))
    if memo is not None:
        memo.put(KIND, key, json.dumps(sorted(made)).encode())
    return [Page(path, data, key) for path, data in sorted(made.items())]


def _kept(memo: Store | None, key: str, prefix: str) -> list[str] | None:
    found = memo.get(KIND, key) if memo is not None else None
    if found is None:
        return None
    try:
        paths = json.loads(found)
    except ValueError:
        return None
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and p.startswith(prefix)
                                                            for p in paths):
        return None
    return paths


def _run(indexed: Sequence[str], by_path: Mapping[str, Page], previous: Callable[[str], Path | None],
         scratch: Path | None, published: str) -> dict[str, bytes]:
    """Pagefind run over the pages, laid out as they will be published in a folder of their
    own; the bundle it made, by its published paths."""
    if scratch is not None:
        try:
            scratch.mkdir(parents=True, exist_ok=True)
        except OSError:
            scratch = None  # not a folder: the system's temporary folder serves
    try:
        return _lay_out_and_run(indexed, by_path, previous, scratch, published)
    except OSError as exc:
        raise ContentErrors.one(Path(exc.filename) if exc.filename else None,
                                f"the pages could not be laid out for the search index: {exc.strerror or exc}",
                                None, "check the disk's free room and that .cache/ may be written; the published "
                                "output was left as it was") from None


def _lay_out_and_run(indexed: Sequence[str], by_path: Mapping[str, Page], previous: Callable[[str], Path | None],
                     scratch: Path | None, published: str) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory(prefix="search-", dir=scratch) as name:
        folder = Path(name).absolute()  # Pagefind runs in it: a site's relative root (`.`) must not lead elsewhere
        site = folder / "site"
        for path in indexed:
            target = site / path
            target.parent.mkdir(parents=True, exist_ok=True)
            page = by_path[path]
            if page.content is not None:
                target.write_bytes(page_bytes(page.content))
                continue
            source = previous(path)
            if source is None:
                raise ContentErrors.one(None, f"the page {path} changed while the build ran", None,
                                        "build again; the published output was left as it was")
            try:
                os.link(source, target)
            except OSError:
                shutil.copyfile(source, target)
        made = folder / "bundle"
        # Run in the empty scratch folder, its PAGEFIND_* settings not inherited: Pagefind reads
        # a pagefind.yml from where it runs, and one found by chance (`serve: true`) would change
        # the index, or keep the build waiting, without changing its key.
        quiet = {name: value for name, value in os.environ.items() if not name.upper().startswith("PAGEFIND")}
        try:
            done = subprocess.run([str(executable()), "--site", str(site), "--output-path", str(made), "--silent"],
                                  capture_output=True, text=True, errors="replace", timeout=TIMEOUT_SECONDS,
                                  stdin=subprocess.DEVNULL, cwd=folder, env=quiet)
        except subprocess.TimeoutExpired:
            raise SetupProblem(f"the search index was not made in {TIMEOUT_SECONDS // 60} minutes (Pagefind "
                               "stopped); the published output was left as it was") from None
        except OSError as exc:
            raise SetupProblem(f"Pagefind, which makes the search index, could not be run: {exc}; run ./dev build "
                               "to install it again") from None
        said = (done.stderr.strip() or done.stdout.strip()).splitlines()
        if done.returncode != 0 or not (made / "pagefind.js").is_file():
            raise SetupProblem("the search index could not be made (Pagefind: "
                               f"{' / '.join(said[-3:]) or f'exit code {done.returncode}'}); the published output "
                               "was left as it was")
        return {published + path.relative_to(made).as_posix(): path.read_bytes()
                for path in sorted(made.rglob("*")) if path.is_file() and not path.name.startswith(UNUSED)}
