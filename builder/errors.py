"""The one error type of the builder, and the collector that reports a run's errors together.

Every loader appends to an `ErrorLog` instead of raising on the first problem, so an
editor sees all that is wrong with the content in one run.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ContentError(Exception):
    """Something wrong with the editor's input, with where it is and what to do about it."""

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
    """Collects the errors and warnings of one run."""

    errors: list[ContentError] = field(default_factory=list)
    warnings: list[ContentError] = field(default_factory=list)

    def error(self, path: Path | None, message: str, line: int | None = None, hint: str = "") -> None:
        self.errors.append(ContentError(path, message, line, hint))

    def warn(self, path: Path | None, message: str, line: int | None = None, hint: str = "") -> None:
        self.warnings.append(ContentError(path, message, line, hint))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ContentErrors(tuple(self.errors))


@dataclass(frozen=True)
class ContentErrors(Exception):
    """Raised at the end of a stage that found one or more errors."""

    errors: tuple[ContentError, ...]

    def format(self, root: Path | None = None) -> str:
        return "\n".join(e.format(root) for e in self.errors)

    def __str__(self) -> str:
        return self.format()
