"""The editors' YAML, with the line of every key and item.

PyYAML's `safe_load` forgets positions and silently keeps the last of two equal keys;
composing the node tree ourselves gives both the line of every value (for errors) and
a chance to refuse duplicate keys. Anchors and aliases are refused before composing:
editors have no use for them, and they are how a few lines of YAML expand to gigabytes
("billion laughs") or refer to themselves. Nesting is bounded, as PyYAML's composer
recurses once per level.

PyYAML's pure-Python scanner and parser were most of the cost of loading a large archive.
Where PyYAML was built with libyaml, its C parser (a twentieth of their time) reads the
text, and the tree is composed here from its events, with the same checks, in a loop
rather than by recursion. That path answers only for a document it finds plain and
well-formed; anything else is read again by the pure-Python loader, so that every error
is told in the words and at the line editors have always been given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from builder.errors import ErrorLog

if yaml.__with_libyaml__:
    from yaml._yaml import CParser

Key = tuple[object, ...]
# site.yaml needs four levels (pdf: closing: - line); front matter three.
MAX_DEPTH = 16
# PyYAML's C extension is optional: without it the pure-Python loader reads everything.
LIBYAML = yaml.__with_libyaml__


@dataclass(frozen=True)
class YamlDoc:
    data: Any
    path: Path
    lines: dict[Key, int]

    def line(self, *keys: object) -> int | None:
        """The line of the value at `keys`, or of the nearest enclosing value."""
        for end in range(len(keys), -1, -1):
            if keys[:end] in self.lines:
                return self.lines[keys[:end]]
        return None


def parse_yaml(text: str, path: Path, log: ErrorLog, first_line: int = 1) -> YamlDoc | None:
    """Parse `text` (which starts at `first_line` of `path`); report problems to `log`."""
    offset = first_line - 1
    try:
        node = _compose(text)
    except _Refused as refused:
        log.error(path, refused.message, refused.mark.line + 1 + offset, refused.hint)
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 + offset if mark is not None else first_line
        if isinstance(exc, yaml.reader.ReaderError):  # a control character (read_text refuses a file with one)
            line = text.count("\n", 0, exc.position) + first_line
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or str(exc)
        log.error(path, f"this is not valid YAML: {problem}", line,
                  "check the indentation and quote values that contain a colon followed by a space")
        return None
    if node is None:
        return YamlDoc({}, path, {(): first_line})
    lines: dict[Key, int] = {}
    converting = log.scope()
    data = _convert(node, (), lines, offset, path, converting, yaml.constructor.SafeConstructor())
    if converting:
        return None
    return YamlDoc(data, path, lines)


def _compose(text: str) -> yaml.Node | None:
    """The node tree of `text`, None for an empty text; raises `_Refused` or PyYAML's error."""
    # PyYAML takes a tab for the start of a token (libyaml, within a value, for part of it),
    # and skips a byte order mark only at the start of the text (libyaml at that of any line).
    if LIBYAML and "\t" not in text and "\ufeff" not in text:
        try:
            return _compose_events(CParser(text), text.count("\n"))
        except (_NotPlain, yaml.YAMLError, UnicodeEncodeError):  # a lone surrogate cannot become UTF-8
            pass
    loader = _PlainLoader(text)
    try:
        return loader.get_single_node()
    except (ValueError, OverflowError) as exc:  # PyYAML's scanner on "\U00110000", past the end of Unicode
        raise yaml.scanner.ScannerError(problem="found invalid Unicode character escape code",
                                        problem_mark=loader.get_mark()) from exc
    finally:
        loader.dispose()


class _Refused(Exception):
    def __init__(self, message: str, mark: Any, hint: str) -> None:  # a yaml.Mark, of PyYAML's C or Python loader
        super().__init__(message)
        self.message, self.mark, self.hint = message, mark, hint


