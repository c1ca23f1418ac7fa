"""`newsletter serve`, started as an editor starts it (its own process, a free port), and
used as a browser does: pages over HTTP, the live script's event stream."""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import article, write

from builder.serve import state
from builder.serve.http import Refused, find, local_path

WAIT = 30  # seconds: generous, for a loaded machine; a working server answers in well under one


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Served:
    """A running `newsletter serve`: its output lines as they come, pages, event streams."""

    def __init__(self, site: Path, *options: str, port: int | None = None) -> None:
        self.site, self.options, self.fixed_port = site, options, port
        self.start(port or free_port())

    def start(self, port: int) -> None:
        self.port = port
        site, options = self.site, self.options
        self.process = subprocess.Popen(
            [sys.executable, "-m", "builder.cli", "serve", "--site", str(site), "--port", str(self.port), *options],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = []
        for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err)):
            reader = threading.Thread(target=lambda s=stream, into=lines: [into.append(line.rstrip("\n")) for line in s],
                                      daemon=True)
            reader.start()
            self.readers.append(reader)

    def wait_for(self, pattern: str, lines: list[str] | None = None, count: int = 1) -> list[str]:
        lines = self.out if lines is None else lines
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            found = [line for line in list(lines) if re.search(pattern, line)]
            if len(found) >= count:
                return found
            if self.process.poll() is not None and not found:
                # It has stopped: what it said may still be in the pipes. Read to their end, look once more.
                for reader in self.readers:
                    reader.join(timeout=5)
                if len([line for line in list(lines) if re.search(pattern, line)]) >= count:
                    continue
                break
            time.sleep(0.02)
        raise AssertionError(f"no line {pattern!r} x{count}: out={self.out} err={self.err}")

    def ready(self) -> Served:
        for _ in range(5):
            try:
                self.wait_for(r"^serving ")
                break
            except AssertionError:
                if self.fixed_port is not None or self.process.poll() != 2:
                    raise
                self.start(free_port())  # the free port was taken by another process meanwhile
        self.wait_for(r"^built \d+ issues")
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise AssertionError("the server does not answer")

    def get(self, path: str) -> tuple[int, str, dict[str, str]]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        connection.putrequest("GET", path, skip_accept_encoding=True)
        connection.endheaders()
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, body, {k.lower(): v for k, v in response.getheaders()}

    def watch(self, path: str) -> Tab:
        """Open `path` as a tab does: the page, then its event stream."""
        status, body, _ = self.get(path)
        found = re.search(r'data-page="([^"]*)" data-version="(\d+)" data-session="(\w+)"', body)
        assert found, body[-500:]
        return Tab(self.port, *found.groups())

    def stop(self, signum: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout=WAIT)


class Tab:
    """A tab's live script, as it runs in a browser: the event stream, each outcome decided
    for its page (the script's own rule, state.concerns)."""

    def __init__(self, port: int, page: str, version: str, session: str) -> None:
        self.page, self.version, self.session = page, int(version), session
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
        self.connection.request("GET", f"/__live__/events?version={version}&session={session}")
        self.response = self.connection.getresponse()
        assert self.response.getheader("Content-Type").startswith("text/event-stream")
        assert self.response.fp.readline() == b": connected\n"
        self.reloaded = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.response.fp:
                if line.startswith(b"data: "):
                    outcome = json.loads(line[6:])
                    if outcome["session"] != self.session or state.concerns(outcome, self.page, self.version):
                        self.reloaded.set()
                        return
        except (OSError, ValueError):
            pass


@pytest.fixture
def served(site):
    server = Served(site).ready()
    yield server
    server.stop()


ARTICLE = "content/issues/2017-02/market-a.md"
PAGE = "/issues/2017-02/market-a/"
OTHER_PAGE = "/issues/2017-02/intl/"


