"""Templates and static files by lookup order: the site's own, then its theme's, then the built-in default."""

from __future__ import annotations

import hashlib
import json
import os
import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from jinja2 import meta
from jinja2.loaders import split_template_path

from builder import routes
from builder.errors import ContentErrors
from builder.files import UnsafePath, read_bytes, regular_file, tree
from builder.model import Site
from builder.render.dates import format_date
from builder.render.titles import balanced
from builder.routes import BUILTIN_THEMES, STATIC, TEMPLATES_DIR, THEMES_DIR

if TYPE_CHECKING:
    from builder.cache.store import Store


def theme_dirs(site: Site) -> list[Path]:
    """The theme folders to look in, most specific first."""
    dirs = [site.root / THEMES_DIR / site.theme, BUILTIN_THEMES / site.theme, BUILTIN_THEMES / "default"]
    unique: list[Path] = []
    for folder in dirs:
        if folder.is_dir() and folder.resolve() not in (d.resolve() for d in unique):
            unique.append(folder)
    return unique


def boundary(path: Path, site: Site) -> tuple[Path, str]:
    """The folder that a theme or template file must lie in, links followed: the built-in
    themes' for theirs, the site's for the site's own (a `templates/` or `themes/x/`
    that is a link to elsewhere does not count as the site's)."""
    if BUILTIN_THEMES == path or BUILTIN_THEMES in path.parents:
        return BUILTIN_THEMES, "the built-in themes"
    return site.root, "the site's folder"


class _SiteLoader(jinja2.FileSystemLoader):
    """Jinja's file loader, for templates that are regular files of the site or of the
    built-in themes: a template linked to a file elsewhere is refused, not rendered into
    every page."""

    def __init__(self, searchpath: list[str], site: Site) -> None:
        super().__init__(searchpath)
        self.site = site

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        for folder in self.searchpath:
            candidate = Path(folder, *split_template_path(template))
            if candidate.exists() or candidate.is_symlink():
                try:
                    regular_file(candidate, *boundary(candidate, self.site))
                except UnsafePath as exc:
                    raise jinja2.TemplateError(f"the template {candidate} cannot be used: it {exc}") from None
                break
        return super().get_source(environment, template)


def template_env(site: Site) -> jinja2.Environment:
    folders = [site.root / TEMPLATES_DIR, *(d / TEMPLATES_DIR for d in theme_dirs(site))]
    env = jinja2.Environment(
        loader=_SiteLoader([str(f) for f in folders if f.is_dir()], site),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # an environment serves one build: its templates are read once, not checked per page
    )
    env.filters["date"] = format_date
    env.filters["css_string"] = css_string
    env.filters["balanced"] = balanced  # a long title in two lines of nearly equal length (print)
    env.globals["routes"] = routes  # url(routes.FEED): templates name pages as the builder does
    return env


def css_string(text: str) -> str:
    """`text` as a quoted CSS string, for `content:` in the print stylesheet. Every
    character that could end the string, the declaration or the <style> element the
    stylesheet is inlined into is written as a CSS escape."""
    return '"' + _CSS_UNSAFE.sub(lambda m: f"\\{ord(m.group()):x} ", text) + '"'


_CSS_UNSAFE = re.compile(r"""[\\"'<>&{};\x00-\x1f\x7f]""")


def static_files(site: Site) -> dict[str, Path]:
    """Output path (under static/) -> source file; a site's theme file replaces the default's."""
    files: dict[str, Path] = {}
    for folder in reversed(theme_dirs(site)):
        static = folder / STATIC.rstrip("/")
        for path in sorted(static.rglob("*")) if static.is_dir() else ():
            if any(part.startswith(".") for part in path.relative_to(static).parts) or path.is_dir():
                continue
            try:
                regular_file(path, *boundary(path, site))
            except UnsafePath as exc:
                raise ContentErrors.one(path, f"this theme file cannot be published: it {exc}", None,
                                        "put the file itself in the theme's static/ folder") from None
            files[STATIC + path.relative_to(static).as_posix()] = path
    return files


