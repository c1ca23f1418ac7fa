"""builder/render/web.py: the HTML pages of the archive, read as a reader's browser would."""

import posixpath
import shutil
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import FIXTURES, article, write

from builder import routes
from builder.pipeline import load
from builder.render.output import Page
from builder.render.themes import static_files, template_env
from builder.render.web import render_archive

EXPECTED_PAGES = [
    "index.html", "issues/index.html", "sections/index.html", "subscribe/index.html", "search/index.html", "404.html",
    "issues/2017-02/index.html", "issues/2017-02/market-a/index.html", "issues/2017-02/shenzhen/index.html",
    "issues/2017-02/intl/index.html",
    "issues/2017-01/index.html", "issues/2017-01/carbon-price/index.html", "issues/2017-01/policy/index.html",
    "sections/market/index.html", "sections/market/page/2/index.html", "sections/policy/index.html",
    "sections/international/index.html",
]


def render(root: Path, pdfs: frozenset[str] = frozenset()) -> dict[str, BeautifulSoup]:
    archive, _ = load(root)
    pages = render_archive(archive, template_env(archive.site), pdfs)
    assert all(isinstance(page, Page) for page in pages)
    assert [page.path for page in pages if not page.path.endswith(".html")] == ["favicon.svg", "feed.xml"]
    return {page.path: BeautifulSoup(page.content, "html.parser") for page in pages if page.path.endswith(".html")}


def text(soup) -> str:
    return " ".join(soup.get_text(" ").split())


@pytest.fixture(scope="module")
def fixture_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("web") / "site"
    shutil.copytree(FIXTURES / "site-basic", root)
    return root


@pytest.fixture(scope="module")
def pages(fixture_site) -> dict[str, BeautifulSoup]:
    """The fixture site's pages, with a print edition for 2017-01 only."""
    return render(fixture_site, frozenset({"2017-01"}))


def resolve(page_path: str, href: str) -> str:
    """The output file a relative link of the page at `page_path` leads to; fails on a link above the archive."""
    target = unquote(urlsplit(href).path)
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(page_path), target))
    assert not joined.startswith(".."), f"{page_path}: {href} leads out of the archive"
    if target.endswith("/") or target in ("", "."):
        return "index.html" if joined == "." else joined + "/index.html"
    return joined


def test_the_pages_of_the_archive(pages):
    # Drafts (issue 2017-03, article 03-draft) have none; market has 3 articles, 2 a page.
    assert list(pages) == EXPECTED_PAGES


def test_relative_links_resolve_from_the_pages_own_folder(fixture_site, pages):
    archive, _ = load(fixture_site)
    published = set(pages) | {routes.FEED, routes.FAVICON, routes.pdf("2017-01")} | set(static_files(archive.site))
    published |= {routes.issue_file(issue.slug, name) for issue in archive.issues for name in issue.files}
    checked = 0
    for path, soup in pages.items():
        if path == routes.NOT_FOUND:
            continue
        for tag, attribute in (("a", "href"), ("img", "src"), ("link", "href")):
            for element in soup.find_all(tag):
                href = element[attribute]
                if href.startswith(("http:", "https:", "#", "mailto:")):
                    continue
                assert not href.startswith("/"), f"{path}: {href} is not relative"
                assert resolve(path, href) in published, f"{path}: broken link {href}"
                checked += 1
    assert checked > 150


def test_the_home_page_links_itself_as_its_own_folder(pages):
    home = pages["index.html"]
    assert home.select_one(".site-title")["href"] == "./"
    assert home.select_one("link[rel=stylesheet]")["href"] == "static/site.css"
    assert home.select_one(".toc a")["href"] == "issues/2017-02/market-a/"
    article_page = pages["issues/2017-01/carbon-price/index.html"]
    assert article_page.select_one(".site-title")["href"] == "../../../"
    assert article_page.select_one(".body img")["src"] == "../images/price.png"


def test_previous_and_next_stay_within_the_issue(pages):
    def pager(slug_path: str) -> list[tuple[str, str]]:
        return [(a.get_text(), a["href"]) for a in pages[slug_path].select(".pager a")]

    assert pager("issues/2017-02/market-a/index.html") == [
        ("下一篇：深圳碳市场履约在即", "../../../issues/2017-02/shenzhen/")]
    assert pager("issues/2017-02/shenzhen/index.html") == [
        ("上一篇：湖北碳市场成交活跃", "../../../issues/2017-02/market-a/"),
        ("下一篇：巴黎协定生效后的国际碳市场", "../../../issues/2017-02/intl/")]
    # The last article of an issue does not lead on into the previous issue, nor its first back.
    assert pager("issues/2017-02/intl/index.html") == [
        ("上一篇：深圳碳市场履约在即", "../../../issues/2017-02/shenzhen/")]
    assert pager("issues/2017-01/carbon-price/index.html") == [
        ("下一篇：关于开展碳排放核查的通知", "../../../issues/2017-01/policy/")]
    assert pager("issues/2017-01/policy/index.html") == [
        ("上一篇：各交易所碳价走势", "../../../issues/2017-01/carbon-price/")]


