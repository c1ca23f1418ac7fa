"""The build, stage by stage: load -> render -> write.

    site.yaml + content/  --load-->  Archive  --render-->  pages, PDFs and files  --write-->  output/

Errors of the loading stage are collected and raised together; nothing is written then.
Writing goes to a new folder beside output/ that replaces it only when complete, so a
failed build leaves the published archive as it was.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import traceback
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import jinja2

from .config import load_site
from .content import load_archive
from .editions import Typesetters, start_editions
from .errors import ContentError, ContentErrors, ErrorLog
from .feeds import render_feed, render_sitemap
from .glyphs import check_issue
from .model import Archive
from .pdf import print_limits
from .themes import static_files, template_env
from .web import Page, render_archive

Report = Callable[[str], None]
# Left in every output folder, so that a later build knows it may replace the folder, and
# which of its files the build wrote (the rest an editor put there, and are kept).
MARKER = ".newsletter-output"
LINES_MANIFEST_HEAD = ("Written by `newsletter build`; the next build replaces this folder.\n"
                       "Files the build wrote (any other file in this folder is kept by the next build):\n")
MANIFEST_HEAD = ("Written by `newsletter build`; the next build replaces this folder.\n"
                 "Files the build wrote (any other file in this folder is kept by the next build), in JSON:\n")


@dataclass(frozen=True)
class BuildResult:
    issues: int
    articles: int
    pages: int  # HTML and XML
    pdfs: int
    files: int
    seconds: float
    warnings: tuple[ContentError, ...] = field(default_factory=tuple)
    kept: tuple[str, ...] = ()  # files in output/ that the build did not write, carried over


def load(root: Path, drafts: bool = False) -> tuple[Archive, ErrorLog]:
    """Stage 1: site.yaml and content/ read and checked. Raises ContentErrors with every problem found."""
    log = ErrorLog()
    site = load_site(root, log)
    archive = load_archive(site, log, drafts) if site is not None else None
    log.raise_if_any()
    assert archive is not None
    return archive, log


def check(root: Path) -> tuple[Archive, ErrorLog]:
    """load, drafts included, and every character against the print fonts, writing nothing.
    (A build checks the characters in the render stage, while the PDFs are typeset.)"""
    archive, log = load(root, drafts=True)
    for issue in archive.issues:
        log.errors.extend(print_limits(issue))
        glyphs = check_issue(archive.site, issue)
        log.errors.extend(glyphs.errors)
        log.warnings.extend(glyphs.warnings)
    log.raise_if_any()
    return archive, log


def render(archive: Archive, workers: Typesetters | None, report: Report = lambda _: None
           ) -> tuple[list[Page], dict[str, Path], tuple[ContentError, ...]]:
    """Stage 2: every page (HTML, feeds, and the PDFs if there are `workers` to typeset
    them), every file to copy (output path -> source), and the warnings. Raises
    ContentErrors for what prevents a correct edition."""
    site = archive.site
    env = template_env(site)
    pdf = workers is not None
    with _template_errors():
        # The workers typeset while this process renders the archive.
        pending = start_editions(archive, env, workers) if workers is not None else None
    with _template_errors():
        # Every issue gets its PDF, or the build stops: the pages may link them all.
        pages = render_archive(archive, env, frozenset(i.slug for i in archive.issues) if pdf else frozenset())
    pages.append(render_feed(archive))
    pages.append(render_sitemap(archive, [p.path for p in pages if p.path.endswith(".html")]))
    warnings: tuple[ContentError, ...] = ()
    if pending is not None:
        editions = pending.finish(report)
        if editions.errors:
            raise ContentErrors(editions.errors)
        pages.extend(Page(f"pdf/{slug}.pdf", data) for slug, data in sorted(editions.pdfs.items()))
        warnings = editions.warnings
    files = static_files(site)
    for issue in archive.issues:
        for name in issue.files:
            files[f"issues/{issue.slug}/{name}"] = issue.folder / name
    return pages, files, warnings


@contextmanager
def _template_errors() -> Iterator[None]:
    """A mistake in a template, reported like a mistake in the content: file, line, what to do."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        raise ContentErrors((ContentError(Path(exc.filename or exc.name or "template"), f"template error: {exc.message}",
                                          exc.lineno, "correct the template, or delete it to use the theme's"),))
    except jinja2.TemplateError as exc:
        # Jinja puts the template's own file and line into the traceback.
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".css", ".xml"))]
        place = frames[-1] if frames else None
        raise ContentErrors((ContentError(Path(place.filename) if place else None, f"template error: {exc}",
                                          place.lineno if place else None,
                                          "correct the template, or delete it to use the theme's"),))


