"""The build, stage by stage: load -> render -> write.

    site.yaml + content/  --load-->  Archive  --render-->  pages, PDFs and files  --write-->  output/

Errors of the loading stage are collected and raised together; nothing is written then.
Writing goes to a new folder beside output/ that replaces it only when complete, so a
failed build leaves the published archive as it was.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import jinja2

from .config import load_site
from .content import load_archive
from .editions import print_editions
from .errors import ContentError, ContentErrors, ErrorLog
from .feeds import render_feed, render_sitemap
from .model import Archive
from .themes import static_files, template_env
from .web import Page, render_archive

Report = Callable[[str], None]


@dataclass(frozen=True)
class BuildResult:
    issues: int
    articles: int
    pages: int  # HTML and XML
    pdfs: int
    files: int
    seconds: float
    warnings: tuple[ContentError, ...] = field(default_factory=tuple)


def load(root: Path, drafts: bool = False) -> tuple[Archive, ErrorLog]:
    """Stage 1: site.yaml and content/ read and checked. Raises ContentErrors with every problem found."""
    log = ErrorLog()
    site = load_site(root, log)
    archive = load_archive(site, log, drafts) if site is not None else None
    log.raise_if_any()
    assert archive is not None
    return archive, log


def render(archive: Archive, pdf: bool = True, report: Report = lambda _: None
           ) -> tuple[list[Page], dict[str, Path], tuple[ContentError, ...]]:
    """Stage 2: every page (HTML, feeds, PDFs), every file to copy (output path -> source),
    and the warnings. Raises ContentErrors for what prevents a correct edition."""
    site = archive.site
    try:
        env = template_env(site)
        editions = print_editions(archive, env, report=report) if pdf else None
        pdfs = frozenset(editions.pdfs) if editions else frozenset()
        pages = render_archive(archive, env, pdfs)
    except jinja2.TemplateSyntaxError as exc:
        raise ContentErrors((ContentError(Path(exc.filename or exc.name or "template"), f"template error: {exc.message}",
                                          exc.lineno, "correct the template, or delete it to use the theme's"),))
    except jinja2.TemplateError as exc:
        raise ContentErrors((ContentError(None, f"template error: {exc}", None,
                                          "correct the site's templates/, or delete the file to use the theme's"),))
    if editions is not None and editions.errors:
        raise ContentErrors(editions.errors)
    pages.append(render_feed(archive))
    pages.append(render_sitemap(archive, [p.path for p in pages if p.path.endswith(".html")]))
    if editions is not None:
        pages.extend(Page(f"pdf/{slug}.pdf", data) for slug, data in sorted(editions.pdfs.items()))
    files = static_files(site)
    for issue in archive.issues:
        for name in issue.files:
            files[f"issues/{issue.slug}/{name}"] = issue.folder / name
    return pages, files, editions.warnings if editions else ()


def write(pages: list[Page], files: dict[str, Path], output: Path) -> None:
    """Stage 3: a complete new output/ in place of the old one, or no change at all."""
    output = output.resolve()
    output.parent.mkdir(parents=True, exist_ok=True)
    fresh = output.parent / f".{output.name}.new-{os.getpid()}"
    stale = output.parent / f".{output.name}.old-{os.getpid()}"
    shutil.rmtree(fresh, ignore_errors=True)
    try:
        for page in pages:
            target = fresh / page.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(page.content, bytes):
                target.write_bytes(page.content)
            else:
                target.write_text(page.content, encoding="utf-8")
        for name, source in files.items():
            target = fresh / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        if output.exists():
            output.rename(stale)
        fresh.rename(output)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        if stale.exists() and not output.exists():
            stale.rename(output)
        raise
    shutil.rmtree(stale, ignore_errors=True)


def check_output(root: Path, output: Path) -> None:
    """Refuse an output folder that would replace the site's own files."""
    out, site = output.resolve(), root.resolve()
    if out == site or out in site.parents or out in (site / "content").parents or \
            (site / "content").resolve() in out.parents or out == (site / "content").resolve():
        raise ContentErrors((ContentError(output, "the output folder would replace the site's own files", None,
                                          "choose another --output, e.g. output/"),))
    if output.exists() and not output.is_dir():
        raise ContentErrors((ContentError(output, "the output path is a file, not a folder", None,
                                          "remove it or choose another --output"),))


def build(root: Path, output: Path, drafts: bool = False, pdf: bool = True,
          report: Report = lambda _: None) -> BuildResult:
    """load -> render -> write. Raises ContentErrors (output untouched) if the content has errors."""
    started = time.perf_counter()
    check_output(root, output)
    archive, log = load(root, drafts)
    report(f"loaded {len(archive.issues)} issues, {len(archive.articles())} articles")
    pages, files, warnings = render(archive, pdf, report)
    write(pages, files, output)
    return BuildResult(
        issues=len(archive.issues),
        articles=len(archive.articles()),
        pages=sum(1 for page in pages if not page.path.endswith(".pdf")),
        pdfs=sum(1 for page in pages if page.path.endswith(".pdf")),
        files=len(files),
        seconds=time.perf_counter() - started,
        warnings=(*log.warnings, *warnings),
    )
