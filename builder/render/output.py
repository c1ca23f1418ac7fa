"""Stage 3 of a build: the pages and files of a build written into output/, atomically.

A build writes into a new folder beside output/ that replaces it only when complete, so
a failed or killed build leaves the published archive as it was. The folder holds a
manifest of the files the build wrote (routes.OUTPUT_MARKER); any other file there is
an editor's (a CNAME for the web host) and is carried over to the next output/.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import stat as statmod
import subprocess
import sys
import threading
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from builder.errors import ContentError, ContentErrors
from builder.files import UnsafePath, inside, own_text
from builder.forked import running
from builder.routes import OUTPUT_DIGESTS, OUTPUT_DIR, SERVE_OUTPUT
from builder.routes import OUTPUT_MARKER as MARKER


@dataclass(frozen=True)
class Packed:
    """A page's text held compressed until it is written: while the print editions are
    typeset, the 6,500 pages of a 6,000-article archive would hold 60 MB for minutes."""

    data: bytes  # its UTF-8, deflated
    comments: bool = False  # it holds an HTML comment (where the build may still have something to put)


def packed(text: str) -> Packed:
    return Packed(zlib.compress(text.encode("utf-8"), 1), "<!--" in text)


def page_bytes(content: str | bytes | Packed) -> bytes:
    if isinstance(content, Packed):
        return zlib.decompress(content.data)
    return content if isinstance(content, bytes) else content.encode("utf-8")


@dataclass(frozen=True)
class Page:
    path: str  # where it goes under output/, e.g. "issues/2017-18/index.html"
    content: str | bytes | Packed | None  # None: the file the last build wrote from inputs of the same key
    key: str = ""  # a digest of what the page was made from (pages that can be reused have one)


@dataclass(frozen=True)
class Rendered:
    """What the render stage hands to `write`."""

    pages: tuple[Page, ...]  # HTML, feeds and PDFs
    files: Mapping[str, Path]  # output path -> the file copied there (theme files, the issues' pictures, PDFs)
    warnings: tuple[ContentError, ...] = ()
    # output path -> what names a file's bytes where that is known without reading it (a
    # PDF in the cache: its document's digest); the other files' bytes are digested
    known: Mapping[str, str] = field(default_factory=dict)


# Left in every output folder, so that a later build knows it may replace the folder, and
# which of its files the build wrote (the rest an editor put there, and are kept).
LINES_MANIFEST_HEAD = ("Written by `newsletter build`; the next build replaces this folder.\n"
                       "Files the build wrote (any other file in this folder is kept by the next build):\n")
MANIFEST_HEAD = ("Written by `newsletter build`; the next build replaces this folder.\n"
                 "Files the build wrote (any other file in this folder is kept by the next build), in JSON:\n")


def write(rendered: Rendered, output: Path, keep_spare: bool = True, look: SpareLook | None = None) -> tuple[str, ...]:
    """Stage 3: a complete new output/ in place of the old one, or no change at all.
    Files an editor put into output/ (a CNAME for the web host) are carried over; their
    names are returned.

    A file whose bytes the last build wrote already is not written again: the new folder
    takes it from the old one by a hard link (its manifest entry says its digest, size and
    time, so a file changed since is written anew). When every file is as the last build
    left it, output/ is not touched at all. With `keep_spare`, what the archive replaced
    has in common with the new one is kept beside it as the next build's starting point,
    its files listed by `look` (started earlier by the build) or by a thread started here."""
    output = output.resolve()
    pages, files = rendered.pages, rendered.files
    written = [page.path for page in pages] + list(files)
    spare = output.parent / f".{output.name}.{SPARE}"
    if look is None and keep_spare:
        look = SpareLook(output)  # the spare's files listed meanwhile, by a thread
    try:
        kept = _files_not_written(output, set(written))
    finally:
        in_spare = look.result() if look is not None and keep_spare else None
    before = _entries(output)
    keys = {page.path: page.key for page in pages if page.key}
    digests = {page.path: _digest(page.content) if page.content is not None else _entry_digest(before, page.path)
               for page in pages}
    try:
        digests.update({name: rendered.known.get(name) or _file_digest(source) for name, source in files.items()
                        if not name.endswith("/")})
    except OSError as exc:
        raise ContentErrors.one(Path(exc.filename or output), f"the build cannot read this file: "
                                f"{exc.strerror or exc}", None, "check that it is still there and may be read; "
                                "the published output was left as it was") from None
    if _unchanged(output, before, digests, written, keys):
        return kept
    fresh = output.parent / f".{output.name}.new-{os.getpid()}"
    target = fresh
    made = False
    old: Path | None = None
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if (fresh / MARKER).is_file() and not fresh.is_symlink():
            shutil.rmtree(fresh)  # left by an earlier build that had this process number
        base = _take(spare if keep_spare else None, fresh)
        made = True
        names = sorted({*written, *base})
        # The names first, so that a build killed while writing leaves a folder `recover` knows.
        _write_manifest(fresh, dict.fromkeys(names))
        plan = _Plan(fresh, output, before, digests, keys, rendered.known, in_spare)
        try:
            entries = plan.fill(base, pages, files, kept)
        except OSError:
            if not base:
                raise
            # The spare was not as its manifest says: the new archive is made from nothing.
            shutil.rmtree(fresh)
            fresh.mkdir()
            _write_manifest(fresh, dict.fromkeys(written))
            entries = plan.fill({}, pages, files, kept)
        target = fresh / MARKER
        _write_manifest(fresh, {name: entries.get(name) for name in written})
        target = output
        old = _swap(fresh, output)
    except OSError as exc:
        raise ContentErrors.one(target, f"the build cannot write here: {exc.strerror or exc}", None,
                                f"check that you may write to {output.parent} and that the disk has room; "
                                "the published output was left as it was") from None
    finally:
        if made and fresh.exists() and old != fresh:
            shutil.rmtree(fresh, ignore_errors=True)
    if old is not None and not keep_spare:
        _remove(old, len(written))
    elif old is not None:  # the archive just replaced: the next build's spare
        changed = sum(1 for name in before if _entry_digest(before, name) != digests.get(name))
        if changed < APART or not _apart("finish_spare", old, output):
            _to_spare(old, spare, before, digests, [name for name in kept if not name.endswith("/")], len(written))
    elif keep_spare and len(written) >= APART and not (spare.exists() or spare.is_symlink()):
        _apart("make_spare", output)
    return kept


# The archive that the last build replaced, kept beside output/ under this name: the next
# build brings it up to date, changing only the files that differ, and swaps it in. Two
# folders whose unchanged files are hard links of one another: a build of one changed
# article makes no thousands of folders, and never writes into the published one.
SPARE = "spare"
# A spare from which this many files were removed gets a list of its own (else it keeps the
# archive's, and the next build looks for each of them in vain).
SPARE_RELIST = 1000


def _take(spare: Path | None, fresh: Path) -> dict[str, Entry]:
    """The spare archive moved to `fresh` to be brought up to date, and what its digests
    say of its files; or `fresh` made empty, when there is no spare of ours."""
    if spare is not None and _ours(spare):
        entries = _entries(spare)
        if entries:
            spare.rename(fresh)
            return entries
        shutil.rmtree(spare, ignore_errors=True)  # one that lists nothing is of no use, and in the way of the next
    fresh.mkdir()
    return {}


# Inside a spare archive: the file system and inode of the folder itself, as the build that
# made it the spare found them. A folder copied or checked out from elsewhere (a spare
# committed to a repository, with links to delete through) has another inode: not ours.
SPARE_ID = ".newsletter-spare"


def _mark_spare(spare: Path) -> None:
    info = spare.stat()
    (spare / SPARE_ID).write_text(f"{info.st_dev} {info.st_ino}", encoding="utf-8")


def _ours(spare: Path) -> bool:
    try:
        info = os.stat(spare, follow_symlinks=False)
        return statmod.S_ISDIR(info.st_mode) and (spare / MARKER).is_file() and \
            own_text(spare / SPARE_ID) == f"{info.st_dev} {info.st_ino}"
    except (OSError, UnicodeDecodeError):
        return False


def _swap(fresh: Path, output: Path) -> Path | None:
    """`fresh` becomes output/; returns where the replaced archive now is. Both names
    swapped by one rename where the system can (Linux renameat2), else in two, `recover`
    undoing a build killed between them."""
    if not output.exists():
        fresh.rename(output)
        return None
    if _exchange(fresh, output):
        return fresh
    stale = output.parent / f".{output.name}.old-{os.getpid()}"
    output.rename(stale)
    try:
        fresh.rename(output)
    except OSError:
        stale.rename(output)
        raise
    return stale


def _exchange(first: Path, second: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange) == 0


@dataclass
class _Plan:
    """The files of the new archive put into `fresh`: those it holds already (the spare's,
    as their digests say) kept, the rest linked from output/ or written; nothing ever
    written into a file that exists (it may be a hard link of a published one)."""

    fresh: Path
    output: Path
    before: dict[str, Entry]
    digests: dict[str, str]
    keys: dict[str, str]
    known: Mapping[str, str]
    in_spare: tuple[tuple[int, int], list[str]] | None = None  # the spare's folder (device, inode) and files

    def fill(self, base: dict[str, Entry], pages: Sequence[Page], files: Mapping[str, Path],
             kept: Sequence[str]) -> dict[str, Entry]:
        fresh, output, before, digests, keys = self.fresh, self.output, self.before, self.digests, self.keys
        wanted = {page.path for page in pages} | set(files)
        gone: list[str] = []
        present: list[str] = []  # files the folder holds now, as listed: their folders are there
        if base:
            present = _listed(fresh, self.in_spare)
            # First what no build put there (a link in place of a folder of the build's goes
            # before anything under it is deleted), then what the new archive does not hold.
            gone += _strays(fresh, set(base), present)
        gone += [name for name in base if name not in wanted]
        for name in gone:
            (fresh / name).unlink(missing_ok=True)
        folders = _Folders(str(fresh), present)
        entries: dict[str, Entry] = {}
        for page in pages:
            name = page.path
            key = [keys[name]] if name in keys else []
            if name in base and _as_left(fresh, name, base[name], digests[name]):
                entries[name] = [*(base[name] or [])[:3], *key]
                continue
            target = fresh / name
            if name in base:
                target.unlink(missing_ok=True)
            folders.make_parent(name)
            if _reuse(output, before, name, digests[name], target):
                entries[name] = [*(before[name] or [])[:3], *key]
                continue
            if page.content is None:  # checked before it was left unrendered: someone is changing output/
                raise ContentErrors.one(output / name, "this file was changed while the build ran", None,
                                        "build again; the published output was left as it was")
            _write_new(target, page_bytes(page.content))
            entries[name] = _entry(target, digests[name], keys.get(name))
        for name, source in [*files.items(), *((name, output / name) for name in kept)]:
            target = fresh / name
            if name.endswith("/"):
                folders.make_parent(name + ".")
                target.mkdir(exist_ok=True)
                continue
            if name in base and name not in kept and _as_left(fresh, name, base[name], digests[name]):
                entries[name] = base[name]
                continue
            if name in base or name in kept:
                target.unlink(missing_ok=True)
            folders.make_parent(name)
            if name in kept or not _reuse(output, before, name, digests[name], target):
                _copy(source, target, share=name in self.known)
            if name in digests:
                entries[name] = _entry(target, digests[name], None)
        for name in gone:
            _prune_folders(fresh, name)
        return entries


def _write_new(target: Path, data: bytes) -> None:
    """A new file at `target` holding `data`; never into one that exists (it may be a
    hard link of a published file)."""
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _copy(source: Path, target: Path, share: bool) -> None:
    """`source` copied to `target`; or, for a file of the builder's cache (`share`),
    linked there, where the two are on one file system (the cache replaces its files,
    never writes into them)."""
    if share:
        try:
            os.link(source, target, follow_symlinks=False)
            return
        except OSError:
            pass
    shutil.copy2(source, target, follow_symlinks=False)


def _listed(folder: Path, found: tuple[tuple[int, int], list[str]] | None) -> list[str]:
    """The files under `folder` (`_walk`): `found`, a listing made earlier, if it is of this folder."""
    info = folder.stat()
    return found[1] if found is not None and found[0] == (info.st_dev, info.st_ino) else _walk(folder)


def _strays(folder: Path, listed: set[str], names: list[str]) -> list[str]:
    """Of `names` (the files under `folder`), those that neither `listed` nor the manifest name."""
    return [name for name in names if name not in listed and name not in (MARKER, DIGESTS, MARKER + ".part")
            and not name.endswith("/")]


class SpareLook:
    """The files of the spare archive (`_walk`), listed while the build does other work:
    by a process of its own, on another core, where the build may fork (one thread, more
    than one job), else by a thread while the build lists output/'s. A listing made at the
    start of a build is as good as one made at its end: a spare's files change only under
    another name (the build renames it before it changes it; an archive becomes the spare
    by a rename), and the listing is used only for the folder it was made of (its device
    and inode)."""

    def __init__(self, output: Path, fork: bool = False) -> None:
        output = output.resolve()
        spare = output.parent / f".{output.name}.{SPARE}"
        self.found: tuple[tuple[int, int], list[str]] | None = None
        self.thread: threading.Thread | None = None
        self.child: tuple[int, int] | None = None  # process id, the pipe's end the listing comes from
        if fork and hasattr(os, "fork") and threading.active_count() == 1:
            self.child = self._fork(spare)
        if self.child is None:
            self.thread = threading.Thread(target=self._look, args=(spare,), daemon=True)
            self.thread.start()

    def _look(self, spare: Path) -> None:
        try:
            if _ours(spare):
                info = spare.stat()
                self.found = ((info.st_dev, info.st_ino), _walk(spare))
        except OSError:
            pass

    def _fork(self, spare: Path) -> tuple[int, int] | None:
        try:
            reading, writing = os.pipe()
        except OSError:
            return None
        try:
            pid = os.fork()
        except OSError:
            os.close(reading)
            os.close(writing)
            return None
        if pid == 0:  # the child: lists, hands the listing on, and leaves without cleaning up the build's
            try:
                os.close(reading)
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                self._look(spare)
                data = memoryview(json.dumps(self.found).encode("utf-8", "surrogateescape"))
                while data:
                    data = data[os.write(writing, data):]
            finally:
                os._exit(0)
        os.close(writing)
        return pid, reading

    def result(self) -> tuple[tuple[int, int], list[str]] | None:
        if self.thread is not None:
            self.thread.join()
        if self.child is not None:
            pid, reading = self.child
            self.child = None
            with os.fdopen(reading, "rb") as pipe:
                data = pipe.read()
            os.waitpid(pid, 0)
            try:
                (device, inode), names = json.loads(data.decode("utf-8", "surrogateescape"))
                self.found = ((int(device), int(inode)), [str(name) for name in names])
            except (ValueError, TypeError):
                self.found = None
        return self.found

    def __enter__(self) -> SpareLook:
        return self

    def __exit__(self, *_: object) -> None:
        self.result()  # never a child left behind


def _walk(top: Path) -> list[str]:
    """Every file under `top` (links as files, never followed), and every empty folder
    (its name ending in '/'), relative to `top`."""
    found = []
    stack = [(str(top), "")]
    while stack:
        place, inner = stack.pop()
        try:
            entries = list(os.scandir(place))
        except OSError:
            continue
        if not entries and inner:
            found.append(inner)
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                stack.append((entry.path, inner + entry.name + "/"))
            else:
                found.append(inner + entry.name)
    return found


def _prune_folders(top: Path, name: str) -> None:
    """The folders of a deleted file that are now empty, deleted."""
    parts = name.split("/")[:-1]
    while parts:
        try:
            (top / "/".join(parts)).rmdir()
        except OSError:
            return
        parts.pop()


class _Folders:
    """The folders of the new output/, each made once."""

    def __init__(self, top: str, holding: Iterable[str] = ()) -> None:
        """`holding`: files the folder holds already, so their folders are there."""
        self.top = top
        self.made: set[str] = set()
        for name in holding:
            parent = name.rpartition("/")[0]
            while parent and parent not in self.made:
                self.made.add(parent)
                parent = parent.rpartition("/")[0]

    def make_parent(self, name: str) -> None:
        parent = name.rpartition("/")[0]
        if not parent or parent in self.made:
            return
        self.make_parent(parent)
        with suppress(FileExistsError):
            os.mkdir(f"{self.top}/{parent}")
        self.made.add(parent)


# In an archive this large, deleting a replaced archive and making a spare are done by a
# process of their own once the new archive is in place: the editor does not wait for
# thousands of files to be deleted or linked.
APART = 2000


def _remove(folder: Path, files: int) -> None:
    """Delete `folder`, the output/ this build replaced (named so that `recover` deletes it
    too, should this be stopped)."""
    if files < APART or not _apart("remove", folder):
        shutil.rmtree(folder, ignore_errors=True)


def _apart(job: str, *folders: Path) -> bool:
    """Start `job`(*folders) of this module in a process of its own; whether it started."""
    try:
        subprocess.Popen([sys.executable, "-P", "-c", f"import sys; from builder.render.output import {job}; "
                          f"{job}(*map(__import__('pathlib').Path, sys.argv[1:]))", *map(str, folders)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    except OSError:
        return False
    return True


def remove(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)


def _to_spare(old: Path, spare: Path, before: dict[str, Entry], digests: Mapping[str, str], kept: Sequence[str],
              files: int) -> None:
    """`old`, the archive just replaced, made the next build's spare: only what is
    published stays in it, every file the new archive withdrew or changed goes (still
    under the name `recover` deletes, should this be stopped), so that a spare beside a
    web server's folder shows nothing it does not. `kept`: the files an editor put there."""
    try:
        if spare.exists() or spare.is_symlink():  # not ours to replace (ours was taken)
            raise FileExistsError(spare)
        if not before:  # made by hand, or by a build before digests: nothing in it the next build could take
            raise FileNotFoundError(old / DIGESTS)
        for name in kept:  # first: an editor's link in place of a folder of the build's goes before anything under it
            (old / name).unlink(missing_ok=True)
        removed = 0
        for name in before:
            if name not in digests:  # withdrawn: its folder too, if empty
                (old / name).unlink(missing_ok=True)
                _prune_folders(old, name)
                removed += 1
            elif _entry_digest(before, name) != digests[name]:  # changed: its folder stays for the next
                (old / name).unlink(missing_ok=True)
                removed += 1
        if removed >= SPARE_RELIST:  # what is left listed, so the next build looks for no missing file
            _write_manifest(old, {name: entry for name, entry in before.items()
                                  if name in digests and _entry_digest(before, name) == digests[name]})
        old.rename(spare)
        _mark_spare(spare)
    except OSError:
        _remove(old if old.exists() else spare, files)


