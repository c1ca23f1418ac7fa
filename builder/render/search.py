"""The readers' search: the article pages indexed by Pagefind, whose bundle (an index in
small files, and the script that searches it in the browser) is published under
pagefind/. No server is needed: the archive searches itself wherever it is served from.

Pagefind's extended build segments Chinese into words. It reads the pages as they will be
published, the parts the templates mark (`data-pagefind-body`, `-meta`, `-filter`,
`-sort`, `-ignore`). An index is made again only when an article page changed: a build
keeps the list of the bundle's files in its cache, under a digest of every page indexed,
and takes them from the last build while that digest is the same.
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


def index(pages: Sequence[Page], indexed: Sequence[str], digest_of: Callable[[str], str],
          previous: Callable[[str], Path | None], reusable: Callable[[str, str], bool],
          memo: Store | None, scratch: Path | None, report: Callable[[str], None] = lambda _: None) -> list[Page]:
    """The bundle's files as pages, for the pages at the paths `indexed` among `pages`.
    `digest_of(path)`: a page's digest where the build has not its text (left as the last
    build wrote it); `previous(path)`: that file in the last build's output; `reusable`
    and `memo` say whether the last build's bundle may be taken as it is. The pages are laid
    out for Pagefind in a folder made in `scratch` (the site's cache, on the output's disk
    if it can be: the pages left as they were are linked there, not copied; None: the
    system's temporary folder)."""
    by_path = {page.path: page for page in pages}
    digests = {path: (hashlib.sha256(page_bytes(by_path[path].content)).hexdigest()  # type: ignore[arg-type]
                      if by_path[path].content is not None else digest_of(path)) for path in indexed}
    key = hashlib.sha256(json.dumps([VERSION, version(), sorted(digests.items())]).encode()).hexdigest()
    kept = _kept(memo, key)
    if kept is not None and all(reusable(path, key) for path in kept):
        return [Page(path, None, key) for path in kept]
    report(f"indexing {len(indexed)} articles for the search")
    bundle = _run(indexed, by_path, previous, scratch)
    if memo is not None:
        memo.put(KIND, key, json.dumps(sorted(bundle)).encode())
    return [Page(path, data, key) for path, data in sorted(bundle.items())]


def _kept(memo: Store | None, key: str) -> list[str] | None:
    found = memo.get(KIND, key) if memo is not None else None
    if found is None:
        return None
    try:
        paths = json.loads(found)
    except ValueError:
        return None
    if not isinstance(paths, list) or not paths or not all(isinstance(p, str) and p.startswith(routes.SEARCH_BUNDLE)
                                                            for p in paths):
        return None
    return paths


def _run(indexed: Sequence[str], by_path: Mapping[str, Page], previous: Callable[[str], Path | None],
         scratch: Path | None) -> dict[str, bytes]:
    """Pagefind run over the pages, laid out as they will be published in a folder of their
    own; the bundle it made, by its published paths."""
    if scratch is not None:
        try:
            scratch.mkdir(parents=True, exist_ok=True)
        except OSError:
            scratch = None  # not a folder: the system's temporary folder serves
    with tempfile.TemporaryDirectory(prefix="search-", dir=scratch) as folder:
        site = Path(folder) / "site"
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
        bundle = Path(folder) / "bundle"
        try:
            done = subprocess.run([str(executable()), "--site", str(site), "--output-path", str(bundle), "--silent"],
                                  capture_output=True, text=True, errors="replace", timeout=TIMEOUT_SECONDS,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise SetupProblem(f"the search index was not made in {TIMEOUT_SECONDS // 60} minutes (Pagefind "
                               "stopped); the published output was left as it was") from None
        except OSError as exc:
            raise SetupProblem(f"Pagefind, which makes the search index, could not be run: {exc}; run ./dev build "
                               "to install it again") from None
        said = (done.stderr.strip() or done.stdout.strip()).splitlines()
        if done.returncode != 0 or not (bundle / "pagefind.js").is_file():
            raise SetupProblem("the search index could not be made (Pagefind: "
                               f"{' / '.join(said[-3:]) or f'exit code {done.returncode}'}); the published output "
                               "was left as it was")
        return {routes.SEARCH_BUNDLE + path.relative_to(bundle).as_posix(): path.read_bytes()
                for path in sorted(bundle.rglob("*")) if path.is_file() and not path.name.startswith(UNUSED)}
