"""Templates and static files by lookup order: the site's own, then its theme's, then the built-in default."""

from __future__ import annotations

from pathlib import Path

import jinja2

from .dates import format_date
from .model import Site

BUILTIN_THEMES = Path(__file__).resolve().parent.parent / "themes"


def theme_dirs(site: Site) -> list[Path]:
    """The theme folders to look in, most specific first."""
    dirs = [site.root / "themes" / site.theme, BUILTIN_THEMES / site.theme, BUILTIN_THEMES / "default"]
    unique: list[Path] = []
    for folder in dirs:
        if folder.is_dir() and folder.resolve() not in (d.resolve() for d in unique):
            unique.append(folder)
    return unique


def template_env(site: Site) -> jinja2.Environment:
    folders = [site.root / "templates", *(d / "templates" for d in theme_dirs(site))]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders if f.is_dir()]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date"] = format_date
    env.filters["css_string"] = css_string
    return env


def css_string(text: str) -> str:
    """`text` as a quoted CSS string, for `content:` in the print stylesheet."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\a ") + '"'


def static_files(site: Site) -> dict[str, Path]:
    """Output path (under static/) -> source file; a site's theme file replaces the default's."""
    files: dict[str, Path] = {}
    for folder in reversed(theme_dirs(site)):
        static = folder / "static"
        for path in sorted(static.rglob("*")) if static.is_dir() else ():
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(static).parts):
                files["static/" + path.relative_to(static).as_posix()] = path
    return files
