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

import re
import xml.etree.ElementTree as ElementTree

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


# An SVG file opened on its own is a document of the archive's origin: its scripts run.
_SVG_ACTIVE = {"script", "foreignobject", "iframe", "object", "embed", "handler", "listener"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "to", "from", "values", "by"}
_DANGEROUS_URL = re.compile(r"^(?:javascript|vbscript|data):", re.I)
_INSTRUCTION = re.compile(r"<\?(?!xml[\s?])", re.I)  # any but the XML declaration
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?!#|data:image/)", re.I)


def svg_problem(data: bytes) -> str | None:
    """Why an SVG file may not be published (it could run script), or None."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "it is not saved as UTF-8"
    if "<!entity" in text.lower():
        return "it declares XML entities"
    if _CSS_URL.search(text):
        return "it refers to another file (url() in its styles)"
    if _INSTRUCTION.search(text):
        # An <?xml-stylesheet?> naming an XSLT would turn the SVG, opened on its own,
        # into any page at all.
        return "it holds a processing instruction (<?…?>), such as a stylesheet or transformation"
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        return f"it is not a valid SVG file ({exc})"
    if _nested_uses(root):
        # Ten <use> of ten <use> of ten… is a billion shapes: the print edition would never end.
        return "it repeats a <use> inside another <use>"
    for element in root.iter():
        namespace, _, tag = str(element.tag).rpartition("}")
        tag = tag.lower()
        if "XSL" in namespace.upper():
            return "it holds XSLT, which would turn it into a page of its own"
        if tag in _SVG_ACTIVE:
            return f"it holds a <{tag}> element"
        for name, value in element.attrib.items():
            space, _, local = name.rpartition("}")
            local = local.lower()
            if "XSL" in space.upper():
                return "it holds XSLT, which would turn it into a page of its own"
            if local.startswith("on"):
                return f"it holds an event handler ({local}=)"
            address = re.sub(r"[\s\x00-\x1f]", "", value)
            if local in _URL_ATTRIBUTES and _DANGEROUS_URL.match(address) and not address.startswith("data:image/"):
                return f"it holds a script address ({local}=\"{value[:30]}\")"
            if local in ("href", "src") and address and not address.startswith(("#", "data:image/")):
                # A picture on a web page loads nothing else (browsers forbid it): the
                # print edition must not either.
                return f"it refers to another file ({local}=\"{value[:40]}\")"
            animated = value.rpartition(":")[2].lower()
            if local == "attributename" and (animated in ("href", "src") or animated.startswith("on")):
                return f"it animates the attribute {animated}"
    return None


def _nested_uses(root: ElementTree.Element) -> bool:
    """Whether a <use> shows an element that holds (or is) a <use>."""
    def is_use(element: ElementTree.Element) -> bool:
        return str(element.tag).rpartition("}")[2] == "use"

    with_uses = {element.get("id") for element in root.iter()
                 if element.get("id") and any(is_use(inner) for inner in element.iter())}
    for element in root.iter():
        if is_use(element):
            target = next((v for k, v in element.attrib.items() if k.rpartition("}")[2] == "href"), "")
            if target.startswith("#") and target[1:] in with_uses:
                return True
    return False
