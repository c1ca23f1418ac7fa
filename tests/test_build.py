"""End to end: build the fixture site and read the result the way a reader's browser would."""

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, article, comparable, snapshot, write

from builder.cli import main


@pytest.fixture
def built(site, newsletter):
    run = newsletter("build", "--site", site)
    assert run.code == 0, run.err
    return site / "output"


def page(output: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((output / path).read_text(encoding="utf-8"), "html.parser")


def text(soup: BeautifulSoup) -> str:
    return " ".join(soup.get_text(" ").split())


def test_summary_line_and_the_pages_written(site, newsletter):
    run = newsletter("build", "--site", site)
    assert run.code == 0
    assert "built 2 issues, 5 articles: 20 pages, 2 PDFs and 4 files into" in run.out
    out = site / "output"
    for path in ["index.html", "issues/index.html", "issues/2017-01/index.html",
                 "issues/2017-01/carbon-price/index.html", "issues/2017-02/shenzhen/index.html",
                 "sections/market/index.html", "sections/market/page/2/index.html",
                 "feed.xml", "sitemap.xml", "404.html", "static/site.css", "favicon.svg",
                 "issues/2017-01/images/price.png", "issues/2017-01/plan.pdf",
                 "pdf/2017-01.pdf", "pdf/2017-02.pdf", "search/index.html", "static/search.js",
                 "pagefind/2017-1/pagefind.js"]:
        assert (out / path).is_file(), path


def test_every_page_tells_readers_and_search_engines_what_it_is(built):
    art = page(built, "issues/2017-01/carbon-price/index.html")
    canonical = "https://example.org/bulletin/issues/2017-01/carbon-price/"
    assert art.select_one('link[rel="canonical"]')["href"] == canonical
    assert art.select_one('meta[property="og:url"]')["content"] == canonical
    assert art.select_one('meta[property="og:type"]')["content"] == "article"
    description = art.select_one('meta[name="description"]')["content"]
    assert description and description == art.select_one('meta[property="og:description"]')["content"]
    assert description != page(built, "issues/2017-01/policy/index.html").select_one('meta[name="description"]')["content"]
    assert art.select_one('link[rel="icon"]')["href"] == "../../../favicon.svg"
    icon = (built / "favicon.svg").read_text(encoding="utf-8")
    assert 'fill="#c00000"' in icon and ">测<" in icon  # the masthead's colour, the title's first character
    home = page(built, "index.html")
    assert home.select_one('meta[property="og:type"]')["content"] == "website"
    assert home.select_one('link[rel="canonical"]')["href"] == "https://example.org/bulletin/"


def test_a_skip_link_and_the_current_menu_item(built):
    for path, current in (("index.html", ("首页", "page")), ("issues/index.html", ("往期", "page")),
                          ("issues/2017-01/carbon-price/index.html", ("往期", "true")),
                          ("sections/market/index.html", ("栏目", "true"))):
        soup = page(built, path)
        skip = soup.body.find("a")
        assert skip["class"] == ["skip-link"] and skip["href"] == "#main" and soup.select_one("main#main")
        marked = [(a.get_text(), a["aria-current"]) for a in soup.select(".site-nav a[aria-current]")]
        assert marked == [current], path


def test_subscribe_leads_to_a_page_that_explains_the_feed_not_to_raw_xml(built):
    home = page(built, "index.html")
    subscribe = [a for a in home.select(".site-nav a") if a.get_text() == "订阅"]
    assert [a["href"] for a in subscribe] == ["subscribe/"]
    explained = page(built, "subscribe/index.html")
    assert explained.select_one("#feed-url")["value"] == "https://example.org/bulletin/feed.xml"
    assert explained.select_one('.site-nav a[aria-current="page"]').get_text() == "订阅"
    assert "RSS 阅读器" in text(explained)


def test_the_stylesheet_underlines_links_in_text_wraps_long_details_and_has_a_dark_mode(built):
    css = (built / "static/site.css").read_text(encoding="utf-8")
    assert "main p a, main li a, main td a, .meta a { text-decoration: underline; }" in css
    assert "nowrap" not in css  # a long 来源 made a policy page 387 px wide on a 320 px phone
    assert "@media (prefers-color-scheme: dark)" in css


def test_every_link_and_image_of_every_page_resolves(built):
    checked = 0
    for html in built.rglob("*.html"):
        if html.name == "404.html":
            continue  # its links are absolute to the published address
        base = "file://" + html.as_posix()
        for tag, attribute in (("a", "href"), ("img", "src"), ("link", "href")):
            for element in page(built, html.relative_to(built).as_posix()).find_all(tag):
                target = element.get(attribute)
                if not target or target.startswith(("http", "#", "mailto:")):
                    continue
                resolved = Path(unquote(urlsplit(urljoin(base, target)).path))
                if target.endswith("/") or resolved.is_dir():
                    resolved = resolved / "index.html"
                assert resolved.is_file(), f"{html.relative_to(built)}: broken link {target}"
                checked += 1
    assert checked > 100


def test_home_page_shows_the_latest_issue_and_the_recent_ones(built):
    home = page(built, "index.html")
    assert home.html["lang"] == "zh-CN"
    assert "2017年第2期（总第91期）" in home.h1.get_text()
    assert [a.get_text() for a in home.select(".toc a")] == ["湖北碳市场成交活跃", "深圳碳市场履约在即", "巴黎协定生效后的国际碳市场"]
    assert "2017年第1期（总第90期）" in text(home.select_one(".recent"))


def test_issue_list_grouped_by_year_newest_first(built):
    issues = page(built, "issues/index.html")
    year = issues.select_one("#y2017")
    assert [a.get_text() for a in year.select("li > a")] == ["第2期", "第1期"]
    assert "总第90期 · 2017年1月6日 · 2篇" in text(year)
    assert "新年特刊" in text(year)


def test_issue_page_contents_by_section_with_date_source_and_note(built):
    issue = page(built, "issues/2017-01/index.html")
    markers = [h.get_text() for h in issue.select(".section-marker")]
    assert markers == ["【市场热点】", "【政策聚焦】"]
    assert "发布日期：2017-1-5 来源：碳K线" in text(issue)  # the gap is a full-width space
    assert issue.select_one(".toc a")["href"] == "../../issues/2017-01/carbon-price/"
    note = issue.select_one(".note")
    assert "本期关注全国碳市场建设。" in text(note)
    assert note.img["src"] == "images/price.png"
    assert issue.select_one(".pdf-link a")["href"] == "../../pdf/2017-01.pdf"


def test_article_page(built):
    art = page(built, "issues/2017-01/carbon-price/index.html")
    assert art.h1.get_text() == "各交易所碳价走势"
    meta = text(art.select_one(".article .meta"))
    assert "发布日期： 2017-1-5" in meta and "来源：碳K线" in meta and "期号： 2017年第1期（总第90期）" in meta
    # The section named once, above the title; the issue in the details, and (in print) the page's address.
    assert text(art).count("市场热点") == 1 and text(art.select_one(".kicker")) == "【市场热点】"
    assert art.select_one(".meta .print-only").get_text() == \
        "网址：https://example.org/bulletin/issues/2017-01/carbon-price/"
    assert art.select_one(".body img")["src"] == "../images/price.png"
    assert [(a.get_text(), a["href"]) for a in art.select(".attachments a")] == [
        ("附件：交易方案", "../plan.pdf"), ("附件：原始数据", "https://example.com/data.xls")]
    assert art.select_one(".pager .previous") is None
    assert art.select_one(".pager .next")["href"] == "../../../issues/2017-01/policy/"
    assert art.select_one(".back a")["href"] == "../../../issues/2017-01/"
    assert "上周各交易所碳价整体平稳" in text(art)  # the source's line break left no space
    policy = page(built, "issues/2017-01/policy/index.html")
    assert "上一篇：各交易所碳价走势" in text(policy.select_one(".pager"))
    assert policy.select_one(".original a")["href"] == "https://example.gov.cn/notice.html"


def test_section_pages_newest_first_and_paginated(built):
    first = page(built, "sections/market/index.html")
    assert [a.get_text() for a in first.select(".article-list > li > a")] == ["湖北碳市场成交活跃", "深圳碳市场履约在即"]
    assert first.select_one(".pagination a[rel=next]")["href"] == "../../sections/market/page/2/"
    second = page(built, "sections/market/page/2/index.html")
    assert [a.get_text() for a in second.select(".article-list > li > a")] == ["各交易所碳价走势"]
    assert "第 2 页 共 2 页" in text(second)
    assert second.select_one(".pagination a[rel=prev]")["href"] == "../../../../sections/market/"


def test_drafts_flag(site, newsletter):
    assert newsletter("build", "--site", site, "--drafts").code == 0
    assert (site / "output/issues/2017-03/next/index.html").is_file()
    assert (site / "output/issues/2017-01/draft/index.html").is_file()
    assert (site / "output/issues/2017-01/images/draft-only.png").is_file()
    assert newsletter("build", "--site", site).code == 0
    assert not (site / "output/issues/2017-03").exists()
    assert not (site / "output/issues/2017-01/draft").exists()
    assert not (site / "output/issues/2017-01/images/draft-only.png").exists()  # only the draft shows it
    assert not (site / "output/issues/2017-01/notes.txt").exists()  # used by no article
    published = "".join(p.read_text(encoding="utf-8") for p in (site / "output").rglob("*.xml"))
    assert "尚未定稿" not in published and "2017-03" not in published


def test_failed_build_leaves_the_previous_output_exactly_as_it_was(site, newsletter):
    assert newsletter("build", "--site", site).code == 0
    before = snapshot(site / "output")
    write(site / "content/issues/2017-02/broken.md", article(section="没有这个栏目"))
    run = newsletter("build", "--site", site)
    assert run.code == 1
    assert "broken.md:5: unknown section '没有这个栏目'" in run.err
    assert snapshot(site / "output") == before
    assert not [p.name for p in site.iterdir() if p.name.startswith(".output")]  # no half-written folder
    assert multiprocessing.active_children() == []  # the typesetting workers were stopped, not left running


def _die(document):
    os._exit(9)  # a worker killed in the middle of typesetting (out of memory, a crash)


def test_a_typesetting_worker_that_dies_is_an_error_not_a_hang(site, newsletter, monkeypatch):
    assert newsletter("build", "--site", site).code == 0
    before = snapshot(site / "output")
    write(site / "content/issues/2017-02/03-new.md", article(title="新文章"))  # the PDF must be typeset again
    # The workers come from a fork server: what they run is named, not inherited (test_build._die).
    monkeypatch.setattr("builder.print.editions._typeset", _die)
    run = newsletter("build", "--site", site)
    assert run.code == 1
    assert "content/issues/2017-02: the typesetting of this issue stopped: a worker process died" in run.err
    assert snapshot(site / "output") == before
    assert multiprocessing.active_children() == []


def _die_at_start(build_process):
    os._exit(9)  # a worker that dies while it loads WeasyPrint


def test_a_worker_that_dies_before_typesetting_is_an_error_too(site, newsletter, monkeypatch):
    monkeypatch.setattr("builder.print.editions._warm_up", _die_at_start)
    run = newsletter("build", "--site", site)
    assert run.code == 1
    assert "the typesetting of this issue stopped: a worker process died" in run.err
    assert "Traceback" not in run.err
    assert not (site / "output").exists()
    assert multiprocessing.active_children() == []


def _descendants(pid: int) -> set[int]:
    """Every process started by `pid`, and by those, and so on (the typesetters, the fork
    server they come from, Python's resource tracker)."""
    found: set[int] = set()
    stack = [pid]
    while stack:
        for children in Path(f"/proc/{stack.pop()}/task").glob("*/children"):
            try:
                new = {int(child) for child in children.read_text().split()} - found
            except (OSError, ValueError):
                continue
            found |= new
            stack += new
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGKILL"])
def test_a_build_stopped_while_typesetting_leaves_no_process_behind(site, signal_name):
    build = subprocess.Popen([str(Path(sys.executable).parent / "newsletter"), "build", "--site", str(site)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert "loaded" in build.stdout.readline()
    started = set()
    for _ in range(100):  # until the typesetters are at work (a fork server and at least one worker)
        started |= _descendants(build.pid)
        if len(started) >= 3:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    started |= _descendants(build.pid)
    assert len(started) >= 3, started
    build.send_signal(getattr(signal, signal_name))
    code = build.wait(timeout=30)
    assert code == (143 if signal_name == "SIGTERM" else -9)
    for _ in range(100):  # the workers may take a moment to go
        if not any(_running(pid) for pid in started):
            break
        time.sleep(0.1)
    assert [pid for pid in started if _running(pid)] == []
    assert not (site / "output").exists()
    if signal_name == "SIGTERM":
        assert [p.name for p in site.iterdir() if p.name.startswith(".output")] == []


def test_failure_while_writing_keeps_the_previous_output(site, newsletter, monkeypatch):
    assert newsletter("build", "--site", site).code == 0
    before = snapshot(site / "output")
    import builder.render.output

    def broken_copy(source, target, **_):
        raise OSError(28, "No space left on device")

    def broken_write(target, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(builder.render.output.shutil, "copyfile", broken_copy)
    monkeypatch.setattr(builder.render.output, "_write_new", broken_write)
    write(site / "content/issues/2017-02/03-new.md", article(title="新文章"))  # so that there is something to write
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 1
    assert "the build cannot write here: No space left on device" in run.err
    assert "Traceback" not in run.err
    assert snapshot(site / "output") == before
    assert not [p.name for p in site.iterdir() if p.name.startswith(".output")]


def test_check_writes_nothing(site, newsletter):
    run = newsletter("check", "--site", site)
    assert run.code == 0
    assert "checked 3 issues and 7 articles: no errors" in run.out
    assert not (site / "output").exists()


def test_output_folder_that_would_replace_the_site_is_refused(site, newsletter, tmp_path):
    write(site / "templates/mine.html", "{# an editor's own template #}")
    for folder in (site, site / "templates", site / "content", site.parent):
        run = newsletter("build", "--site", site, "--output", folder)
        assert run.code == 1
        assert "the output folder would replace the site's own files" in run.err
    assert (site / "site.yaml").is_file() and (site / "templates/mine.html").is_file()
    documents = write(tmp_path / "documents/letter.txt", "not the archive").parent
    run = newsletter("build", "--site", site, "--output", documents)
    assert run.code == 1 and "this folder has files that no build wrote" in run.err
    assert (documents / "letter.txt").is_file()
    elsewhere = tmp_path / "published"
    assert newsletter("build", "--site", site, "--no-pdf", "--output", elsewhere).code == 0
    assert newsletter("build", "--site", site, "--no-pdf", "--output", elsewhere).code == 0  # its own folder: replaced


def test_site_templates_override_the_theme_one_at_a_time(site, newsletter):
    write(site / "templates/article.html",
          '{% extends "base.html" %}{% block main %}<h1>自定义：{{ article.title }}</h1>{% endblock %}')
    assert newsletter("build", "--site", site).code == 0
    assert page(site / "output", "issues/2017-02/intl/index.html").h1.get_text() == "自定义：巴黎协定生效后的国际碳市场"
    assert "目录" in text(page(site / "output", "issues/2017-02/index.html"))  # the theme's issue page


def test_template_error_names_the_template_and_line(site, newsletter):
    write(site / "templates/issue.html", "{% extends 'base.html' %}\n{% block main %}\n{% if %}\n{% endblock %}\n")
    run = newsletter("build", "--site", site)
    assert run.code == 1
    assert "templates/issue.html:3: template error" in run.err


def test_usage_errors_exit_2_and_help_exits_0(newsletter):
    assert newsletter("build", "--no-such-option").code == 2
    assert newsletter().code == 2
    help_run = newsletter("build", "--help")
    assert help_run.code == 0 and "--drafts" in help_run.out and "--no-pdf" in help_run.out


def test_console_script_exit_codes(site):
    command = [str(Path(sys.executable).parent / "newsletter")]
    ok = subprocess.run([*command, "check", "--site", str(site)], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    write(site / "content/issues/2017-02/broken.md", "no front matter\n")
    bad = subprocess.run([*command, "check", "--site", str(site)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "broken.md:1: the file does not start with front matter" in bad.stderr


def test_the_sample_site_builds(tmp_path, newsletter):
    run = newsletter("build", "--site", ROOT, "--output", tmp_path / "out", "--no-pdf")  # test_pdf builds its PDF
    assert run.code == 0, run.err
    home = page(tmp_path / "out", "index.html")
    assert "节能减排信息动态" in home.title.get_text()
    assert len(home.select(".toc a")) >= 4
    assert {h.get_text() for h in home.select(".section-marker")} >= {"【市场热点】", "【国际资讯】"}


def test_links_with_fragments_and_chinese_file_names(site, newsletter):
    write(site / "content/issues/2017-02/图表 一.png", "")
    (site / "content/issues/2017-02/图表 一.png").write_bytes((site / "content/issues/2017-01/images/price.png").read_bytes())
    write(site / "content/issues/2017-02/x.md", article(body="见[方案第2页](plan.pdf#page=2)。\n\n![图表](<图表 一.png>)\n"))
    write(site / "content/issues/2017-02/plan.pdf", "%PDF-1.4\n")
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    art = page(site / "output", "issues/2017-02/x/index.html")
    assert art.select_one(".body a")["href"] == "../plan.pdf#page=2"
    assert art.select_one(".body img")["src"] == "../%E5%9B%BE%E8%A1%A8%20%E4%B8%80.png"
    assert (site / "output/issues/2017-02/图表 一.png").is_file()


def test_local_files_in_raw_html_are_refused(site, newsletter):
    with open(site / "site.yaml", "a", encoding="utf-8") as settings:
        settings.write("markdown:\n  raw_html: true\n")
    write(site / "content/issues/2017-02/x.md", article(body='<img src="../2017-01/images/price.png">\n'))
    run = newsletter("check", "--site", site)
    assert run.code == 1
    assert "x.md:8: '../2017-01/images/price.png' is named in HTML" in run.err


def test_text_from_front_matter_is_escaped_in_pages(site, newsletter):
    write(site / "content/issues/2017-02/x.md", article(title="<script>alert(1)</script>碳市场&价格"))
    assert newsletter("build", "--site", site).code == 0
    html = (site / "output/issues/2017-02/x/index.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;碳市场&amp;价格" in html


def test_template_mistake_at_run_time_names_the_template_and_line(site, newsletter):
    write(site / "templates/article.html", '{% extends "base.html" %}\n{% block main %}\n{{ article.titel.upper() }}\n{% endblock %}\n')
    run = newsletter("build", "--site", site)
    assert run.code == 1
    assert "templates/article.html:3: template error" in run.err
    assert "typeset" not in run.out  # found before any PDF is typeset


def test_site_yaml_that_is_not_utf8_gives_one_error(site, newsletter):
    (site / "site.yaml").write_bytes((site / "site.yaml").read_text(encoding="utf-8").encode("gb18030"))
    run = newsletter("check", "--site", site)
    assert run.code == 1
    assert "site.yaml:1: this file is not UTF-8 text" in run.err and "1 error;" in run.err


def test_a_build_killed_between_its_renames_loses_nothing(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    before = snapshot(site / "output")
    dead = 2 ** 22 + 12345  # above Linux's default pid_max: no such process
    (site / "output").rename(site / f".output.old-{dead}")  # as left by the killed build
    (site / f".output.new-{dead}").mkdir()
    write(site / "content/issues/2017-02/broken.md", "no front matter\n")
    assert newsletter("build", "--site", site, "--no-pdf").code == 1
    assert snapshot(site / "output") == before  # the published archive is back, though this build failed
    assert not [p.name for p in site.iterdir() if p.name.startswith(".output")]


def test_a_rebuild_writes_only_what_changed_and_nothing_when_nothing_did(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    output = site / "output"
    page = output / "issues/2017-01/index.html"
    changed = output / "issues/2017-02/index.html"
    marker = (output / ".newsletter-output").stat()
    # Nothing changed: output/ is not touched at all.
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert (output / ".newsletter-output").stat().st_ino == marker.st_ino
    before = snapshot(output)
    inode, changed_inode = page.stat().st_ino, changed.stat().st_ino
    write(site / "content/issues/2017-02/03-new.md", article(title="新文章"))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert page.stat().st_ino == inode  # the same file, linked into the new output
    assert changed.stat().st_ino != changed_inode and "新文章" in changed.read_text(encoding="utf-8")
    after = snapshot(output)
    assert {name for name in after if after[name] != before.get(name)} >= {"issues/2017-02/index.html"}
    # An incremental output is the output of a clean build, byte for byte.
    clean = site.parent / "clean"
    assert newsletter("build", "--site", site, "--no-pdf", "--output", clean).code == 0
    def pages(snap: dict[str, str]) -> dict[str, str]:  # the digests hold each file's time: left out
        return {name: digest for name, digest in snap.items() if name != ".newsletter-digests"}

    assert comparable(clean, pages(snapshot(clean))) == comparable(output, pages(after))


def test_a_file_changed_in_output_by_hand_is_written_anew(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    page = site / "output/issues/2017-01/index.html"
    original = page.read_bytes()
    page.write_bytes(b"defaced")
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert page.read_bytes() == original


def test_files_written_beside_a_build_that_stopped_halfway_are_still_dropped_by_the_next(site, newsletter):
    from builder.render.output import write_beside

    assert newsletter("build", "--site", site, "--no-pdf").code == 0

    def stopped() -> bytes:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_beside(site / "output", "outbox/2017-02", [("0001-a.eml", lambda: b"first"), ("0002-b.eml", stopped)])
    assert (site / "output/outbox/2017-02/0001-a.eml").read_bytes() == b"first"
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 0 and "kept" not in run.out
    assert not (site / "output/outbox").exists()


def test_pages_held_packed_while_the_editions_are_typeset_are_written_as_a_build_from_the_cache_writes_them(
        site, newsletter):
    """The first build typesets both editions, its pages waiting for them compressed; the
    second takes both PDFs from the cache and writes the pages as rendered: the same files."""
    assert newsletter("build", "--site", site, "--no-cache").code == 0
    typeset = snapshot(site / "output")
    again = site.parent / "again"
    run = newsletter("build", "--site", site, "--output", again)
    assert run.code == 0 and "typeset" not in run.out  # every edition from the cache
    cached = snapshot(again)
    assert [name for name in typeset if name.endswith(".html")] and [name for name in typeset if name.endswith(".pdf")]
    assert comparable(site / "output", {n: d for n, d in typeset.items() if n != ".newsletter-digests"}) == \
        comparable(again, {n: d for n, d in cached.items() if n != ".newsletter-digests"})


def test_a_long_article_gets_ids_on_its_headings_a_contents_box_and_a_way_back_up(site, newsletter):
    body = "\n\n".join(["各有关单位：", "## 第一章 总则", "### 第一条", "正文。", "### 第二条", "正文。",
                        "## 第二章 附则", "### 第一条", "重名的标题。", "### 自定的 {#own}", "正文。"])
    write(site / "content/issues/2017-02/rules.md", article(title="管理办法", date="2017-01-12", body=body))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    soup = page(site / "output", "issues/2017-02/rules/index.html")
    ids = [heading.get("id") for heading in soup.select(".body h2, .body h3")]
    assert ids == ["第一章总则", "第一条", "第二条", "第二章附则", "第一条-2", "own"]  # readable, unique, kept
    listed = [(li["class"], a["href"], a.get_text()) for li in soup.select(".contents li") for a in li.select("a")]
    assert listed[:3] == [(["level-1"], "#第一章总则", "第一章 总则"), (["level-2"], "#第一条", "第一条"),
                          (["level-2"], "#第二条", "第二条")]
    assert soup.select_one(".to-top a")["href"] == "#main"
    short = page(site / "output", "issues/2017-02/market-a/index.html")
    assert short.select_one(".contents") is None and short.select_one(".to-top") is None


def test_a_notice_sets_its_addressee_at_the_margin_and_the_documents_title_as_a_title(site, newsletter):
    body = "\n\n".join(["各有关单位：", "现将《管理办法》印发给你们，请遵照执行。", "**碳排放权交易管理办法**",
                        "**第一条** 为规范碳排放权交易，制定本办法。", "各地：这一段以冒号开头，不是称呼。"])
    write(site / "content/issues/2017-02/notice.md", article(title="关于印发管理办法的通知", date="2017-01-12", body=body))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    soup = page(site / "output", "issues/2017-02/notice/index.html")
    assert [p.get_text() for p in soup.select(".body p.addressee")] == ["各有关单位："]
    assert [p.get_text() for p in soup.select(".body p.document-title")] == ["碳排放权交易管理办法"]  # not 第一条
    css = (site / "output/static/site.css").read_text(encoding="utf-8")
    assert ".body p.addressee { text-indent: 0; }" in css and "p.document-title { text-indent: 0; text-align: center;" in css


def test_heading_ids_never_take_an_id_already_on_the_page_and_the_contents_levels_follow_the_headings(
        site, newsletter):
    body = "\n\n".join(["### 引言", "## main", "### fn:1", "## a", "## b {#a}", "正文[^1]。", "[^1]: 注释。"])
    write(site / "content/issues/2017-02/ids.md", article(title="编号", date="2017-01-12", body=body))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    soup = page(site / "output", "issues/2017-02/ids/index.html")
    ids = [element["id"] for element in soup.select("[id]")]
    assert len(ids) == len(set(ids)), ids  # no id twice: main, the footnotes', the editor's {#a}
    assert [heading["id"] for heading in soup.select(".body h2, .body h3")] == ["引言", "main-2", "h-fn:1", "a-2", "a"]
    assert [li["class"] for li in soup.select(".contents li")] == [["level-2"], ["level-1"], ["level-2"], ["level-1"],
                                                                    ["level-1"]]


def test_only_a_notice_gets_its_addressee_and_title_set_apart_and_numbered_bold_headings_stay(site, newsletter):
    notice = "\n\n".join(["各有关单位：", "**一、总体要求**", "**（二）加强组织领导**", "**管理办法**", "正文。"])
    report = "\n\n".join(["会议指出：", "**一、总体要求**", "**管理办法**"])
    write(site / "content/issues/2017-02/notice.md", article(title="通知", date="2017-01-12", body=notice))
    write(site / "content/issues/2017-02/report.md", article(title="报道", date="2017-01-12", body=report))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    soup = page(site / "output", "issues/2017-02/notice/index.html")
    assert [p.get_text() for p in soup.select(".document-title")] == ["管理办法"]
    other = page(site / "output", "issues/2017-02/report/index.html")
    assert other.select(".addressee") == [] and other.select(".document-title") == []


def test_the_favicon_keeps_its_character_readable_and_a_description_leaves_out_footnotes(site, newsletter):
    settings = site / "site.yaml"
    text_of = settings.read_text(encoding="utf-8").replace("title: 测试简报", "title: 《测试》简报")
    settings.write_text(text_of.replace("pdf:\n", 'pdf:\n  colour: "#f5e663"\n', 1), encoding="utf-8")
    write(site / "content/issues/2017-02/notes.md", article(title="注释", date="2017-01-12", body="正文[^1]。\n\n[^1]: 注释。\n"))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    icon = (site / "output/favicon.svg").read_text(encoding="utf-8")
    assert 'fill="#f5e663"' in icon and 'fill="#111"' in icon and ">测<" in icon  # dark ink on a light colour
    described = page(site / "output", "issues/2017-02/notes/index.html").select_one('meta[name="description"]')
    assert described["content"] == "正文。"


def edition_facts(output: Path, slug: str) -> str:
    """What the pages should say of an issue's PDF: its size and page count, as read from it."""
    from pypdf import PdfReader

    path = output / "pdf" / f"{slug}.pdf"
    size = path.stat().st_size
    megabytes = f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{max(1, round(size / 1e3))} KB"
    return f"（{megabytes}，{len(PdfReader(path).pages)}页）"


def pdf_lines(page: Path) -> list[str]:
    """Each link to a PDF on the page, with what follows it up to the next tag."""
    soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
    return [f"{a['href'].rsplit('/', 1)[-1]} {a.next_sibling or ''}".strip() for a in soup.select("main a[href$='.pdf']")
            if "/pdf/" in urljoin("/x/y/z/", a["href"]) or a["href"].startswith("pdf/")]


def test_the_pdf_link_says_its_size_and_page_count_on_the_home_page_the_issue_list_and_every_article(site,
                                                                                                    newsletter):
    assert newsletter("build", "--site", site).code == 0
    out = site / "output"
    said = {slug: edition_facts(out, slug) for slug in ("2017-01", "2017-02")}
    assert pdf_lines(out / "index.html") == [f"2017-02.pdf {said['2017-02']}"]  # the latest issue
    assert pdf_lines(out / "issues/index.html") == [f"2017-02.pdf {said['2017-02']}", f"2017-01.pdf {said['2017-01']}"]
    for slug, articles in (("2017-01", ["carbon-price", "policy"]), ("2017-02", ["intl", "market-a", "shenzhen"])):
        assert pdf_lines(out / "issues" / slug / "index.html") == [f"{slug}.pdf {said[slug]}"]
        for name in articles:
            assert pdf_lines(out / "issues" / slug / name / "index.html") == [f"{slug}.pdf {said[slug]}"], name
    # Taken from the cache, the editions are not opened again: the pages say the same.
    assert newsletter("build", "--site", site, "--output", site.parent / "again").code == 0
    assert pdf_lines(site.parent / "again/issues/2017-01/policy/index.html") == [f"2017-01.pdf {said['2017-01']}"]
    # Without print editions there is no link; `serve` (which typesets them aside) links them without facts.
    assert newsletter("build", "--site", site, "--no-pdf", "--output", site.parent / "bare").code == 0
    assert pdf_lines(site.parent / "bare/issues/2017-01/policy/index.html") == []
    from builder.pipeline import build
    build(site, site.parent / "served", pdf=False, pdf_links=True)
    assert pdf_lines(site.parent / "served/issues/2017-01/policy/index.html") == ["2017-01.pdf"]
    assert "pdf-facts" not in (site.parent / "served/issues/2017-01/policy/index.html").read_text(encoding="utf-8")


def test_an_edition_that_changed_its_page_count_is_said_again_on_every_page_that_links_it(site, newsletter):
    assert newsletter("build", "--site", site).code == 0
    out = site / "output"
    before = edition_facts(out, "2017-01")
    stylesheet = (ROOT / "themes/default/templates/print/issue.css").read_text(encoding="utf-8")
    write(site / "templates/print/issue.css", stylesheet + "\n.article p { font-size: 30pt; line-height: 2; }\n")
    time.sleep(2.1)  # time stamps vouch for a file once they are two seconds old
    assert newsletter("build", "--site", site).code == 0
    after = edition_facts(out, "2017-01")
    assert after != before and after.endswith("页）")
    for page in ("index.html", "issues/index.html", "issues/2017-01/index.html", "issues/2017-01/policy/index.html",
                 "issues/2017-01/carbon-price/index.html"):
        lines = pdf_lines(out / page)
        assert f"2017-01.pdf {after}" in lines or "2017-01" not in " ".join(lines), (page, lines)
    assert f"2017-01.pdf {after}" in pdf_lines(out / "issues/2017-01/policy/index.html")


@pytest.fixture(scope="module")
def sample_output(tmp_path_factory) -> Path:
    """The sample issue at the root of the repository, built without PDF or search."""
    site = tmp_path_factory.mktemp("sample") / "site"
    for name in ("content", "themes"):
        shutil.copytree(ROOT / name, site / name)
    shutil.copy(ROOT / "site.yaml", site / "site.yaml")
    assert main(["build", "--site", str(site), "--no-pdf", "--no-search"]) == 0
    return site / "output"


def test_an_attachment_the_text_names_is_shown_once(sample_output):
    # policy-2 names its 附件 at the end of its text: not listed a second time below it.
    soup = page(sample_output, "issues/2017-18/policy-2/index.html")
    main = " ".join(soup.select_one("main").get_text(" ").split())
    assert main.count("附件：循环发展引领行动") == 1
    assert [a.get_text() for a in soup.select("main a") if "循环发展引领行动" in a.get_text()] == ["附件：循环发展引领行动"]
    assert not soup.select(".attachments")


def test_the_subscribe_page_tells_how_to_subscribe_by_email(sample_output):
    explained = page(sample_output, "subscribe/index.html")
    assert "电子邮件订阅" in text(explained)
    assert [a["href"].split("?")[0] for a in explained.select('a[href^="mailto:"]')] == [
        "mailto:bulletin@example.org", "mailto:unsubscribe@example.org"]