def write(pages: list[Page], files: dict[str, Path], output: Path) -> tuple[str, ...]:
    """Stage 3: a complete new output/ in place of the old one, or no change at all.
    Files an editor put into output/ (a CNAME for the web host) are carried over; their
    names are returned."""
    output = output.resolve()
    written = [page.path for page in pages] + list(files)
    kept = _files_not_written(output, set(written))
    fresh = output.parent / f".{output.name}.new-{os.getpid()}"
    stale = output.parent / f".{output.name}.old-{os.getpid()}"
    target = fresh
    made = False
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if (fresh / MARKER).is_file() and not fresh.is_symlink():
            shutil.rmtree(fresh)  # left by an earlier build that had this process number
        fresh.mkdir()
        made = True
        (fresh / MARKER).write_text(MANIFEST_HEAD + json.dumps(sorted(written), ensure_ascii=False, indent=0),
                                    encoding="utf-8")
        for page in pages:
            target = fresh / page.path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(page.content, bytes):
                target.write_bytes(page.content)
            else:
                target.write_text(page.content, encoding="utf-8")
        for name, source in [*files.items(), *((name, output / name) for name in kept)]:
            target = fresh / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if name.endswith("/"):
                target.mkdir(exist_ok=True)
            else:
                shutil.copy2(source, target, follow_symlinks=False)
        target = output
        if output.exists():
            output.rename(stale)
        fresh.rename(output)
    except OSError as exc:
        raise ContentErrors((ContentError(target, f"the build cannot write here: {exc.strerror or exc}", None,
                                          f"check that you may write to {output.parent} and that the disk has room; "
                                          "the published output was left as it was"),)) from None
    finally:
        if made and fresh.exists():
            shutil.rmtree(fresh, ignore_errors=True)
            if stale.exists() and not output.exists():
                stale.rename(output)
    shutil.rmtree(stale, ignore_errors=True)
    return kept


def _files_not_written(output: Path, written: set[str]) -> tuple[str, ...]:
    """The files of an earlier output/ that no build wrote: those its manifest does not
    list (an output/ without the marker, made by hand, is all the editor's; one from
    before manifests is all the build's). A file the build would now write over is an
    error: it was not the build's to replace. Empty folders end in '/'."""
    if not output.is_dir():
        return ()
    try:
        manifest = (output / MARKER).read_text(encoding="utf-8")
    except FileNotFoundError:
        manifest = MANIFEST_HEAD + "[]"  # output/ made by hand before the first build: all of it is the editor's
    except (OSError, UnicodeDecodeError):
        return ()
    if manifest.startswith(MANIFEST_HEAD):
        # JSON, not lines: a file name may hold a line break.
        try:
            listed = json.loads(manifest[len(MANIFEST_HEAD):])
        except ValueError:
            listed = None
        if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
            raise ContentErrors((ContentError(output / MARKER, "the list of the files the last build wrote is "
                                              "damaged, so the build cannot tell them from yours", None,
                                              "move the files you put into the output folder elsewhere, then "
                                              "delete this file; the next build writes it anew"),))
        listed = set(listed)
    elif manifest.startswith(LINES_MANIFEST_HEAD):  # the first manifests: a name a line
        listed = set(manifest[len(LINES_MANIFEST_HEAD):].splitlines())
    else:
        return ()  # from before manifests: all of it is the build's
    folders = {parent for name in written for parent in _parents(name)}
    theirs = []
    for folder, dirs, names in os.walk(output):  # links are kept as links, never followed
        names += [d for d in dirs if os.path.islink(os.path.join(folder, d))]
        if not dirs and not names and folder != str(output):
            theirs.append(Path(folder).relative_to(output).as_posix() + "/")  # an empty folder: .well-known/
        for name in names:
            path = Path(folder, name)
            relative = path.relative_to(output).as_posix()
            if relative == MARKER or relative in listed:
                continue
            if relative in written or relative in folders or any(p in written for p in _parents(relative)):
                raise ContentErrors((ContentError(path, "this file was not written by a build, and the build would "
                                                  "now replace it", None, "move it out of the output folder"),))
            theirs.append(relative)
    return tuple(sorted(theirs))