def edit(site: Path, text: str, name: str = ARTICLE) -> None:
    path = site / name
    path.write_text(path.read_text(encoding="utf-8") + f"\n{text}\n", encoding="utf-8")


# --- the first build -------------------------------------------------------------------------------------------------

def test_serve_builds_the_drafts_says_so_first_and_leaves_output_alone(served, site):
    assert served.out[0].startswith(f"serving http://127.0.0.1:{served.port}/ with the drafts")
    status, body, headers = served.get("/issues/2017-03/")  # the draft issue
    assert status == 200 and "草稿" in body or "2017-03" in body
    assert headers["cache-control"] == "no-store"
    assert '<script src="/__live__/live.js"' in body
    assert not (site / "output").exists()  # serve writes into .cache/serve/ only


def test_no_drafts_serves_what_readers_see(site):
    server = Served(site, "--no-drafts").ready()
    try:
        assert "without the drafts" in server.out[0]
        assert server.get("/issues/2017-03/")[0] == 404
    finally:
        server.stop()


def test_built_output_carries_no_live_script(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    pages = list((site / "output").rglob("*.html"))
    assert pages and not any("__live__" in page.read_text(encoding="utf-8") for page in pages)


# --- live reload -----------------------------------------------------------------------------------------------------

def test_saving_an_article_reloads_its_tabs_once_rebuilt_and_no_other(served, site):
    tab, other = served.watch(PAGE), served.watch(OTHER_PAGE)
    edit(site, "新加的一句话。")
    assert tab.reloaded.wait(WAIT)
    # The reload comes after the rebuild: the page the tab then fetches has the new text.
    assert "新加的一句话" in served.get(PAGE)[1]
    assert not other.reloaded.wait(0.5)  # its page did not change
    served.wait_for(r"^rebuilt in \d+ ms after content/issues/2017-02/market-a\.md: \d+ files? changed")


def test_the_search_index_follows_a_save_after_the_pages_and_the_search_tab_reloads(served, site):
    """The pages are shown first; the index part of the article is made after, and a tab
    on the search page is then told to reload."""
    import gzip

    def indexed(word: str) -> bool:
        for path in (site / ".cache/serve/output/pagefind").glob("*/fragment/*"):
            data = gzip.decompress(path.read_bytes())
            if word in re.sub(r"[\s\u200b]", "", data[data.index(b"{"):].decode("utf-8")):  # words apart
                return True
        return False

    assert served.get("/pagefind/2017-1/pagefind.js")[0] == 200
    searching, reading = served.watch("/search/"), served.watch(PAGE)
    edit(site, "独一无二的新词语。")
    assert reading.reloaded.wait(WAIT)
    assert searching.reloaded.wait(WAIT)
    assert indexed("独一无二的新词语")


def test_a_burst_of_saves_and_an_editors_rename_give_one_rebuild(served, site):
    tab = served.watch(PAGE)
    path = site / ARTICLE
    for n in range(8):
        edit(site, f"第{n}次保存。")
    temporary = path.with_name(".market-a.md.swp")  # as editors save: a temporary file renamed over the real one
    temporary.write_text(path.read_text(encoding="utf-8") + "\n最后一次。\n", encoding="utf-8")
    os.replace(temporary, path)
    assert tab.reloaded.wait(WAIT)
    time.sleep(1.5)  # any second rebuild would have started by now
    rebuilt = [line for line in served.out if line.startswith("rebuilt")]
    assert len(rebuilt) == 1, served.out
    assert "最后一次" in served.get(PAGE)[1] and "第7次保存" in served.get(PAGE)[1]


def test_a_tab_served_by_an_earlier_server_reloads_at_once(served):
    tab = Tab(served.port, "index.html", "1", "0" * 16)
    assert tab.reloaded.wait(WAIT)


def test_a_tab_that_connects_after_the_rebuild_of_its_page_still_reloads(served, site):
    _, body, _ = served.get(PAGE)
    page, version, session = re.search(r'data-page="([^"]*)" data-version="(\d+)" data-session="(\w+)"', body).groups()
    edit(site, "在连接之前的修改。")
    served.wait_for("^rebuilt")
    assert Tab(served.port, page, version, session).reloaded.wait(WAIT)


# --- a broken file ---------------------------------------------------------------------------------------------------

def test_a_broken_file_shows_its_error_in_place_of_the_page_until_fixed(served, site, newsletter):
    path = site / ARTICLE
    good = path.read_text(encoding="utf-8")
    tab = served.watch(PAGE)
    path.write_text(good.replace("title: ", "title: [未闭合", 1), encoding="utf-8")
    assert tab.reloaded.wait(WAIT)
    checked = newsletter("check", "--site", site).err.splitlines()
    said = checked[0].removeprefix("error: ")  # file, line and message, as `newsletter check` says them
    assert said.startswith("content/issues/2017-02/market-a.md:") and checked[1].startswith("    hint: ")
    status, body, _ = served.get(PAGE)
    assert status == 500 and "构建出错" in body
    assert html.escape(said) in body and html.escape(checked[1].removeprefix("    hint: ")) in body
    assert '<script src="/__live__/live.js"' in body  # so that the fix brings the page back
    served.wait_for(re.escape(checked[0]), served.err)
    # Saved again, still broken: the terminal does not say it again.
    broken_tab = served.watch(PAGE)
    path.write_text(good.replace("title: ", "title: [未闭合", 1) + "\n", encoding="utf-8")
    assert broken_tab.reloaded.wait(WAIT)
    assert served.err.count(checked[0]) == 1
    # Fixed: the page comes back by itself.
    fixed_tab = served.watch(PAGE)
    path.write_text(good, encoding="utf-8")
    assert fixed_tab.reloaded.wait(WAIT)
    assert served.get(PAGE)[0] == 200
    served.wait_for("^the errors are fixed")
    assert served.process.poll() is None


# --- only the output's files -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", [
    "/../site.yaml", "/%2e%2e/site.yaml", "/%2E%2E/site.yaml", "/..%2fsite.yaml", "/..%2Fsite.yaml",
    "/issues/..%2f..%2fsite.yaml", "/issues/%2e%2e/%2e%2e/site.yaml", "/..\\site.yaml", "/%5c..%5csite.yaml",
    "/.newsletter-output", "/issues/./index.html", "/%00", "/%ff%fe",
])
def test_paths_that_leave_the_output_are_refused(served, path):
    status, body, _ = served.get(path)
    assert status in (403, 404), (path, status)
    assert "title:" not in body and "site_url" not in body


