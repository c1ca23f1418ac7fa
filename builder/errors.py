"""The one error type of the builder, and the collector that reports a run's errors together.

Every loader appends to an `ErrorLog` instead of raising on the first problem, so an
editor sees all that is wrong with the content in one run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ContentError:
    """Something wrong with the editor's input, with where it is and what to do about it.
    A record, not an exception: a stage collects them in an `ErrorLog` and raises them
    together as `ContentErrors`."""

    path: Path | None
    message: str
    line: int | None = None
    hint: str = ""

    def location(self, root: Path | None = None) -> str:
        if self.path is None:
            return ""
        shown = self.path
        if root is not None:
            # As the editor sees it: a link is named, not the file it points to.
            try:
                shown = Path(os.path.abspath(self.path)).relative_to(os.path.abspath(root))
            except ValueError:
                try:
                    shown = Path(os.path.abspath(self.path)).relative_to(root.resolve())
                except ValueError:
                    pass
        return f"{shown}:{self.line}" if self.line else str(shown)

    def format(self, root: Path | None = None) -> str:
        place = self.location(root)
        text = f"{place}: {self.message}" if place else self.message
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text

    def __str__(self) -> str:
        return self.format()


@dataclass
class ErrorLog:
    """Collects the errors and warnings of one run.

    `scope()` gives a log for one part of the run (a file, a mapping): what the part
    records goes into this log too, and the part asks its own log whether it found
    errors, instead of counting this one's before and after."""

    errors: list[ContentError] = field(default_factory=list)
    warnings: list[ContentError] = field(default_factory=list)
    parent: ErrorLog | None = field(default=None, repr=False, compare=False)

    def error(self, path: Path | None, message: str, line: int | None = None, hint: str = "") -> None:
        self.add(errors=[ContentError(path, message, line, hint)])

    def warn(self, path: Path | None, message: str, line: int | None = None, hint: str = "") -> None:
        self.add(warnings=[ContentError(path, message, line, hint)])

    def add(self, errors: Iterable[ContentError] = (), warnings: Iterable[ContentError] = ()) -> None:
        """Errors and warnings found elsewhere (a check that returns them)."""
        errors, warnings = tuple(errors), tuple(warnings)
        self.errors.extend(errors)
        self.warnings.extend(warnings)
        if self.parent is not None:
            self.parent.add(errors, warnings)

    def scope(self) -> ErrorLog:
        return ErrorLog(parent=self)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ContentErrors(self.errors)


class SetupProblem(Exception):
    """The machine lacks what the builder needs (a package at another version than the
    one pinned): neither the content's fault nor the builder's. The message says what to do."""


@dataclass(frozen=True)
class Findings:
    """What a check that does not stop the run found."""

    errors: tuple[ContentError, ...] = ()
    warnings: tuple[ContentError, ...] = ()


class ContentErrors(Exception):
    """Raised at the end of a stage that found one or more errors. A plain exception (it
    takes a traceback, notes, a cause) holding frozen records."""

    def __init__(self, errors: Iterable[ContentError]) -> None:
        self.errors = tuple(errors)
        super().__init__(self.errors)  # one argument: pickled from a worker process, it is rebuilt

    @classmethod
    def one(cls, path: Path | None, message: str, line: int | None = None, hint: str = "") -> ContentErrors:
        """For a stage that stops at its first problem."""
        return cls((ContentError(path, message, line, hint),))

    def format(self, root: Path | None = None) -> str:
        return "\n".join(e.format(root) for e in self.errors)

    def __str__(self) -> str:
        return self.format()
