from pathlib import Path

from builder.errors import ErrorLog
from builder.files import read_text
from builder.source.yamlfile import parse_yaml


def test_lines_of_keys_and_items_counted_from_the_files_first_line():
    log = ErrorLog()
    doc = parse_yaml("title: 标题\nattachments:\n  - title: 附件\n    url: a.pdf\n", Path("a.md"), log, first_line=2)
    assert not log.errors
    assert doc.line("title") == 2 and doc.line("attachments", 0, "url") == 5
    assert doc.line("attachments", 0, "missing") == 4  # the nearest enclosing value


def test_a_key_given_twice_is_an_error_not_a_silent_override():
    log = ErrorLog()
    assert parse_yaml("date: 2017-05-03\ndate: 2017-05-04\n", Path("a.md"), log) is None
    assert [e.format() for e in log.errors] == ["a.md:2: 'date' is given twice\n    hint: keep one of the two lines"]


def test_impossible_date_is_kept_as_text_for_the_schema_to_report():
    log = ErrorLog()
    assert parse_yaml("date: 2017-02-30\n", Path("a.md"), log).data == {"date": "2017-02-30"}


def test_byte_order_mark_and_windows_line_ends_are_accepted(tmp_path):
    path = tmp_path / "a.md"
    path.write_bytes("\ufefftitle: 标题\r\nsource: 新华社\r\n".encode("utf-8"))
    assert read_text(path, ErrorLog()) == "title: 标题\nsource: 新华社\n"