def finish_spare(old: Path, output: Path) -> None:
    """`_to_spare` in a process of its own, for an archive of which thousands of files
    changed: what changed is known from the digests of the two archives, the editor's
    files are those the old one's digests do not name."""
    output = output.resolve()
    mine = output.parent / f".{output.name}.new-{os.getpid()}"  # `recover` leaves it while this runs
    try:
        old.rename(mine)
    except OSError:
        return
    before = _entries(mine)
    published = _entries(output)
    if not before or not published:
        shutil.rmtree(mine, ignore_errors=True)
        return
    digests = {name: _entry_digest(published, name) for name in published}
    kept = _strays(mine, set(before), _walk(mine))
    _to_spare(mine, output.parent / f".{output.name}.{SPARE}", before, digests, kept, len(before))


def make_spare(output: Path) -> None:
    """A spare archive made of output/'s files (hard links, each checked against the
    digests as it is linked), for the next build to bring up to date: after a build that
    had no spare, so that the first change after it is as quick as the next. Made under
    the name of an unfinished build (`recover` deletes it, should this be stopped) and
    renamed only if no build has made a spare meanwhile."""
    output = output.resolve()
    spare = output.parent / f".{output.name}.{SPARE}"
    entries = _entries(output)
    if spare.exists() or spare.is_symlink() or not entries:
        return
    making = output.parent / f".{output.name}.new-{os.getpid()}"
    try:
        making.mkdir()
    except OSError:
        return
    try:
        _write_manifest(making, dict.fromkeys(entries))  # the names first, as a build does
        folders = _Folders(str(making))
        linked: dict[str, Entry] = {}
        for name, entry in entries.items():
            if not isinstance(entry, list) or len(entry) < 3 or not _as_left(output, name, entry, entry[2]):
                continue
            folders.make_parent(name)
            os.link(f"{output}/{name}", f"{making}/{name}", follow_symlinks=False)
            info = os.lstat(f"{making}/{name}")
            if [info.st_size, info.st_mtime_ns] == entry[:2]:
                linked[name] = entry
            else:  # output/ was replaced meanwhile: not the file the digests describe
                os.unlink(f"{making}/{name}")
        _write_manifest(making, linked)
        making.rename(spare)
        _mark_spare(spare)
    except OSError:
        shutil.rmtree(making, ignore_errors=True)