def test_a_link_out_of_the_output_is_refused_and_no_folder_is_listed(served, site):
    output = site / ".cache/serve/output"
    (output / "escape").symlink_to(site)
    (output / "secret.yaml").symlink_to(site / "site.yaml")
    (output / "empty").mkdir()
    assert served.get("/escape/site.yaml")[0] == 403
    assert served.get("/secret.yaml")[0] == 403
    assert served.get("/empty/")[0] == 404  # a folder without index.html: no listing
    assert served.get("/issues")[0] == 301  # a folder named without its slash: redirected to it


def test_url_paths_are_checked_part_by_part():
    for bad in ("/../x", "/a/%2e%2e/x", "/a%2f..%2fx", "/a\\b", "//x", "/.hidden", "relative"):
        with pytest.raises(Refused):
            local_path(bad)
    assert local_path("/issues/2017-18/") == ["issues", "2017-18", ""]
    assert local_path("/%E6%94%BF%E7%AD%96/") == ["政策", ""]


def test_find_follows_links_only_inside(tmp_path):
    folder = tmp_path / "out"
    (folder / "a").mkdir(parents=True)
    (folder / "a/index.html").write_text("x", encoding="utf-8")
    (folder / "inner").symlink_to(folder / "a")
    (folder / "outer").symlink_to(tmp_path)
    (tmp_path / "secret.txt").write_text("x", encoding="utf-8")
    assert find(folder, ["inner", ""]) == ((folder / "a/index.html").resolve(), False)
    assert find(folder, ["outer", "out", "a", "index.html"])[0] == (folder / "a/index.html").resolve()  # back inside
    with pytest.raises(Refused):
        find(folder, ["outer", "secret.txt"])
    assert find(folder, ["a"]) == (None, True)
    assert find(folder, ["nothing"]) == (None, False)


