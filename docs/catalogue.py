#!/usr/bin/env python3
"""Writes docs/messages.md: every error and warning message the builder can say, with its
hint, read from the code (each `log.error`, `log.warn`, `ContentError(…)` and
`ContentErrors.one(…)` call), the parts it fills in at run time shown as `…`.

    .venv/bin/python docs/catalogue.py

tests/test_docs.py fails when the file is not what this script writes from the code as
it is: a new message cannot be left out of the guide.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "messages.md"
KINDS = {"error": "错误", "warn": "提醒", "ContentError": "错误或提醒", "one": "错误"}
HEAD = """# 全部出错信息（按代码生成）

[回到编辑指南](README.md) · [常见出错信息的中文说明](errors.md)

这里列出代码中写出的**每一条**错误和提醒，原文照录（英文），`…` 处是运行时填入的
文件名、数值等；“改法”是同一条信息下一行 `hint:` 的内容。少数信息转述别处的原话
（如 YAML 解析器、邮件服务器的回答），不在此列，但同样带有文件、行号和改法。
本页由 `docs/catalogue.py` 从代码生成，测试保证它与代码一致。

"""


def text(node: ast.expr | None) -> str | None:
    """A string expression as it reads, its parts filled in at run time as …; None if it is not one."""
    if node is None:
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(part.value if isinstance(part, ast.Constant) else "…" for part in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = text(node.left), text(node.right)
        return None if left is None and right is None else (left or "…") + (right or "…")
    if isinstance(node, ast.IfExp):
        return " / ".join(filter(None, (text(node.body), text(node.orelse)))) or None
    return None


def messages() -> dict[str, list[tuple[str, str, str]]]:
    """Module -> [(kind, message, hint)], in the order of the code, each once."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for path in sorted((ROOT / "builder").rglob("*.py")):
        module = path.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")
        seen = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name not in KINDS or (name == "one" and getattr(node.func.value, "id", "") != "ContentErrors"):
                continue
            arguments = list(node.args) + [None] * 4
            keywords = {keyword.arg: keyword.value for keyword in node.keywords}
            message = text(arguments[1] if arguments[1] is not None else keywords.get("message"))
            hint = text(arguments[3] if arguments[3] is not None else keywords.get("hint")) or ""
            if message is None or (message, hint) in seen:
                continue
            seen.add((message, hint))
            found.setdefault(module, []).append((KINDS[name], message, hint))
    return found


def catalogue() -> str:
    lines = [HEAD]
    for module, entries in messages().items():
        lines.append(f"## {module}\n\n| 类别 | 信息 | 改法（hint） |\n|---|---|---|\n")
        for kind, message, hint in entries:
            cell = lambda value: value.replace("|", "\\|").replace("\n", " ")  # noqa: E731
            lines.append(f"| {kind} | {cell(message)} | {cell(hint)} |\n")
        lines.append("\n")
    return "".join(lines).rstrip("\n") + "\n"


if __name__ == "__main__":
    TARGET.write_text(catalogue(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}: {sum(len(e) for e in messages().values())} messages")