# Beside the manifest: [size, mtime_ns, sha256, key] of each file as the build left it.
DIGESTS = OUTPUT_DIGESTS
# An entry of it; null for a folder, or a file written outside a build.
Entry = list | None


def _digest(content: str | bytes | Packed) -> str:
    return hashlib.sha256(page_bytes(content)).hexdigest()


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _entry(path: Path, digest: str, key: str | None) -> Entry:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns, digest, *([key] if key else [])]


def _entry_digest(before: dict[str, Entry], name: str) -> str:
    entry = before.get(name)
    return entry[2] if isinstance(entry, list) and len(entry) >= 3 and isinstance(entry[2], str) else ""


def _as_left(output: Path, name: str, entry: Entry, digest: str) -> bool:
    """Whether output/name is still the file of `digest` the last build left there."""
    if not isinstance(entry, list) or len(entry) not in (3, 4) or entry[2] != digest or not digest:
        return False
    try:
        stat = os.lstat(f"{output}/{name}")
    except OSError:
        return False
    return statmod.S_ISREG(stat.st_mode) and [stat.st_size, stat.st_mtime_ns] == entry[:2]


def _reuse(output: Path, before: dict[str, Entry], name: str, digest: str, target: Path) -> bool:
    """Link output/name into the new folder if it holds these bytes already."""
    if not _as_left(output, name, before.get(name), digest):
        return False
    try:
        os.link(f"{output}/{name}", target, follow_symlinks=False)
    except OSError:  # a file system without hard links: a copy
        shutil.copy2(f"{output}/{name}", target, follow_symlinks=False)
    return True


