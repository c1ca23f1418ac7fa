"""The one way the builder finds and reads the editors' files.

Content is untrusted: a reference such as `images/%2E%2E/%2E%2E/etc/passwd` or a symbolic
link in an issue folder must not make the build read, and publish, a file from outside
the site. So every path is decoded, joined and resolved (links followed) before it is
checked against the folder it must stay in, and only regular files are read (a named
pipe would block the build forever, a device would never end). The web pages, the
print edition's URL fetcher and the copy of published files all go through here.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO
from urllib.parse import unquote, urlsplit

from builder.errors import ErrorLog

# A Markdown or YAML file larger than this is not an article but an accident (a log, a
# database dump); Python-Markdown would take minutes over it.
MAX_TEXT_BYTES = 10 * 1024 * 1024
# Control characters other than tab and line breaks: invisible in an editor, refused by
# XML (the feed) and meaningless in print. Lone surrogates and U+FFFE/U+FFFF cannot come
# from a UTF-8 file, but can from a YAML escape ("\ud800"); they cannot be written out.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# Characters that print nothing or turn the text around: in a title, a name or a file
# name they hide or disguise what the reader sees (a bookmark "…\u202efdp.exe").
# (Not the zero-width joiners U+200C and U+200D: emoji and some scripts are made with them.)
INVISIBLE = re.compile(r"[\u0085\u00ad\u061c\u115f\u1160\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u2069"
                       r"\u3164\ufeff\uffa0\U000e0000-\U000e007f]")


class UnsafePath(Exception):
    """A path that may not be read, with the reason in editors' words."""


class Missing(UnsafePath):
    """A path that names no file (nor a link to one)."""


