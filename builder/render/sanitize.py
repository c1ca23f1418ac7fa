"""What HTML content may put into a page, a feed or a PDF: an allow-list, enforced by nh3.

Markdown allows raw HTML, and attribute lists (`{: onclick=… }`) and links
(`[x](javascript:…)`) can carry script even without it. Every fragment the Markdown
pipeline makes passes through here, so the archive, the feed and the print edition
share one rule: the elements and attributes a bulletin needs — tables, figures,
footnotes, `sup`/`sub`, classes from attribute lists — and never a script, an event
handler, a style beyond table alignment, or a URL scheme other than the web's and mail's.
nh3 (Rust's ammonia) parses as a browser does, so no spelling of a tag or an attribute
slips past a pattern.
"""

from __future__ import annotations

import nh3

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "code",
    "em", "strong", "b", "i", "u", "s", "del", "ins", "sup", "sub", "small", "mark", "abbr", "q", "cite",
    "kbd", "time", "span", "div", "a", "img", "figure", "figcaption",
    "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
    "ul", "ol", "li", "dl", "dt", "dd",
}
ATTRIBUTES = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "ol": {"start", "type", "reversed"},
    "li": {"value"},
    "th": {"colspan", "rowspan", "style", "align"},
    "td": {"colspan", "rowspan", "style", "align"},
    "col": {"span"},
    "colgroup": {"span"},
    "time": {"datetime"},
}
URL_SCHEMES = {"http", "https", "mailto", "ftp", "tel"}

# Ids the templates give their own elements (the print edition's articles): content may
# not take them, or it would pose as another article and catch its links.
RESERVED_IDS = ("article-",)


def _attribute(tag: str, name: str, value: str) -> str | None:
    return None if name == "id" and value.startswith(RESERVED_IDS) else value


_CLEANER = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    attribute_filter=_attribute,
    url_schemes=URL_SCHEMES,
    # Python-Markdown's tables align columns with `style="text-align: …"`; nothing else
    # in a style attribute survives (no url(), no expression(), no position: fixed).
    filter_style_properties={"text-align"},
    link_rel=None,
    strip_comments=True,
)


def clean(html: str) -> str:
    """`html` with everything outside the allow-list removed (script and style with their content)."""
    return _CLEANER.clean(html)