class _PlainLoader(yaml.SafeLoader):
    """PyYAML's safe composer, refusing anchors and aliases and nesting past MAX_DEPTH
    as it meets them: one pass over the text."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused("YAML anchors and aliases (&name, *name) are not allowed here", event.start_mark,
                           "write the value out in full where it is needed")
        if not isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            return super().compose_node(parent, index)
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _Refused(f"the YAML is nested more than {MAX_DEPTH} levels deep", event.start_mark,
                           "settings and front matter need only a few levels: check the indentation and brackets")
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _NotPlain(Exception):
    """Something `_PlainLoader` is to judge: an anchor, an alias, a tag, a directive, deep
    nesting, a second document, or a place where libyaml reads the text otherwise than PyYAML."""


_RESOLVER = yaml.resolver.Resolver()  # SafeLoader's: the same numbers, dates and booleans on both paths


def _compose_events(parser: CParser, last_line: int) -> yaml.Node | None:
    """The tree PyYAML's composer makes of a plain document, from libyaml's events, or
    `_NotPlain`. A loop over a stack of the collections being filled, where PyYAML's
    composer recurses. `last_line` counts the text's line breaks."""
    parser.get_event()  # the start of the stream
    start: Any = parser.get_event()
    if isinstance(start, yaml.StreamEndEvent):
        return None
    if start.version or start.tags:
        raise _NotPlain  # libyaml reads some %YAML and %TAG lines PyYAML refuses (%YAML 1.1#2)
    root: yaml.Node | None = None
    open_: list[yaml.CollectionNode] = []
    keys: list[yaml.Node | None] = []  # for each open mapping, the key still waiting for its value
    while True:
        event: Any = parser.get_event()
        kind = type(event)
        if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            keys.pop()
            open_.pop().end_mark = event.end_mark
            if open_:
                continue
            break
        if kind is yaml.AliasEvent or event.anchor is not None or event.tag is not None:
            raise _NotPlain  # and libyaml reads some tags PyYAML refuses (!@!str)
        node: yaml.Node
        if kind is yaml.ScalarEvent:
            style = event.style or None  # libyaml's plain is '', PyYAML's None
            if style in ("|", ">"):
                raise _NotPlain  # libyaml lets more follow the | or > on its line
            if not style and open_ and open_[-1].flow_style and (not event.value or "?" in event.value):
                # Within brackets PyYAML ends a plain value at a '?', and places an empty one
                # after its ':' where libyaml places it before the next ',' or '}'.
                raise _NotPlain
            if event.start_mark.line > last_line:
                raise _NotPlain  # an empty value at the very end: libyaml counts one more line
            tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit)
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, style=style)
        else:
            if len(open_) == MAX_DEPTH:
                raise _NotPlain
            node_kind = yaml.MappingNode if kind is yaml.MappingStartEvent else yaml.SequenceNode
            tag = _RESOLVER.resolve(node_kind, None, event.implicit)
            node = node_kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
        if not open_:
            root = node
        elif isinstance(open_[-1], yaml.SequenceNode):
            open_[-1].value.append(node)
        elif keys[-1] is None:
            keys[-1] = node
        else:
            open_[-1].value.append((keys[-1], node))
            keys[-1] = None
        if isinstance(node, yaml.CollectionNode):
            open_.append(node)
            keys.append(None)
        elif not open_:
            break  # a document of one value
    parser.get_event()  # the end of the document
    if not isinstance(parser.get_event(), yaml.StreamEndEvent):
        raise _NotPlain  # a second document, which PyYAML's composer refuses
    return root


def _convert(node: yaml.Node, key: Key, lines: dict[Key, int], offset: int,
             path: Path, log: ErrorLog, constructor: yaml.constructor.SafeConstructor) -> Any:
    lines[key] = node.start_mark.line + 1 + offset
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            try:
                name = constructor.construct_object(key_node)
                hash(name)
            except Exception:  # a tag it does not know or a value not of its tag; a list or set
                name = []
            if not isinstance(name, (str, int, float, bool)) and name is not None:
                log.error(path, "a key must be a plain word", key_node.start_mark.line + 1 + offset)
                continue
            if name in result:
                log.error(path, f"'{name}' is given twice", key_node.start_mark.line + 1 + offset,
                          "keep one of the two lines")
                continue
            result[name] = _convert(value_node, key + (name,), lines, offset, path, log, constructor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, key + (i,), lines, offset, path, log, constructor)
                for i, item in enumerate(node.value)]
    try:
        return constructor.construct_object(node)
    except Exception:
        # A value such as 2017-02-30 matches YAML's date pattern but is no date, and PyYAML's
        # constructors fail in as many ways as there are tags on a value that is not what its
        # tag says (`!!int` alone: IndexError): keep the text, and let the schema say what is
        # wrong with it.
        return node.value