def inside(path: Path, folder: Path, where: str = "the site's folder") -> Path:
    """`path` with every link followed, if it lies inside `folder` (also resolved);
    else UnsafePath. Its message, as those below, says what the path does wrong:
    "'x.png' points outside the issue's folder"."""
    try:
        real = path.resolve()
        top = folder.resolve()
        linked = path.is_symlink()
    except RuntimeError:  # Python 3.11's word for a loop of links
        raise UnsafePath("is a loop of links") from None
    except (OSError, ValueError) as exc:  # a name too long, a NUL byte
        raise UnsafePath(f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    if real != top and top not in real.parents:
        raise UnsafePath(f"is a link to {real}, outside {where}" if linked else f"points outside {where}")
    return real


def reference_path(ref: str) -> str:
    """The file a local reference names: `images/a%20b.png#x` -> `images/a b.png`.
    Decoded once, as a browser does; what is left of `%` is part of the name."""
    return unquote(urlsplit(ref).path)


def resolve_reference(ref: str, folder: Path, where: str = "the issue's folder") -> Path:
    """The regular file that a relative reference from `folder` names, or UnsafePath."""
    name = reference_path(ref)
    if name.startswith("/"):
        raise UnsafePath("is an absolute path")
    if "\\" in name or "\0" in name:
        raise UnsafePath("holds a backslash" if "\\" in name else "holds a NUL character")
    if CONTROL.search(name) or INVISIBLE.search(name) or "\n" in name:
        raise UnsafePath("holds a line break or an invisible character in its name")
    return regular_file(folder / name, folder, where)


def regular_file(path: Path, folder: Path, where: str = "the site's folder") -> Path:
    """`path` resolved, if it is a regular file inside `folder`; else UnsafePath saying why."""
    real = inside(path, folder, where)
    try:
        mode = real.stat().st_mode
    except FileNotFoundError:
        raise Missing("is a link to a file that does not exist" if path.is_symlink() else "does not exist") from None
    except (OSError, ValueError) as exc:
        raise UnsafePath(f"cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    if not stat.S_ISREG(mode):
        raise UnsafePath(f"is {_kind(mode)}, not a file")
    return real


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


@contextmanager
def _open_regular(path: Path) -> Iterator[tuple[BinaryIO, os.stat_result]]:
    """A regular file, open for reading. Opened without blocking and without following
    a last link, and checked on the open file, so a pipe or link swapped in after a check
    still cannot block the build or lead it elsewhere."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath("is a link, where a file is expected") from None
        raise UnsafePath(f"cannot be read ({exc.strerror})") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise UnsafePath(f"is {_kind(info.st_mode)}, not a file")
    with os.fdopen(fd, "rb") as file:
        yield file, info


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    """The bytes of a regular file; UnsafePath if it is anything else or over `limit`."""
    with _open_regular(path) as (file, info):
        if limit is not None and info.st_size > limit:
            raise UnsafePath(f"is {info.st_size / 1e6:.1f} MB, more than the {limit / 1e6:.0f} MB a text file may have")
        return file.read()


def sha256(path: Path) -> str:
    """The digest of a regular file, read in pieces (an attachment may be large)."""
    digest = hashlib.sha256()
    with _open_regular(path) as (file, _):
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# A file the builder writes for itself (a manifest, the digests, the stamp) is never this large.
OWN_FILE_LIMIT = 64 * 1024 * 1024


def own_text(path: Path) -> str:
    """A UTF-8 file the builder wrote for itself, read as a regular file without blocking:
    a pipe or device put in its place raises OSError (FileNotFoundError if there is
    nothing), as does one too large to be the builder's."""
    try:
        return read_bytes(path, OWN_FILE_LIMIT).decode("utf-8")
    except UnsafePath as exc:
        if not os.path.lexists(path):
            raise FileNotFoundError(errno.ENOENT, "no such file", str(path)) from None
        raise OSError(errno.EINVAL, str(exc), str(path)) from None


def _plain_file(path: Path) -> bool:
    """Whether `path` is a regular file itself, no link (else the full check says what it is)."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except (OSError, ValueError):
        return False


def read_text(path: Path, log: ErrorLog, folder: Path | None = None, page_breaks: bool = False) -> str | None:
    """An editor's UTF-8 text file, line breaks made `\\n`; None (reported) if it is not a
    regular file inside `folder` (default: its own folder), too large, not UTF-8, or
    holds control characters (but form feeds, with `page_breaks`: they are dropped)."""
    try:
        if (folder is None or folder == path.parent) and _plain_file(path):
            # A file of its own folder that is no link is inside it: no path to resolve (the
            # open refuses a link or a pipe swapped in since).
            data = read_bytes(path, MAX_TEXT_BYTES)
        else:
            data = read_bytes(regular_file(path, folder if folder is not None else path.parent, "its folder"),
                              MAX_TEXT_BYTES)
    except UnsafePath as exc:
        log.error(path, f"this cannot be read: it {exc}", None,
                  "make it a plain UTF-8 text file inside the site's folder, or move it away")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        log.error(path, "this file is not UTF-8 text", line,
                  "save it as UTF-8 (in most editors: Save As… → Encoding: UTF-8)")
        return None
    # Windows (CRLF) and old Mac (CR alone) line breaks both count as line breaks.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if page_breaks:  # text extracted from a PDF: a form feed starts each page
        text = text.replace("\f", "")
    control = CONTROL.search(text)
    if control is not None:
        line = text.count("\n", 0, control.start()) + 1
        column = control.start() - (text.rfind("\n", 0, control.start()) + 1) + 1
        log.error(path, f"this file holds the invisible control character U+{ord(control.group()):04X}"
                        f" (line {line}, column {column})", line,
                  "delete it: most editors do not show it; if the text was pasted from a PDF, "
                  "paste it again as plain text")
        return None
    return text


# How recent a change may be for a snapshot to vouch for a file: a file written again within
# the same tick of the file system's clock keeps its time stamps (the "racy" case of Git's
# index), so a snapshot of a folder changed this recently is not kept for later builds.
RACY_NS = 2_000_000_000


def tree(folder: Path, within: Path | None = None) -> Iterator[tuple[str, str, bool]]:
    """`folder` (named ".") and everything under it, depth first in name order, as (name
    relative to `folder`, path, walked): walked for a folder whose entries follow. A linked
    folder is walked too if it lies inside `within` (default: `folder`), each real folder
    once; one outside, or met again, is named and not walked (the build uses nothing from
    there: a link to / is no reason to look at every file of the machine, and links in a
    circle end). A list rather than recursion: a folder may be nested deeper than Python recurses."""
    bound = os.path.realpath(within if within is not None else folder)
    seen: set[tuple[int, int]] = set()

    def enter(path: str, real: str) -> bool:
        try:
            info = os.stat(path)
        except OSError:
            return False
        if not stat.S_ISDIR(info.st_mode) or (info.st_dev, info.st_ino) in seen or \
                (real != bound and not real.startswith(bound.rstrip("/") + "/")):
            return False
        seen.add((info.st_dev, info.st_ino))
        return True

    top = os.path.realpath(folder)
    walked = enter(str(folder), top)
    yield ".", str(folder), walked
    stack = [(str(folder), "", top)] if walked else []
    while stack:
        place, prefix, real = stack.pop()
        try:
            entries = sorted(os.scandir(place), key=lambda e: e.name)
        except OSError:
            continue
        inner = []
        for entry in entries:
            # Where it really is: the folder's place and its name, unless it is a link (a
            # realpath for every folder would cost as much again for every level of depth).
            where = os.path.realpath(entry.path) if entry.is_symlink() else f"{real}/{entry.name}"
            walked = _is_folder(entry) and enter(entry.path, where)
            yield prefix + entry.name, entry.path, walked
            if walked:
                inner.append((entry.path, prefix + entry.name + "/", where))
        stack.extend(reversed(inner))


def snapshot(folder: Path, within: Path | None = None) -> tuple[str, bool]:
    """What the files under `folder` are now (`tree`), without reading them: every name
    with its kind, size, inode, modification and change times (links named and followed),
    as one digest; and whether any of them changed so recently that equal times could hide
    a change made since. Equal digests: the same files, unless someone set the clock back."""
    digest = hashlib.sha256()
    newest = 0
    for name, path, _ in tree(folder, within):
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        for follow in (False, True):
            try:
                info = os.stat(path, follow_symlinks=follow)
            except OSError as exc:
                digest.update(f"-{exc.errno}\0".encode())
                break
            newest = max(newest, info.st_mtime_ns, info.st_ctime_ns)
            digest.update(f"{info.st_mode} {info.st_size} {info.st_ino} {info.st_dev} {info.st_mtime_ns} "
                          f"{info.st_ctime_ns}\0".encode())
            if not stat.S_ISLNK(info.st_mode):
                break
    return digest.hexdigest(), newest > time.time_ns() - RACY_NS


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
