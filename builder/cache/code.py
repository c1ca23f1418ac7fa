"""What every result of a build depends on besides the site: the builder's own code and the
libraries that shape its output. A digest of it is part of every key of the build cache."""

from __future__ import annotations

import functools
import hashlib
import importlib
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
# The libraries whose version can change a page: templates, escaping, Markdown, sanitising,
# YAML, the feed (feedgen writes its version into it, through lxml).
LIBRARIES = ("jinja2", "markupsafe", "markdown", "nh3", "yaml", "feedgen", "lxml")


@functools.cache
def code_identity() -> str:
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in LIBRARIES:
        digest.update(f"{name} {library_version(name)}\0".encode())
    digest.update(sys.version.encode())  # the standard library's html, re, json and xml.etree
    return digest.hexdigest()


def library_version(name: str) -> str:
    """The library's version as it says itself (importlib.metadata takes tens of
    milliseconds to find a distribution), else a digest of its main file."""
    module = importlib.import_module(name)
    found = module.__dict__.get("__version__")
    if isinstance(found, str):
        return found
    origin = getattr(module, "__file__", None)
    if not origin:
        return "?"
    # Else its code: every module of the package (feedgen keeps its version in feedgen/version.py).
    files = sorted(Path(origin).parent.glob("*.py")) if Path(origin).name == "__init__.py" else [Path(origin)]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()
