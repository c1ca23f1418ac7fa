"""The links and pictures of the rendered archive that lead nowhere: every `href` and
`src` of every page that points into the archive (not a web address of elsewhere, not a
`mailto:`, not `#` alone) must name a page or a file the build writes. `newsletter check`
points each one it finds at the Markdown that holds it."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

from builder.render.output import Page, page_bytes

_ATTRIBUTE = re.compile(r"""\b(?:href|src)\s*=\s*"([^"]*)\"""")
_ELSEWHERE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//)")


def broken_links(pages: Iterable[Page], files: Iterable[str], base_path: str = "/") -> list[tuple[str, str]]:
    """(page path, address as written) of each internal link or picture that leads to no
    page or file. `base_path`: the path part of site.yaml's base_url, which a link from
    the root of the server (/bulletin/issues/…) starts with."""
    pages = list(pages)
    known = {page.path for page in pages} | set(files)
    pages = [page for page in pages if page.path.endswith(".html") and page.content is not None]
    broken = []
    for page in pages:
        text = page_bytes(page.content).decode("utf-8", "replace")  # type: ignore[arg-type]
        for address in dict.fromkeys(_ATTRIBUTE.findall(text)):
            target = _target(page.path, address.replace("&amp;", "&"), base_path)
            if target is not None and not _exists(target, known):
                broken.append((page.path, address))
    return broken


def _target(page: str, address: str, base_path: str) -> str | None:
    """The output path `address` on `page` names; None for one outside the archive."""
    if not address or address.startswith("#") or _ELSEWHERE.match(address):
        return None
    path = unquote(urlsplit(address).path)
    if not path:
        return None
    if path.startswith("/"):
        if not path.startswith(base_path):
            return path.lstrip("/")  # outside the archive's address: still checked, as it reads
        joined = path[len(base_path):]
    else:
        joined = posixpath.join(posixpath.dirname(page), path)
    normal = posixpath.normpath(joined)
    if normal == ".":
        normal = ""
    return normal + ("/" if path.endswith("/") and normal else "")


def _exists(target: str, known: set[str]) -> bool:
    if target.startswith("../") or target == "..":
        return False
    if target in ("", "/") or target.endswith("/"):
        return target.lstrip("/") + "index.html" in known
    return target in known or f"{target}/index.html" in known