def _unchanged(output: Path, before: dict[str, Entry], digests: dict[str, str], written: list[str],
               keys: dict[str, str]) -> bool:
    """Every file as the last build left it (under the same keys), and the manifest naming
    exactly those (a file written beside the build since, such as the mail previews, makes
    it a change)."""
    try:
        manifest = own_text(output / MARKER)
        listed = json.loads(manifest[len(MANIFEST_HEAD):]) if manifest.startswith(MANIFEST_HEAD) else None
    except (OSError, ValueError, RecursionError):
        return False
    return (bool(before) and set(before) == set(written) and isinstance(listed, list)
            and set(listed) == {*written, DIGESTS}
            and all(_as_left(output, name, before[name], digest) for name, digest in digests.items())
            and all(_key(before[name]) == key for name, key in keys.items()))


def _key(entry: Entry) -> str | None:
    return entry[3] if isinstance(entry, list) and len(entry) == 4 and isinstance(entry[3], str) else None


class LastBuild:
    """What the last build wrote into output/: which of its pages can be taken as they are."""

    def __init__(self, output: Path) -> None:
        self.output = output.resolve()
        self.entries = _entries(self.output)

    def digest(self, name: str) -> str:
        """The digest of output/name's bytes as the last build wrote it ("" if not known)."""
        return _entry_digest(self.entries, name)

    def reusable(self, name: str, key: str) -> bool:
        """Whether output/name was written from inputs of `key` and is still as it was left."""
        entry = self.entries.get(name)
        return _key(entry) == key and _as_left(self.output, name, entry, _entry_digest(self.entries, name))


