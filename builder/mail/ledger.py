"""The record of what was sent: for each issue and recipient, where its message stands.

    pending --> sending --> sent            the server took it (its reply is kept)
                        \\-> failed          the server refused it for good (5xx)
                        \\-> pending         for now (4xx, a dropped connection): the next run tries again
    sending, left by a run that died  -->  doubt   (the server may have it: not sent again unless asked)

Each change is committed to SQLite before the next step, `sending` before the message
is handed to the server: whatever stops a run, no recipient is written to twice, and at
most the one message in flight is in doubt. The ledger is the record of what was sent,
not a cache: it lives in the site (send.ledger, `sent/` by default), to keep and back up.
A lock file per issue, held by the operating system for as long as the process lives,
keeps two runs of one issue apart.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DATABASE = "ledger.sqlite3"
SCHEMA_VERSION = "1"
STATES = ("pending", "sending", "sent", "failed", "doubt")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS deliveries (
    issue TEXT NOT NULL,
    address TEXT NOT NULL,              -- lower-cased: one row per person, however the list spells it
    written TEXT NOT NULL,              -- as the subscriber list writes it
    name TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed', 'doubt')),
    attempts INTEGER NOT NULL DEFAULT 0,
    reply TEXT NOT NULL DEFAULT '',     -- the server's reply, or why it failed
    message_id TEXT NOT NULL DEFAULT '',
    updated TEXT NOT NULL,
    PRIMARY KEY (issue, address)
);
"""


class LedgerBusy(Exception):
    """Another run holds this issue."""


class LedgerDamaged(Exception):
    """The database cannot be read as a ledger."""


@dataclass(frozen=True)
class Entry:
    address: str
    written: str
    name: str
    state: str
    attempts: int
    reply: str
    message_id: str
    updated: str


class Ledger:
    def __init__(self, folder: Path, read_only: bool = False) -> None:
        self.folder = folder
        try:
            if read_only:
                self.db = sqlite3.connect(f"{(folder / DATABASE).resolve().as_uri()}?mode=ro", uri=True,
                                          isolation_level=None, timeout=30)
                version = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
                self._check(version)
                return
            folder.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(folder / DATABASE, isolation_level=None, timeout=30)
            self.db.execute("PRAGMA journal_mode = WAL")
            self.db.execute("PRAGMA synchronous = FULL")  # a committed state survives a power cut
            self.db.executescript(_SCHEMA)
            self.db.execute("INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            version = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()[0]
        except (sqlite3.DatabaseError, TypeError) as exc:  # TypeError: no schema row
            raise LedgerDamaged(f"{folder / DATABASE} cannot be read as the ledger: {exc}") from None
        self._check(version)

    def _check(self, version: str) -> None:
        if version != SCHEMA_VERSION:
            raise LedgerDamaged(f"{self.folder / DATABASE} was written by another version of the builder "
                                f"(schema {version}, this one reads {SCHEMA_VERSION})")

    @classmethod
    def existing(cls, folder: Path) -> Ledger | None:
        """The ledger, read only, if a send ever wrote one (a dry run writes nothing)."""
        return cls(folder, read_only=True) if (folder / DATABASE).is_file() else None

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def hold(self, issue: str) -> Iterator[None]:
        """This issue for this process alone; LedgerBusy if another run holds it."""
        lock = self.folder / f"{issue}.lock"
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "another process"
                raise LedgerBusy(f"another `newsletter send` of {issue} is running (process {holder})") from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, str(os.getpid()).encode(), 0)
            yield
        finally:
            os.close(fd)  # the lock goes with it, and with the process however it ends

    # --- a run ---------------------------------------------------------------

    def enrol(self, issue: str, recipients: Iterable[tuple[str, str]]) -> None:
        """(address, name) as pending, unless the ledger has them already."""
        now = _now()
        with self._transaction():
            self.db.executemany(
                "INSERT OR IGNORE INTO deliveries (issue, address, written, name, state, updated) "
                "VALUES (?, ?, ?, ?, 'pending', ?)",
                [(issue, address.lower(), address, name, now) for address, name in recipients])

    def left_in_flight(self, issue: str) -> int:
        """A run that died while a message was with the server left it `sending`: that
        message is in doubt. Called while holding the issue, so no live run has one."""
        with self._transaction():
            return self.db.execute("UPDATE deliveries SET state = 'doubt', updated = ?, reply = "
                                   "'the run stopped while the server had the message: it may have been delivered' "
                                   "WHERE issue = ? AND state = 'sending'", (_now(), issue)).rowcount

    def sending(self, issue: str, address: str, message_id: str) -> None:
        self._set(issue, address, "sending", "", message_id=message_id, attempt=True)

    def sent(self, issue: str, address: str, reply: str) -> None:
        self._set(issue, address, "sent", reply)

    def failed(self, issue: str, address: str, reason: str) -> None:
        self._set(issue, address, "failed", reason)

    def postponed(self, issue: str, address: str, reason: str) -> None:
        self._set(issue, address, "pending", reason)

    def in_doubt(self, issue: str, address: str, reason: str) -> None:
        self._set(issue, address, "doubt", reason)

    # --- reading ---------------------------------------------------------------

    def entries(self, issue: str, state: str | None = None) -> list[Entry]:
        rows = self.db.execute(
            "SELECT address, written, name, state, attempts, reply, message_id, updated FROM deliveries "
            "WHERE issue = ? AND (? IS NULL OR state = ?) ORDER BY rowid", (issue, state, state)).fetchall()
        return [Entry(*row) for row in rows]

    def counts(self, issue: str) -> dict[str, int]:
        found = dict(self.db.execute("SELECT state, count(*) FROM deliveries WHERE issue = ? GROUP BY state",
                                     (issue,)).fetchall())
        return {state: found.get(state, 0) for state in STATES}

    def state(self, issue: str, address: str) -> str | None:
        row = self.db.execute("SELECT state FROM deliveries WHERE issue = ? AND address = ?",
                              (issue, address.lower())).fetchone()
        return row[0] if row else None

    # --- inside ------------------------------------------------------------------

    def _set(self, issue: str, address: str, state: str, reply: str, message_id: str | None = None,
             attempt: bool = False) -> None:
        with self._transaction():
            changed = self.db.execute(
                "UPDATE deliveries SET state = ?, reply = ?, updated = ?, attempts = attempts + ?, "
                "message_id = coalesce(?, message_id) WHERE issue = ? AND address = ?",
                (state, reply[:1000], _now(), int(attempt), message_id, issue, address.lower())).rowcount
        if changed != 1:
            raise KeyError(f"{address} is not in the ledger of {issue}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