def _parents(name: str) -> list[str]:
    """`a/b/c` -> [`a`, `a/b`]."""
    parts = name.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _issue_folders(root: Path) -> int:
    """How many issues there may be, before reading them: how many typesetters to start."""
    folder = root / "content" / "issues"
    return sum(1 for entry in folder.iterdir() if entry.is_dir()) if folder.is_dir() else 0


def _recover(output: Path) -> None:
    """Tidy up after a build that was killed while writing: its half-written folder goes,
    and if it died between the two renames, the published archive comes back. Only
    folders named exactly as `write` names them, holding its MARKER, are touched: a
    user's `.output.backup-20241125/` is not ours."""
    leftovers = re.compile(rf"^\.{re.escape(output.name)}\.(new|old)-(\d+)$")
    for leftover in sorted(output.parent.iterdir()) if output.parent.is_dir() else ():
        match = leftovers.match(leftover.name)
        if match is None or leftover.is_symlink() or not leftover.is_dir() or _running(int(match.group(2))):
            continue
        if not (leftover / MARKER).is_file():
            with suppress(OSError):
                leftover.rmdir()  # killed between making the folder and marking it: empty
            continue
        if match.group(1) == "old" and not output.exists():
            leftover.rename(output)
        else:
            shutil.rmtree(leftover, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def check_output(root: Path, output: Path) -> None:
    """Refuse an output folder whose replacement would lose anything but an earlier build:
    inside the site only output/ itself; elsewhere a folder that is new, empty, or was
    written by a build (it holds MARKER)."""
    out, site = output.resolve(), root.resolve()
    inside = out == site or site in out.parents or out in site.parents
    if inside and out != site / "output":
        raise ContentErrors((ContentError(output, "the output folder would replace the site's own files", None,
                                          "leave out --output to build into output/, or choose a folder outside the site"),))
    if output.exists() and not output.is_dir():
        raise ContentErrors((ContentError(output, "the output path is a file, not a folder", None,
                                          "remove it or choose another --output"),))
    if not inside and output.is_dir() and any(output.iterdir()) and not (output / MARKER).is_file():
        raise ContentErrors((ContentError(output, "this folder has files that no build wrote; building would replace them",
                                          None, "choose a new or empty folder for --output"),))


def build(root: Path, output: Path, drafts: bool = False, pdf: bool = True,
          report: Report = lambda _: None) -> BuildResult:
    """load -> render -> write. Raises ContentErrors (output untouched) if the content has errors."""
    started = time.perf_counter()
    check_output(root, output)
    _recover(output.resolve())
    with Typesetters(issues=_issue_folders(root)) if pdf else nullcontext() as workers:
        archive, log = load(root, drafts)
        report(f"loaded {len(archive.issues)} issues, {len(archive.articles())} articles")
        pages, files, warnings = render(archive, workers, report)
    kept = write(pages, files, output)
    return BuildResult(
        issues=len(archive.issues),
        articles=len(archive.articles()),
        pages=sum(1 for page in pages if not page.path.endswith(".pdf")),
        pdfs=sum(1 for page in pages if page.path.endswith(".pdf")),
        files=len(files),
        seconds=time.perf_counter() - started,
        warnings=(*log.warnings, *warnings),
        kept=kept,
    )