# --- starting and stopping -------------------------------------------------------------------------------------------

def test_a_port_in_use_is_said_plainly(served, site):
    second = Served(site, port=served.port)
    assert second.process.wait(timeout=WAIT) == 2
    second.wait_for(rf"^error: port {served.port} on 127\.0\.0\.1 is in use", second.err)
    second.wait_for("hint: choose another with --port", second.err)


def children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(child) for child in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_stops_it_cleanly_with_nothing_left_running(site, signum):
    server = Served(site).ready()
    edit(site, "让它排版预览。")  # a PDF preview starts in a process of its own
    server.wait_for("^rebuilt")
    helpers = children(server.process.pid)
    assert server.stop(signum) == 0
    server.wait_for("^stopped")
    time.sleep(0.2)
    assert not [pid for pid in helpers if Path(f"/proc/{pid}").exists()
                and "zombie" not in (Path(f"/proc/{pid}/status").read_text())]
    assert not any(path.name.startswith(".") and path.name.endswith(".part")
                   for path in (site / ".cache/serve").rglob("*"))
    assert not list(site.parent.glob("*.new")) and not list((site / ".cache/serve").glob("output.*"))


# --- the PDF preview -------------------------------------------------------------------------------------------------

def test_the_issue_pdf_is_typeset_aside_and_its_page_reloads_when_ready(served, site):
    served.wait_for("^PDF of 2017-03 ready")  # the newest issue's, after the first build
    status, data, headers = served.get("/pdf/2017-03.pdf")
    assert status == 200 and headers["content-type"] == "application/pdf"
    issue = served.watch("/issues/2017-02/")
    edit(site, "改动后重新排版。")
    assert issue.reloaded.wait(WAIT)  # the rebuild changed the issue page? then again when the PDF is done
    served.wait_for("^PDF of 2017-02 ready")
    status, _, headers = served.get("/pdf/2017-02.pdf")
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert (site / ".cache/serve/pdf/2017-02.pdf").read_bytes().startswith(b"%PDF-")


def test_a_newer_change_stops_a_stale_preview_and_sets_its_issue_again(tmp_path):
    from builder.serve.previews import Previews

    board, lines = state.Board(), []
    previews = Previews(tmp_path, tmp_path / "pdf", True, board, lines.append)
    previews.command = lambda order: [sys.executable, "-c", "import time; time.sleep(60)"]
    previews.request(["2017-01"])
    first = previews._process
    assert board.refreshing == {"2017-01"}
    previews.request(["2017-02"])
    assert first.wait(timeout=WAIT) != 0  # stopped, not left to finish stale work
    assert previews._pending == ["2017-02", "2017-01"]  # the newer first, the interrupted one set again
    assert board.refreshing == {"2017-02", "2017-01"}
    assert previews.stop() == ["2017-02", "2017-01"]


def test_the_board_tells_a_tab_only_what_concerns_its_page():
    board = state.Board()
    board.publish({"issues/a/index.html"})
    [first] = board.after(0)
    assert state.concerns(first, "issues/a/index.html", 0) and not state.concerns(first, "index.html", 0)
    assert not state.concerns(first, "issues/a/index.html", 1)  # served after it: already shows it
    board.publish(set(), (object(),))  # broken: every page shows the error
    assert state.concerns(board.after(1)[0], "index.html", 1)
    assert board.after(board.version, 0.05) == []  # nothing new: waited, then nothing
    for _ in range(state.KEPT + 5):
        board.tell({"x.html"})
    [lost] = board.after(1)  # no longer all kept: every page reloads
    assert lost["everything"] and lost["version"] == board.version


