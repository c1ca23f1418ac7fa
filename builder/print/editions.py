"""The print editions of a build: rendered only when their input changed, in parallel.

Each issue's `PrintDocument` is hashed; a PDF made from the same digest before is
taken from the cache (.cache/pdf/ in the site's folder). The rest render in worker
processes (`Typesetters`, started first thing in a build) while this process renders
the archive and checks the issues' characters against the fonts.
"""

from __future__ import annotations

import ctypes
import gc
import importlib.util
import multiprocessing
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from builder import memory
from builder.errors import ContentError, Findings
from builder.files import UnsafePath, inside, regular_file
from builder.forked import default_jobs, running
from builder.model import Archive, Issue, Site
from builder.print.document import PrintDocument, article_anchors, code_files, print_document, print_limits
from builder.print.glyphs import PRINT_FACES, check_issue, font_file, missing_faces
from builder.print.overflow import locate_overflows
from builder.print.pdf import RenderedPdf, locate_problems, render_pdf
from builder.routes import PDF_CACHE

PROGRESS_SECONDS = 15
# An issue's typesetting is stopped after this long: the sample issue takes 5 s.
TYPESETTING_LIMIT = 600
# How much longer than that the build waits for a worker that does not stop (stuck in C).
STALL_GRACE = 60


@dataclass(frozen=True)
class Editions:
    # issue slug -> the PDF: its file in the cache (not held in memory: 240 issues make
    # 240 MB), or its bytes where it was not cached (cut content, no cache)
    pdfs: dict[str, Path | bytes]
    digests: dict[str, str]  # issue slug -> what names the PDF's bytes (its document's digest)
    errors: tuple[ContentError, ...]
    warnings: tuple[ContentError, ...]
    pages: dict[str, int] = field(default_factory=dict)  # issue slug -> page count, of those typeset now


# A pool of typesetters is replaced by a fresh one after this many editions a worker (once
# all of its own are done): a worker otherwise grows by some 25 MB over 120 editions
# (caches of WeasyPrint and Pango, fragments), which at 240 issues took the build to 500 MB.
EDITIONS_PER_WORKER = 30


class Typesetters:
    """The worker processes that typeset, started before the content is read so that
    they load WeasyPrint (about a second) while this process reads and renders the
    archive. They are forked from Python's fork server, a small process of their own
    that has loaded WeasyPrint once, not from this one: a pool started late (they are
    replaced, see EDITIONS_PER_WORKER) would otherwise inherit the whole archive, which
    stays in the worker as this process goes on changing its own copy (40 to 50 MB each
    at 240 issues). As with any fork server, a worker imports the program's main module
    first: a script that builds (rather than `newsletter build`) must do so under
    `if __name__ == "__main__":`."""

    def __init__(self, jobs: int | None = None, issues: int | None = None) -> None:
        """`jobs` workers (default: one per core), but no more than the `issues` expected."""
        jobs = jobs or default_jobs()
        self.count = max(1, min(jobs, jobs if issues is None else issues))
        self.pool = self._start()
        # What the typesetters' machine lacks (HarfBuzz's subsetter, the fonts), asked of a
        # worker: this process never loads WeasyPrint (some 50 MB it would hold for minutes).
        self.environment = self.pool.submit(_environment_warnings)
        self.busy = False
        self.handed = 0  # editions handed to this pool
        self.unfinished: set[Future] = set()  # of this pool

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["builder.print.preload"])
        pool = ProcessPoolExecutor(self.count, context, initializer=_warm_up,
                                   initargs=(os.getpid(),))
        for _ in range(self.count):  # the workers start now: one more for each task that finds none idle
            pool.submit(int)
        return pool

    def accepting(self) -> bool:
        """Whether an edition handed on now is set soon: not while a pool due to be
        replaced still sets its last ones. One whose editions are all done is replaced here."""
        if self.handed < EDITIONS_PER_WORKER * self.count:
            return True
        if self.unfinished:
            return False
        self.pool.shutdown()
        self.pool, self.handed = self._start(), 0
        return True

    def environment_warnings(self) -> list[ContentError]:
        try:
            return self.environment.result(timeout=TYPESETTING_LIMIT)
        except Exception:  # noqa: BLE001 (a worker that cannot load WeasyPrint: its editions say why)
            return []

    def typeset(self, document: PrintDocument) -> Future:
        self.busy = True
        self.handed += 1
        try:
            future = self.pool.submit(_typeset, document)
        except BrokenProcessPool as exc:  # a worker died before it got this issue
            failed: Future = Future()
            failed.set_exception(exc)
            return failed
        self.unfinished.add(future)
        future.add_done_callback(self.unfinished.discard)
        return future

    def __enter__(self) -> Typesetters:
        return self

    def __exit__(self, error_type: type | None, *_: object) -> None:
        if error_type is None and self.busy:
            self.pool.shutdown()
            return
        # The build stops, or every PDF came from the cache: no waiting for the workers.
        terminate = getattr(self.pool, "terminate_workers", None)  # Python 3.14
        if terminate is not None:
            terminate()
        else:
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.terminate()
        self.pool.shutdown(cancel_futures=True)


