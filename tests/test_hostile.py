"""Content as an attacker or an unlucky editor writes it.

Each class of hostile or broken input is tried in several variants, each built into an
output folder that already holds a good build. A refused build must name the file (and
the line where there is one), print no traceback, leave the published output byte for
byte as it was, and no output may hold a byte of a file from outside the site.
"""

from __future__ import annotations

import os
import shutil
import socket
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import tinycss2
from bs4 import BeautifulSoup
from conftest import ROOT, article, snapshot, write

from builder.errors import ErrorLog
from builder.print.document import print_document
from builder.print.pdf import _local_fetcher
from builder.render.themes import template_env
from builder.routes import ISSUE_URL
from builder.source.config import load_site
from builder.source.content import load_archive

ISSUE = "content/issues/2017-02"
SENTINEL = "SENTINEL-7c1e9b"
# A valid 1x1 PNG that carries the sentinel in a text chunk.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
                    "0000000d4944415478da63f8cfc0f01f0005000201a3d6a5d90000000049454e44ae426082")
SECRET_PNG = PNG[:-12] + SENTINEL.encode() + PNG[-12:]


@dataclass
class Published:
    site: Path
    outside: Path  # a folder beside the site with files that must never be published
    before: dict[str, str]  # the good build's output/

    @property
    def issue(self) -> Path:
        return self.site / ISSUE


@pytest.fixture
def published(site: Path, newsletter, tmp_path: Path) -> Published:
    outside = tmp_path / "secret"
    outside.mkdir()
    (outside / "passwd").write_text(f"root:x:0:0:{SENTINEL}\n", encoding="utf-8")
    (outside / "pic.png").write_bytes(SECRET_PNG)
    (outside / "article.md").write_text(article(title="外部", body=SENTINEL), encoding="utf-8")
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 0, run.err
    return Published(site, outside, snapshot(site / "output"))


def nothing_from_outside(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            assert SENTINEL.encode() not in path.read_bytes(), path


def refused(newsletter, published: Published, *messages: str, pdf: bool = False) -> str:
    """Build, expecting errors: returns stderr after checking exit code, messages, no
    traceback, the previous output unchanged and nothing from outside in it."""
    run = newsletter("build", "--site", published.site, *(() if pdf else ("--no-pdf",)))
    assert run.code == 1, run.out + run.err
    assert "Traceback" not in run.out + run.err
    assert "nothing was written" in run.err
    for message in messages:
        assert message in run.err, run.err
    assert snapshot(published.site / "output") == published.before
    nothing_from_outside(published.site / "output")
    return run.err


# 1. Data lost ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", [".output.backup-20241125", ".output.new-4194999", ".output.old-4194998",
                                  ".output.tmp-1", ".output.new-x"])
@pytest.mark.parametrize("build_fails", [False, True], ids=["good-build", "failed-build"])
def test_folders_beside_the_output_that_no_build_made_are_left_alone(published, newsletter, name, build_fails):
    folder = write(published.site / name / "keep.txt", "编辑的备份").parent
    if build_fails:
        (published.site / "site.yaml").unlink()
    run = newsletter("build", "--site", published.site, "--no-pdf")
    assert run.code == (1 if build_fails else 0), run.err
    assert (folder / "keep.txt").read_text(encoding="utf-8") == "编辑的备份"


def test_files_an_editor_put_into_the_output_are_kept(published, newsletter):
    output = published.site / "output"
    write(output / "CNAME", "bulletin.example.org\n")
    write(output / ".well-known/security.txt", "Contact: mailto:a@example.org\n")
    write(output / "issues/2017-01/说明.txt", "编辑放的文件\n")
    (output / "latest").symlink_to("issues/2017-02")
    run = newsletter("build", "--site", published.site, "--no-pdf")
    assert run.code == 0, run.err
    assert "kept 4 files that the build did not write" in run.out
    assert (output / "CNAME").read_text() == "bulletin.example.org\n"
    assert (output / ".well-known/security.txt").is_file()
    assert (output / "issues/2017-01/说明.txt").read_text(encoding="utf-8") == "编辑放的文件\n"
    assert os.readlink(output / "latest") == "issues/2017-02"
    # and again: kept files stay kept, build after build
    assert newsletter("build", "--site", published.site, "--no-pdf").code == 0
    assert (output / "CNAME").is_file()


def test_an_output_folder_made_by_hand_before_the_first_build_is_kept(site, newsletter):
    write(site / "output/CNAME", "bulletin.example.org\n")
    write(site / "output/mynotes/a.txt", "笔记\n")
    (site / "output/.well-known").mkdir()
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 0, run.err
    assert "kept 3 files that the build did not write" in run.out
    assert (site / "output/CNAME").is_file() and (site / "output/mynotes/a.txt").is_file()
    assert (site / "output/.well-known").is_dir() and (site / "output/index.html").is_file()


def test_editor_files_survive_the_upgrade_from_the_first_manifests(published, newsletter):
    import builder.render.output

    output = published.site / "output"
    written = sorted(p.relative_to(output).as_posix() for p in output.rglob("*")
                     if p.is_file() and p.name != ".newsletter-output")
    (output / ".newsletter-output").write_text(builder.render.output.LINES_MANIFEST_HEAD + "".join(f"{n}\n" for n in written),
                                             encoding="utf-8")
    write(output / "CNAME", "bulletin.example.org\n")
    assert newsletter("build", "--site", published.site, "--no-pdf").code == 0
    assert (output / "CNAME").read_text() == "bulletin.example.org\n"


@pytest.mark.parametrize("damage", ["5", "null", '[["x"]]', "{"])
def test_a_damaged_manifest_is_an_error_not_a_loss(published, newsletter, damage):
    manifest = published.site / "output/.newsletter-output"
    head = manifest.read_text(encoding="utf-8").split("\n", 2)
    manifest.write_text(head[0] + "\n" + head[1] + "\n" + damage, encoding="utf-8")
    write(published.site / "output/CNAME", "bulletin.example.org\n")
    published.before = snapshot(published.site / "output")
    refused(newsletter, published, "output/.newsletter-output: the list of the files the last build wrote is damaged")


