"""builder/files.py: every path decoded and resolved before it is checked; only regular files read."""

import os
from pathlib import Path

import pytest

from builder.errors import ErrorLog
from builder.files import Missing, UnsafePath, read_bytes, read_text, reference_path, resolve_reference


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    issue = tmp_path / "site" / "issue"
    (issue / "images").mkdir(parents=True)
    (issue / "images" / "a b.png").write_bytes(b"png")
    (tmp_path / "secret").write_text("secret")
    return issue


def test_a_reference_is_decoded_once_as_a_browser_does():
    assert reference_path("images/a%20b.png#fig") == "images/a b.png"
    assert reference_path("images/%252E%252E/x.png") == "images/%2E%2E/x.png"


@pytest.mark.parametrize("ref", ["images/a%20b.png", "images/a b.png", "./images/../images/a%20b.png"])
def test_references_to_a_file_of_the_folder_resolve(folder, ref):
    assert resolve_reference(ref, folder) == (folder / "images" / "a b.png").resolve()


@pytest.mark.parametrize("ref, words", [
    ("../../secret", "points outside the issue's folder"),
    ("%2E%2E/%2E%2E/secret", "points outside"),
    ("images/..%2F..%2F..%2Fsecret", "points outside"),
    ("/etc/passwd", "is an absolute path"),
    ("..%5C..%5Csecret", "holds a backslash"),
    ("a%00.png", "holds a NUL character"),
    ("images", "is a folder, not a file"),
    ("a" * 300 + ".png", "File name too long"),
])
def test_references_that_are_no_file_of_the_folder_are_refused(folder, ref, words):
    with pytest.raises(UnsafePath, match=words):
        resolve_reference(ref, folder)


def test_links_are_followed_before_the_check(folder):
    (folder / "out.png").symlink_to(folder.parent.parent / "secret")
    (folder / "loop.png").symlink_to(folder / "loop.png")
    (folder / "gone.png").symlink_to(folder / "nothing.png")
    (folder / "inside.png").symlink_to(folder / "images" / "a b.png")
    with pytest.raises(UnsafePath, match="is a link to .*secret, outside the issue's folder"):
        resolve_reference("out.png", folder)
    with pytest.raises(UnsafePath, match="is a loop of links"):
        resolve_reference("loop.png", folder)
    with pytest.raises(Missing, match="is a link to a file that does not exist"):
        resolve_reference("gone.png", folder)
    assert resolve_reference("inside.png", folder).name == "a b.png"


def test_only_regular_files_are_read_and_never_wait(folder):
    os.mkfifo(folder / "pipe.md")
    with pytest.raises(UnsafePath, match="is a named pipe, not a file"):
        read_bytes(folder / "pipe.md")
    with pytest.raises(UnsafePath, match="is a folder"):
        read_bytes(folder / "images")
    (folder / "big.md").write_bytes(b"x" * 2000)
    with pytest.raises(UnsafePath, match="more than"):
        read_bytes(folder / "big.md", limit=1000)


@pytest.mark.parametrize("data, text", [
    (b"a\r\nb\rc\n", "a\nb\nc\n"),
    ("\ufeff标题\n".encode("utf-8"), "标题\n"),
])
def test_text_files_get_one_kind_of_line_break(folder, data, text):
    (folder / "x.md").write_bytes(data)
    assert read_text(folder / "x.md", ErrorLog()) == text


@pytest.mark.parametrize("data, message", [
    (b"ok\nbad\x00\n", "U+0000 (line 2, column 4)"),
    (b"\x0c", "U+000C (line 1, column 1)"),
    ("\ufffe".encode("utf-8"), "U+FFFE"),
    ("标题".encode("gb18030"), "not UTF-8"),
])
def test_text_files_with_invisible_or_undecodable_characters_are_refused(folder, data, message):
    (folder / "x.md").write_bytes(data)
    log = ErrorLog()
    assert read_text(folder / "x.md", log) is None
    assert message in log.errors[0].message
