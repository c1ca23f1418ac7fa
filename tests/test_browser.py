"""The sample archive read as a reader reads it: in Debian's Chromium, driven by
Playwright, served by a plain static server on loopback. Every page and link, the PDF,
the search, phones' widths, the contents box of a long article, axe-core's accessibility
rules; and screenshots, saved under test-artefacts/screenshots/ to be looked at.

Marked `browser`: `pytest -m "not browser"` leaves them out of a quick run; ./dev test and
CI run them."""

from __future__ import annotations

import functools
import re
import shutil
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest
from conftest import ROOT, article, write

from builder.cli import main

pytestmark = pytest.mark.browser

SCREENSHOTS = ROOT / "test-artefacts" / "screenshots"
PHONES = (320, 375, 390)
# A long document: 章, 节 and 一、 headings, and a contents box.
LONG = "issues/2017-18/policy-4/"


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Debian's chromium is not installed: ./dev test installs it (apt-get install chromium)")
    return found


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *_: object) -> None:
        pass


def serve(folder: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Iterator[str]:
    """The sample site (the repository's content/ and site.yaml), built with its PDF and
    its search index, served at the address given."""
    site = tmp_path_factory.mktemp("browser") / "site"
    shutil.copytree(ROOT / "content", site / "content")
    shutil.copy(ROOT / "site.yaml", site / "site.yaml")
    assert main(["build", "--site", str(site)]) == 0
    yield from serve(site / "output")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    opened = context.new_page()
    yield opened
    context.close()


def crawl(page, start: str) -> dict[str, list[str]]:
    """Every page of the archive reached by links from `start`, each opened in the browser,
    with the console errors it printed; files linked (PDF, pictures, the feed) are fetched."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    seen: dict[str, list[str]] = {}
    files: set[str] = set()
    todo = [start]
    while todo:
        address = todo.pop()
        if address in seen:
            continue
        errors.clear()
        response = page.goto(address)
        assert response is not None and response.status == 200, f"{address}: {response and response.status}"
        seen[address] = errors[:]
        for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
            target = urldefrag(urljoin(address, href))[0]
            if not target.startswith(start):
                continue
            if target.endswith("/") or target.endswith(".html"):
                todo.append(target)
            else:
                files.add(target)
    for target in sorted(files):
        response = page.request.get(target)
        assert response.status == 200, f"{target}: {response.status}"
    return seen


@pytest.fixture(scope="module")
def crawled(sample, browser) -> dict[str, list[str]]:
    """Every page of the sample reached by links from its home page, and its console errors."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    try:
        return crawl(context.new_page(), sample)
    finally:
        context.close()


def test_every_page_and_link_of_the_sample_works_without_a_console_error(sample, crawled, page):
    seen = crawled
    assert len(seen) >= 35  # home, lists, search, subscribe, the issue, its 25 articles, the sections
    assert {address: errors for address, errors in seen.items() if errors} == {}
    # home -> issue -> article -> 下一篇 -> 上一篇 -> its section -> back
    page.goto(sample)
    page.get_by_role("link", name=re.compile("第18期")).first.click()
    page.locator(".toc a").first.click()
    first = page.url
    page.get_by_role("link", name=re.compile("^下一篇")).click()
    assert page.url != first
    page.get_by_role("link", name=re.compile("^上一篇")).click()
    assert page.url == first
    page.locator(".kicker a").click()
    assert "/sections/" in page.url and "市场热点" in page.locator("h1").inner_text()
    page.go_back()
    assert page.url == first


def test_the_pdf_link_gives_the_print_edition(sample, page):
    page.goto(urljoin(sample, "issues/2017-18/"))
    href = page.locator("a[href$='.pdf']").first.get_attribute("href")
    response = page.request.get(urljoin(page.url, href))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def results(page) -> list[str]:
    page.wait_for_function("document.getElementById('search-status').textContent.includes('找到')")
    return page.locator("#search-results h2").all_inner_texts()


@pytest.mark.parametrize(("query", "first"), [
    ("巴黎协定", "芬兰将采取措施履行巴黎协定承诺"),
    ("瑞士", "瑞士碳市场概述——背景与发展"),
    ("煤炭消费总量", "广州市人民政府办公厅关于印发广州市节能降碳第十三个五年规划（2016—2020年）的通知"),
    ("碳排放权交易", "江西省“十三五”控制温室气体排放工作方案"),
    ("十三五", "各地十三五规划中能耗和温室气体控制目标都如何？"),
])
def test_a_search_finds_the_article_a_reader_means_first(sample, page, query, first):
    page.goto(urljoin(sample, f"search/?q={query}"))
    found = results(page)
    assert found[0] == first, found[:5]
    excerpt = page.locator("#search-results .excerpt").first
    assert excerpt.locator("mark").count() >= 1
    meta = page.locator("#search-results .result-meta").first.inner_text()
    assert re.search(r"2017年第18期.*发布日期 \d{4}-\d+-\d+ · 栏目 \S+", meta), meta


def test_the_filters_narrow_the_results_and_the_address_can_be_shared(sample, page):
    page.goto(urljoin(sample, "search/?q=碳"))
    everything = len(results(page))
    page.select_option("#search-section", "国际资讯")
    page.wait_for_function("location.search.includes('section=')")
    narrowed = results(page)
    assert 0 < len(narrowed) < everything
    metas = page.locator("#search-results .result-meta").all_inner_texts()
    assert all("栏目 国际资讯" in meta for meta in metas), metas
    shared = page.url
    page.goto(shared)
    assert results(page) == narrowed and page.locator("#search-section").input_value() == "国际资讯"
    # The box in every page's header leads here with the words typed.
    page.goto(urljoin(sample, "issues/"))
    page.fill("#site-search-q", "瑞士")
    page.press("#site-search-q", "Enter")
    assert results(page)[0] == "瑞士碳市场概述——背景与发展"


@pytest.mark.parametrize("width", PHONES)
def test_no_page_is_wider_than_a_phone(crawled, browser, width):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    page = context.new_page()
    try:
        too_wide = {}
        for address in sorted(crawled):
            page.goto(address)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            if scroll > width:
                too_wide[address] = scroll
        assert too_wide == {}
    finally:
        context.close()


def test_the_contents_box_of_a_long_article_works_on_a_phone(sample, browser):
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN", is_mobile=True)
    page = context.new_page()
    try:
        page.goto(urljoin(sample, LONG))
        box = page.locator("details.contents")
        assert box.get_attribute("open") is None  # closed on a phone: the text comes first
        page.locator("details.contents summary").click()
        assert box.get_attribute("open") is not None
        link = box.locator("a").nth(3)
        anchor = link.get_attribute("href")
        link.click()
        assert unquote(page.url).endswith(anchor)
        top = page.evaluate(f"document.getElementById({anchor[1:]!r}).getBoundingClientRect().top")
        assert -2 <= top < 200
        page.get_by_role("link", name=re.compile("回到顶部")).click()
        assert page.evaluate("window.scrollY") < 200
    finally:
        context.close()
    desktop = browser.new_page(viewport={"width": 1280, "height": 900})
    desktop.goto(urljoin(sample, LONG))
    assert desktop.locator("details.contents").get_attribute("open") is not None  # open where there is room
    desktop.close()


def test_axe_finds_no_serious_or_critical_violation_on_any_page(crawled, page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    found = {}
    for address in sorted(crawled):
        page.goto(address)
        violations = axe.run(page).response["violations"]
        serious = [f"{v['id']} ({v['impact']}): {v['nodes'][0]['target']}" for v in violations
                   if v["impact"] in ("serious", "critical")]
        if serious:
            found[address] = serious
    assert found == {}


@pytest.mark.parametrize(("name", "path"), [("home", ""), ("issue", "issues/2017-18/"), ("long-article", LONG),
                                            ("search", "search/?q=巴黎协定")])
@pytest.mark.parametrize(("size", "viewport"), [("desktop", (1280, 900)), ("phone", (390, 844))])
def test_screenshots_to_look_at(sample, browser, name, path, size, viewport):
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
    page = context.new_page()
    try:
        page.goto(urljoin(sample, path))
        if name == "search":
            results(page)
        page.wait_for_load_state("networkidle")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}-{size}.png"
        page.screenshot(path=str(target), full_page=name != "long-article")
        assert target.stat().st_size > 10_000
    finally:
        context.close()


def test_an_articles_markup_shows_in_a_search_result_as_text(site, browser):
    """An article about markup: its words are found, shown as the reader typed them, and
    nothing in them runs in the search page."""
    write(site / "content/issues/2017-02/intl.md", article(
        title="网页里的标记", section="国际资讯",
        body="示例 <script>alert('x')</script> 和 <img src=x onerror=alert('y')> 以及 <mark>标记</mark> 结束"))
    assert main(["build", "--site", str(site), "--no-pdf"]) == 0
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        for address in serve(site / "output"):
            page.goto(urljoin(address, "search/?q=示例"))
            assert results(page) == ["网页里的标记"]
            excerpt = page.locator("#search-results .excerpt").first
            text = excerpt.inner_text()
            assert "<script>alert('x')</script>" in text and "<img src=x onerror=alert('y')>" in text
            assert excerpt.locator("script, img").count() == 0
            page.wait_for_timeout(300)
    finally:
        page.close()
    assert dialogs == []


def test_without_the_index_the_search_page_says_so(site, browser):
    assert main(["build", "--site", str(site), "--no-pdf", "--no-search"]) == 0
    page = browser.new_page()
    try:
        for address in serve(site / "output"):
            page.goto(urljoin(address, "search/?q=碳"))
            page.wait_for_function("document.getElementById('search-status').textContent.length > 0")
            assert "没有搜索索引" in page.locator("#search-status").inner_text()
    finally:
        page.close()


def test_the_search_works_where_the_archive_is_served_from_a_folder(site, browser, tmp_path):
    """Hosted under /bulletin/ (base_url's path), the results link into that folder."""
    assert main(["build", "--site", str(site), "--no-pdf", "--output", str(tmp_path / "www" / "bulletin")]) == 0
    page = browser.new_page()
    try:
        for address in serve(tmp_path / "www"):
            page.goto(urljoin(address, "bulletin/search/?q=深圳"))
            assert results(page)
            href = page.locator("#search-results h2 a").first.get_attribute("href")
            assert urlsplit(urljoin(page.url, href)).path.startswith("/bulletin/issues/")
            response = page.request.get(urljoin(page.url, href))
            assert response.status == 200
    finally:
        page.close()


def test_the_parts_of_the_index_are_searched_together(site, browser):
    """Two years' issues: two parts of the index, merged by the search page."""
    write(site / "content/issues/2016-52/issue.yaml", "year: 2016\nnumber: 52\ntotal: 88\ndate: 2016-12-30\n")
    write(site / "content/issues/2016-52/old.md", article(title="上一年的碳市场", date="2016-12-28", body="碳市场回顾。"))
    assert main(["build", "--site", str(site), "--no-pdf"]) == 0
    page = browser.new_page()
    try:
        for address in serve(site / "output"):
            page.goto(urljoin(address, "search/?q=碳"))
            found = results(page)
            assert "上一年的碳市场" in found and len(found) >= 2
            page.select_option("#search-year", "2016")
            page.wait_for_function("location.search.includes('year=2016')")
            assert results(page) == ["上一年的碳市场"]
    finally:
        page.close()
