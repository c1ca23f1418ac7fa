"""builder.routes: where each page and file of the archive is published, and its URL."""

import datetime as dt
from pathlib import Path

from builder import routes
from builder.model import Article, Issue, Section


def test_pages_are_folders_and_their_urls_end_in_a_slash():
    assert routes.issue_page("2017-18") == "issues/2017-18/index.html"
    assert routes.page_url(routes.issue_page("2017-18")) == "issues/2017-18/"
    assert routes.page_url(routes.article_page("2017-18", "market-1")) == "issues/2017-18/market-1/"
    assert routes.page_url(routes.HOME) == ""
    assert routes.page_url(routes.FEED) == "feed.xml"


def test_section_pages_after_the_first_are_numbered():
    assert routes.section_page("policy") == "sections/policy/index.html"
    assert routes.section_page("policy", 2) == "sections/policy/page/2/index.html"
    assert routes.page_url(routes.section_page("policy", 3)) == "sections/policy/page/3/"


def test_chinese_and_spaces_are_percent_encoded_once():
    assert routes.page_url("issues/2017-18/碳市场/index.html") == "issues/2017-18/%E7%A2%B3%E5%B8%82%E5%9C%BA/"
    assert routes.page_url(routes.issue_file("2017-18", "图表 一.png")) == \
        "issues/2017-18/%E5%9B%BE%E8%A1%A8%20%E4%B8%80.png"
    assert routes.absolute("https://example.org/bulletin/", routes.pdf("2017-18")) == \
        "https://example.org/bulletin/pdf/2017-18.pdf"


def test_the_model_takes_its_addresses_from_routes():
    section = Section("市场热点", "market")
    article = Article(issue_slug="2017-18", slug="carbon", title="标题", date=dt.date(2017, 5, 3), source="新华社",
                      section=section, order=1, path=Path("x.md"), body="", body_line=1)
    issue = Issue(slug="2017-18", year=2017, number=18, total=106, date=dt.date(2017, 5, 5), folder=Path("."),
                  articles=(article,))
    assert section.url_path == "sections/market/"
    assert article.url_path == routes.page_url(routes.article_page("2017-18", "carbon"))
    assert issue.url_path == "issues/2017-18/" and issue.pdf_path == "pdf/2017-18.pdf"
