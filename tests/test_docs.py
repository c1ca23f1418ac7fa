"""The editors' guide (docs/) works as written: its commands are run in order, file by
file, on a copy of the sample site; its examples of an article build; the error
messages it explains are the builder's own."""

from __future__ import annotations

import queue
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT

DOCS = ROOT / "docs"
GUIDES = sorted(DOCS.glob("*.md"))
NEWSLETTER = [sys.executable, "-m", "builder.cli"]


def blocks(path: Path, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", path.read_text(encoding="utf-8"), re.M | re.S)


def sample_site(tmp_path: Path) -> Path:
    """The sample site as it stands at the root of the repository, copied."""
    site = tmp_path / "site"
    site.mkdir()
    for name in ("content", "themes"):
        shutil.copytree(ROOT / name, site / name)
    for name in ("site.yaml", "subscribers.csv", "suppressed.txt"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, site / name)
    # What `pdftotext -layout` gives for a printed issue (docs/import.md's first step).
    shutil.copy(ROOT / "tests/fixtures/import/2017-05-issue.txt", site / "issue.txt")
    return site


def run_serve(site: Path, arguments: list[str]) -> None:
    """`newsletter serve` as written, on a free port (the last --port given is the one taken),
    until it says it built the site; a preview that never says so fails the test, not hangs it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    errors = site.parent / "serve-stderr.txt"
    with errors.open("w") as stderr:
        process = subprocess.Popen([*NEWSLETTER, *arguments, "--port", str(port)], cwd=site,
                                   stdout=subprocess.PIPE, stderr=stderr, text=True)
    said: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in process.stdout or ():
            said.put(line)
        said.put(None)  # serve stopped: nothing more will come

    threading.Thread(target=read, daemon=True).start()
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 120
        while not any(line.startswith("built ") for line in lines):
            try:
                line = said.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            lines.append(line)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    complaints = errors.read_text(encoding="utf-8")
    assert lines and lines[0].startswith("serving http://127.0.0.1:"), lines
    assert any(line.startswith("built ") for line in lines), f"serve did not build: {lines}\n{complaints}"
    assert "error" not in complaints, complaints
    assert process.returncode == 0, complaints


@pytest.mark.parametrize("guide", GUIDES, ids=lambda p: p.name)
def test_every_command_of_the_guide_works_as_written(guide, tmp_path):
    site = sample_site(tmp_path)
    commands = [line for block in blocks(guide, "sh") for line in block.splitlines() if line.strip()]
    for command in commands:
        arguments = shlex.split(command)
        if arguments[0] != "newsletter":
            subprocess.run(arguments, cwd=site, check=True)
            continue
        if arguments[1] == "serve":
            run_serve(site, arguments[1:])
            continue
        run = subprocess.run([*NEWSLETTER, *arguments[1:]], cwd=site, capture_output=True, text=True)
        assert run.returncode == 0, f"{guide.name}: `{command}` exited {run.returncode}:\n{run.stdout}\n{run.stderr}"


def test_the_guide_has_commands_for_every_step():
    commands = " ".join(block for guide in GUIDES for block in blocks(guide, "sh"))
    for step in ("new issue", "new article", "serve", "check", "build", "send", "import"):
        assert f"newsletter {step}" in commands


def test_the_guides_articles_and_settings_are_what_the_builder_reads(tmp_path, newsletter):
    site = sample_site(tmp_path)
    examples = [text for guide in GUIDES for text in blocks(guide, "markdown")]
    assert len(examples) >= 2
    for number, text in enumerate(examples):
        (site / f"content/issues/2017-18/9{number}-example-{number}.md").write_text(text, encoding="utf-8")
    issue = next(text for text in blocks(DOCS / "reference.md", "yaml") if "total:" in text)
    (site / "content/issues/2017-18/issue.yaml").write_text(issue.replace("draft: true ", "draft: false"),
                                                            encoding="utf-8")
    pdf = next(text for text in blocks(DOCS / "theme.md", "yaml") if text.startswith("pdf:"))
    settings = (site / "site.yaml").read_text(encoding="utf-8")
    settings = re.sub(r"^pdf:\n(?:  .*\n)+", pdf, settings, flags=re.M)
    (site / "site.yaml").write_text(settings, encoding="utf-8")
    run = newsletter("check", "--site", site)
    assert run.code == 0, run.err


def test_the_error_messages_the_guide_explains_are_the_builders_own():
    code = " ".join(path.read_text(encoding="utf-8") for path in (ROOT / "builder").rglob("*.py"))
    code = code.replace('"\n', "").replace("\n", " ")
    explained = re.findall(r"^\| `([^`]+)`", (DOCS / "errors.md").read_text(encoding="utf-8"), re.M)
    assert len(explained) >= 25
    for message in explained:
        words = [part for part in re.split(r"'…'|…", message) if part.strip(" '")]
        for part in words:
            assert part.strip(" '") in code, f"docs/errors.md explains `{message}`, which the builder never says"


def test_the_list_of_every_message_is_the_one_the_code_gives():
    sys.path.insert(0, str(DOCS))
    try:
        import catalogue
    finally:
        sys.path.remove(str(DOCS))
    assert (DOCS / "messages.md").read_text(encoding="utf-8") == catalogue.catalogue(), \
        "docs/messages.md is out of date: run .venv/bin/python docs/catalogue.py"
    assert sum(len(entries) for entries in catalogue.messages().values()) > 100
