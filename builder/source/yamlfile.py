"""The editors' YAML, with the line of every key and item.

PyYAML's `safe_load` forgets positions and silently keeps the last of two equal keys;
composing the node tree ourselves gives both the line of every value (for errors) and
a chance to refuse duplicate keys. Anchors and aliases are refused before composing:
editors have no use for them, and they are how a few lines of YAML expand to gigabytes
("billion laughs") or refer to themselves. Nesting is bounded, as PyYAML's composer
recurses once per level.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from builder.errors import ErrorLog

Key = tuple[object, ...]
# site.yaml needs four levels (pdf: closing: - line); front matter three.
MAX_DEPTH = 16


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
    loader = _PlainLoader(text)
    try:
        node = loader.get_single_node()
    except _Refused as refused:
        log.error(path, refused.message, refused.mark.line + 1 + offset, refused.hint)
        return None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + 1 + offset if mark is not None else first_line
        problem = getattr(exc, "problem", None) or str(exc)
        log.error(path, f"this is not valid YAML: {problem}", line,
                  "check the indentation and quote values that contain a colon followed by a space")
        return None
    finally:
        loader.dispose()
    if node is None:
        return YamlDoc({}, path, {(): first_line})
    lines: dict[Key, int] = {}
    converting = log.scope()
    data = _convert(node, (), lines, offset, path, converting, yaml.SafeLoader(""))
    if converting:
        return None
    return YamlDoc(data, path, lines)


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


def _convert(node: yaml.Node, key: Key, lines: dict[Key, int], offset: int,
             path: Path, log: ErrorLog, loader: yaml.SafeLoader) -> Any:
    lines[key] = node.start_mark.line + 1 + offset
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            try:
                name = loader.construct_object(key_node)
                hash(name)
            except (yaml.YAMLError, ValueError, TypeError):  # a tag it does not know, a list or set
                name = []
            if not isinstance(name, (str, int, float, bool)) and name is not None:
                log.error(path, "a key must be a plain word", key_node.start_mark.line + 1 + offset)
                continue
            if name in result:
                log.error(path, f"'{name}' is given twice", key_node.start_mark.line + 1 + offset,
                          "keep one of the two lines")
                continue
            result[name] = _convert(value_node, key + (name,), lines, offset, path, log, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(item, key + (i,), lines, offset, path, log, loader) for i, item in enumerate(node.value)]
    try:
        return loader.construct_object(node)
    except (yaml.YAMLError, ValueError):
        # A value such as 2017-02-30 matches YAML's date pattern but is no date: keep the
        # text, and let the schema say what is wrong with it.
        return node.value
