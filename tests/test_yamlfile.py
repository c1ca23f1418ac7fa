import datetime
from pathlib import Path

import pytest
import yaml

from builder.errors import ErrorLog
from builder.files import read_text
from builder.source import yamlfile
from builder.source.yamlfile import parse_yaml


# Every test runs with libyaml's parser, where PyYAML has it, and with the pure-Python one
# alone, as on a PyYAML built without libyaml: the two must give the same answers.
@pytest.fixture(autouse=True, params=["libyaml", "pure-python"])
def reader(request, monkeypatch):
    if request.param == "libyaml" and not yaml.__with_libyaml__:
        pytest.skip("this PyYAML was built without libyaml")
    monkeypatch.setattr(yamlfile, "LIBYAML", request.param == "libyaml")
    return request.param


def parsed(text: str, first_line: int = 1) -> tuple[object, list[str]]:
    """(data and lines, or None; the errors as printed)."""
    log = ErrorLog()
    doc = parse_yaml(text, Path("a.md"), log, first_line)
    return (doc.data, doc.lines) if doc is not None else None, [e.format() for e in log.errors]


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


SETTINGS = """\
# comment
title: 节能减排信息动态   # trailing comment
number: 18
ratio: 1.5
draft: no
empty:
nothing: ~
date: 2017-05-05
quoted: '它''s'
escaped: "附件\\u00e9 \\x41"
folded: 第一行
  第二行

  第三段
tags: [碳市场, "政策", {a: b}, [c]]
pdf:
  closing:
  - line one
  - - nested
    - 2
  ? explicit
  : value
list:
- a: 1
  b: [x,
      y]
-
- last
"""


def test_a_document_of_every_kind_of_value_and_its_lines():
    data, lines = parsed(SETTINGS, first_line=2)[0]
    assert data == {
        "title": "节能减排信息动态", "number": 18, "ratio": 1.5, "draft": False, "empty": None, "nothing": None,
        "date": datetime.date(2017, 5, 5), "quoted": "它's", "escaped": "附件é A", "folded": "第一行 第二行\n第三段",
        "tags": ["碳市场", "政策", {"a": "b"}, ["c"]],
        "pdf": {"closing": ["line one", ["nested", 2]], "explicit": "value"},
        "list": [{"a": 1, "b": ["x", "y"]}, None, "last"],
    }
    assert (lines[("title",)], lines[("empty",)], lines[("folded",)], lines[("tags", 2, "a")]) == (3, 7, 12, 16)
    assert (lines[("pdf", "closing", 1, 1)], lines[("pdf", "explicit")], lines[("list", 0, "b", 1)]) == (21, 23, 27)
    assert (lines[("list", 1)], lines[("list", 2)]) == (28, 29)


@pytest.mark.parametrize("text, error", [
    # libyaml's own words differ ("mapping values are not allowed in this context"): the
    # editor gets PyYAML's, as always.
    ("title: a: b\n", "a.md:1: this is not valid YAML: mapping values are not allowed here"),
    ("tags: [a, b\n", "a.md:2: this is not valid YAML: expected ',' or ']', but got '<stream end>'"),
    ("title: 'a\n", "a.md:2: this is not valid YAML: found unexpected end of stream"),
    ("a: b\n---\nc: d\n", "a.md:2: this is not valid YAML: but found another document"),
    # Where libyaml reads the text otherwise than PyYAML, PyYAML's reading counts: a tab,
    # a byte order mark after the start, a '?' within brackets, what follows a | or >, a
    # tag, a directive.
    ("source: 上海环境\t能源交易所\n", "a.md:1: this is not valid YAML: found character '\\t' that cannot start any token"),
    ("title: a\n\ufeffsource: b\n", None),
    ("attachments:\n  - {tit? le: b, url: c.pdf}\n", "a.md:2: this is not valid YAML: expected ',' or '}', but got '?'"),
    ("tags: [a?b]\n", "a.md:1: this is not valid YAML: expected ',' or ']', but got '?'"),
    ("summary: >-#\n  text\n", "a.md:1: this is not valid YAML: expected chomping or indentation indicators, but found '#'"),
    ("s: !@!str 12\n", "a.md:1: this is not valid YAML: expected '!', but found '@'"),
    ("%YAML 1.1#2\n---\na: b\n", "a.md:1: this is not valid YAML: expected a digit or ' ', but found '#'"),
])
def test_invalid_yaml_is_reported_in_pyyamls_words_at_its_line(text, error):
    data, errors = parsed(text)
    if error is None:
        assert data == ({"title": "a", "\ufeffsource": "b"}, {(): 1, ("title",): 1, ("\ufeffsource",): 2})
    else:
        assert data is None and [e.split("\n")[0] for e in errors] == [error]