def _entries(output: Path) -> dict[str, Entry]:
    """What the last build wrote, with each file's digest, size and time (none before
    builds kept them; then every file is written anew)."""
    try:
        listed = json.loads(own_text(output / DIGESTS))
    except (OSError, ValueError, RecursionError):
        return {}
    # A name the build could not have written (absolute, `..`, a backslash) means the file
    # was not the build's: its names are not to be trusted to delete or link anything.
    if not isinstance(listed, dict) or not all(isinstance(name, str) and _plain(name) for name in listed):
        return {}
    return listed


def written(output: Path) -> dict[str, str]:
    """Each file the last build wrote into `output`, with the digest of its bytes ("" where
    not known): what `newsletter serve` compares to find the pages a rebuild changed."""
    return {name: _entry_digest(entries, name) for entries in (_entries(output.resolve()),) for name in entries}


def _plain(name: str) -> bool:
    parts = name.split("/")
    return "" not in parts and "." not in parts and ".." not in parts and "\\" not in name and "\0" not in name


def _write_manifest(folder: Path, entries: dict[str, Entry]) -> None:
    """The manifest (the names: what every version of the builder reads) and beside it
    the digests, which the manifest lists as the build's own."""
    names = sorted({*entries, DIGESTS})
    if any(entry is not None for entry in entries.values()):
        (folder / DIGESTS).write_text(json.dumps(dict(sorted(entries.items())), ensure_ascii=False),
                                      encoding="utf-8")
    partial = folder / (MARKER + ".part")
    partial.write_text(MANIFEST_HEAD + json.dumps(names, ensure_ascii=False, indent=0), encoding="utf-8")
    partial.replace(folder / MARKER)