def _warm_up(build_process: int) -> None:
    stop_with(build_process)
    _leave_the_fork_server()
    # What this worker inherited from the fork server (WeasyPrint's modules) is never
    # collected here: a collection writes to every object it looks at, which would copy
    # those pages into each worker instead of sharing them.
    gc.freeze()
    # WeasyPrint and the extension, loaded by the fork server (preload.py), or else here
    # (about a second) while the build reads the content. Another WeasyPrint is reported
    # by render_pdf, whose error reaches the build: raised here, it would only break the pool.
    try:
        from builder.print import weasyprint_cjk

        weasyprint_cjk.ensure()
    except Exception:  # noqa: BLE001,S110 (reported by the render, as said)
        pass


def _leave_the_fork_server() -> None:
    """Close this worker's copy of the pipe whose end tells the fork server that the build
    is gone: held here, the server would wait for the workers while they wait for it to
    stop (a build killed with SIGKILL would leave them all behind)."""
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    alive = getattr(server, "_forkserver_alive_fd", None)
    if isinstance(alive, int):
        with suppress(OSError):
            os.close(alive)
        server._forkserver_alive_fd = None  # type: ignore[union-attr]


def stop_with(build_process: int) -> None:
    """Have Linux stop this worker when its parent dies (killed, say), instead of leaving
    it behind: the build process, or the fork server, which stops when the build does."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the build's own handler (cli.py)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the build's own clean-up is all there is
    if os.getppid() != build_process and not running(build_process):  # died before the line above
        os._exit(1)


PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


# Editions handed to each worker at a time: one it typesets, the rest queued, so that it
# never waits for the build. The others wait without their print HTML (made again when
# their turn comes): 240 issues' would be 40 MB held for the length of the typesetting.
QUEUED_PER_WORKER = 4


@dataclass
class PendingEditions:
    """Editions being typeset: `finish()` checks their characters meanwhile, hands the
    waiting ones on as workers free up, and collects them."""

    archive: Archive
    env: jinja2.Environment
    workers: Typesetters
    issues: dict[str, Issue]  # by slug
    to_typeset: list[str]  # issue slugs, in the order they go to the workers
    handed: int  # to_typeset[:handed] went to the workers; the rest wait
    futures: dict[str, Future]  # those with a worker now (a finished one is dropped, its PDF with it)
    digests: dict[str, str]  # issue slug -> its document's digest, for every edition
    cached: dict[str, Path]
    refused: list[ContentError]  # issues beyond what the typesetter sets in reasonable time
    cache: Path | None  # None: not to be used
    # When the first edition went to a worker: the time left is reckoned from then (by the
    # time `finish` is called, the archive rendered, many editions may be done already).
    started: float = field(default_factory=time.monotonic)

    def finish(self, report: Callable[[str], None] = lambda _: None) -> Editions:
        archive, issues = self.archive, self.issues
        pdfs: dict[str, Path | bytes] = dict(self.cached)
        errors: list[ContentError] = []
        warnings: list[ContentError] = []
        failed: dict[str, list[ContentError]] = {}
        if self.to_typeset:
            warnings.extend(self.workers.environment_warnings())
            for slug in self.to_typeset:
                found = preflight(archive.site, issues[slug])
                failed[slug] = list(found.errors)
                warnings.extend(found.warnings)
        errors.extend(self.refused)
        if self.cache is None:
            warnings.append(ContentError(archive.site.root / PDF_CACHE, "the PDF cache is a link to outside the "
                                         "site, so it is not used: every PDF is typeset again", None,
                                         "remove the link; the build makes the folder itself"))
        for slug in self.to_typeset:
            errors.extend(failed[slug])  # characters no font has, whatever becomes of the typesetting
        progress = _Progress(len(self.to_typeset), report, self.started)
        counts: dict[str, int] = {}
        for slug, result in self._completed(report):
            if isinstance(result, TimeoutError):
                errors.append(ContentError(issues[slug].folder, f"the typesetting of this issue took more than "
                                           f"{TYPESETTING_LIMIT // 60} minutes and was stopped", None,
                                           "look for what is unusual in it (a picture of many shapes, a table of "
                                           "thousands of cells); build with --no-pdf meanwhile"))
                continue
            if isinstance(result, TooDeep):
                errors.append(_too_deep(issues[slug]))
                continue
            if isinstance(result, BrokenProcessPool):
                errors.append(ContentError(issues[slug].folder, "the typesetting of this issue stopped: a worker "
                                           "process died (out of memory, or a crash in WeasyPrint's libraries)",
                                           None, "build again; if it happens again, check the free memory and "
                                           "this issue's images"))
                continue
            unreadable = locate_problems(issues[slug], result.problems)
            errors.extend(unreadable)
            cut = locate_overflows(issues[slug], article_anchors(issues[slug]), result.overflows)
            warnings.extend(cut)
            # An edition with errors or cut content is never cached: the next build reports them again.
            # The others are cached at once: a build stopped later keeps them.
            if not failed[slug] and not unreadable:
                pdfs[slug] = result.pdf
                counts[slug] = result.pages
                if not cut and self.cache is not None:
                    pdfs[slug] = _store(self.cache, slug, self.digests[slug], result.pdf)
            progress.done(f"typeset {slug}.pdf: {result.pages} pages, {len(result.pdf) / 1e6:.2f} MB")
        digests = {slug: f"pdf {self.digests[slug]}" for slug in pdfs}
        return Editions(pdfs, digests, tuple(errors), tuple(warnings), counts)

    def _hand_on(self) -> None:
        """Give the workers waiting editions until each has QUEUED_PER_WORKER."""
        while self.handed < len(self.to_typeset) and len(self.futures) < QUEUED_PER_WORKER * self.workers.count \
                and self.workers.accepting():
            slug = self.to_typeset[self.handed]
            self.handed += 1
            document = print_document(self.archive, self.issues[slug], self.env)
            self.digests[slug] = document.digest  # the same as before: print_document is pure
            self.futures[slug] = self.workers.typeset(document)

    def _completed(self, report: Callable[[str], None]
                   ) -> Iterator[tuple[str, RenderedPdf | TimeoutError | BrokenProcessPool | TooDeep]]:
        """Each edition as soon as it is typeset, in the order they finish, the waiting ones
        handed on meanwhile; a TimeoutError for one its worker stopped after
        TYPESETTING_LIMIT (`_typeset`), a BrokenProcessPool for one whose worker died. Says
        every PROGRESS_SECONDS how far it is. Should no edition finish for longer than a
        worker may take (a worker that does not stop), the rest are given up."""
        pending = self.futures
        total = len(self.to_typeset)
        said = last = time.monotonic()
        while pending:
            finished, _ = wait(pending.values(), timeout=1, return_when=FIRST_COMPLETED)
            now = time.monotonic()
            for slug, future in list(pending.items()):
                if future in finished:
                    del pending[slug]
                    last = now
                    try:
                        result = future.result()
                    except (BrokenProcessPool, TimeoutError, TooDeep) as exc:
                        result = exc
                    self._hand_on()
                    yield slug, result
            if pending and now - last >= TYPESETTING_LIMIT + STALL_GRACE:
                for slug in list(pending):
                    del pending[slug]
                    yield slug, TimeoutError()
                for slug in self.to_typeset[self.handed:]:
                    yield slug, TimeoutError()
                self.handed = total
            if pending and now - said >= PROGRESS_SECONDS:
                said = now
                report(f"still typesetting: {self.handed - len(pending)} of {total} done")


def preflight(site: Site, issue: Issue) -> Findings:
    """What would spoil an issue's print edition, found without typesetting it: more text
    than it can set, characters no font has (errors), characters only a fallback font has
    (warnings). A build runs it while the workers typeset; `newsletter check` on its own."""
    glyphs = check_issue(site, issue)
    return Findings((*print_limits(issue), *glyphs.errors), glyphs.warnings)


def edition(archive: Archive, issue: Issue, env: jinja2.Environment) -> tuple[Path | bytes | None, list[ContentError]]:
    """One issue's print edition, typeset in this process unless the cache has it (what
    `newsletter serve` previews): its file in the cache (or its bytes, where it has content
    cut, which is not cached), or None and what prevents it."""
    errors = list(preflight(archive.site, issue).errors)
    if errors:
        return None, errors
    document = print_document(archive, issue, env)
    folder = _cache(archive.site.root)
    trusted = folder is not None and _trusted(folder)
    found = _from_cache(_cached(folder, issue.slug, document.digest)) if folder is not None and trusted else None
    if found is not None:
        return found, []
    try:
        result = _typeset(document)
    except TooDeep:
        return None, [_too_deep(issue)]
    except TimeoutError:
        return None, [ContentError(issue.folder, f"the typesetting of this issue took more than "
                                   f"{TYPESETTING_LIMIT // 60} minutes and was stopped", None,
                                   "look for what is unusual in it (a picture of many shapes, a table of "
                                   "thousands of cells)")]
    unreadable = locate_problems(issue, result.problems)
    if unreadable:
        return None, unreadable
    cut = locate_overflows(issue, article_anchors(issue), result.overflows)
    if not cut and folder is not None:
        return _store(folder, issue.slug, document.digest, result.pdf), []
    return result.pdf, []


def start_editions(archive: Archive, env: jinja2.Environment, workers: Typesetters,
                   cache: bool = True) -> PendingEditions:
    """Each issue's PDF from the cache, or handed to a worker to typeset (every one with
    `cache` false: --no-cache; what is typeset is cached all the same); beyond what the
    workers take at once, the issues wait their turn in `PendingEditions.finish`."""
    folder = _cache(archive.site.root)
    limits = {issue.slug: print_limits(issue) for issue in archive.issues}
    refused = [error for errors in limits.values() for error in errors]
    cached: dict[str, Path] = {}
    futures: dict[str, Future] = {}
    to_typeset: list[str] = []
    digests: dict[str, str] = {}
    started = time.monotonic()
    trusted = folder is not None and _trusted(folder)
    for issue in archive.issues:
        if limits[issue.slug]:
            continue
        # One document at a time: a cached or waiting edition's print HTML is not kept.
        document = print_document(archive, issue, env)
        digests[issue.slug] = document.digest
        pdf = _from_cache(_cached(folder, issue.slug, document.digest)) if folder is not None and cache \
            and trusted else None
        if pdf is not None:
            cached[issue.slug] = pdf
            continue
        to_typeset.append(issue.slug)
        if len(futures) == len(to_typeset) - 1 and len(futures) < QUEUED_PER_WORKER * workers.count \
                and workers.accepting():
            futures[issue.slug] = workers.typeset(document)
    return PendingEditions(archive, env, workers, {issue.slug: issue for issue in archive.issues}, to_typeset,
                           len(futures), futures, digests, cached, refused, folder, started)


class TooDeep(Exception):
    """An edition whose HTML nests elements deeper than WeasyPrint's layout can follow
    (some 300 inside one another: raw HTML), which it meets with a RecursionError."""


def _too_deep(issue: Issue) -> ContentError:
    return ContentError(issue.folder, "the print edition of this issue cannot be typeset: its text has elements "
                        "nested too deeply (hundreds inside one another)", None,
                        "look in this issue's articles for markup opened hundreds of times inside itself: raw "
                        "HTML tags, or * and _ emphasis")


def _typeset(document: PrintDocument) -> RenderedPdf:
    """In a worker: the edition, or TimeoutError after TYPESETTING_LIMIT, the worker free
    again; TooDeep for HTML nested deeper than the layout can follow."""
    def too_long(_signum: int, _frame: object) -> None:
        raise TimeoutError(f"{document.slug} took more than {TYPESETTING_LIMIT} s")

    signal.signal(signal.SIGALRM, too_long)
    signal.alarm(TYPESETTING_LIMIT)
    try:
        return render_pdf(document)
    except RecursionError:
        raise TooDeep(document.slug) from None
    finally:
        signal.alarm(0)
        memory.give_back()  # what the edition's layout freed, before the next one


class _Progress:
    """`typeset 2017-18.pdf: …`, with how many are done and the time left once there are several."""

    def __init__(self, total: int, report: Callable[[str], None], started: float) -> None:
        self.total, self.report, self.count = total, report, 0
        self.started = started

    def done(self, line: str) -> None:
        self.count += 1
        if self.total > 2:
            left = (time.monotonic() - self.started) / self.count * (self.total - self.count)
            line += f" ({self.count} of {self.total}" + (f", about {_duration(left)} left)" if self.count < self.total
                                                        else ")")
        self.report(line)


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _environment_warnings() -> list[ContentError]:
    """In a typesetter: what its machine lacks that makes the editions slow or wrong."""
    from weasyprint.text.ffi import harfbuzz_subset

    warnings = []
    if harfbuzz_subset is None:
        warnings.append(ContentError(None, "HarfBuzz's subsetter (libharfbuzz-subset0) is missing: "
                                     "the PDF will take several seconds longer to write", None,
                                     "run ./dev build, or: apt-get install libharfbuzz-subset0"))
    for family in missing_faces():
        warnings.append(ContentError(None, f"the font '{family}' is not installed: the PDF will use another", None,
                                     "run ./dev build, or: apt-get install fonts-noto-cjk"))
    return warnings


def _cache(root: Path) -> Path | None:
    """The PDF cache, if it is a folder of the site: one that is a link to elsewhere is
    neither read (its files would be published) nor written (nor its files deleted)."""
    try:
        inside(root / PDF_CACHE, root)
    except UnsafePath:
        return None
    return root / PDF_CACHE


def _from_cache(path: Path) -> Path | None:
    """A PDF typeset before, if the cache holds it as a regular file."""
    try:
        return regular_file(path, path.parent)
    except UnsafePath:
        return None


# In the PDF cache: the folder's own inode, as the build that made it found it. A cache
# copied or checked out from elsewhere (its PDFs anyone's, under names anyone can work out)
# has another, and none of its PDFs is taken.
HOME = ".home"
CACHED = re.compile(r"^.+-[0-9a-f]{16}\.pdf$")


def _trusted(cache: Path) -> bool:
    try:
        info = os.stat(cache, follow_symlinks=False)
    except FileNotFoundError:
        return True
    except OSError:
        return False
    try:
        return (cache / HOME).read_text(encoding="utf-8") == f"{info.st_dev} {info.st_ino}"
    except (OSError, UnicodeDecodeError):
        return False


def _cached(cache: Path, slug: str, digest: str) -> Path:
    return cache / f"{slug}-{digest[:16]}.pdf"


def _store(cache: Path, slug: str, digest: str, pdf: bytes) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    if not _trusted(cache):  # PDFs of unknown origin: none is ever published
        for old in cache.iterdir():
            if CACHED.match(old.name):
                old.unlink()
        info = cache.stat()
        (cache / HOME).write_text(f"{info.st_dev} {info.st_ino}", encoding="utf-8")
    earlier = re.compile(rf"^{re.escape(slug)}-[0-9a-f]{{16}}\.pdf$")  # not 2017-18's for issue 2017
    for old in cache.iterdir():
        if earlier.match(old.name):
            old.unlink()
    target = _cached(cache, slug, digest)
    partial = target.with_suffix(".part")
    partial.write_bytes(pdf)
    partial.replace(target)
    return target


# The libraries the typesetting workers run (a new version replaces their files).
PRINT_LIBRARIES = ("weasyprint", "pydyf", "tinycss2", "cssselect2", "fontTools", "pyphen", "PIL")


def print_depends() -> tuple[str, ...]:
    """The files outside the site that decide the PDFs' bytes besides the main process's
    own modules: our print code, the libraries the workers load, the fonts."""
    found = [str(path) for path in code_files()]
    for name in PRINT_LIBRARIES:
        with suppress(ImportError, ValueError):
            spec = importlib.util.find_spec(name)
            if spec is not None and spec.origin:
                found.append(spec.origin)
    for face in PRINT_FACES:
        with suppress(OSError, subprocess.SubprocessError):
            found.append(str(font_file(face)))
    # Which file a face is: installing or removing fonts changes fontconfig's settings or
    # its cache (fc-cache runs after every font package).
    found += [str(path) for place in FONTCONFIG for path in (place, *sorted(Path(place).glob("*")))]
    return tuple(found)


FONTCONFIG = ("/etc/fonts", "/etc/fonts/conf.d", "/var/cache/fontconfig")