def test_a_late_tab_asks_once_what_it_missed(served, site):
    other = served.watch(OTHER_PAGE)
    _, body, _ = served.get(PAGE)
    page, version, session = re.search(r'data-page="([^"]*)" data-version="(\d+)" data-session="(\w+)"', body).groups()
    edit(site, "这一句在标签页连接之前。")
    served.wait_for("^rebuilt")
    status, missed, headers = served.get(f"/__live__/since?version={version}&session={session}")
    assert status == 200 and headers["content-type"] == "application/json"
    assert any(state.concerns(outcome, page, int(version)) for outcome in json.loads(missed))
    assert not other.reloaded.is_set()


def until(server: Served, path: str, done) -> tuple[int, str]:
    """The page once `done(status, body)`, asked again while a rebuild that follows the first
    may still be on its way (a folder made, then a file written into it: two events)."""
    deadline = time.monotonic() + WAIT
    while True:
        status, body, _ = server.get(path)
        if done(status, body) or time.monotonic() > deadline:
            return status, body
        time.sleep(0.1)


# --- what a second reader found --------------------------------------------------------------------------------------

def test_a_pdf_that_cannot_be_made_says_why_once_and_is_not_tried_again_and_again(served, site):
    assert served.get("/pdf/2099-01.pdf")[0] == 404  # no such issue: nothing typeset
    tab = served.watch("/issues/2017-02/")
    write(site / "content/issues/2017-02/odd.md", article(title="怪字", date="2017-01-12", body="\U000F0000\n"))
    assert tab.reloaded.wait(WAIT)  # its page changed, or the PDF's state did
    served.wait_for("^the PDF of 2017-02 was not made")
    status, body, _ = served.get("/pdf/2017-02.pdf")
    assert status == 500 and "未能排版" in body and "in no installed font" in body
    time.sleep(2)
    assert served.get("/pdf/2017-02.pdf")[0] == 500
    time.sleep(1)
    assert len([line for line in served.out if line.startswith("the PDF of 2017-02 was not made")]) == 1


def test_a_template_that_fails_when_it_runs_shows_where_and_the_server_goes_on(served, site):
    tab = served.watch(PAGE)
    write(site / "templates/404.html", '{% extends "base.html" %}{% block main %}{{ 1 // 0 }}{% endblock %}')
    assert tab.reloaded.wait(WAIT)
    status, body = until(served, PAGE, lambda status, _: status == 500)
    assert "templates/404.html:1: this template fails when it runs (ZeroDivisionError" in body
    assert served.process.poll() is None
    fixed = served.watch(PAGE)
    (site / "templates/404.html").unlink()
    assert fixed.reloaded.wait(WAIT)
    assert served.get(PAGE)[0] == 200


def test_a_page_asked_for_under_another_host_name_is_refused(served):
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=WAIT)
    connection.request("GET", "/", headers={"Host": f"attacker.example:{served.port}"})
    assert connection.getresponse().status == 403  # a page elsewhere, its name pointed here, reads nothing
    assert served.get("/")[0] == 200


def test_a_templates_folder_made_while_serving_is_watched(served, site):
    assert not (site / "templates").exists()
    tab = served.watch(PAGE)
    (site / "templates").mkdir()
    time.sleep(0.5)
    write(site / "templates/article.html", '{% extends "base.html" %}{% block main %}<p>新模板</p>{% endblock %}')
    assert tab.reloaded.wait(WAIT)
    assert "新模板" in until(served, PAGE, lambda _, body: "新模板" in body)[1]


def test_stopped_during_its_first_build_it_still_stops_cleanly(site):
    server = Served(site)
    server.wait_for("^serving ")
    assert server.stop() == 0