def _files_not_written(output: Path, written: set[str]) -> tuple[str, ...]:
    """The files of an earlier output/ that no build wrote: those its manifest does not
    list (an output/ without the marker, made by hand, is all the editor's; one from
    before manifests is all the build's). A file the build would now write over is an
    error: it was not the build's to replace. Empty folders end in '/'."""
    if not output.is_dir():
        return ()
    try:
        manifest = own_text(output / MARKER)
    except FileNotFoundError:
        manifest = MANIFEST_HEAD + "[]"  # output/ made by hand before the first build: all of it is the editor's
    except (OSError, UnicodeDecodeError):
        return ()
    if manifest.startswith(MANIFEST_HEAD):
        # JSON, not lines: a file name may hold a line break.
        try:
            listed = json.loads(manifest[len(MANIFEST_HEAD):])
        except (ValueError, RecursionError):
            listed = None
        if not isinstance(listed, list) or not all(isinstance(name, str) for name in listed):
            raise ContentErrors.one(output / MARKER, "the list of the files the last build wrote is "
                                    "damaged, so the build cannot tell them from yours", None,
                                    "move the files you put into the output folder elsewhere, then "
                                    "delete this file; the next build writes it anew")
        listed = set(listed)
    elif manifest.startswith(LINES_MANIFEST_HEAD):  # the first manifests: a name a line
        listed = set(manifest[len(LINES_MANIFEST_HEAD):].splitlines())
    else:
        return ()  # from before manifests: all of it is the build's
    folders: set[str] | None = None
    theirs = []
    for relative in _walk(output):  # links are kept as links, never followed
        if relative.endswith("/"):
            theirs.append(relative)  # an empty folder: .well-known/
            continue
        if relative == MARKER or relative in listed:
            continue
        if folders is None:
            folders = {parent for name in written for parent in _parents(name)}
        if relative in written or relative in folders or any(p in written for p in _parents(relative)):
            raise ContentErrors.one(output / relative, "this file was not written by a build, and the build "
                                    "would now replace it", None, "move it out of the output folder")
        theirs.append(relative)
    return tuple(sorted(theirs))


