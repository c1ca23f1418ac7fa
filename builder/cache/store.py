"""A persistent map from a key (a digest of everything a result depends on) to the result,
in SQLite under .cache/build/.

The keys say what the results depend on, code included, so an entry is never wrong, only
unused; entries no build used are dropped when the store is closed, so it stays the size
of one build's work. A store that cannot be read (damaged, truncated, of another schema)
is deleted and started anew: `report` says so in one line, and the build is the same.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from builder.files import UnsafePath, inside

FILE = "build.sqlite3"
SCHEMA = "2"


# What says a file is no store (rather than one in use or not ours to write): only then is
# it deleted and started anew.
_DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}


class _OtherSchema(sqlite3.DatabaseError):
    pass


# After this many entries of one kind asked for and not found, the store learns which it
# holds (`index`: a read of the whole table) rather than asking for each.
INDEX_AFTER = 32

# The store is read through a memory map rather than a system call for each page of it (a
# rebuild of 6,000 pages asks for their conversions: 185,000 reads otherwise).
MAP_BYTES = 1 << 30


class Store:
    def __init__(self, folder: Path, root: Path, report: Callable[[str], None] = lambda _: None,
                 read: bool = True) -> None:
        """The store in `folder` (inside the site `root`; a link to elsewhere is not used).
        `read` false (--no-cache): nothing is taken from it; what is done is kept."""
        self.db: sqlite3.Connection | None = None
        self.read = read
        self.used: set[tuple[str, str]] = set()
        # A build that did only part of the work (pages left as they were) did not ask for
        # every entry it needs: it drops none.
        self.partial = False
        self.complete: set[str] = set()  # kinds every entry of which the build asked for, partial or not
        self.preloaded: dict[tuple[str, str], bytes] = {}
        self.hits = self.misses = 0
        self.asked: dict[str, int] = {}  # kind -> entries asked for in vain, one by one
        # In a process forked from the build (builder.forked), the build's connection is not
        # to be touched: the worker reads through a connection of its own and hands what it
        # used and made back to the build (`worker_records`, `merge`).
        self.pid = os.getpid()
        self.path = folder / FILE
        self.worker_db: sqlite3.Connection | None = None
        self.made: list[tuple[str, str, bytes]] = []
        self.keys: dict[str, set[str]] = {}  # kind -> the keys the store holds (`index`)
        self.pending: list[tuple[str, str, bytes]] = []  # written in batches
        path = folder / FILE
        try:
            inside(folder, root)
            for suffix in ("", "-wal", "-shm"):
                if (folder / (FILE + suffix)).is_symlink():
                    raise UnsafePath("is a link")
        except UnsafePath:
            report(f"the build cache {folder} is a link to outside the site: it is not used")
            return
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self.db = self._open(path)
        except sqlite3.DatabaseError as exc:
            if not isinstance(exc, _OtherSchema) and getattr(exc, "sqlite_errorcode", None) not in _DAMAGED:
                report(f"the build cache {path} cannot be used now ({exc}): this build does without it")
                return
            report(f"the build cache {path} could not be read ({exc}): it is started anew")
            try:
                for suffix in ("", "-wal", "-shm"):
                    (folder / (FILE + suffix)).unlink(missing_ok=True)
                self.db = self._open(path)
            except (sqlite3.DatabaseError, OSError):
                self.db = None
        except OSError as exc:
            report(f"the build cache {folder} cannot be written ({exc.strerror or exc}): it is not used")

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        # A short wait: another build holding the store means this one does without it.
        db = sqlite3.connect(path, isolation_level=None, timeout=2)
        try:
            # Large pages and a table with row ids: the values are kilobytes of HTML each (a
            # cold build of 6,000 articles writes 100 MB), which a table WITHOUT ROWID on 4 kB
            # pages spreads over chains of overflow pages: 0.8 s to write, now 0.3 s. The page
            # size takes effect only in a new file, before WAL (an older store is of schema 1).
            db.execute("PRAGMA page_size = 65536")
            db.execute("PRAGMA journal_mode = WAL")
            # A cache: a commit lost to a power cut costs work, never correctness (WAL keeps
            # the file whole); not waiting for the disk at the commit saves a flush of 100 MB.
            db.execute("PRAGMA synchronous = NORMAL")
            db.execute(f"PRAGMA mmap_size = {MAP_BYTES}")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            db.execute("CREATE TABLE IF NOT EXISTS entries (kind TEXT NOT NULL, key TEXT NOT NULL, "
                       "value BLOB NOT NULL, PRIMARY KEY (kind, key))")
            db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA,))
            (schema,) = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if schema != SCHEMA:
                raise _OtherSchema(f"written by another version (schema {schema})")
            # The file's own inode, as the build that made it found it: a store copied or
            # checked out from elsewhere (whose entries anyone could have written) has another.
            info = path.stat()
            db.execute("INSERT OR IGNORE INTO meta VALUES ('home', ?)", (f"{info.st_dev} {info.st_ino}",))
            (home,) = db.execute("SELECT value FROM meta WHERE key = 'home'").fetchone()
            if home != f"{info.st_dev} {info.st_ino}":
                raise _OtherSchema("made elsewhere and copied here, so what it holds is not trusted")
            db.execute("SELECT count(*) FROM entries").fetchone()  # a damaged file fails here at the latest
            db.execute("BEGIN IMMEDIATE")  # this build's, committed on close; another build waits no longer
        except BaseException:
            db.close()
            raise
        return db

    def preload(self, kind: str) -> None:
        """Read every entry of `kind` at once (one query instead of one each)."""
        if self.db is None or not self.read:
            return
        try:
            rows = self.db.execute("SELECT key, value FROM entries WHERE kind = ?", (kind,)).fetchall()
        except sqlite3.DatabaseError:
            return
        self.preloaded.update(((kind, key), bytes(value)) for key, value in rows)

    def index(self, kind: str) -> None:
        """Learn once which keys of `kind` the store holds, so that asking for one it does
        not hold costs no query (a cold build asks for thousands)."""
        if kind in self.keys or self.db is None or not self.read:
            return
        try:
            db = self._connection()
            rows = db.execute("SELECT key FROM entries WHERE kind = ?", (kind,)).fetchall() if db else []
        except sqlite3.DatabaseError:
            return
        self.keys[kind] = {key for (key,) in rows}

    def _connection(self) -> sqlite3.Connection | None:
        if os.getpid() == self.pid:
            return self.db
        if self.worker_db is None:
            self.worker_db = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
            self.worker_db.execute(f"PRAGMA mmap_size = {MAP_BYTES}")
        return self.worker_db

    def get(self, kind: str, key: str) -> bytes | None:
        if self.db is None or not self.read:
            return None
        self.used.add((kind, key))
        kept = self.preloaded.pop((kind, key), None)
        if kept is not None:
            self.hits += 1
            return kept
        if kind in self.keys and key not in self.keys[kind]:
            self.misses += 1
            return None
        try:
            db = self._connection()
            row = db.execute("SELECT value FROM entries WHERE kind = ? AND key = ?", (kind, key)).fetchone() \
                if db is not None else None
        except sqlite3.DatabaseError:
            row = None
        if row is None:
            self.misses += 1
            self.asked[kind] = self.asked.get(kind, 0) + 1
            if self.asked[kind] == INDEX_AFTER:  # a build that asks for many it lacks: a cold one
                self.index(kind)
            return None
        self.hits += 1
        return bytes(row[0])

    def put(self, kind: str, key: str, value: bytes) -> None:
        if self.db is None:
            return
        self.used.add((kind, key))
        if os.getpid() != self.pid:
            self.made.append((kind, key, value))
            return
        if kind in self.keys:
            self.keys[kind].add(key)
        self.pending.append((kind, key, value))
        if len(self.pending) >= 256:
            self._flush()

    def _flush(self) -> None:
        if self.db is None or not self.pending:
            return
        try:
            self.db.executemany("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)", self.pending)
        except sqlite3.DatabaseError:
            pass  # a full disk: the cache only loses what it would have saved
        self.pending = []

    def count(self, kind: str) -> int:
        try:
            db = self._connection()
            return db.execute("SELECT count(*) FROM entries WHERE kind = ?", (kind,)).fetchone()[0] if db else 0
        except sqlite3.DatabaseError:
            return 0

    def worker_records(self) -> tuple[set[tuple[str, str]], list[tuple[str, str, bytes]]] | None:
        """In a forked worker: what it used and made since it last said, for the build to
        `merge`; in the build's own process, None."""
        if os.getpid() == self.pid:
            return None
        records = (self.used, self.made)
        self.used, self.made = set(), []
        return records

    def merge(self, records: tuple[set[tuple[str, str]], list[tuple[str, str, bytes]]] | None) -> None:
        if records is None:
            return
        used, made = records
        self.used |= used
        for kind, key, value in made:
            self.put(kind, key, value)

    def close(self, keep_unused: bool = False) -> None:
        """Commit this build's entries; drop those it did not use (unless the build stopped
        early and used only some)."""
        if self.db is None:
            return
        self._flush()
        try:
            if not keep_unused:
                self.db.execute("CREATE TEMP TABLE used (kind TEXT, key TEXT, PRIMARY KEY (kind, key))")
                self.db.executemany("INSERT OR IGNORE INTO used VALUES (?, ?)", self.used)
                kinds = "" if not self.partial else \
                    f" AND kind IN ({','.join('?' * len(self.complete))})" if self.complete else " AND 0"
                self.db.execute(f"DELETE FROM entries WHERE (kind, key) NOT IN (SELECT kind, key FROM used){kinds}",
                                tuple(self.complete) if self.partial else ())
            self.db.execute("COMMIT")
        except sqlite3.DatabaseError:
            pass
        finally:
            self.db.close()
            self.db = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, error_type: type | None, *_: object) -> None:
        self.close(keep_unused=error_type is not None)
