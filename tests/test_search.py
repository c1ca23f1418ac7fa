"""The readers' search: Pagefind's index of the article pages, made by `newsletter build`.
(What a reader finds with it is tested in a real browser: tests/test_browser.py.)"""

from __future__ import annotations

import gzip
import json
import os
import re
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import article, comparable, snapshot, write

from builder.render import search

ARTICLES = ["issues/2017-01/carbon-price/index.html", "issues/2017-01/policy/index.html",
            "issues/2017-02/intl/index.html", "issues/2017-02/market-a/index.html",
            "issues/2017-02/shenzhen/index.html"]


def fragments(output: Path) -> dict[str, dict]:
    """Each indexed page's record in the bundle, by its address."""
    found = {}
    for path in output.glob("pagefind/*/fragment/*"):
        data = gzip.decompress(path.read_bytes())
        record = json.loads(data[data.index(b"{"):])
        found[record["url"]] = record
    return found


def test_the_build_publishes_a_search_index_of_every_article_and_only_articles(site, newsletter):
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 0, run.err
    output = site / "output"
    assert (output / "pagefind/2017-1/pagefind.js").is_file()
    assert not list((output / "pagefind").glob("*/pagefind-ui*"))  # Pagefind's own interface is not ours
    records = fragments(output)
    assert sorted(records) == sorted("/" + path.removesuffix("index.html") for path in ARTICLES)
    record = records["/issues/2017-02/intl/"]
    page = BeautifulSoup((output / "issues/2017-02/intl/index.html").read_text(encoding="utf-8"), "html.parser")
    assert record["meta"]["title"] == page.h1.get_text()
    assert record["meta"]["issue"].startswith("2017年第2期")
    assert record["meta"]["section"] == "国际资讯"
    assert record["meta"]["date"] == page.find("time").get_text()
    assert record["filters"] == {"栏目": ["国际资讯"], "年份": ["2017"]}
    # What the reader searches is the article's text, not the page's navigation or details line.
    assert "上一篇" not in record["content"] and "发布日期" not in record["content"]


def test_a_build_run_in_the_sites_own_folder_makes_the_index(site, newsletter, monkeypatch):
    # As the guide says to: `newsletter build` in the site's folder, so the site is `.`.
    monkeypatch.chdir(site)
    run = newsletter("build", "--no-pdf")
    assert run.code == 0, run.err
    assert sorted(fragments(site / "output")) == sorted("/" + path.removesuffix("index.html") for path in ARTICLES)