def test_the_pdf_link_only_for_an_issue_with_a_print_edition(fixture_site, pages):
    link = pages["issues/2017-01/index.html"].select(".pdf-link a")
    assert [(a.get_text(), a["href"]) for a in link] == [("下载本期 PDF", "../../pdf/2017-01.pdf")]
    assert pages["issues/2017-02/index.html"].select(".pdf-link") == []
    without = render(fixture_site)
    assert without["issues/2017-01/index.html"].select(".pdf-link") == []
    linking_pdfs = [path for path, soup in without.items() if soup.select("a[href$='.pdf']:not([href$='plan.pdf'])")]
    assert linking_pdfs == []


def test_issue_list_and_section_list_count_published_articles(pages):
    issues = pages["issues/index.html"]
    assert [(a.get_text(), a["href"]) for a in issues.select("#y2017 li > a")] == [
        ("第2期", "../issues/2017-02/"), ("第1期", "../issues/2017-01/")]
    sections = pages["sections/index.html"]
    # The draft in 政策聚焦 is not counted.
    assert [text(li) for li in sections.select(".section-list li")] == ["市场热点 3篇", "政策聚焦 1篇", "国际资讯 1篇"]


def test_each_section_is_paginated_newest_first(pages):
    def entries(path: str) -> list[str]:
        return [a.get_text() for a in pages[path].select(".article-list > li > a")]

    assert entries("sections/market/index.html") == ["湖北碳市场成交活跃", "深圳碳市场履约在即"]
    assert entries("sections/market/page/2/index.html") == ["各交易所碳价走势"]
    first, second = pages["sections/market/index.html"], pages["sections/market/page/2/index.html"]
    assert "第 1 页 共 2 页" in text(first.select_one(".pagination"))
    assert first.select_one(".pagination a[rel=prev]") is None
    assert resolve("sections/market/index.html", first.select_one(".pagination a[rel=next]")["href"]) == \
        "sections/market/page/2/index.html"
    assert second.select_one(".pagination a[rel=next]") is None
    assert resolve("sections/market/page/2/index.html", second.select_one(".pagination a[rel=prev]")["href"]) == \
        "sections/market/index.html"
    assert "（第2页）" in second.title.get_text() and "（第" not in first.title.get_text()
    # A section that fits on one page has no pagination.
    assert entries("sections/policy/index.html") == ["关于开展碳排放核查的通知"]
    assert pages["sections/policy/index.html"].select(".pagination") == []


def test_a_section_without_articles_has_one_page_saying_so(site):
    settings = (site / "site.yaml").read_text(encoding="utf-8")
    settings = settings.replace("archive:\n  per_page: 2", "archive:\n  per_page: 1")
    settings = settings.replace("sections:\n", "sections:\n  - name: 推荐阅读\n    slug: reading\n")
    (site / "site.yaml").write_text(settings, encoding="utf-8")
    rendered = render(site)
    assert [p for p in rendered if p.startswith("sections/reading/")] == ["sections/reading/index.html"]
    assert "本栏目还没有文章。" in text(rendered["sections/reading/index.html"])
    assert [p for p in rendered if p.startswith("sections/market/")] == [
        "sections/market/index.html", "sections/market/page/2/index.html", "sections/market/page/3/index.html"]
    assert "第 3 页 共 3 页" in text(rendered["sections/market/page/3/index.html"])


def test_chinese_slugs_are_percent_encoded_in_links(site):
    (site / "content/issues/2017-02").rename(site / "content/issues/2017年第2期")
    write(site / "content/issues/2017年第2期/碳价.md", article(title="碳价周报", section="国际资讯"))
    rendered = render(site)
    # The files keep their names; the links are percent-encoded.
    assert "issues/2017年第2期/碳价/index.html" in rendered
    issue_path = "issues/2017年第2期/index.html"
    hrefs = [a["href"] for a in rendered[issue_path].select(".toc a") if a.get_text() == "碳价周报"]
    assert hrefs == ["../../issues/2017%E5%B9%B4%E7%AC%AC2%E6%9C%9F/%E7%A2%B3%E4%BB%B7/"]
    assert resolve(issue_path, hrefs[0]) == "issues/2017年第2期/碳价/index.html"
    every_href = [a["href"] for soup in rendered.values() for a in soup.find_all("a")]
    assert all(href.isascii() for href in every_href)
    section_page = rendered["sections/international/index.html"]
    assert [a["href"] for a in section_page.select(".article-list a") if a.get_text() == "碳价周报"] == [
        "../../issues/2017%E5%B9%B4%E7%AC%AC2%E6%9C%9F/%E7%A2%B3%E4%BB%B7/"]


def test_the_404_page_links_from_the_base_urls_path(pages, site):
    missing = pages["404.html"]
    assert missing.h1.get_text() == "页面未找到"
    assert [a["href"] for a in missing.select("main a")] == ["/bulletin/", "/bulletin/issues/"]
    assert missing.select_one("link[rel=stylesheet]")["href"] == "/bulletin/static/site.css"
    settings = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(settings.replace("https://example.org/bulletin", "https://example.org"),
                                    encoding="utf-8")
    at_root = render(site)["404.html"]
    assert [a["href"] for a in at_root.select("main a")] == ["/", "/issues/"]
    assert at_root.select_one("link[rel=stylesheet]")["href"] == "/static/site.css"
