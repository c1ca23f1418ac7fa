"""The house rules of builder/: imports run one way, and the WeasyPrint extension stands apart.

    model, errors, routes, files, chinese, charts  <-  source  <-  render  <-  print, importer  <-  pipeline  <-  serve  <-  cli

A module may import the builder's modules of its own layer or of a lower one, never of a
higher one, and the two subsystems of one layer (print, importer) not each other.
"""

import ast
from pathlib import Path

import pytest

from builder.print.document import PRINT_CODE, code_files

PACKAGE = Path(__file__).resolve().parent.parent / "builder"

# Layer of each top-level part of the package; later issues add cache/, serve/, mail/.
LAYERS = {
    "__init__": 0, "model": 0, "errors": 0, "routes": 0, "files": 0, "chinese": 0, "forked": 0, "memory": 0,
    "charts": 0,
    "source": 1, "cache": 1,
    "render": 2,
    "print": 3, "importer": 3, "mail": 3, "scaffold": 3,
    "pipeline": 4,
    "serve": 5,
    "cli": 6,
}
EXTENSION = "builder.print.weasyprint_cjk"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(parts)


def imports(path: Path, name: str | None = None) -> set[str]:
    """The builder modules `path` (the module `name`) imports, anywhere in it (functions
    too), as full names."""
    name = name or module_name(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base]) if base else ".".join(parent)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}  # `from builder import routes`
    known = {module_name(p) for p in PACKAGE.rglob("*.py")}
    return {name for name in found if name in known}


def part(module: str) -> str:
    """The top-level part of the package a module belongs to: `builder.render.web` -> render."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_part_of_the_package_has_a_layer():
    assert {part(module_name(p)) for p in MODULES} <= set(LAYERS)


def violations(path: Path, name: str | None = None) -> list[str]:
    mine = part(name or module_name(path))
    return sorted(imported for imported in imports(path, name)
                  if LAYERS[part(imported)] > LAYERS[mine]
                  or (LAYERS[part(imported)] == LAYERS[mine] and part(imported) != mine and LAYERS[mine] > 0))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_run_one_way(path):
    wrong = violations(path)
    assert not wrong, f"{module_name(path)} imports from a higher or a sibling layer: {wrong}"


def test_the_weasyprint_extension_is_used_only_through_its_entry_point():
    outside = [p for p in MODULES if not module_name(p).startswith(EXTENSION)]
    reaching_in = {module_name(p): sorted(n for n in imports(p) if n.startswith(EXTENSION + "."))
                   for p in outside}
    assert not {m: names for m, names in reaching_in.items() if names}


# Modules the typesetting may use that decide no byte of a PDF: the builder's error types
# (the extension's one exception derives from them), the model, and where a file is used
# (for messages about a file WeasyPrint could not read).
NO_BYTES = {"builder", "builder.errors", "builder.model", "builder.source.issue_files"}


def test_what_typesets_depends_only_on_what_the_pdf_cache_key_hashes():
    """The PDF cache key hashes PRINT_CODE: what runs in a typesetting worker (pdf.py and
    the extension) may not use another builder module, whose change would leave stale PDFs."""
    hashed = {module_name(p) for p in code_files()}
    typesetting = [p for p in MODULES if module_name(p).startswith(EXTENSION) or module_name(p) == "builder.print.pdf"]
    assert len(typesetting) > 5 and all(p in code_files() for p in typesetting)
    used = {name for p in typesetting for name in imports(p)}
    assert used - hashed <= NO_BYTES, used - hashed - NO_BYTES
    assert PRINT_CODE[0] == PACKAGE / "print"


def test_the_weasyprint_extension_uses_nothing_of_the_builder_but_chinese_and_errors():
    extension = [p for p in MODULES if module_name(p).startswith(EXTENSION)]
    used = {name for p in extension for name in imports(p) if not name.startswith(EXTENSION)}
    assert used <= {"builder", "builder.chinese", "builder.errors"}, used


def test_no_module_imports_itself_back():
    """No import cycle anywhere, the base layer included (whose modules may use each other)."""
    graph = {module_name(p): imports(p) - {"builder"} for p in MODULES}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, " -> ".join((*path, module))
        if module in done:
            return
        for imported in graph.get(module, ()):
            if imported != module and not module.startswith(imported + "."):  # a package's own __init__
                visit(imported, (*path, module))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_the_check_sees_a_wrong_import(tmp_path):
    """Not vacuous: the loader importing the renderer, or the importer the print edition, is caught."""
    for name, line in [("builder.source.config", "from builder.render.web import render_archive"),
                       ("builder.importer.text", "from builder.print import document"),
                       ("builder.render.web", "    from builder.pipeline import load")]:
        copy = tmp_path / "module.py"
        copy.write_text("def f():\n    pass\n\n" + (f"def g():\n{line}\n" if line.startswith(" ") else line + "\n"),
                        encoding="utf-8")
        assert violations(copy, name), (name, line)
