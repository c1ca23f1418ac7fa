"""site.yaml -> Site: the publication's settings, checked key by key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from zoneinfo import available_timezones

from builder.errors import ErrorLog
from builder.files import read_text
from builder.model import PdfSettings, Section, Site
from builder.routes import BUILTIN_THEMES, SITE_FILE, THEMES_DIR
from builder.source.delivery import send_settings, smtp_settings
from builder.source.fields import Field, read_fields
from builder.source.yamlfile import YamlDoc, parse_yaml

MAX_TITLE = 40
ASCII_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

SITE_FIELDS = {
    "title": Field("text", required=True, hint="add the publication's title, e.g. 'title: 节能减排信息动态'"),
    "publisher": Field("text", required=True, hint="add the 编印单位, e.g. 'publisher: …中心'"),
    "base_url": Field("text", required=True, hint="add the address the archive is published at, e.g. 'base_url: https://example.org/bulletin/'"),
    "description": Field("text"),
    "language": Field("text"),
    "timezone": Field("text"),
    "theme": Field("text"),
    "sections": Field("list", required=True, hint="list the sections (栏目) in order, each with 'name' and 'slug'"),
    "pdf": Field("mapping"),
    "feed": Field("mapping"),
    "archive": Field("mapping"),
    "markdown": Field("mapping"),
    "smtp": Field("mapping"),
    "send": Field("mapping"),
}
SECTION_FIELDS = {
    "name": Field("text", required=True, hint="the section's name as printed, e.g. 'name: 市场热点'"),
    "slug": Field("text", required=True, hint="a short ASCII name for URLs, e.g. 'slug: market'"),
}
PDF_FIELDS = {
    "columns": Field("int"),
    "page_number": Field("text"),
    "colour": Field("text"),
    "closing": Field("texts"),
    "latin_spacing": Field("text"),
    "line_end_punctuation": Field("text"),
    "line_start_bracket": Field("text"),
    "variant": Field("text"),
}
# The PDF standards WeasyPrint writes that the print edition offers (its fonts are embedded,
# its colours sRGB); "none": a plain, untagged PDF.
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3a", "pdf/a-2a", "pdf/a-3b", "pdf/a-2b", "pdf/a-3u", "pdf/a-2u", "none")
# The pdf settings that take one of a few words: (the words, what to write instead).
PDF_CHOICES = {
    "page_number": (("dashes", "total"), "use 'dashes' for — 3 — or 'total' for 第 3 页 共 51 页"),
    "latin_spacing": (("quarter", "none"),
                      "use 'quarter' for a quarter em between Chinese and Latin letters or digits, or 'none'"),
    "line_end_punctuation": (("full", "half"),
                             "use 'half' to set a closing mark at the end of a line half width, or 'full'"),
    "line_start_bracket": (("full", "half"),
                           "use 'half' to set an opening bracket or quote that starts a line half width, or 'full'"),
    "variant": (PDF_VARIANTS, "use 'pdf/ua-1' (tagged for screen readers), 'pdf/a-3a' or 'pdf/a-2a' (archival "
                "and tagged), 'pdf/a-3b', 'pdf/a-2b', 'pdf/a-3u', 'pdf/a-2u' (archival), or 'none'"),
}
FEED_FIELDS = {"issues": Field("int", least=1, most=1000)}
ARCHIVE_FIELDS = {"per_page": Field("int", least=1, most=1000)}
MARKDOWN_FIELDS = {"raw_html": Field("bool")}


def load_site(root: Path, log: ErrorLog) -> Site | None:
    """Read and check `root/site.yaml`; report every problem to `log`."""
    path = root / SITE_FILE
    found = log.scope()
    doc = _site_file(path, found)
    if doc is None:
        return None
    values = read_fields(doc, SITE_FIELDS, found)
    # Check the nested settings even when a top-level key is wrong: report everything at once.
    sections = _sections(doc, found)
    pdf = _pdf(doc, found)
    feed = _optional(doc, "feed", FEED_FIELDS, found)
    archive = _optional(doc, "archive", ARCHIVE_FIELDS, found)
    markdown = _optional(doc, "markdown", MARKDOWN_FIELDS, found)
    smtp = smtp_settings(doc, found)
    send = send_settings(doc, found)
    if values is not None:
        _check_values(values, doc, root, found)
    if found or values is None or sections is None or pdf is None or feed is None or archive is None \
            or markdown is None or smtp is None or send is None:
        return None
    return Site(
        root=root,
        title=values["title"],
        publisher=values["publisher"],
        base_url=values["base_url"].rstrip("/") + "/",
        language=values.get("language", "zh-CN"),
        timezone=values.get("timezone", "Asia/Shanghai"),
        theme=values.get("theme", "default"),
        sections=sections,
        pdf=pdf,
        feed_issues=feed.get("issues", 5),
        per_page=archive.get("per_page", 20),
        description=values.get("description", ""),
        smtp=smtp,
        send=send,
        raw_html=markdown.get("raw_html", False),
    )


def _site_file(path: Path, log: ErrorLog) -> YamlDoc | None:
    """site.yaml parsed, if it is a mapping."""
    if not path.exists() and not path.is_symlink():
        log.error(path, "there is no site.yaml here",
                  hint="run the command in the site's folder, or pass --site DIR")
        return None
    text = read_text(path, log)
    doc = parse_yaml(text, path, log) if text is not None else None
    if doc is None:
        return None
    if not isinstance(doc.data, dict):
        read_fields(doc, SITE_FIELDS, log)  # says what is expected
        return None
    return doc


def _check_values(values: dict[str, Any], doc: YamlDoc, root: Path, log: ErrorLog) -> None:
    """What the field types cannot say: lengths, addresses, time zones, themes."""
    path = doc.path
    if len(values["title"]) > MAX_TITLE:
        log.error(path, f"the title is {len(values['title'])} characters long; the masthead and the running head "
                        f"of the print edition have room for {MAX_TITLE}", doc.line("title"),
                  "give the publication's name alone, and put more in 'description'")
    base_url = values["base_url"]
    if not re.match(r"^https?://[^/\s]+", base_url):
        log.error(path, f"base_url '{base_url}' is not a web address", doc.line("base_url"),
                  "write it in full, e.g. https://example.org/bulletin/")
    timezone = values.get("timezone", "Asia/Shanghai")
    if timezone not in available_timezones():
        log.error(path, f"unknown time zone '{timezone}'", doc.line("timezone"),
                  "use a name such as Asia/Shanghai")
    theme = values.get("theme", "default")
    if not ASCII_SLUG.match(theme):
        log.error(path, f"theme '{theme}' should be a folder name under themes/", doc.line("theme"))
    elif not any((folder / THEMES_DIR / theme).is_dir() for folder in (root, BUILTIN_THEMES.parent)):
        log.error(path, f"there is no theme '{theme}'", doc.line("theme"),
                  f"make the folder themes/{theme}/ with templates/ and static/, or use 'theme: default'")


def _optional(doc: YamlDoc, key: str, spec: dict[str, Field], log: ErrorLog) -> dict | None:
    if not isinstance(doc.data.get(key), dict):
        return {}
    return read_fields(doc, spec, log, (key,), key)


def _sections(doc: YamlDoc, log: ErrorLog) -> tuple[Section, ...] | None:
    items = doc.data.get("sections")
    if not isinstance(items, list) or not items:
        if isinstance(items, list):
            log.error(doc.path, "'sections' is empty", doc.line("sections"),
                      "list at least one section with 'name' and 'slug'")
        return None
    sections: list[Section] = []
    for i in range(len(items)):
        values = read_fields(doc, SECTION_FIELDS, log, ("sections", i), f"section {i + 1}")
        if values is None:
            continue
        name, slug = values["name"].strip("【】 "), values["slug"]
        if not ASCII_SLUG.match(slug):
            log.error(doc.path, f"section slug '{slug}' may hold only a-z, 0-9 and single hyphens",
                      doc.line("sections", i, "slug"), "e.g. 'slug: market'")
            continue
        for other in sections:
            if name == other.name or slug == other.slug:
                log.error(doc.path, f"section '{name}' ({slug}) is listed twice",
                          doc.line("sections", i), "each section needs its own name and slug")
        sections.append(Section(name, slug))
    return tuple(sections) if len(sections) == len(items) else None


def _pdf(doc: YamlDoc, log: ErrorLog) -> PdfSettings | None:
    if not isinstance(doc.data.get("pdf"), dict):
        return PdfSettings()
    values = read_fields(doc, PDF_FIELDS, log, ("pdf",), "pdf")
    if values is None:
        return None
    settings = PdfSettings(**values)
    ok = True
    if settings.columns not in (1, 2):
        log.error(doc.path, "pdf.columns should be 1 or 2", doc.line("pdf", "columns"))
        ok = False
    for name, (choices, hint) in PDF_CHOICES.items():
        value = getattr(settings, name)
        if value not in choices:
            log.error(doc.path, f"pdf.{name} '{value}' is not known", doc.line("pdf", name), hint)
            ok = False
    if not re.match(r"^#[0-9a-fA-F]{6}$", settings.colour):
        log.error(doc.path, f"pdf.colour '{settings.colour}' is not a colour", doc.line("pdf", "colour"),
                  "write it as #rrggbb, e.g. #c00000")
        ok = False
    return settings if ok else None

