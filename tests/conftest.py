from __future__ import annotations

import gzip
import hashlib
import re
import shutil
from collections.abc import Mapping
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


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's sample site (the May 2017 issue) built once for the test module, in a copy."""
    site = tmp_path_factory.mktemp("sample")
    shutil.copy(ROOT / "site.yaml", site / "site.yaml")
    shutil.copytree(ROOT / "content", site / "content")
    assert main(["build", "--site", str(site)]) == 0
    return site


@pytest.fixture(scope="module")
def sample_pdf(sample: Path) -> Path:
    return sample / "output" / "pdf" / "2017-18.pdf"


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


# Pagefind (the search index) writes the values of a filter in no fixed order, and names its
# filter and meta files, and the entry that lists them, after their bytes: two runs on the
# same pages differ there. A filter is compared by the bytes it holds, in any order.
UNORDERED = re.compile(r"^pagefind/[^/]+/(filter/[^/]+\.pf_filter|pagefind\.[^/]+\.pf_meta|pagefind-entry\.json)$")
FILTER = re.compile(r"^pagefind/[^/]+/filter/[^/]+\.pf_filter$")


def comparable(folder: Path, files: Mapping[str, object]) -> dict[str, object]:
    """`files` (a listing of the built `folder`, by name) as any two builds of the same
    sources must agree on it."""
    kept: dict[str, object] = {name: value for name, value in files.items() if not UNORDERED.match(name)}
    if ".newsletter-output" in files:  # the manifest lists those files by name
        listed = (folder / ".newsletter-output").read_text(encoding="utf-8").splitlines()
        kept[".newsletter-output"] = [line for line in listed if not UNORDERED.match(line.strip(' ",'))]
    kept["pagefind/filter/*, in any order"] = sorted(
        sorted(gzip.decompress((folder / name).read_bytes())) for name in files
        if FILTER.match(name))
    return kept