def test_a_file_of_the_editor_that_the_build_would_replace_is_refused(published, newsletter):
    write(published.site / "output/issues/2017-02/x/index.html", "编辑自己的页面")
    published.before = snapshot(published.site / "output")
    write(published.issue / "x.md", article())
    refused(newsletter, published, "output/issues/2017-02/x/index.html: this file was not written by a build")


@pytest.mark.parametrize("name", ["..2017-18", ".2017-18", ". 2017-18"])
def test_an_issue_in_a_hidden_folder_is_an_error_not_a_smaller_archive(published, newsletter, name):
    shutil.copytree(published.issue, published.site / "content/issues" / name)
    shutil.rmtree(published.issue)
    refused(newsletter, published, f"content/issues/{name}: the folder '{name}' holds an issue")


@pytest.mark.parametrize("mine", ["issues/2017-02/intl", "issues/2017-02/intl/index.html/note.txt"])
def test_an_editor_file_in_the_way_of_a_page_or_its_folder_is_refused(published, newsletter, mine):
    shutil.rmtree(published.site / "output/issues/2017-02/intl")
    write(published.site / "output" / mine, "编辑的文件")
    published.before = snapshot(published.site / "output")
    refused(newsletter, published, f"output/{mine}: this file was not written by a build")


def test_hidden_folders_without_an_issue_are_ignored(published, newsletter):
    write(published.site / "content/issues/.git/config", "[core]\n")
    assert newsletter("build", "--site", published.site, "--no-pdf").code == 0


# 2. Files from outside the site ---------------------------------------------------------

WALKS_OUT = [
    "../../../../secret/passwd",
    "%2E%2E/%2E%2E/%2E%2E/%2E%2E/secret/passwd",
    "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fsecret%2fpasswd",
    "images/..%2F..%2F..%2F..%2F..%2Fsecret/passwd",
    "./images/../../../../../secret/passwd",
    "..%5C..%5C..%5C..%5Csecret%5Cpasswd",
]
REFERENCES = {
    "image": lambda ref: article(body=f"图：\n\n![图]({ref})\n"),
    "link": lambda ref: article(body=f"见[原文]({ref})。\n"),
    "attachment-link": lambda ref: article(body=f'见[原文]({ref}){{: rel="attachment" }}。\n'),
    "reference-definition": lambda ref: article(body=f"见[原文][r]。\n\n[r]: {ref}\n"),
    "front-matter-attachment": lambda ref: article(extra=f"attachments:\n  - title: 附件\n    url: \"{ref}\"\n"),
}


@pytest.mark.parametrize("ref", WALKS_OUT)
@pytest.mark.parametrize("form", list(REFERENCES))
def test_references_that_walk_out_of_the_issue_are_refused(published, newsletter, form, ref):
    write(published.issue / "x.md", REFERENCES[form](ref))
    err = refused(newsletter, published, f"{ISSUE}/x.md:")
    assert "passwd" in err


@pytest.mark.parametrize("body, line", [
    ("见[原文][r]。\n\n[r]:\n    ../../../../secret/passwd\n", 11),
    ("> 引文[原文][r]。\n>\n> [r]: ../../../../secret/passwd\n", 10),
    ("- 条目[原文][r]\n- [r]: <../../../../secret/passwd>\n", 9),
    ("![图](images/price.png(x(y))/../../../../../../secret/pic.png)\n", 8),
    ("正文\n\n[链接](  <../../../../secret/passwd>  )\n", 10),
], ids=["definition-next-line", "definition-in-quote", "definition-in-list", "nested-parentheses", "spaced"])
def test_every_form_of_reference_is_checked(published, newsletter, body, line):
    write(published.issue / "x.md", article(body=body))
    refused(newsletter, published, f"{ISSUE}/x.md:{line}: '")


def test_raw_html_over_several_lines_is_checked(published, newsletter):
    with open(published.site / "site.yaml", "a", encoding="utf-8") as settings:
        settings.write("markdown:\n  raw_html: true\n")
    write(published.issue / "x.md", article(body='正文\n\n<img\n  alt="图"\n  src = "../../../../secret/pic.png">\n'))
    refused(newsletter, published, f"{ISSUE}/x.md:10: '../../../../secret/pic.png' is named in HTML")


@pytest.mark.parametrize("tag", ["span", "b", "div"])
def test_raw_html_nested_deeper_than_the_print_layout_follows_is_an_error_at_its_issue(published, newsletter, tag):
    with open(published.site / "site.yaml", "a", encoding="utf-8") as settings:
        settings.write("markdown:\n  raw_html: true\n")
    write(published.issue / "x.md", article(body=f"<{tag}>" * 400 + "节能减排" * 30 + f"</{tag}>" * 400 + "\n"))
    nested_too_deeply(newsletter, published)


def test_emphasis_nested_deeper_than_the_print_layout_follows_is_an_error_at_its_issue(published, newsletter):
    # Markdown alone, no raw HTML: *a _a *a … x … b_ b* is 400 <em> inside one another.
    body = "".join("*_"[i % 2] + "a " for i in range(400)) + "x" + "".join(" b" + "*_"[i % 2] for i in reversed(range(400)))
    write(published.issue / "x.md", article(body=body + "\n"))
    nested_too_deeply(newsletter, published)


def nested_too_deeply(newsletter, published: Published) -> None:
    err = refused(newsletter, published, f"{ISSUE}: the print edition of this issue cannot be typeset: its text has "
                  "elements nested too deeply", pdf=True)
    assert "fault of the builder" not in err
    assert "raw HTML tags, or * and _ emphasis" in err


def test_an_absolute_path_to_a_file_outside_is_refused(published, newsletter):
    target = published.outside / "pic.png"
    write(published.issue / "x.md", article(body=f"![图]({target})\n\n[f]({target})\n"))
    refused(newsletter, published, f"{ISSUE}/x.md:8: '{target}' is an absolute path")


def test_references_in_the_note_are_checked_too(published, newsletter):
    meta = published.issue / "issue.yaml"
    meta.write_text(meta.read_text(encoding="utf-8") + "note: |\n  见![图](%2E%2E/%2E%2E/%2E%2E/%2E%2E/secret/pic.png)\n",
                    encoding="utf-8")
    refused(newsletter, published, f"{ISSUE}/issue.yaml:")


def _link(path: Path, target: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target)