def templates_digest(site: Site) -> str:
    """A digest of every file the templates may come from, in lookup order: a page made
    with the same digest was made with the same templates. Links are followed as the
    loader follows them, inside the site (or the built-in themes); one leading elsewhere
    is named, not read (the loader refuses it)."""
    digest = hashlib.sha256()
    for number, folder in enumerate([site.root / TEMPLATES_DIR, *(d / TEMPLATES_DIR for d in theme_dirs(site))]):
        for name, path, walked in tree(folder, boundary(folder, site)[0]):
            if walked or not os.path.lexists(path):
                continue
            digest.update(f"{number} {name}\0".encode("utf-8", "surrogateescape"))
            try:
                digest.update(read_bytes(regular_file(Path(path), *boundary(Path(path), site))) + b"\0")
            except UnsafePath as exc:  # a link out, a pipe: never read, but a change (the loader refuses it)
                digest.update(f"{exc}\2".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


class TemplateDigests:
    """For each template: a digest of the files it is made of (itself, and those it
    extends, includes or imports, as the loader finds them), so that a page is made again
    when one of its own templates changed, not another page's. A template that names
    another by a variable, or that cannot be read or parsed, gets the digest of every
    template file instead (`templates_digest`)."""

    def __init__(self, env: jinja2.Environment, site: Site, memo: Store | None = None) -> None:
        """`memo`: where the templates each template names are kept between builds (by its
        source's digest): parsing every template again is most of a small rebuild's work."""
        self.env, self.site, self.memo = env, site, memo
        self.known: dict[str, str] = {}
        self.every: str | None = None

    def __call__(self, name: str) -> str:
        if name not in self.known:
            self.known[name] = self._digest(name)
        return self.known[name]

    def _every(self) -> str:
        """The fallback: a digest of every template file, worked out once for all templates that need it."""
        if self.every is None:
            self.every = "every template " + templates_digest(self.site)
        return self.every

    def _digest(self, name: str) -> str:
        loader = self.env.loader
        assert loader is not None
        digest = hashlib.sha256()
        seen: set[str] = set()
        todo = [name]
        try:
            while todo:
                current = todo.pop()
                if current in seen:
                    continue
                seen.add(current)
                try:
                    source, filename, _ = loader.get_source(self.env, current)
                except jinja2.TemplateNotFound:  # `ignore missing`: one added later is a change
                    digest.update(f"{current}\0-\0".encode("utf-8", "surrogateescape"))
                    continue
                digest.update(f"{current}\0{filename}\0{source}\0".encode("utf-8", "surrogateescape"))
                try:
                    named = self._named(source)
                except RecursionError:
                    raise ContentErrors.one(Path(filename or current), TOO_DEEP, None, TEMPLATE_HINT) from None
                if None in named:
                    return self._every()
                todo.extend(sorted(n for n in named if n is not None))
        except (jinja2.TemplateError, OSError, UnicodeDecodeError):  # reported when the page is rendered
            return self._every()
        return digest.hexdigest()


    def _named(self, source: str) -> list[str | None]:
        """The templates `source` extends, includes or imports (None: one named by a variable)."""
        key = hashlib.sha256(f"{jinja2.__version__}\0{source}".encode("utf-8", "surrogateescape")).hexdigest()
        kept = self.memo.get(NAMED, key) if self.memo is not None else None
        if kept is not None:
            with suppress(ValueError, UnicodeDecodeError):
                named = json.loads(kept)
                if isinstance(named, list) and all(name is None or isinstance(name, str) for name in named):
                    return named
        named = list(meta.find_referenced_templates(self.env.parse(source)))
        if self.memo is not None:
            self.memo.put(NAMED, key, json.dumps(named).encode())
        return named


# The memo's kind for the templates a template names.
NAMED = "template"
TEMPLATE_HINT = "correct the template, or delete it to use the theme's"
TOO_DEEP = "this template nests its tags ({% if %}, {% for %}, {% block %}…) too deeply to be read"


@contextmanager
def template_errors() -> Iterator[None]:
    """A mistake in a template, reported like a mistake in the content: file, line, what to do."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        raise ContentErrors.one(Path(exc.filename or exc.name or "template"), f"template error: {exc.message}",
                                exc.lineno, TEMPLATE_HINT) from None
    except RecursionError:  # Jinja's parser and compiler recurse once for each level of tags
        raise ContentErrors.one(None, TOO_DEEP.replace("this template", "a template"), None, TEMPLATE_HINT) from None
    except jinja2.TemplateError as exc:
        # Jinja puts the template's own file and line into the traceback.
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith((".html", ".css", ".xml"))]
        place = frames[-1] if frames else None
        raise ContentErrors.one(Path(place.filename) if place else None, f"template error: {exc}",
                                place.lineno if place else None,
                                TEMPLATE_HINT) from None
