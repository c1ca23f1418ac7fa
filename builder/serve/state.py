"""What the open tabs wait for: each rebuild's outcome, numbered, and which pages it changed.

A tab's page is served with the number of the last outcome (`version`) and the board's
`session` (a new server starts a new one). The outcomes reach the tabs through one event
stream per browser (a browser opens at most six connections to a server: a stream per
tab would leave the seventh tab waiting), and each tab reloads for one that concerns its
page (`concerns`): one that changed the page's file, changed a file every page uses (a
stylesheet, a picture: `EVERYTHING`), or turned the site from built to broken or back
(the page shows the error in place of itself).
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from dataclasses import dataclass, field

from builder.errors import ContentError

EVERYTHING = "*"
# Outcomes kept for tabs that connect late (a page served just before a rebuild ended).
KEPT = 64


@dataclass(frozen=True)
class Outcome:
    version: int
    changed: frozenset[str]  # output paths, or EVERYTHING
    errors: tuple[ContentError, ...] = ()


@dataclass
class Board:
    session: str = field(default_factory=lambda: secrets.token_hex(8))
    outcomes: deque[Outcome] = field(default_factory=lambda: deque(maxlen=KEPT))
    errors: tuple[ContentError, ...] = ()
    version: int = 0
    closed: bool = False
    refreshing: set[str] = field(default_factory=set)  # issue slugs whose PDF is being typeset
    _condition: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, changed: set[str] | frozenset[str], errors: tuple[ContentError, ...] = ()) -> Outcome:
        """A rebuild's outcome: the tabs it concerns are told."""
        with self._condition:
            if bool(errors) != bool(self.errors) or errors:
                changed = {EVERYTHING}  # every page shows the error, or shows itself again
            self.errors = errors
            return self._add(changed)

    def tell(self, changed: set[str]) -> Outcome:
        """Files changed outside a rebuild (a PDF preview done): the tabs showing them are told."""
        with self._condition:
            return self._add(changed)

    def _add(self, changed: set[str] | frozenset[str]) -> Outcome:
        self.version += 1
        outcome = Outcome(self.version, frozenset(changed), self.errors)
        self.outcomes.append(outcome)
        self._condition.notify_all()
        return outcome

    def set_refreshing(self, slugs: set[str]) -> None:
        with self._condition:
            self.refreshing = set(slugs)

    def close(self) -> None:
        with self._condition:
            self.closed = True
            self._condition.notify_all()

    def after(self, since: int, timeout: float = 0) -> list[dict[str, object]]:
        """The outcomes after version `since`, as the tabs' script reads them, waiting up to
        `timeout` for one; a single one for EVERYTHING if they are no longer all kept."""
        with self._condition:
            self._condition.wait_for(lambda: self.closed or self.version > since, timeout)
            later = [outcome for outcome in self.outcomes if outcome.version > since]
            if since < self.version and (not later or later[0].version != since + 1):
                later = [Outcome(self.version, frozenset({EVERYTHING}), self.errors)]
            return [{"session": self.session, "version": outcome.version,
                     "everything": EVERYTHING in outcome.changed,
                     "changed": sorted(outcome.changed - {EVERYTHING})} for outcome in later]


def concerns(outcome: dict[str, object], page: str, version: int) -> bool:
    """What the tabs' script decides: whether `outcome` asks the tab showing `page`, served
    at `version`, to reload (it also reloads for an outcome of another server's session)."""
    changed = outcome["changed"]
    return bool(outcome["version"] > version  # type: ignore[operator]
                and (outcome["everything"] or (isinstance(changed, list) and page in changed)))