SYMLINKS = {
    # where the link is, what it points to (relative to the folder outside), the message
    "issue-folder": ("content/issues/2017-09", "issue", "content/issues/2017-09: this issue folder cannot be used"),
    "article": (f"{ISSUE}/x.md", "article.md", f"{ISSUE}/x.md: this cannot be read: it is a link to"),
    "issue.yaml": (f"{ISSUE}/issue.yaml", "issue.yaml", f"{ISSUE}/issue.yaml: this cannot be read"),
    "image": (f"{ISSUE}/images/pic.png", "pic.png", f"{ISSUE}/x.md:10: 'images/pic.png' is a link to"),
    "image-folder": (f"{ISSUE}/images", ".", f"{ISSUE}/x.md:10: 'images/pic.png' points outside"),
    "device": (f"{ISSUE}/images/pic.png", "/dev/zero", f"{ISSUE}/x.md:10: 'images/pic.png' is a link to /dev/zero"),
    "site.yaml": ("site.yaml", "site.yaml", "site.yaml: this cannot be read: it is a link to"),
    "content-folder": ("content", "content", "content/issues: the issues cannot be read"),
    "issues-folder": ("content/issues", "content/issues", "content/issues: the issues cannot be read"),
    "templates-folder": ("templates", "templates", "the template"),
    "theme-static-folder": ("themes/default/static", "static", "this theme file cannot be published"),
    "loop": ("content/issues/2017-09", "../../content/issues/2017-09", "2017-09: this issue folder cannot be used: it is a loop of links"),
    "theme-file": ("themes/default/static/evil.css", "passwd", "themes/default/static/evil.css: this theme file"),
    "template": ("templates/article.html", "passwd", "the template"),
}


@pytest.mark.parametrize("kind", list(SYMLINKS))
def test_links_to_files_outside_the_site_are_refused(published, newsletter, kind):
    where, target, message = SYMLINKS[kind]
    outside = published.outside
    shutil.copytree(published.site / "content/issues/2017-01", outside / "issue")
    write(outside / "issue" / "issue.yaml", "year: 2017\nnumber: 9\ntotal: 99\ndate: 2017-03-01\n")
    write(outside / "issue" / "99-secret.md", article(body=SENTINEL))
    shutil.copy(published.site / "site.yaml", outside / "site.yaml")
    write(outside / "issue.yaml", f"year: 2017\nnumber: 2\ntotal: 91\ndate: 2017-01-13\ntitle: {SENTINEL}\n")
    shutil.copytree(published.site / "content", outside / "content")
    write(outside / "content/issues/2017-02/99-secret.md", article(body=SENTINEL))
    write(outside / "templates/404.html", SENTINEL)
    write(outside / "static/site.css", SENTINEL)
    if kind in ("image", "image-folder", "device"):
        write(published.issue / "x.md", article(body="图：\n\n![图](images/pic.png)\n"))
    if kind == "loop":
        (published.site / where).symlink_to(published.site / where)
    else:
        _link(published.site / where, Path(target) if target.startswith("/") else outside / target)
    refused(newsletter, published, message)


def test_a_pdf_cache_that_is_a_link_to_elsewhere_is_neither_read_nor_written(published, newsletter):
    elsewhere = published.outside / "cache"
    write(elsewhere / "pdf/2017-01-0123456789abcdef.pdf", "the user's own file")
    shutil.rmtree(published.site / ".cache", ignore_errors=True)  # the first build's
    (published.site / ".cache").symlink_to(elsewhere)
    run = newsletter("build", "--site", published.site)
    assert run.code == 0, run.err
    assert "warning: .cache/pdf: the PDF cache is a link to outside the site" in run.err
    assert "is a link to outside the site: it is not used" in run.out  # nor the build cache
    assert not (elsewhere / "build").exists()
    assert [p.name for p in (elsewhere / "pdf").iterdir()] == ["2017-01-0123456789abcdef.pdf"]
    assert (elsewhere / "pdf/2017-01-0123456789abcdef.pdf").read_text() == "the user's own file"


def test_the_print_editions_fetcher_reads_only_the_issues_published_files(site, tmp_path):
    log = ErrorLog()
    archive = load_archive(load_site(site, log), log)
    issue = next(i for i in archive.issues if i.slug == "2017-01")
    document = print_document(archive, issue, template_env(archive.site))
    fetcher = _local_fetcher(document)
    assert fetcher.fetch(ISSUE_URL + "images/price.png").read().startswith(b"\x89PNG")
    (tmp_path / "passwd").write_text(SENTINEL)
    for url in [ISSUE_URL + "%2E%2E/%2E%2E/%2E%2E/%2E%2E/passwd", ISSUE_URL + "images/..%2F..%2F..%2F..%2F..%2Fpasswd",
                ISSUE_URL + "%2e%2e/%2e%2e/%2e%2e/%2e%2e/passwd", "file:///issue/../../passwd",
                f"file://{tmp_path}/passwd", "file:///etc/passwd", "http://127.0.0.1:9/x.png",
                ISSUE_URL + "notes.txt",  # in the folder, but no published article uses it
                ISSUE_URL + "images/draft-only.png",  # used only by a draft
                ISSUE_URL + "images/./../../../../passwd"]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)


@pytest.mark.parametrize("href", ["../../../../secret/pic.png", "%2E%2E/%2E%2E/%2E%2E/%2E%2E/secret/pic.png",
                                  "file:///etc/passwd", "price.png"])
def test_an_svg_cannot_bring_another_file_into_the_pdf(published, newsletter, href):
    write(published.issue / "images/chart.svg",
          '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="100" '
          f'height="50"><image xlink:href="{href}" width="100" height="50"/></svg>')
    write(published.issue / "x.md", article(body="图：\n\n![图表](images/chart.svg)\n"))
    refused(newsletter, published, f"{ISSUE}/x.md:10: 'images/chart.svg' cannot be published: it refers to another "
                                   f"file (href=\"{href[:40]}\")", pdf=True)


# 3. Live script from content ------------------------------------------------------------

DANGEROUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    '<img src="https://example.org/x.png" onerror="alert(1)">',
    '<img src = "https://example.org/x.png" onerror = alert(1)>',
    "<iframe src=https://evil.example/></iframe>",
    '<svg onload="alert(1)"><circle r="1"/></svg>',
    '<a href="javascript:alert(1)">点此</a>',
    '<a href="&#106;avascript:alert(1)">点此</a>',
    "<object data=https://evil.example/x.swf></object><embed src=https://evil.example/y>",
    '<form action="javascript:alert(1)"><button>提交</button></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"><base href="https://evil.example/">',
    "<style>body{background:url(javascript:alert(1))}</style>",
    '<div style="background:url(https://evil.example/track.png)">样式</div>',
    "[点此](javascript:alert(1))",
    "[点此](JaVaScRiPt:alert(1))",
    "[点此](  javascript:alert(1)  )",
    "[点此](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[点此](vbscript:msgbox(1))",
    '正文段落\n{: onclick="alert(1)" }',
    '正文段落\n{: style="position:fixed;top:0" }',
    '[链接](https://example.org/){: onmouseover="alert(1)" }',
    '[链接](https://example.org/){: href="javascript:alert(1)" }',
    "<!--<script>alert(1)</script>-->",
]
BAD_TAGS = {"script", "iframe", "object", "embed", "form", "base", "style", "svg", "button"}


# The theme's own scripts (the article's contents box folded on phones): not content's.
THEME_SCRIPTS = {str(tag) for tag in BeautifulSoup((ROOT / "themes/default/templates/article.html").read_text(
    encoding="utf-8"), "html.parser").find_all("script")}


def live_script(html: str) -> list[str]:
    """What in an HTML text could run script or restyle the page (but the theme's own scripts)."""
    soup = BeautifulSoup(html, "html.parser")
    for form in soup.select("header.site-header > .wrap > form.site-search"):  # the theme's search box
        form.decompose()
    found = []
    for tag in soup.find_all(True):
        if tag.name == "script" and str(tag) in THEME_SCRIPTS:
            continue
        if tag.name in BAD_TAGS or (tag.name == "meta" and tag.get("http-equiv")):
            found.append(tag.name)
        for name, value in tag.attrs.items():
            value = " ".join(value) if isinstance(value, list) else value
            if name.startswith("on") or (name == "style" and tag.name not in ("th", "td")):
                found.append(f"{tag.name} {name}")
            if name in ("href", "src", "action", "formaction", "data") and \
                    "".join(value.split()).lower().startswith(("javascript:", "vbscript:", "data:")):
                found.append(f"{tag.name} {name}={value}")
    return found


@pytest.mark.parametrize("raw_html", [False, True], ids=["default", "raw_html"])
def test_no_live_script_from_content_in_pages_feed_or_print_html(site, newsletter, raw_html):
    if raw_html:
        with open(site / "site.yaml", "a", encoding="utf-8") as settings:
            settings.write("markdown:\n  raw_html: true\n")
    for number, snippet in enumerate(DANGEROUS):
        write(site / ISSUE / f"x{number:02d}.md", article(title=f"文章{number}", body=f"第一段。\n\n{snippet}\n\n最后一段。"))
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 0, run.err
    for number in range(len(DANGEROUS)):
        page = (site / f"output/issues/2017-02/x{number:02d}/index.html").read_text(encoding="utf-8")
        assert live_script(page) == [], DANGEROUS[number]
        assert "最后一段。" in page
    feed = BeautifulSoup((site / "output/feed.xml").read_text(encoding="utf-8"), "xml")
    for content in feed.find_all("content"):
        assert live_script(content.get_text()) == [], content.get_text()
    log = ErrorLog()
    archive = load_archive(load_site(site, log), log)
    issue = next(i for i in archive.issues if i.slug == "2017-02")
    print_html = print_document(archive, issue, template_env(archive.site)).html
    assert live_script(print_html.replace("<style>", "<x-style>").replace("</style>", "</x-style>")) == []


def test_raw_html_is_shown_as_text_by_default(site, newsletter):
    write(site / ISSUE / "x.md", article(body="导入的文字里有<script>alert(1)</script>和<b>粗体</b>。"))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    page = (site / "output/issues/2017-02/x/index.html").read_text(encoding="utf-8")
    assert "有&lt;script&gt;alert(1)&lt;/script&gt;和&lt;b&gt;粗体&lt;/b&gt;。" in page


def test_raw_html_when_allowed_keeps_what_a_bulletin_needs(site, newsletter):
    with open(site / "site.yaml", "a", encoding="utf-8") as settings:
        settings.write("markdown:\n  raw_html: true\n")
    write(site / ISSUE / "x.md", article(body="H<sub>2</sub>O 与 CO<sub>2</sub>，10<sup>6</sup> 吨。\n\n"
                                              '<table class="data"><tr><th colspan="2">合计</th></tr></table>'))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    page = (site / "output/issues/2017-02/x/index.html").read_text(encoding="utf-8")
    assert "H<sub>2</sub>O 与 CO<sub>2</sub>，10<sup>6</sup> 吨。" in page
    assert '<table class="data"><tbody><tr><th colspan="2">合计</th></tr></tbody></table>' in page


@pytest.mark.parametrize("title", ['节能</style><script>alert(1)</script>', '节能"; } body { display: none } x { a: "',
                                   "节能\\\" </STYLE><img src=x onerror=f()>"])
def test_site_settings_cannot_break_out_of_the_print_stylesheet(site, title):
    settings = (site / "site.yaml").read_text(encoding="utf-8").replace("title: 测试简报", f"title: '{title}'")
    (site / "site.yaml").write_text(settings, encoding="utf-8")
    log = ErrorLog()
    archive = load_archive(load_site(site, log), log)
    html = print_document(archive, archive.issues[0], template_env(archive.site)).html
    assert html.count("</style>") == 1
    style = html[html.index("<style>") + 7: html.index("</style>")]
    page = next(rule for rule in tinycss2.parse_stylesheet(style, skip_whitespace=True, skip_comments=True)
                if rule.type == "at-rule" and rule.lower_at_keyword == "page")
    header = next(rule for rule in tinycss2.parse_blocks_contents(page.content, skip_whitespace=True)
                  if rule.type == "at-rule" and rule.lower_at_keyword == "top-left")
    content = next(d for d in tinycss2.parse_blocks_contents(header.content, skip_whitespace=True)
                   if d.type == "declaration" and d.lower_name == "content")
    values = [token for token in content.value if token.type != "whitespace"]
    # The whole title stays one CSS string: nothing of it became a rule or a declaration.
    assert [token.type for token in values] == ["string"]
    assert values[0].value == f"{title}　{archive.issues[0].label}"
    assert live_script(html.replace("<style>", "<x-style>").replace("</style>", "</x-style>")) == []