def test_every_page_has_a_search_box_that_leads_to_the_search_page_without_javascript(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    output = site / "output"
    pages = [p for p in output.rglob("*.html") if "pagefind" not in p.parts]
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        relative = page.relative_to(output).as_posix()
        if relative == "search/index.html":
            form = soup.find("form", id="search")
            assert form["action"] == "./" and form["method"] == "get"
            assert [o.get_text() for o in form.find("select", attrs={"name": "section"}).find_all("option")] == \
                ["全部栏目", "市场热点", "政策聚焦", "国际资讯"]
            assert [o["value"] for o in form.find("select", attrs={"name": "year"}).find_all("option")] == ["", "2017"]
            assert soup.find("noscript") is not None
            continue
        form = soup.find("form", class_="site-search")
        assert form is not None, relative
        assert form["method"] == "get" and form.find("input")["name"] == "q"
        if relative != "404.html":  # served at any address: its links start at the site's root
            target = (page.parent / form["action"]).resolve()
            assert target == (output / "search").resolve(), relative


def test_an_archive_whose_articles_did_not_change_is_not_indexed_again(site, newsletter):
    run = newsletter("build", "--site", site, "--no-pdf")
    assert "indexing 5 articles for the search (2017-1)" in run.out
    bundle = snapshot(site / "output/pagefind")
    inodes = {p: p.stat().st_ino for p in (site / "output/pagefind").rglob("*") if p.is_file()}
    write(site / "templates/index.html", '{% extends "base.html" %}{% block main %}<p>改过的首页</p>{% endblock %}')
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 0, run.err
    assert "改过的首页" in (site / "output/index.html").read_text(encoding="utf-8")
    assert "indexing" not in run.out
    assert snapshot(site / "output/pagefind") == bundle
    assert {p: p.stat().st_ino for p in (site / "output/pagefind").rglob("*") if p.is_file()} == inodes
    # An article changed: indexed again, and found with its new words.
    write(site / "content/issues/2017-02/intl.md", article(title="巴黎协定的新进展", section="国际资讯"))
    run = newsletter("build", "--site", site, "--no-pdf")
    assert "indexing 5 articles for the search (2017-1)" in run.out
    assert fragments(site / "output")["/issues/2017-02/intl/"]["meta"]["title"] == "巴黎协定的新进展"


def test_the_index_is_the_same_as_a_clean_builds_after_each_kind_of_change(site, newsletter, tmp_path):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    write(site / "content/issues/2017-02/09-new.md", article(title="新增的一篇", section="政策聚焦"))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    (site / "content/issues/2017-02/market-b.md").unlink()
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert newsletter("build", "--site", site, "--no-pdf", "--no-cache", "--output", tmp_path / "clean").code == 0
    built, clean = snapshot(site / "output"), snapshot(tmp_path / "clean")
    assert {name: digest for name, digest in comparable(site / "output", built).items() if "pagefind" in name} == \
        {name: digest for name, digest in comparable(tmp_path / "clean", clean).items() if "pagefind" in name}
    assert "/issues/2017-02/new/" in fragments(site / "output") and \
        "/issues/2017-02/shenzhen/" not in fragments(site / "output")


def test_a_failed_indexing_fails_the_build_and_leaves_the_published_archive_as_it_was(site, newsletter, tmp_path,
                                                                                     monkeypatch):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    published = snapshot(site / "output")
    broken = write(tmp_path / "pagefind", "#!/bin/sh\necho 'Error: the index ran out of disk' >&2\nexit 1\n")
    broken.chmod(0o755)
    monkeypatch.setattr(search, "executable", lambda: broken)
    write(site / "content/issues/2017-02/09-new.md", article(title="新增的一篇"))
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code != 0
    assert "search index could not be made" in run.err and "ran out of disk" in run.err
    assert "Traceback" not in run.err
    assert snapshot(site / "output") == published
    assert not list((site / ".cache/search").iterdir())  # nothing left behind


def test_without_the_search_index_no_bundle_is_published(site, newsletter):
    run = newsletter("build", "--site", site, "--no-pdf", "--no-search")
    assert run.code == 0, run.err
    assert not (site / "output/pagefind").exists()
    assert (site / "output/search/index.html").is_file()
    # Built with the index afterwards: the stamp of the build without it does not stand in for it.
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert (site / "output/pagefind/2017-1/pagefind.js").is_file()


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                                  "&lt;script&gt;alert(1)&lt;/script&gt;", "<mark onclick=alert(1)>x</mark>"])
def test_the_index_holds_an_articles_text_as_the_reader_sees_it(site, newsletter, text):
    """Markup in an article reaches the index as the page shows it: as text, which the
    search page shows as text (tests/test_browser.py)."""
    write(site / "content/issues/2017-02/intl.md", article(title="国际", section="国际资讯", body=f"正文 {text} 结束"))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    content = fragments(site / "output")["/issues/2017-02/intl/"]["content"]
    body = BeautifulSoup((site / "output/issues/2017-02/intl/index.html").read_text(encoding="utf-8"),
                         "html.parser").find("div", class_="body").get_text()
    assert re.sub(r"[\s\u200b.]", "", content).endswith(re.sub(r"\s", "", body) or "-")


