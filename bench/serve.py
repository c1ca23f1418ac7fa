#!/usr/bin/env python3
"""How long an editor waits, with `newsletter serve`, from saving an article to seeing it
reloaded in the browser: the median of --edits saves on a copy of the sample site.

    .venv/bin/python bench/serve.py [--edits 20]

The server is started as an editor starts it (`newsletter serve`, its own process). For
each edit a tab is opened as a browser opens it (the page, then its event stream), a
sentence is appended to an article of the sample issue (a different one each time), and
the clock runs until the tab has been told to reload and has fetched the page again with
the new sentence in it. Edits are 0.5 s apart, so that each is a burst of its own.
Target (issue 12): under 300 ms.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def get(port: int, path: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    return connection.getresponse().read().decode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as temporary:
        site = Path(temporary) / "site"
        site.mkdir()
        shutil.copytree(ROOT / "content", site / "content")
        shutil.copy(ROOT / "site.yaml", site / "site.yaml")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen([sys.executable, "-m", "builder.cli", "serve", "--site", str(site), "--port",
                                   str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            assert server.stdout is not None
            for line in server.stdout:
                if line.startswith("built "):
                    break
            articles = sorted((site / "content/issues/2017-18").glob("*.md"))
            times = []
            for number in range(args.edits):
                article = articles[number % len(articles)]
                slug = re.sub(r"^\d+-", "", article.stem)
                page = f"/issues/2017-18/{slug}/"
                found = re.search(r'data-page="([^"]*)" data-version="(\d+)" data-session="(\w+)"', get(port, page))
                assert found, page
                events = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                events.request("GET", "/__live__/events?version={1}&session={2}".format(*found.groups()))
                stream = events.getresponse()
                stream.fp.readline()
                sentence = f"基准测试第{number}次修改。"
                started = time.perf_counter()
                with article.open("a", encoding="utf-8") as file:
                    file.write(f"\n{sentence}\n")
                while True:  # the live script's rule: an outcome naming this page, or everything
                    line = stream.fp.readline()
                    if line.startswith(b"data: "):
                        outcome = json.loads(line[6:])
                        if outcome["everything"] or found.group(1) in outcome["changed"]:
                            break
                body = get(port, page)
                times.append(time.perf_counter() - started)
                assert sentence in body, f"{page} reloaded without the edit"
                events.close()
                time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(f"save -> reloaded page, {len(times)} edits of the sample issue's articles:")
    print(f"  median {statistics.median(times) * 1000:.0f} ms, fastest {min(times) * 1000:.0f} ms, "
          f"slowest {max(times) * 1000:.0f} ms (target: under 300 ms)")


if __name__ == "__main__":
    main()
