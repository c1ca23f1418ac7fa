"""The preview's HTTP side: the built pages, the PDF previews, and the events that make
open tabs reload.

Only files inside the output folder are served: the URL's path is decoded once and
split on `/`; `..`, `.`, empty parts (`//`), hidden names, backslashes and NULs are
refused (403), and so is a file whose real path, links followed, lies outside the
folder. A folder is served by its index.html or not at all: no listings. Every page is
sent with `Cache-Control: no-store` and, if HTML, with the live script put in before
`</body>`; while the site does not build, every page is the error in its place.
"""

from __future__ import annotations

import html
import json
import mimetypes
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from builder import routes
from builder.serve.state import Board

LIVE = "/__live__/"
# A tab waits this long between signs of life on its event stream (a closed tab is noticed then).
PING_SECONDS = 15

LIVE_SCRIPT = """// Put into every page `newsletter serve` serves (never into `newsletter build`'s output):
// the page reloads once a rebuild that changed it is done. One tab of the browser holds the
// event stream (a Web Lock) and passes each outcome on to the others (a BroadcastChannel):
// a browser opens at most six connections to a server, and a stream per tab would use them up.
(() => {
  const data = document.currentScript.dataset;
  const version = Number(data.version);
  if (data.refreshing) {
    const note = document.createElement("div");
    note.setAttribute("role", "status");
    note.textContent = "PDF 正在更新……完成后本页自动刷新";
    note.style.cssText = "position:fixed;right:1em;bottom:1em;z-index:9999;padding:.5em 1em;" +
      "background:#fff8d6;color:#333;border:1px solid #c9a400;border-radius:4px;font-size:14px";
    document.body.appendChild(note);
  }
  const decide = (outcome) => {
    if (outcome.session !== data.session ||
        (outcome.version > version && (outcome.everything || outcome.changed.includes(data.page)))) {
      location.reload();
    }
  };
  const query = new URLSearchParams({ version: data.version, session: data.session });
  const shared = "BroadcastChannel" in self && navigator.locks;
  const channel = shared ? new BroadcastChannel("newsletter-live") : null;
  if (channel) {
    channel.onmessage = (event) => decide(event.data);
    // What happened between this page being served and now, asked once (no connection held).
    fetch("/__live__/since?" + query).then((answer) => answer.json()).then((outcomes) => outcomes.forEach(decide));
  }
  const listen = () => new Promise(() => {
    const events = new EventSource("/__live__/events?" + query);
    events.addEventListener("outcome", (event) => {
      const outcome = JSON.parse(event.data);
      if (channel) channel.postMessage(outcome);
      decide(outcome);
    });
  });
  if (shared) navigator.locks.request("newsletter-live", listen); else listen();
})();
"""

_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
_PDF = re.compile(r"pdf/([A-Za-z0-9][A-Za-z0-9-]*)\.pdf")


@dataclass
class Site:
    """What the handler serves from, and who it tells."""

    root: Path
    output: Path
    pdfs: Path  # the PDF previews
    board: Board
    preview: Callable[[str], None]  # asks for an issue's PDF to be typeset
    issues: Callable[[], list[str]]  # the slugs of the issues built
    loopback: bool = True  # then only requests that name this machine as their Host are answered


class Refused(Exception):
    """A path that tries to leave the folder, or names what is not the site's to show."""


def local_path(url_path: str) -> list[str]:
    """The parts of a URL path (`/issues/2017-18/`: ["issues", "2017-18", ""]); Refused for
    one that could name anything outside the folder, however it is encoded."""
    if "\\" in url_path or not url_path.startswith("/"):
        raise Refused(url_path)
    decoded = unquote(url_path, errors="strict")
    parts = decoded[1:].split("/")
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if (part == "" and not last) or part in (".", "..") or part.startswith(".") or "\\" in part or "\0" in part:
            raise Refused(url_path)
    return parts