def _parents(name: str) -> list[str]:
    """`a/b/c` -> [`a`, `a/b`]."""
    parts = name.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def recover(output: Path) -> None:
    """Tidy up after a build that was killed while writing: its half-written folder goes,
    and if it died between the two renames, the published archive comes back. Only
    folders named exactly as `write` names them, holding its MARKER, are touched: a
    user's `.output.backup-20241125/` is not ours."""
    leftovers = re.compile(rf"^\.{re.escape(output.name)}\.(new|old)-(\d+)$")
    for leftover in sorted(output.parent.iterdir()) if output.parent.is_dir() else ():
        match = leftovers.match(leftover.name)
        if match is None or leftover.is_symlink() or not leftover.is_dir() or running(int(match.group(2))):
            continue
        if not (leftover / MARKER).is_file():
            with suppress(OSError):
                leftover.rmdir()  # killed between making the folder and marking it: empty
            continue
        if match.group(1) == "old" and not output.exists():
            leftover.rename(output)
        else:
            shutil.rmtree(leftover, ignore_errors=True)


def check_output(root: Path, output: Path) -> None:
    """Refuse an output folder whose replacement would lose anything but an earlier build:
    inside the site only output/ itself; elsewhere a folder that is new, empty, or was
    written by a build (it holds MARKER)."""
    out, site = output.resolve(), root.resolve()
    inside = out == site or site in out.parents or out in site.parents
    if inside and out not in (site / OUTPUT_DIR, site / SERVE_OUTPUT):
        raise ContentErrors.one(output, "the output folder would replace the site's own files", None,
                                "leave out --output to build into output/, or choose a folder outside the site")
    if output.exists() and not output.is_dir():
        raise ContentErrors.one(output, "the output path is a file, not a folder", None,
                                "remove it or choose another --output")
    if not inside and output.is_dir() and any(output.iterdir()) and not (output / MARKER).is_file():
        raise ContentErrors.one(output, "this folder has files that no build wrote; building would replace them",
                                None, "choose a new or empty folder for --output")


