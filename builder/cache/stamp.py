"""The last build, as a stamp: what it read, with what code, and what it left in output/.

A build whose inputs (site.yaml, content/, templates/, themes/), code (every module the
last build ran, and for print editions WeasyPrint and the fonts) and options are as the
stamp says, and whose output/ is still as the last build left it, would write the same
bytes again: `newsletter build` then says so and stops, before it even loads the
builder's libraries. Everything is compared by name, kind, size, inode and time stamps
(`files.snapshot`); a stamp is not written when an input changed in the last seconds,
since equal time stamps could then hide a change made after the build read the file.

Only the standard library and the base modules here: this runs before anything heavy
is imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from collections.abc import Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from builder.files import UnsafePath, inside, own_text, snapshot
from builder.routes import (
    BUILD_CACHE,
    BUILTIN_THEMES,
    ISSUES_DIR,
    OUTPUT_DIGESTS,
    OUTPUT_MARKER,
    SITE_FILE,
    TEMPLATES_DIR,
    THEMES_DIR,
)

FILE = "last-build.json"
VERSION = 1


@dataclass(frozen=True)
class Inputs:
    """The site's files at the start of a build."""

    digest: str
    settled: bool  # no input changed in the last seconds: the digest vouches for the content
    # The snapshot of each folder of content/issues/ by its name, as the issue memo takes
    # it (builder.source.issue_memo): the build need not look at every file a second time.
    issues: Mapping[str, tuple[str, bool]] = field(default_factory=dict)


def inputs(root: Path) -> Inputs:
    digest = hashlib.sha256()
    settled = True
    issues: dict[str, tuple[str, bool]] = {}
    for place in (root / SITE_FILE, root / ISSUES_DIR, root / TEMPLATES_DIR, root / THEMES_DIR, BUILTIN_THEMES):
        if place == root / ISSUES_DIR and place.is_dir() and not place.is_symlink():
            state, racy = _issues_snapshot(place, root, issues)
        else:
            state, racy = snapshot(place, BUILTIN_THEMES if place == BUILTIN_THEMES else root)
        digest.update(f"{place}\0{state}\0".encode("utf-8", "surrogateescape"))
        settled = settled and not racy
    return Inputs(digest.hexdigest(), settled, issues)


def _issues_snapshot(folder: Path, root: Path, issues: dict[str, tuple[str, bool]]) -> tuple[str, bool]:
    """content/issues/ as one digest, made of a `snapshot` of each issue folder in it as
    the issue memo takes one (links followed inside the issue's folder only: the loader
    reads nothing through a link out of it), kept in `issues` by name; and of every other
    entry (a file, a link) as a snapshot of its own, links followed inside the site."""
    digest = hashlib.sha256()
    racy = False
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return snapshot(folder, root)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            state, recent = issues[entry.name] = snapshot(Path(entry.path))
        else:
            state, recent = snapshot(Path(entry.path), root)
        digest.update(f"{entry.name}\0{state}\0".encode("utf-8", "surrogateescape"))
        racy = racy or recent
    return digest.hexdigest(), racy


def _options(output: Path, drafts: bool, pdf: bool, search: bool) -> dict[str, object]:
    return {"output": str(output.resolve()), "drafts": drafts, "pdf": pdf, "search": search, "python": sys.executable}


def _files_state(paths: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        try:
            info = os.stat(path)
            digest.update(f"{path} {info.st_size} {info.st_ino} {info.st_mtime_ns} {info.st_ctime_ns}\0".encode(
                "utf-8", "surrogateescape"))
        except OSError:
            digest.update(f"{path} -\0".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def _output_state(output: Path, just_written: bool = False) -> str | None:
    """The manifest and digests of output/ as they are, or None if any file the digests
    name is not as the build left it (size and time). `just_written`: by the build that
    stamps it, which need not look at its files (the next build does, before it trusts
    the stamp)."""
    output = output.resolve()
    if just_written:
        return _files_state([str(output / OUTPUT_MARKER), str(output / OUTPUT_DIGESTS)])
    try:
        entries = json.loads(own_text(output / OUTPUT_DIGESTS))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(entries, dict):
        return None
    for name, entry in entries.items():
        if not isinstance(entry, list):
            continue
        try:
            info = os.lstat(f"{output}/{name}")
        except OSError:
            return None
        if [info.st_size, info.st_mtime_ns] != entry[:2]:
            return None
    return _files_state([str(output / OUTPUT_MARKER), str(output / OUTPUT_DIGESTS)])


def _place(root: Path) -> Path | None:
    """The stamp's file, if the build cache is a folder of the site's own."""
    try:
        inside(root / BUILD_CACHE, root)
    except UnsafePath:
        return None
    path = root / BUILD_CACHE / FILE
    return None if path.is_symlink() else path


def up_to_date(root: Path, output: Path, drafts: bool, pdf: bool, now: Inputs,
               search: bool = True) -> dict[str, object] | None:
    """What the last build reported (its summary and warnings), if building now would
    change nothing; else None."""
    place = _place(root)
    if place is None:
        return None
    try:
        stamp = json.loads(own_text(place))
        if not isinstance(stamp, dict) or stamp.get("version") != VERSION:
            return None
        if stamp.get("options") != _options(output, drafts, pdf, search):
            return None
        code = stamp.get("code")
        if not isinstance(code, list) or stamp.get("code_state") != _files_state(map(str, code)):
            return None
        if not now.settled or stamp.get("inputs") != now.digest or stamp.get("output") != _output_state(output):
            return None
    except (OSError, ValueError, TypeError, RecursionError):
        return None
    report = stamp.get("report")
    return report if isinstance(report, dict) else None


def record(root: Path, output: Path, drafts: bool, pdf: bool, read: Inputs, report: dict[str, object],
           extra_code: Iterable[str] = (), search: bool = True) -> None:
    """Stamp the build just finished, whose inputs were `read` at its start."""
    place = _place(root)
    if place is None:
        return
    with suppress(OSError):
        place.unlink(missing_ok=True)
        if not read.settled:
            return
        code = sorted({*(getattr(module, "__file__", None) or "" for module in list(sys.modules.values())),
                       *extra_code} - {""})
        stamp = {"version": VERSION, "options": _options(output, drafts, pdf, search), "inputs": read.digest,
                 "code": code, "code_state": _files_state(code), "output": _output_state(output, just_written=True),
                 "report": report}
        place.parent.mkdir(parents=True, exist_ok=True)
        partial = place.with_name(FILE + ".part")
        partial.write_text(json.dumps(stamp, ensure_ascii=False), encoding="utf-8")
        partial.replace(place)