@pytest.mark.parametrize("name, content", [
    ("page.html", "<script>alert(1)</script>"), ("page.HTM", "<script>alert(1)</script>"),
    ("app.js", "alert(1)"), ("doc.xhtml", "<html/>"), ("data.xml", "<x/>"), ("noext", "x"),
])
def test_files_that_would_run_in_the_archive_are_not_published(published, newsletter, name, content):
    write(published.issue / name, content)
    write(published.issue / "x.md", article(extra=f"attachments:\n  - title: 附件\n    url: {name}\n"))
    refused(newsletter, published, f"{ISSUE}/x.md:", f"'{name}' would be published")


@pytest.mark.parametrize("svg, problem", [
    ('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "<script>"),
    ('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "event handler"),
    ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink"><a x:href="javascript:alert(1)">'
     "<text>x</text></a></svg>", "script address"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><iframe/></foreignObject></svg>', "<foreignobject>"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><a><animate attributeName="href" to="javascript:alert(1)"/></a></svg>',
     "animates"),
    ('<!DOCTYPE svg [<!ENTITY x "y">]><svg xmlns="http://www.w3.org/2000/svg"/>', "entities"),
    ('<?xml-stylesheet type="text/xsl" href="chart.svg"?><svg xmlns="http://www.w3.org/2000/svg"/>', "processing instruction"),
    ('<?xml-stylesheet href="x.xsl"?><svg xmlns="http://www.w3.org/2000/svg"/>'.encode("utf-16"), "UTF-8"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><style>rect { fill: url(../../../../secret/pic.png) }</style></svg>',
     "url() or @import in its styles"),
    ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xsl:version="1.0">'
     '<xsl:element name="script">alert(1)</xsl:element></svg>', "XSLT"),
])
def test_svg_images_that_could_run_script_are_refused(published, newsletter, svg, problem):
    (published.issue / "images").mkdir(exist_ok=True)
    (published.issue / "images/chart.svg").write_bytes(svg if isinstance(svg, bytes) else svg.encode("utf-8"))
    write(published.issue / "x.md", article(body="图：\n\n![图表](images/chart.svg)\n"))
    refused(newsletter, published, f"{ISSUE}/x.md:10: 'images/chart.svg' cannot be published", problem)


# 4. Hangs -------------------------------------------------------------------------------

FIFOS = {
    "article": (f"{ISSUE}/x.md", "is a named pipe"),
    "issue.yaml": (f"{ISSUE}/issue.yaml", "is a named pipe"),
    "image": (f"{ISSUE}/images/pic.png", "is a named pipe"),
    "site.yaml": ("site.yaml", "is a named pipe"),
    "theme-file": ("themes/default/static/x.css", "is a named pipe"),
    "template": ("templates/article.html", "is a named pipe"),
}


@pytest.mark.parametrize("kind", [*FIFOS, "socket", "device"])
def test_a_named_pipe_socket_or_device_is_an_error_not_a_hang(published, kind):
    where, message = FIFOS.get(kind, (f"{ISSUE}/y.md", f"is a {kind}"))
    path = published.site / where
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    if kind == "image":
        write(published.issue / "x.md", article(body="图：\n\n![图](images/pic.png)\n"))
    if kind == "socket":
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(path))
    elif kind == "device":
        try:
            os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))  # /dev/zero: reading it never ends
        except PermissionError:
            pytest.skip("making a device needs root")
    else:
        os.mkfifo(path)
    try:
        run = subprocess.run([sys.executable, "-m", "builder.cli", "build", "--site", str(published.site), "--no-pdf"],
                             capture_output=True, text=True, timeout=120, cwd=ROOT)
    finally:
        if kind == "socket":
            server.close()
    assert run.returncode == 1, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr
    assert snapshot(published.site / "output") == published.before


@pytest.mark.parametrize("body, line", [
    ("[" * 20000, 8), ("开头\n\n" + "(" * 20000, 10), ("[a](" * 6000, 8), ("![" * 8000, 8),
    ("[" * 5000 + "a" + "]" * 5000, 8), ("---\n" * 20000, 8), ("标题\n===\n" * 8000, 8), ("# 标题\n" * 20000, 8),
    ("\\" * 100000, 8), ("1. 条目\n" * 30000, 8), ("|a|b|\n|-|-|\n" + "|x|y|\n" * 30000, 8), ("*_" * 50000, 8),
    ("# a" + " {" * 100000, 8), ("|a|b|\n|-|-|\n|x " + "{" * 40000 + "|y|", 8),
    ("见注[^1]。\n\n" * 12000 + "[^1]: 注释。", 8),
], ids=["brackets", "parens", "open-links", "images", "nested", "rules", "setext", "headings", "backslashes",
        "list", "table", "emphasis", "heading-braces", "cell-braces", "footnote-calls"])
def test_markdown_that_would_take_minutes_to_convert_is_refused_at_once(published, newsletter, body, line):
    write(published.issue / "x.md", article(body=body))
    started = time.perf_counter()
    refused(newsletter, published, f"{ISSUE}/x.md:{line}: the Markdown from this line would keep the converter busy")
    assert time.perf_counter() - started < 30  # not a timing target: a hang would be minutes


@pytest.mark.parametrize("raw_html", [False, True])
def test_floods_of_paragraphs_or_open_tags_are_refused_at_once(published, newsletter, raw_html):
    if raw_html:
        with open(published.site / "site.yaml", "a", encoding="utf-8") as settings:
            settings.write("markdown:\n  raw_html: true\n")
    # 20,000 tags left open cost Python-Markdown's raw-HTML reader minutes; 100,000 paragraphs its block parser.
    write(published.issue / "x.md", article(body="正文。\n\n" + ("<a b\n\n" * 20000 if raw_html else "段。\n\n" * 100000)))
    started = time.perf_counter()
    refused(newsletter, published, f"{ISSUE}/x.md:7: the Markdown from this line would keep the converter busy")
    assert time.perf_counter() - started < 30


