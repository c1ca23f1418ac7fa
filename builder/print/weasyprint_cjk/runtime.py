"""What the hooks find while WeasyPrint runs: its own functions, and the render's state.

WeasyPrint calls the hooks with its own arguments only, so they find here:

- `original(owner, name)`: WeasyPrint's own function that a hook replaced, as the
  table of `patches.py` found it when that module was imported (before anything was
  replaced). A hook that hands the work on to WeasyPrint calls it.
- `current()`: the `RenderState` of the render in progress, which `typesetting()`
  creates on entry and drops on exit. Every cache that depends on a document (its
  styles, fonts, boxes) lives there and nowhere else, so nothing is carried from one
  render into the next, and nothing outlives the render.

One render at a time per process: the patches are process-wide (WeasyPrint's module
globals), so is the state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# (owner, attribute name) -> WeasyPrint's own function; filled in by patches.py.
ORIGINALS: dict[tuple[Any, str], Callable[..., Any]] = {}


def original(owner: Any, name: str) -> Callable[..., Any]:
    """WeasyPrint's own `owner.name`, whether or not the patches are installed."""
    return ORIGINALS[owner, name]


@dataclass
class RenderState:
    """The caches and flags of one render."""

    reuse_columns: bool = True  # columns.py may take a trial's columns (False: WeasyPrint lays them out again)
    # lines.split_first_line: (text, id(style), width, ...) -> (style, WeasyPrint's result).
    lines: dict[tuple, tuple] = field(default_factory=dict)
    # justify.blank_half: (font, size, ..., char) -> ('right'|'left'|None, px).
    blank_halves: dict[tuple, tuple[str | None, float]] = field(default_factory=dict)
    # columns.py: the trials of the multi-column box being laid out, and whether they may be reused.
    column_trials: list[Any] = field(default_factory=list)
    trials_reusable: bool = False
    # columns.py: where the column just laid out (for good) ended, for the next one's foot.
    previous_column: Any = None
    columns_bottom_space: float = 0.0  # the bottom_space columns_layout was given: a set that runs to the foot keeps it


_current: RenderState | None = None


def current() -> RenderState:
    if _current is None:
        raise RuntimeError("a hook of builder.print.weasyprint_cjk ran outside `with typesetting():`")
    return _current


def active() -> bool:
    return _current is not None


def begin(state: RenderState) -> None:
    global _current
    if _current is not None:
        raise RuntimeError("typesetting() is already in use in this process: one render at a time")
    _current = state


def end() -> None:
    global _current
    _current = None