def write_beside(output: Path, folder: str, files: Sequence[tuple[str, Callable[[], bytes]]]) -> None:
    """Files written into a built output/ outside a build (the mail previews of `newsletter
    send`), under `folder`: listed in its manifest as the builder's own, so that the next
    build drops them; those an earlier call wrote under `folder` are replaced. Readable by
    their owner alone: a web server running as another user does not serve them."""
    marker = output / MARKER
    try:
        manifest = own_text(marker)
        listed = json.loads(manifest[len(MANIFEST_HEAD):]) if manifest.startswith(MANIFEST_HEAD) else None
    except (OSError, ValueError, RecursionError):
        listed = None
    if not isinstance(listed, list):
        raise ContentErrors.one(output, "this is not a folder a build wrote", None,
                                "run `newsletter build` first: the messages are written beside the built issue")
    entries: dict[str, Entry] = {name: None for name in listed if name != DIGESTS}
    entries.update(_entries(output))
    prefix = folder.rstrip("/") + "/"
    target = output / prefix
    try:
        inside(target, output, "the output folder")  # never through a link to elsewhere
        for name in [n for n in entries if isinstance(n, str) and n.startswith(prefix)]:
            old = output / name
            if old.is_file() and not old.is_symlink():
                inside(old, target, "the messages' folder")
                old.unlink()
        kept = {n: e for n, e in entries.items() if not (isinstance(n, str) and n.startswith(prefix))}
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
        target.chmod(0o700)
        # The manifest names the files before they are written: whatever stops this, the
        # next build knows them for the builder's and drops them. Each file's bytes are
        # made as it is written: a long list is never held in memory.
        _write_manifest(output, {**kept, **dict.fromkeys(prefix + name for name, _ in files)})
        for name, make in files:
            data = make()
            descriptor = os.open(target / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(data)
    except UnsafePath as exc:
        raise ContentErrors.one(target, f"the messages are not written here: {exc}", None,
                                "remove the link; the messages are written into a folder of their own") from None
    except OSError as exc:
        raise ContentErrors.one(target, f"the messages cannot be written here: {exc.strerror or exc}", None,
                                "check that you may write to the output folder and that the disk has room") from None
