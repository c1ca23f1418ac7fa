"""builder/render/feeds.py: the Atom feed and the sitemap, read as a feed reader and a search engine would."""

import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import FIXTURES, article, write

from builder.cli import main
from builder.pipeline import load
from builder.render.feeds import render_feed, render_sitemap

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    """The fixture site built once, without print editions: the feed and the sitemap do not depend on them."""
    root = tmp_path_factory.mktemp("feeds") / "site"
    shutil.copytree(FIXTURES / "site-basic", root)
    assert main(["build", "--site", str(root), "--no-pdf"]) == 0
    return root / "output"


def page(output: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((output / path).read_text(encoding="utf-8"), "html.parser")


def feed_of(root: Path) -> ET.Element:
    archive, _ = load(root)
    return ET.fromstring(render_feed(archive).content)


def sitemap_of(root: Path, paths: list[str]) -> dict[str, str | None]:
    """loc -> lastmod."""
    archive, _ = load(root)
    urlset = ET.fromstring(render_sitemap(archive, paths).content)
    return {url.find(f"{SITEMAP}loc").text: getattr(url.find(f"{SITEMAP}lastmod"), "text", None)
            for url in urlset.iter(f"{SITEMAP}url")}


def set_in_site_yaml(root: Path, old: str, new: str) -> None:
    settings = (root / "site.yaml").read_text(encoding="utf-8")
    assert old in settings
    (root / "site.yaml").write_text(settings.replace(old, new), encoding="utf-8")


def test_atom_feed(built):
    feed = ET.parse(built / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    assert feed.find(f"{ATOM}title").text == "测试简报"
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}title").text for e in entries] == [
        "湖北碳市场成交活跃", "深圳碳市场履约在即", "巴黎协定生效后的国际碳市场", "各交易所碳价走势", "关于开展碳排放核查的通知"]
    first = entries[3]
    assert first.find(f"{ATOM}link").get("href") == "https://example.org/bulletin/issues/2017-01/carbon-price/"
    content = first.find(f"{ATOM}content").text
    assert 'src="https://example.org/bulletin/issues/2017-01/images/price.png"' in content
    assert feed.find(f"{ATOM}updated").text == "2017-01-13T00:00:00+08:00"


def test_sitemap_and_404(built):
    sitemap = ET.parse(built / "sitemap.xml").getroot()
    urls = [loc.text for loc in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://example.org/bulletin/issues/2017-02/shenzhen/" in urls
    assert "https://example.org/bulletin/" in urls
    assert not any("404" in url for url in urls)
    missing = page(built, "404.html")
    assert missing.h1.get_text() == "页面未找到"
    assert missing.select_one("link[rel=stylesheet]")["href"] == "/bulletin/static/site.css"


def test_every_address_in_the_feed_is_absolute_from_the_base_url(site):
    set_in_site_yaml(site, "https://example.org/bulletin", "https://news.example.cn/jnjp")  # no final slash
    feed = feed_of(site)
    assert feed.find(f"{ATOM}id").text == "https://news.example.cn/jnjp/"
    assert {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")} == {
        "alternate": "https://news.example.cn/jnjp/", "self": "https://news.example.cn/jnjp/feed.xml"}
    entries = feed.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}id").text for e in entries] == [
        "https://news.example.cn/jnjp/issues/2017-02/market-a/", "https://news.example.cn/jnjp/issues/2017-02/shenzhen/",
        "https://news.example.cn/jnjp/issues/2017-02/intl/", "https://news.example.cn/jnjp/issues/2017-01/carbon-price/",
        "https://news.example.cn/jnjp/issues/2017-01/policy/"]
    content = entries[3].find(f"{ATOM}content").text
    # The body's local links and images point at the published issue folder, not at the article's.
    assert 'href="https://news.example.cn/jnjp/issues/2017-01/plan.pdf"' in content
    assert 'src="https://news.example.cn/jnjp/issues/2017-01/images/price.png"' in content
    assert 'src="../' not in content and 'href="../' not in content


def test_entries_carry_the_issue_source_section_and_dates(site):
    entry = feed_of(site).findall(f"{ATOM}entry")[3]  # 各交易所碳价走势
    assert entry.find(f"{ATOM}author/{ATOM}name").text == "碳K线"
    assert entry.find(f"{ATOM}category").attrib == {"term": "market", "label": "市场热点"}
    assert entry.find(f"{ATOM}published").text == "2017-01-05T00:00:00+08:00"  # the article's date
    assert entry.find(f"{ATOM}updated").text == "2017-01-06T00:00:00+08:00"  # its issue's
    assert entry.find(f"{ATOM}content").text.startswith("<p>2017年第1期（总第90期）　来源：碳K线</p>")


def test_only_the_newest_issues_are_in_the_feed(site):
    set_in_site_yaml(site, "feed:\n  issues: 2", "feed:\n  issues: 1")
    feed = feed_of(site)
    assert [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")] == [
        "湖北碳市场成交活跃", "深圳碳市场履约在即", "巴黎协定生效后的国际碳市场"]
    assert feed.find(f"{ATOM}updated").text == "2017-01-13T00:00:00+08:00"


