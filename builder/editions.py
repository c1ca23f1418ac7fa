"""The print editions of a build: rendered only when their input changed, in parallel.

Each issue's `PrintDocument` is hashed; a PDF made from the same digest before is
taken from the cache (.cache/pdf/ in the site's folder). The rest render in worker
processes while this process checks their characters against the fonts.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import jinja2

from .errors import ContentError
from .glyphs import check_issue, missing_faces
from .model import Archive
from .pdf import PrintDocument, RenderedPdf, locate_problems, print_document, render_pdf

CACHE = Path(".cache") / "pdf"


@dataclass(frozen=True)
class Editions:
    pdfs: dict[str, bytes]  # issue slug -> PDF
    errors: tuple[ContentError, ...]
    warnings: tuple[ContentError, ...]


def print_editions(archive: Archive, env: jinja2.Environment, jobs: int | None = None,
                   report: Callable[[str], None] = lambda _: None) -> Editions:
    cache = archive.site.root / CACHE
    documents = {issue.slug: print_document(archive, issue, env) for issue in archive.issues}
    pdfs: dict[str, bytes] = {}
    todo: list[PrintDocument] = []
    for slug, document in documents.items():
        cached = _cached(cache, slug, document.digest)
        if cached.is_file():
            pdfs[slug] = cached.read_bytes()
        else:
            todo.append(document)
    errors: list[ContentError] = []
    warnings: list[ContentError] = []
    issues = {issue.slug: issue for issue in archive.issues}
    results: list[RenderedPdf] = []
    failed: dict[str, list[ContentError]] = {}
    if todo:
        # Workers are forked before this process loads WeasyPrint; while they typeset,
        # this process checks the fonts and every character against them.
        with ProcessPoolExecutor(max_workers=min(len(todo), jobs or os.cpu_count() or 1)) as pool:
            futures = [pool.submit(render_pdf, document) for document in todo]
            warnings.extend(_environment_warnings())
            for document in todo:
                glyphs = check_issue(archive.site, issues[document.slug])
                failed[document.slug] = list(glyphs.errors)
                warnings.extend(glyphs.warnings)
            results = [future.result() for future in futures]
    for result in results:
        problems = failed[result.slug] + locate_problems(issues[result.slug], result.problems)
        errors.extend(problems)
        if not problems:  # an edition with errors is never cached: the next build reports them again
            pdfs[result.slug] = result.pdf
            _store(cache, result.slug, documents[result.slug].digest, result.pdf)
        report(f"typeset {result.slug}.pdf: {result.pages} pages, {len(result.pdf) / 1e6:.2f} MB")
    return Editions(pdfs, tuple(errors), tuple(warnings))


def _environment_warnings() -> list[ContentError]:
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


def _cached(cache: Path, slug: str, digest: str) -> Path:
    return cache / f"{slug}-{digest[:16]}.pdf"


def _store(cache: Path, slug: str, digest: str, pdf: bytes) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    earlier = re.compile(rf"^{re.escape(slug)}-[0-9a-f]{{16}}\.pdf$")  # not 2017-18's for issue 2017
    for old in cache.iterdir():
        if earlier.match(old.name):
            old.unlink()
    target = _cached(cache, slug, digest)
    partial = target.with_suffix(".part")
    partial.write_bytes(pdf)
    partial.replace(target)