def test_a_huge_svg_is_refused_not_read(published, newsletter):
    write(published.issue / "images/big.svg", '<svg xmlns="http://www.w3.org/2000/svg">' + "<rect/>" * 1_600_000 + "</svg>")
    write(published.issue / "x.md", article(body="图：\n\n![图](images/big.svg)\n"))
    refused(newsletter, published, f"{ISSUE}/x.md:10: 'images/big.svg' cannot be published: it is 11.2 MB, more than")


def test_an_svg_that_repeats_itself_is_refused(published, newsletter):
    levels = "".join(f'<g id="l{i}">' + f'<use href="#l{i - 1}"/>' * 10 + "</g>" for i in range(1, 9))
    write(published.issue / "images/uses.svg", f'<svg xmlns="http://www.w3.org/2000/svg"><g id="l0"><rect/></g>{levels}</svg>')
    write(published.issue / "x.md", article(body="图：\n\n![图](images/uses.svg)\n"))
    refused(newsletter, published, f"{ISSUE}/x.md:10: 'images/uses.svg' cannot be published: it draws more than 20,000 shapes through <use>")


def test_many_footnotes_are_set_at_the_article_end_in_seconds(site, newsletter):
    shutil.rmtree(site / "content/issues/2017-01")
    body = "\n\n".join(f"第{i}段正文，引用了一份文件[^{i}]。" for i in range(150))
    write(site / ISSUE / "x.md", article(body=body + "\n\n" + "\n".join(f"[^{i}]: 注释{i}号。" for i in range(150))))
    started = time.perf_counter()
    run = newsletter("build", "--site", site)
    assert run.code == 0 and "warning" not in run.err, run.err
    assert time.perf_counter() - started < 60  # not a timing target: it took minutes before
    text = subprocess.run(["pdftotext", str(site / "output/pdf/2017-02.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    text = "".join(text.split())  # a quarter em between 汉字 and digits copies as a space
    assert all(f"注释{i}号。" in text for i in range(150))


def test_a_huge_article_is_refused_before_it_is_read(published, newsletter):
    write(published.issue / "x.md", article(body="碳" * 4_000_000))
    refused(newsletter, published, f"{ISSUE}/x.md: this cannot be read: it is 12.0 MB, more than the 10 MB")


def test_an_issue_too_long_for_the_print_edition_is_refused_before_typesetting(published, newsletter):
    write(published.issue / "x.md", article(body=("碳排放权交易市场建设稳步推进。" * 40 + "\n\n") * 900))
    refused(newsletter, published, f"{ISSUE}/x.md:7: this issue's text is", "or build with --no-pdf", pdf=True)


# 5. Content cut from the PDF ------------------------------------------------------------

def test_content_wider_than_the_page_is_broken_or_warned_about(site, newsletter):
    shutil.rmtree(site / "content/issues/2017-01")
    row = lambda cell: "|" + "|".join(cell for _ in range(80)) + "|"  # noqa: E731
    word = "A" * 3000
    write(site / ISSUE / "x.md", article(body=f"长词：{word}。\n\n表：\n\n{row(' 列 ')}\n{row('---')}\n{row(' 值 ')}\n"))
    run = newsletter("build", "--site", site)
    assert run.code == 0, run.err
    assert f"warning: {ISSUE}/x.md:12: a table is wider than page" in run.err
    assert "line of text" not in run.err
    text = subprocess.run(["pdftotext", str(site / "output/pdf/2017-02.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert text.count("A") >= 3000  # the whole word, broken over lines, none of it cut


def test_a_footnote_longer_than_the_page_is_a_warning_and_a_tall_picture_fits(site, newsletter):
    shutil.rmtree(site / "content/issues/2017-01")
    write(site / ISSUE / "x.md", article(body="正文[^1]。\n\n[^1]: " + "脚注内容很长。" * 1500 + "\n"))
    (site / ISSUE / "images").mkdir()
    (site / ISSUE / "images/tall.png").write_bytes(_png(50, 2000))
    write(site / ISSUE / "y.md", article(title="长图", body="图：\n\n![长图](images/tall.png)\n"))
    run = newsletter("build", "--site", site)
    assert run.code == 0, run.err
    assert f"warning: {ISSUE}/x.md:10: text runs past the top or foot of page" in run.err
    assert "y.md" not in run.err  # the picture is scaled to fit the column


def test_a_footnote_that_weasyprint_drops_is_a_warning_too(site, newsletter):
    # After a page with a footnote of its own, WeasyPrint sets one line of the long note
    # and drops the rest: the text is on no page at all.
    shutil.rmtree(site / "content/issues/2017-02")
    for name in ("02-policy.md", "03-draft.md"):
        (site / "content/issues/2017-01" / name).unlink()
    write(site / "content/issues/2017-01/11-note.md",
          article(title="长脚注", body="正文[^1]。\n\n[^1]: " + "脚注内容很长。" * 1500 + "\n"))
    run = newsletter("build", "--site", site)
    assert run.code == 0, run.err
    assert "warning: content/issues/2017-01/11-note.md:" in run.err
    assert "characters of this article are on no page of the print edition" in run.err


def test_a_table_with_long_cells_is_set_in_seconds(site, newsletter):
    shutil.rmtree(site / "content/issues/2017-01")
    write(site / ISSUE / "x.md", article(body="| 甲 | 乙 |\n|---|---|\n| " + "很长的单元格内容。" * 900 + " | 乙 |\n"))
    started = time.perf_counter()
    run = newsletter("build", "--site", site)
    assert run.code == 0, run.err
    assert time.perf_counter() - started < 60  # not a timing target: it took minutes before


def _png(width: int, height: int) -> bytes:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80" * (width * 3) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_a_site_title_too_long_for_the_running_head_is_refused(published, newsletter):
    settings = published.site / "site.yaml"
    settings.write_text(settings.read_text(encoding="utf-8").replace("title: 测试简报", "title: " + "很长的刊名" * 20),
                        encoding="utf-8")
    refused(newsletter, published, "site.yaml:1: the title is 100 characters long")


# 6. Tracebacks --------------------------------------------------------------------------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
    f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(8))
BROKEN = {
    "alias-bomb-front-matter": ("x.md", article(extra=BOMB), "x.md:6: YAML anchors and aliases"),
    "self-alias": ("x.md", article(extra="tags: &t [*t]\n"), "x.md:6: YAML anchors and aliases"),
    "deep-flow": ("x.md", article(extra="tags: " + "[" * 500 + "]" * 500 + "\n"), "nested more than 16 levels"),
    "deep-blockquote": ("x.md", article(body="> " * 1000 + "引文"), "x.md:8: this line nests 1000 levels"),
    "deep-list": ("x.md", article(body="- " * 1000 + "条目"), "x.md:8: this line nests 1000 levels"),
    "deep-indented-list": ("x.md", article(body="\n".join(" " * 4 * i + "- 条目" for i in range(200))),
                           "levels of quotes or lists"),
    "nul-in-body": ("x.md", article(body="正文\x00结束"), "x.md:8: this file holds the invisible control character U+0000"),
    "form-feed-in-body": ("x.md", article(body="第一页\n\x0c第二页"), "x.md:9: this file holds the invisible control character U+000C"),
    "nul-in-title": ("x.md", article(title="标题\x00"), "x.md:2: this file holds the invisible control character"),
    "escaped-nul-in-title": ("x.md", article(title='"标题\\0"'), "x.md:2: 'title' holds the invisible character U+0000"),
    "escaped-surrogate-in-source": ("x.md", article(source='"新华社\\ud800"'),
                                    "x.md:4: 'source' holds the invisible character U+D800"),
    "escaped-bell-in-attachment": ("x.md", article(extra='attachments:\n  - title: "附件\\a"\n    url: https://x.org/\n'),
                                   "'title' holds the invisible character U+0007"),
    "nul-in-reference": ("x.md", article(body="[x](a%00b.png)"), "x.md:8: 'a%00b.png' holds a NUL character"),
    "long-name-in-reference": ("x.md", article(body="[x](" + "a" * 300 + ".pdf)"), "cannot be read (File name too long)"),
    "superscript-number": ("x.md", article(extra='order: "³"\n'), "x.md:6: 'order' should be a whole number"),
    "huge-number": ("x.md", article(extra="order: " + "9" * 5001 + "\n"), "x.md:6: 'order' should be a whole number"),
    "set-key": ("x.md", article(extra="? !!set {a: null}\n: x\n"), "x.md:6: a key must be a plain word"),
    "tagged-key": ("x.md", article(extra="? !!python/object:os.system x\n: y\n"), "x.md:6: a key must be a plain word"),
    "raw-noncharacter": ("x.md", article(body="正文\ufffe"), "x.md:8: this file holds the invisible control character U+FFFE"),
    "bidi-override-in-title": ("x.md", article(title="重要通知\u202e（请勿打开）fdp.exe"),
                               "x.md:2: 'title' holds the invisible character U+202E"),
    "zero-width-in-source": ("x.md", article(source="新华\u200b社"), "x.md:4: 'source' holds the invisible character U+200B"),
    "line-break-in-file-name": ("x.md", article(body="![图](a%0ACNAME%0Ab.png)"),
                                "x.md:8: 'a%0ACNAME%0Ab.png' holds a line break or an invisible character"),
    "tag-characters-in-title": ("x.md", article(title="标题\U000e0041\U000e0042"),
                                "x.md:2: 'title' holds the invisible character U+E0041"),
    "blank-title": ("x.md", article(title="'   '"), "x.md:2: 'title' is empty"),
    "blank-source": ("x.md", article(source="'　 '"), "x.md:4: 'source' is empty"),
    "long-slug": ("x.md", article(extra="slug: " + "a" * 300 + "\n"), "x.md:6: the slug 'aaaaaaaaaaaaaaaaaaaa…' is 300 characters"),
    "long-chinese-slug": ("x.md", article(extra="slug: " + "碳" * 90 + "\n"), "is 90 characters long"),
    "long-file-name": ("01-" + "b" * 200 + ".md", article(), "is 200 characters long"),
    "not-utf8": ("x.md", article().encode("gb18030"), "x.md:2: this file is not UTF-8 text"),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_broken_content_is_an_error_with_its_place_not_a_traceback(published, newsletter, case):
    name, content, message = BROKEN[case]
    path = published.issue / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        write(path, content)
    refused(newsletter, published, f"{ISSUE}/{message}" if message.startswith(("x.md", "01-")) else message)


def test_every_broken_file_is_reported_in_one_run(published, newsletter):
    for case, (_, content, _) in BROKEN.items():
        if case in ("long-file-name",):
            continue
        path = published.issue / f"{case}.md"
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    err = refused(newsletter, published)
    assert err.count("error: ") == len(BROKEN) - 1


def test_site_yaml_alias_bomb(published, newsletter):
    settings = published.site / "site.yaml"
    lines = settings.read_text(encoding="utf-8").count("\n")
    settings.write_text(settings.read_text(encoding="utf-8") + BOMB.replace("a:", "x:", 1).replace("*a", "*x"),
                        encoding="utf-8")
    refused(newsletter, published, f"site.yaml:{lines + 1}: YAML anchors and aliases")


def test_odd_files_in_an_issue_folder(published, newsletter):
    (published.issue / "26-notes.md").mkdir()
    (published.issue / "27-gone.md").symlink_to(published.issue / "no-such-file.md")
    refused(newsletter, published, f"{ISSUE}/26-notes.md: this cannot be read: it is a folder, not a file",
            f"{ISSUE}/27-gone.md: this cannot be read: it is a link to a file that does not exist")


@pytest.mark.parametrize("output", ["file/out", "/proc/version/out"])
def test_an_output_folder_that_cannot_be_written_is_an_error(published, newsletter, output):
    write(published.site.parent / "file", "a file, not a folder")
    target = output if output.startswith("/") else str(published.site.parent / output)
    run = newsletter("build", "--site", published.site, "--no-pdf", "--output", target)
    assert run.code == 1, run.err
    assert "Traceback" not in run.err
    assert "the build cannot write here" in run.err


def test_a_fault_of_the_builder_is_one_line_not_a_traceback(published, newsletter, monkeypatch):
    import builder.pipeline

    def broken(*_, **__):
        raise RuntimeError("an unforeseen fault")

    monkeypatch.setattr(builder.pipeline, "render_sitemap", broken)
    run = newsletter("build", "--site", published.site, "--no-pdf")
    assert run.code == 3
    assert "Traceback" not in run.err
    assert "the builder failed unexpectedly (RuntimeError: an unforeseen fault)" in run.err
    report = Path(run.err.split("with the file ")[1].split()[0])
    assert "Traceback" in report.read_text()
    report.unlink()
    assert snapshot(published.site / "output") == published.before


# 7. Clear messages and the missing checks -----------------------------------------------

@pytest.mark.parametrize("ref", ["https://example.org/chart.png", "http://example.org/a.jpg",
                                 "data:image/png;base64,iVBORw0KGgo=", "file:///etc/passwd", "javascript:alert(1)"])
def test_an_image_from_the_web_is_an_error_at_its_line(published, newsletter, ref):
    write(published.issue / "x.md", article(body=f"图：\n\n![图]({ref})\n"))
    refused(newsletter, published, f"{ISSUE}/x.md:10: the image '{ref[:80]}' is not a file of the issue",
            "save the picture in the issue's folder")


def test_an_image_the_checker_cannot_see_is_still_never_fetched_from_the_web(published, newsletter):
    write(published.issue / "x.md", article(body="图：\n\n![a[b[c]]](https://evil.example/track.png)\n"))
    assert newsletter("build", "--site", published.site, "--no-pdf").code == 0
    assert "evil.example" not in (published.site / "output/issues/2017-02/x/index.html").read_text(encoding="utf-8")
    assert "evil.example" not in (published.site / "output/feed.xml").read_text(encoding="utf-8")


def test_import_takes_pdftotext_output_with_its_page_breaks(tmp_path, newsletter):
    extracted = (ROOT / "tests/fixtures/import/2017-05-issue.txt").read_text(encoding="utf-8")
    lines = extracted.split("\n")
    lines[40] = "\f" + lines[40]
    (tmp_path / "issue.txt").write_text("\n".join(lines), encoding="utf-8")
    shutil.copy(ROOT / "site.yaml", tmp_path / "site.yaml")
    run = newsletter("import", tmp_path / "issue.txt", "--issue", "2017-18", "--number", "18", "--site", tmp_path)
    assert run.code == 0, run.err


def test_emoji_made_with_joiners_are_not_invisible_characters(published, newsletter):
    write(published.issue / "x.md", article(title="家庭节能👨‍👩‍👧"))
    assert newsletter("build", "--site", published.site, "--no-pdf").code == 0


def test_a_file_with_old_mac_line_breaks_is_read(published, newsletter):
    (published.issue / "x.md").write_bytes(article(title="旧式换行").replace("\n", "\r").encode("utf-8"))
    run = newsletter("build", "--site", published.site, "--no-pdf")
    assert run.code == 0, run.err
    assert "旧式换行" in (published.site / "output/issues/2017-02/x/index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("key, value, message", [
    ("number", "-1", "'number' should be a whole number from 1 to 999, not -1"),
    ("number", "0", "'number' should be a whole number from 1 to 999, not 0"),
    ("total", "0", "'total' should be a whole number from 1 to 99999, not 0"),
    ("year", "20170", "'year' should be a whole number from 1000 to 9999, not 20170"),
])
def test_numbers_that_make_no_sense_are_refused(published, newsletter, key, value, message):
    meta = published.issue / "issue.yaml"
    lines = [f"{key}: {value}" if line.startswith(f"{key}:") else line
             for line in meta.read_text(encoding="utf-8").splitlines()]
    meta.write_text("\n".join(lines) + "\n", encoding="utf-8")
    line = next(i for i, text in enumerate(lines, start=1) if text.startswith(f"{key}:"))
    refused(newsletter, published, f"{ISSUE}/issue.yaml:{line}: {message}")


@pytest.mark.parametrize("name", ["article.html", "_toc.html"])  # a page's template, one included by others
@pytest.mark.parametrize("tag", ["if true", "for x in [1]"])
def test_a_template_nested_thousands_deep_is_an_error_not_a_fault(published, newsletter, name, tag):
    end = "{% endif %}" if tag.startswith("if") else "{% endfor %}"
    deep = f"{{% {tag} %}}" * 3000 + "x" + end * 3000
    text = f'{{% extends "base.html" %}}{{% block main %}}{deep}{{% endblock %}}' if name == "article.html" else deep
    write(published.site / "templates" / name, text)
    refused(newsletter, published, "nests its tags", name)


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize("place", ["output", ".output.spare"])
def test_a_link_put_in_place_of_a_folder_of_the_builds_deletes_nothing_through_it(published, newsletter, tmp_path,
                                                                                 place, jobs):
    """A withdrawn issue's pages are deleted from the archive it replaced (or from the spare
    that becomes the new one): never through an editor's link to elsewhere. (With one job
    the spare is listed by a thread, with two by a process of its own.)"""
    site = published.site
    write(site / ISSUE / "09-new.md", article(title="再建"))  # the second build: a spare of the first
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert (site / ".output.spare/issues/2017-02").is_dir()
    victim = tmp_path / "victim"
    for name in ("index.html", "new/index.html", "shenzhen/index.html"):
        write(victim / name, "珍贵的文件\n")
    shutil.rmtree(site / place / "issues/2017-02")
    (site / place / "issues/2017-02").symlink_to(victim, target_is_directory=True)
    shutil.move(site / ISSUE, tmp_path / "withdrawn")
    run = newsletter("build", "--site", site, "--no-pdf", "--jobs", jobs)
    assert run.code == 0, run.err
    assert sorted(p.relative_to(victim).as_posix() for p in victim.rglob("*") if p.is_file()) == \
        ["index.html", "new/index.html", "shenzhen/index.html"]


def test_the_builds_helper_processes_run_no_builder_package_of_the_site_folder(tmp_path, monkeypatch):
    """`newsletter build` runs in the site's folder: its helpers (deleting a replaced archive,
    making a spare) must not import a `builder/` found there."""
    from builder.render import output

    site = tmp_path / "site"
    marker = tmp_path / "ran"
    write(site / "builder/__init__.py", f"open({str(marker)!r}, 'w').write('the site ran code')\n")
    doomed = tmp_path / "doomed"
    write(doomed / "a/b.html", "旧\n")
    monkeypatch.chdir(site)
    assert output._apart("remove", doomed)
    for _ in range(200):
        if not doomed.exists():
            break
        time.sleep(0.1)
    assert not doomed.exists() and not marker.exists()
