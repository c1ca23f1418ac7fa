"""Every file name the builder reads and every path and URL it publishes, in one place.

Source: a site is a folder holding SITE_FILE, `content/issues/<issue>/` (ISSUE_FILE and
one Markdown file per article), and optionally `templates/` and `themes/`.

Output: paths are relative to output/, written with `/`; `page_url` turns one into the
URL path a link uses (`issues/2017-18/index.html` -> `issues/2017-18/`).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

# --- the site's files ------------------------------------------------------

SITE_FILE = "site.yaml"
ISSUE_FILE = "issue.yaml"
ISSUES_DIR = "content/issues"
TEMPLATES_DIR = "templates"
THEMES_DIR = "themes"
OUTPUT_DIR = "output"
# The builder's own, kept between builds; deleting it is always safe.
PDF_CACHE = Path(".cache") / "pdf"
BUILD_CACHE = Path(".cache") / "build"
# `newsletter serve` builds here (drafts included), never into output/; its PDF previews beside.
SERVE_OUTPUT = Path(".cache") / "serve" / "output"
SERVE_PDF = Path(".cache") / "serve" / "pdf"
# Where the pages are laid out for the search indexer while a build runs.
SEARCH_SCRATCH = Path(".cache") / "search"
# The theme's templates of the print edition: the issue's HTML, and its stylesheet.
PRINT_TEMPLATE = "print/issue.html"
PRINT_STYLESHEET = "print/issue.css"
# The themes that come with the builder (themes/default/ in its repository).
BUILTIN_THEMES = Path(__file__).resolve().parent.parent / THEMES_DIR
# Left in every output folder: the list of the files the build wrote there.
OUTPUT_MARKER = ".newsletter-output"
# Beside it: the size, time, digest (and key) of each file as the build left it.
OUTPUT_DIGESTS = ".newsletter-digests"

# Where the print HTML finds the issue's files. WeasyPrint names an image in the PDF
# after its URL; a fixed URL keeps the PDF's bytes independent of where the site is.
ISSUE_URL = "file:///issue/"

# --- the archive's pages and files ------------------------------------------

HOME = "index.html"
ISSUE_LIST = "issues/index.html"
SECTION_LIST = "sections/index.html"
NOT_FOUND = "404.html"
# What 订阅 leads to: how to follow the bulletin (the feed's address, for a feed reader).
SUBSCRIBE = "subscribe/index.html"
FEED = "feed.xml"
SITEMAP = "sitemap.xml"
STATIC = "static/"
# The site's icon, drawn from the masthead's colour and the title's first character.
FAVICON = "favicon.svg"
# The search page, and the search index with the script that reads it (builder/render/search.py).
SEARCH = "search/index.html"
SEARCH_BUNDLE = "pagefind/"


def issue_folder(issue_slug: str) -> str:
    return f"issues/{issue_slug}/"


def issue_page(issue_slug: str) -> str:
    return issue_folder(issue_slug) + "index.html"


def issue_file(issue_slug: str, name: str) -> str:
    """A file of the issue's folder (an image, an attachment), published beside its page."""
    return issue_folder(issue_slug) + name


def article_folder(issue_slug: str, article_slug: str) -> str:
    return f"issues/{issue_slug}/{article_slug}/"


def article_page(issue_slug: str, article_slug: str) -> str:
    return article_folder(issue_slug, article_slug) + "index.html"


def section_folder(section_slug: str, number: int = 1) -> str:
    """The folder of page `number` of a section's list of articles: the first is the section's."""
    return f"sections/{section_slug}/" + ("" if number == 1 else f"page/{number}/")


def section_page(section_slug: str, number: int = 1) -> str:
    return section_folder(section_slug, number) + "index.html"


def pdf(issue_slug: str) -> str:
    """The issue's print edition."""
    return f"pdf/{issue_slug}.pdf"


def page_url(path: str) -> str:
    """The URL path of an output file: folders for index.html, percent-encoded."""
    if path.endswith("index.html"):
        path = path[: -len("index.html")]
    return quote(path, safe="/#?=&")


def absolute(base_url: str, path: str) -> str:
    """The address of an output file on the published site (feeds, sitemap, PDF links)."""
    return base_url + page_url(path)