@pytest.mark.parametrize("text, lines", [
    # An empty value: libyaml places it at the next ',' or '}', or, at the very end of a
    # text without a last line break, on a line of its own; PyYAML where it was left out.
    ("a: {b:\n, c: d}\n", {(): 1, ("a",): 1, ("a", "b"): 1, ("a", "c"): 2}),
    ("a: [b: \n]\n", {(): 1, ("a",): 1, ("a", 0): 1, ("a", 0, "b"): 1}),
    ("a: b\n? c", {(): 1, ("a",): 1, ("c",): 2}),
])
def test_an_empty_value_is_on_the_line_where_it_was_left_out(text, lines):
    assert parsed(text)[0][1] == lines


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))
ANCHORS = "a.md:{}: YAML anchors and aliases (&name, *name) are not allowed here"
NESTED = "a.md:{}: the YAML is nested more than 16 levels deep"


@pytest.mark.parametrize("text, error", [
    (BOMB, ANCHORS.format(1)),
    ("title: x\ntags: *t\n", ANCHORS.format(2)),  # an alias without its anchor
    ("tags: &t [*t]\n", ANCHORS.format(1)),
    ("tags: " + "[" * 100_000 + "]" * 100_000 + "\n", NESTED.format(1)),
    ("tags: " + "[" * 100_000 + "\n", NESTED.format(1)),
    ("{" * 100_000, NESTED.format(1)),
    ("- " * 100_000 + "x\n", NESTED.format(1)),
    ("".join(" " * i + "a:\n" for i in range(1000)), NESTED.format(17)),
    ("a: " + "[" * 16 + "]" * 16 + "\n", NESTED.format(1)),  # the mapping is the first level
    ("a: b\x00\n", "a.md:1: this is not valid YAML: special characters are not allowed"),
    ("a: b\nc: \ud800\n", "a.md:2: this is not valid YAML: special characters are not allowed"),
    ('a: b\nc: "\\U00110000"\n', "a.md:2: this is not valid YAML: found invalid Unicode character escape code"),
    ('a: "\\UFFFFFFFF"\n', "a.md:1: this is not valid YAML: found invalid Unicode character escape code"),
])
def test_hostile_yaml_is_an_error_at_its_line_not_a_crash(text, error):
    data, errors = parsed(text)
    assert data is None and [e.split("\n")[0] for e in errors] == [error]


def test_sixteen_levels_are_enough():
    data = parsed("a: " + "[" * 15 + "]" * 15 + "\n")[0][0]
    assert data["a"] == [[[[[[[[[[[[[[[]]]]]]]]]]]]]]]


def test_a_line_of_ten_megabytes_is_read():
    assert parsed("title: " + "碳" * 3_500_000 + "\nsource: x\n")[0][0]["source"] == "x"


@pytest.mark.parametrize("text, data", [
    ("order: !!int\n", {"order": ""}),  # PyYAML: IndexError
    ("draft: !!bool maybe\n", {"draft": "maybe"}),  # KeyError
    ("date: !!timestamp soon\n", {"date": "soon"}),  # AttributeError
    ("a: !!float x\nb: !!int 0x\n", {"a": "x", "b": "0x"}),  # ValueError
])
def test_a_value_not_what_its_tag_says_is_kept_as_text_for_the_schema_to_report(text, data):
    assert parsed(text) == ((data, {(): 1, **{(k,): i for i, k in enumerate(data, start=1)}}), [])


def test_a_key_of_a_tag_that_does_not_fit_is_not_a_plain_word():
    assert parsed("? !!int\n: x\n")[1] == ["a.md:1: a key must be a plain word"]
