"""What every result of a build depends on besides the site: the builder's own code and the
libraries that shape its output. A digest of it is part of every key of the build cache."""

from __future__ import annotations

import functools
import hashlib
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
# The libraries whose version can change a page: templates, Markdown, sanitising, YAML.
LIBRARIES = ("jinja2", "markupsafe", "markdown", "nh3", "pyyaml", "beautifulsoup4")


@functools.cache
def code_identity() -> str:
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for library in LIBRARIES:
        try:
            digest.update(f"{library} {version(library)}\0".encode())
        except PackageNotFoundError:
            digest.update(f"{library} -\0".encode())
    digest.update(sys.version.encode())  # the standard library's html, re, json and xml.etree
    return digest.hexdigest()
