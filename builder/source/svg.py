"""Whether an SVG file of an issue may be published: one opened on its own runs its scripts.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ElementTree

# An SVG file opened on its own is a document of the archive's origin: its scripts run.
_SVG_ACTIVE = {"script", "foreignobject", "iframe", "object", "embed", "handler", "listener"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "to", "from", "values", "by"}
_DANGEROUS_URL = re.compile(r"^(?:javascript|vbscript|data):", re.I)
_INSTRUCTION = re.compile(r"<\?(?!xml[\s?]|xpacket[\s?])", re.I)  # any but the XML declaration and XMP
# A url() that is not a fragment of the picture itself (url(#g), url("#g")), or an @import.
_CSS_LOAD = re.compile(r"""@import|url\(\s*(?:"\s*(?!#|data:image/)|'\s*(?!#|data:image/)|(?!["'#]|data:image/))""",
                       re.I)
# Past this many drawn elements, WeasyPrint takes minutes over one picture.
MAX_SHAPES = 20_000


def svg_problem(data: bytes) -> str | None:
    """Why an SVG file may not be published (it could run script), or None."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "it is not saved as UTF-8"
    if "<!entity" in text.lower():
        return "it declares XML entities"
    if _INSTRUCTION.search(text):
        # An <?xml-stylesheet?> naming an XSLT would turn the SVG, opened on its own,
        # into any page at all.
        return "it holds a processing instruction (<?…?>), such as a stylesheet or transformation"
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        return f"it is not a valid SVG file ({exc})"
    shapes = _drawn(root)
    if shapes > MAX_SHAPES:
        # Ten <use> of ten <use> of ten… is a billion shapes: the print edition would never end.
        return f"it draws more than {MAX_SHAPES:,} shapes through <use> (or a <use> shows itself)"
    for element in root.iter():
        if str(element.tag).rpartition("}")[2].lower() == "style" and _CSS_LOAD.search(_css(element.text or "")):
            return "it refers to another file (url() or @import in its styles)"
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
            if _CSS_LOAD.search(_css(value)):
                return f"it refers to another file ({local}=\"{value[:40]}\")"
            animated = value.rpartition(":")[2].lower()
            if local == "attributename" and (animated in ("href", "src") or animated.startswith("on")):
                return f"it animates the attribute {animated}"
    return None


def _css(text: str) -> str:
    """CSS with its escapes (`\\75 rl(`) written out, as a browser reads it."""
    return re.sub(r"\\([0-9a-fA-F]{1,6})\s?", lambda m: chr(min(int(m.group(1), 16), 0x10FFFF)),
                  text).replace("\\", "")


def _drawn(root: ElementTree.Element) -> int:
    """How many elements the picture draws, each <use> counting what it shows (a <use>
    that shows itself, however far round, counts as too many)."""
    by_id = {element.get("id"): element for element in root.iter() if element.get("id")}
    sizes: dict[str, int] = {}

    def size(element: ElementTree.Element, seen: frozenset[str]) -> int:
        total = 0
        for inner in element.iter():
            total += 1
            if str(inner.tag).rpartition("}")[2] != "use":
                continue
            # WeasyPrint and browsers read either spelling of href, white space trimmed.
            for name, value in inner.attrib.items():
                target = value.strip()
                if name.rpartition("}")[2] == "href" and target.startswith("#") and target[1:] in by_id:
                    if target[1:] in seen:
                        return MAX_SHAPES + 1
                    if target[1:] not in sizes:
                        sizes[target[1:]] = size(by_id[target[1:]], seen | {target[1:]})
                    total += sizes[target[1:]]
            if total > MAX_SHAPES:
                return total
        return total

    return size(root, frozenset())