def find(folder: Path, parts: list[str]) -> tuple[Path | None, bool]:
    """(the file `parts` names in `folder`, links followed and still inside it; None if there
    is none), and whether the URL names a folder without its final slash (to redirect).
    Refused for a link that leads out."""
    top = folder.resolve()
    target = top.joinpath(*parts)
    try:
        real = target.resolve(strict=True)
    except (OSError, RuntimeError):
        return None, False
    if real != top and top not in real.parents:
        raise Refused("/".join(parts))
    if real.is_dir():
        if parts and parts[-1] != "":
            return None, True
        index = (real / "index.html").resolve()
        if not index.is_file() or top not in index.parents:
            return None, False
        return index, False
    return (real, False) if real.is_file() else (None, False)


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._answer(send_body=True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._answer(send_body=False)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # the terminal says what was rebuilt, not every request

    def _answer(self, send_body: bool) -> None:
        site = self.server.site
        version = site.board.version  # before the page is read: a rebuild meanwhile reloads it
        if site.loopback and not _this_machine(self.headers.get("Host", "")):
            # A web page elsewhere whose name was made to point here (DNS rebinding) reads nothing.
            self._text(403, "拒绝访问：预览只对本机开放。", send_body)
            return
        split = urlsplit(self.path)
        if split.path.startswith(LIVE):
            self._live(split.path[len(LIVE):], parse_qs(split.query), send_body)
            return
        try:
            parts = local_path(split.path)
            pdf = _PDF.fullmatch("/".join(parts))
            if pdf is not None:
                self._pdf(pdf.group(1), send_body, version)
                return
            found, slash = find(site.output, parts)
        except (Refused, UnicodeDecodeError):
            self._text(403, "拒绝访问：这个地址不在本站之内。", send_body)
            return
        if slash:
            self.send_response(301)
            self.send_header("Location", split.path + "/" + (f"?{split.query}" if split.query else ""))
            self.end_headers()
            return
        page = "/".join(parts) + ("index.html" if not parts or parts[-1] == "" else "")
        if site.board.errors and (found is None or found.suffix == ".html"):
            self._html(500, _error_page(site), page, send_body, version)
        elif found is None:
            missing = site.output / "404.html"
            data = missing.read_bytes() if missing.is_file() else "<!doctype html><title>找不到页面</title>" \
                "<body><p>找不到页面。</p></body>".encode()
            self._html(404, data, page, send_body, version)
        elif found.suffix == ".html":
            self._html(200, found.read_bytes(), page, send_body, version)
        else:
            self._bytes(200, found.read_bytes(), _content_type(found.name), send_body)

    def _pdf(self, slug: str, send_body: bool, version: int) -> None:
        """The issue's PDF as last typeset; while it is being set, or has never been, a page
        that says so (and reloads once it is done); if the last try failed, why."""
        site = self.server.site
        if slug not in site.issues():
            self._text(404, "找不到页面：没有这一期。", send_body)
            return
        path, errors, page = site.pdfs / f"{slug}.pdf", site.pdfs / f"{slug}.errors", routes.pdf(slug)
        if slug not in site.board.refreshing:
            if errors.is_file() and (not path.is_file() or errors.stat().st_mtime_ns >= path.stat().st_mtime_ns):
                body = (f"<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>{slug}.pdf 未能排版"
                        f"</title><body><h1>{slug}.pdf 未能排版</h1><pre>{html.escape(errors.read_text('utf-8'))}"
                        "</pre><p>改正后保存，PDF 会重新排版，本页自动刷新。</p></body></html>")
                self._html(500, body.encode("utf-8"), page, send_body, version)
                return
            if path.is_file():
                self._bytes(200, path.read_bytes(), "application/pdf", send_body)
                return
            if send_body:  # never typeset yet: now (a HEAD asks for nothing to be done)
                site.preview(slug)
        body = (f"<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>正在排版 {slug}.pdf</title>"
                f"<body><p>正在排版 {slug}.pdf，完成后本页自动显示 PDF。</p></body></html>")
        self._html(202, body.encode("utf-8"), page, send_body, version)

    def _live(self, what: str, query: dict[str, list[str]], send_body: bool) -> None:
        board = self.server.site.board
        try:
            since = int(query.get("version", ["0"])[0])
        except ValueError:
            since = 0
        if query.get("session", [""])[0] != board.session:
            since = -1  # a page of an earlier server: every outcome concerns it (another session)
        if what == "live.js":
            self._bytes(200, LIVE_SCRIPT.encode("utf-8"), "text/javascript; charset=utf-8", send_body)
        elif what == "since":
            self._bytes(200, json.dumps(board.after(max(since, 0)) if since >= 0 else board.after(-1)).encode(),
                        "application/json", send_body)
        elif what == "events":
            self._events(max(since, -1))
        else:
            self._text(404, "找不到页面。", send_body)

    def _events(self, since: int) -> None:
        """The outcomes after `since`, as they come, until the tab goes away or the server stops."""
        board = self.server.site.board
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        try:
            self.wfile.write(b": connected\n\n")
            self.wfile.flush()
            while not board.closed:
                outcomes = board.after(since, PING_SECONDS)
                for outcome in outcomes:
                    self.wfile.write(f"event: outcome\ndata: {json.dumps(outcome)}\n\n".encode())
                    since = max(since, int(outcome["version"]))  # type: ignore[call-overload]
                if not outcomes:
                    self.wfile.write(b": ping\n\n")
                self.wfile.flush()
        except OSError:
            pass  # the tab was closed

    def _html(self, status: int, data: bytes, page: str, send_body: bool, version: int) -> None:
        board = self.server.site.board
        refreshing = any(page == routes.issue_page(slug) or page == routes.pdf(slug) for slug in board.refreshing)
        script = (f'<script src="{LIVE}live.js" data-page="{html.escape(page)}" data-version="{version}" '
                  f'data-session="{board.session}"' + (' data-refreshing="1"' if refreshing else "")
                  + "></script>").encode("utf-8")
        ends = list(_BODY_END.finditer(data))
        data = data[:ends[-1].start()] + script + data[ends[-1].start():] if ends else data + script
        self._bytes(status, data, "text/html; charset=utf-8", send_body)

    def _text(self, status: int, text: str, send_body: bool) -> None:
        self._bytes(status, text.encode("utf-8"), "text/plain; charset=utf-8", send_body)

    def _bytes(self, status: int, data: bytes, content_type: str, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if send_body:
            try:
                self.wfile.write(data)
            except OSError:
                pass  # the browser went away


# The names of this machine: serving on one of them is serving to this machine only.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _this_machine(host: str) -> bool:
    """Whether a Host header names this machine (any of LOOPBACK, any port), or is absent."""
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    return name.lower() in (*LOOPBACK, "")


def _content_type(name: str) -> str:
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") or guessed.endswith(("+xml", "/xml")) \
        else guessed


def _error_page(site: Site) -> bytes:
    errors = site.board.errors
    items = []
    for error in errors:
        text = error.format(site.root)
        message, _, hint = text.partition("\n    hint: ")
        items.append(f"<li><pre>{html.escape(message)}</pre>"
                     + (f"<p>提示（hint）：{html.escape(hint)}</p>" if hint else "") + "</li>")
    return (f"<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>构建出错</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
            "h1{color:#a00}li{margin:1em 0}pre{white-space:pre-wrap;background:#fff3f3;padding:.5em;"
            "border-left:4px solid #a00}</style></head><body>"
            f"<h1>构建出错：{len(errors)} 个错误</h1><p>改正后保存，本页会自动恢复。与 <code>newsletter check</code> "
            f"所报相同：</p><ol>{''.join(items)}</ol></body></html>").encode()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], site: Site) -> None:
        self.site = site
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        thread.start()
        return thread
