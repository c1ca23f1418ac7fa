from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A writable copy of the fixture site: two issues, a draft issue, images and attachments."""
    target = tmp_path / "site"
    shutil.copytree(FIXTURES / "site-basic", target)
    return target


@pytest.fixture
def newsletter(capsys: pytest.CaptureFixture[str]):
    """Run the `newsletter` command in-process: newsletter("build", "--site", ...) -> Run."""

    def run(*args: str | Path) -> Run:
        try:
            code = main([str(a) for a in args])
        except SystemExit as exit:  # argparse's usage errors and --help
            code = int(exit.code or 0)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def article(title: str = "标题", date: str = "2017-01-05", source: str = "新华社",
            section: str = "市场热点", extra: str = "", body: str = "正文。") -> str:
    return f"---\ntitle: {title}\ndate: {date}\nsource: {source}\nsection: {section}\n{extra}---\n\n{body}\n"


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` (links not followed) and the digest of its bytes."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}