def test_a_draft_issue_is_left_out_unless_drafts_are_built(site):
    archive, _ = load(site, drafts=True)
    feed = ET.fromstring(render_feed(archive).content)
    titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
    # The draft issue 2017-03 is the newest of the two the feed carries.
    assert titles == ["下一期的稿件", "湖北碳市场成交活跃", "深圳碳市场履约在即", "巴黎协定生效后的国际碳市场"]
    assert feed.find(f"{ATOM}updated").text == "2017-01-20T00:00:00+08:00"
    assert "下一期的稿件" not in render_feed(load(site)[0]).content


def test_the_feed_depends_on_the_content_alone(site, tmp_path):
    elsewhere = tmp_path / "another" / "copy"
    shutil.copytree(site, elsewhere)
    first = render_feed(load(site)[0]).content
    assert render_feed(load(elsewhere)[0]).content == first  # not the clock, not the site's folder
    dates = {element.text for element in ET.fromstring(first).iter()
             if element.tag in (f"{ATOM}updated", f"{ATOM}published")}
    assert dates == {"2017-01-13T00:00:00+08:00", "2017-01-06T00:00:00+08:00", "2017-01-04T00:00:00+08:00",
                     "2017-01-05T00:00:00+08:00", "2017-01-10T00:00:00+08:00", "2017-01-11T00:00:00+08:00",
                     "2017-01-12T00:00:00+08:00"}
    write(site / "content/issues/2017-02/market-a.md", article(title="湖北碳市场成交活跃（更正）", date="2017-01-11"))
    assert render_feed(load(site)[0]).content != first


def test_markup_characters_in_titles_and_sources_are_escaped(site):
    write(site / "content/issues/2017-02/x.md",
          article(title="<b>碳市场</b> & 价格", source="新华社<北京>&", extra="order: 9\n", body="正文&lt;一&gt;。"))
    set_in_site_yaml(site, "title: 测试简报", "title: 测试<简报>&")
    content = render_feed(load(site)[0]).content
    feed = ET.fromstring(content)  # well-formed
    assert feed.find(f"{ATOM}title").text == "测试<简报>&"
    entry = next(e for e in feed.findall(f"{ATOM}entry") if e.find(f"{ATOM}author/{ATOM}name").text == "新华社<北京>&")
    assert entry.find(f"{ATOM}title").text == "<b>碳市场</b> & 价格"  # shown as written, not made bold
    assert "&lt;b&gt;碳市场&lt;/b&gt; &amp; 价格" in content
    # The content is HTML: the source stays text in it, as does the body's escaped text.
    html = BeautifulSoup(entry.find(f"{ATOM}content").text, "html.parser")
    assert html.p.get_text() == "2017年第2期（总第91期）　来源：新华社<北京>&" and html.find("北京") is None
    assert html.find_all("p")[1].get_text() == "正文<一>。"


def test_chinese_slugs_are_percent_encoded(site):
    write(site / "content/issues/2017-02/碳价.md", article(title="碳价周报"))
    feed = feed_of(site)
    links = [e.find(f"{ATOM}link").get("href") for e in feed.findall(f"{ATOM}entry")]
    assert "https://example.org/bulletin/issues/2017-02/%E7%A2%B3%E4%BB%B7/" in links
    assert all(link.isascii() for link in links)
    sitemap = sitemap_of(site, ["issues/2017-02/碳价/index.html"])
    assert sitemap == {"https://example.org/bulletin/issues/2017-02/%E7%A2%B3%E4%BB%B7/": "2017-01-13"}


def test_the_sitemap_lists_the_given_pages_without_the_404_and_dates_the_issues(site):
    paths = ["index.html", "404.html", "issues/index.html", "issues/2017-01/index.html",
             "issues/2017-01/carbon-price/index.html", "issues/2017-02/shenzhen/index.html",
             "sections/market/page/2/index.html"]
    assert sitemap_of(site, paths) == {
        "https://example.org/bulletin/": None,
        "https://example.org/bulletin/issues/": None,
        "https://example.org/bulletin/issues/2017-01/": "2017-01-06",
        "https://example.org/bulletin/issues/2017-01/carbon-price/": "2017-01-06",
        "https://example.org/bulletin/issues/2017-02/shenzhen/": "2017-01-13",
        "https://example.org/bulletin/sections/market/page/2/": None,
    }


def test_an_issue_is_not_dated_by_another_whose_name_begins_the_same(site):
    (site / "content/issues/2017-01").rename(site / "content/issues/2017-1")
    (site / "content/issues/2017-02").rename(site / "content/issues/2017-10")
    sitemap = sitemap_of(site, ["issues/2017-1/index.html", "issues/2017-10/index.html", "issues/2017-10/intl/index.html"])
    assert sitemap == {"https://example.org/bulletin/issues/2017-1/": "2017-01-06",
                       "https://example.org/bulletin/issues/2017-10/": "2017-01-13",
                       "https://example.org/bulletin/issues/2017-10/intl/": "2017-01-13"}