def test_the_pages_indexed_are_laid_out_on_the_outputs_disk_and_removed(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    scratch = site / ".cache/search"
    assert scratch.is_dir() and not list(scratch.iterdir())
    assert os.stat(scratch).st_dev == os.stat(site / "output").st_dev


def test_the_index_is_made_in_parts_of_a_years_issues_twenty_at_most():
    from types import SimpleNamespace

    issues = [SimpleNamespace(year=2016, number=n, slug=f"2016-{n:02d}") for n in range(1, 46)] + \
        [SimpleNamespace(year=2017, number=n, slug=f"2017-{n:02d}") for n in range(1, 4)]
    made = search.parts(issues)  # type: ignore[arg-type]
    assert {part: [i.slug for i in found][:1] + [i.slug for i in found][-1:] for part, found in made.items()} == {
        "2017-1": ["2017-01", "2017-03"], "2016-1": ["2016-01", "2016-20"], "2016-2": ["2016-21", "2016-40"],
        "2016-3": ["2016-41", "2016-45"]}
    # A new issue joins the last part of its year: the others are as they were.
    later = search.parts([*issues, SimpleNamespace(year=2016, number=46, slug="2016-46")])  # type: ignore[arg-type]
    assert {part: found for part, found in later.items() if part != "2016-3"} == \
        {part: found for part, found in made.items() if part != "2016-3"}


def test_an_edit_indexes_the_part_of_its_issue_alone(site, newsletter):
    write(site / "content/issues/2016-52/issue.yaml", "year: 2016\nnumber: 52\ntotal: 88\ndate: 2016-12-30\n")
    write(site / "content/issues/2016-52/old.md", article(title="上一年的文章", date="2016-12-28"))
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 0, run.err
    assert "(2016-1)" in run.out and "(2017-1)" in run.out
    older = snapshot(site / "output/pagefind/2016-1")
    write(site / "content/issues/2017-02/intl.md", article(title="改过的国际新闻", section="国际资讯"))
    run = newsletter("build", "--site", site, "--no-pdf")
    assert "indexing 5 articles for the search (2017-1)" in run.out and "(2016-1)" not in run.out
    assert snapshot(site / "output/pagefind/2016-1") == older
    search_page = (site / "output/search/index.html").read_text(encoding="utf-8")
    assert 'data-bundles="../pagefind/2017-1/ ../pagefind/2016-1/"' in search_page


def test_a_part_is_indexed_once_after_an_edit_when_the_pages_say_their_pdfs_size(site, newsletter):
    """Pages that link their PDF get its size once the editions are typeset: the index's key
    is what a page was made from, not its bytes, so a page taken from the last build and the
    same page made again are the same to it (a PDF build, or `serve`)."""
    from builder.pipeline import build

    write(site / "content/issues/2016-52/issue.yaml", "year: 2016\nnumber: 52\ntotal: 88\ndate: 2016-12-30\n")
    write(site / "content/issues/2016-52/old.md", article(title="上一年的文章", date="2016-12-28"))
    time.sleep(2.1)  # a folder changed in the last two seconds is read again by the next build
    said: list[str] = []
    build(site, site / "output", pdf=False, pdf_links=True, report=said.append)
    assert sum("indexing" in line for line in said) == 2
    time.sleep(2.1)
    write(site / "content/issues/2017-02/intl.md", article(title="改过的国际新闻", section="国际资讯"))
    said.clear()
    build(site, site / "output", pdf=False, pdf_links=True, report=said.append)
    assert [line for line in said if "indexing" in line] == ["indexing 5 articles for the search (2017-1)"]
    said.clear()
    build(site, site / "output", pdf=False, pdf_links=True, report=said.append)
    assert [line for line in said if "indexing" in line] == []


def test_pagefind_settings_found_where_the_build_runs_change_nothing(site, newsletter, tmp_path, monkeypatch):
    """Pagefind reads a pagefind.yml where it runs, and PAGEFIND_* variables: neither is the site's."""
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "pagefind.yml", "exclude_selectors: ['p']\nserve: true\n")
    monkeypatch.chdir(elsewhere)
    monkeypatch.setenv("PAGEFIND_FORCE_LANGUAGE", "en")
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 0, run.err
    records = fragments(site / "output")
    assert "国际碳市场迎来新机遇" in re.sub(r"[\s\u200b]", "", records["/issues/2017-02/intl/"]["content"])
    assert all(path.name.startswith("zh-cn_") for path in (site / "output").glob("pagefind/*/fragment/*"))
