"""builder/source/fields.py: the values of site.yaml, issue.yaml and front matter checked
against their fields, each problem reported with its key and line."""

import datetime as dt
from pathlib import Path

import pytest

from builder.errors import ErrorLog
from builder.source.fields import Field, parse_date, read_fields
from builder.source.yamlfile import parse_yaml

SPEC = {
    "title": Field("text", required=True, hint="add a line 'title: …' to the front matter"),
    "source": Field("text", required=True),
    "number": Field("int", least=1, most=999),
    "total": Field("int", least=1),
    "page": Field("int", most=9),
    "draft": Field("bool"),
    "date": Field("date"),
    "tags": Field("texts"),
    "attachments": Field("list"),
    "pdf": Field("mapping"),
}


def read(text: str, spec=SPEC, first_line: int = 2, at=(), what=""):
    """The values read from `text` (front matter starting at line 2 of a.md), and the messages as an editor sees them."""
    log = ErrorLog()
    doc = parse_yaml(text, Path("a.md"), log, first_line=first_line)
    assert doc is not None, log.errors
    values = read_fields(doc, spec, log, at, what)
    return values, [e.format() for e in log.errors]


def test_values_of_every_kind_are_read():
    values, errors = read("title: 碳市场周报\nsource: 新华社\nnumber: '18'\ntotal: 106\npage: 3\ndraft: true\n"
                          "date: 2017年5月3日\ntags: [碳市场, 2017]\nattachments:\n  - title: 附件\npdf:\n  columns: 1\n")
    assert errors == []
    assert values == {"title": "碳市场周报", "source": "新华社", "number": 18, "total": 106, "page": 3, "draft": True,
                      "date": dt.date(2017, 5, 3), "tags": ("碳市场", "2017"), "attachments": [{"title": "附件"}],
                      "pdf": {"columns": 1}}


def test_text_that_yaml_reads_as_a_number_or_date_is_kept_as_written():
    values, errors = read("title: 2017\nsource: 2017-05-03\n")
    assert errors == []
    assert values["title"] == "2017" and values["source"] == "2017-05-03"


def test_text_around_a_value_is_trimmed_and_one_tag_may_stand_alone():
    values, errors = read("title: '  碳市场  '\nsource: 新华社\ntags: 碳市场\n")
    assert errors == []
    assert values["title"] == "碳市场" and values["tags"] == ("碳市场",)


@pytest.mark.parametrize("line, message", [
    ("number: 十八", "a.md:4: 'number' should be a whole number, not '十八'"),
    ("number: 1.5", "a.md:4: 'number' should be a whole number, not 1.5"),
    ("number: true", "a.md:4: 'number' should be a whole number, not True"),
    ("draft: 'yes'", "a.md:4: 'draft' should be true or false, not 'yes'"),
    ("draft: 1", "a.md:4: 'draft' should be true or false, not 1"),
    ("date: 2017-02-30", "a.md:4: 'date' should be a date such as 2017-05-03, not '2017-02-30'"),
    ("date: 下周一", "a.md:4: 'date' should be a date such as 2017-05-03, not '下周一'"),
    ("tags: [[碳市场]]", "a.md:4: 'tags' should be a list of texts, not [['碳市场']]"),
    ("attachments: plan.pdf", "a.md:4: 'attachments' should be a list, not 'plan.pdf'"),
    ("pdf: [1, 2]", "a.md:4: 'pdf' should be a list of 'key: value' lines, not [1, 2]"),
    ("source: [新华社, 人民网]", "a.md:3: 'source' should be text, not ['新华社', '人民网']"),
])
def test_a_value_of_the_wrong_kind_is_an_error_at_its_line(line, message):
    text = "title: 标题\nsource: 新华社\n" + line + "\n"
    if line.startswith("source:"):
        text = "title: 标题\n" + line + "\n"
    values, errors = read(text)
    assert values is None
    assert errors == [message]


def test_a_long_wrong_value_is_quoted_shortened():
    values, errors = read("title: 标题\nsource: 新华社\nnumber: " + "长" * 10_000 + "\n")
    assert values is None
    assert errors == ["a.md:4: 'number' should be a whole number, not '" + "长" * 56 + "…"]


@pytest.mark.parametrize("line, message", [
    ("number: 0", "a.md:4: 'number' should be a whole number from 1 to 999, not 0"),
    ("number: 1000", "a.md:4: 'number' should be a whole number from 1 to 999, not 1000"),
    ("total: -3", "a.md:4: 'total' should be a whole number of at least 1, not -3"),
    ("page: 10", "a.md:4: 'page' should be a whole number of at most 9, not 10"),
])
def test_whole_numbers_outside_their_bounds_are_errors(line, message):
    values, errors = read("title: 标题\nsource: 新华社\n" + line + "\n")
    assert values is None
    assert errors == [message]


def test_bounds_themselves_are_accepted():
    values, errors = read("title: 标题\nsource: 新华社\nnumber: 999\ntotal: 1\npage: 9\n")
    assert errors == []
    assert (values["number"], values["total"], values["page"]) == (999, 1, 9)


@pytest.mark.parametrize("text", ["source: 新华社\n", "title:\nsource: 新华社\n", "title: ''\nsource: 新华社\n"])
def test_a_required_field_left_out_or_without_a_value_is_missing(text):
    values, errors = read(text)
    assert values is None
    # At the line where the mapping starts, with the field's own hint.
    assert errors == ["a.md:2: 'title' is missing\n    hint: add a line 'title: …' to the front matter"]


def test_a_required_field_without_a_hint_says_which_line_to_add():
    values, errors = read("title: 标题\n")
    assert errors == ["a.md:2: 'source' is missing\n    hint: add a line 'source: …'"]


def test_text_of_only_spaces_is_empty_and_counts_as_missing():
    values, errors = read("title: 标题\nsource: '　 '\n")  # an ideographic space and a space
    assert values is None
    assert errors == ["a.md:3: 'source' is empty\n    hint: write something after 'source:'"]


def test_an_optional_field_left_empty_is_simply_absent():
    values, errors = read("title: 标题\nsource: 新华社\nnumber:\ntags: ['', ' ']\ndate: ''\n")
    assert errors == []
    assert values == {"title": "标题", "source": "新华社"}


def test_an_unknown_key_is_an_error_with_a_suggestion():
    values, errors = read("title: 标题\nsource: 新华社\nsoruce: 人民网\n")
    assert values is None
    assert errors == ["a.md:4: unknown key 'soruce'\n    hint: did you mean 'source'?"]


def test_an_unknown_key_like_no_known_one_lists_the_known_keys():
    values, errors = read("title: 标题\nsource: 新华社\n作者: 张三\n", {"title": Field("text"), "source": Field("text")})
    assert errors == ["a.md:4: unknown key '作者'\n    hint: the known keys are: title, source"]


@pytest.mark.parametrize("value, code", [
    (r'"碳\0价"', "U+0000"),  # an escape YAML turns into a control character
    (r'"碳\a价"', "U+0007"),
    ('"碳\u200b价"', "U+200B"),  # zero width space
    ('"碳\u202e价"', "U+202E"),  # right-to-left override
    ('"碳\ufeff价"', "U+FEFF"),
])
def test_invisible_and_control_characters_are_refused(value, code):
    values, errors = read(f"title: {value}\nsource: 新华社\n")
    assert values is None
    assert errors == [f"a.md:2: 'title' holds the invisible character {code}, which would hide or disguise what "
                      "readers see\n    hint: delete it: it may have come with pasted text, or be written as an "
                      "escape such as \\0"]


def test_an_invisible_character_in_one_item_of_a_list_is_refused():
    values, errors = read('title: 标题\nsource: 新华社\ntags: [碳市场, "履约\u2066"]\n')
    assert values is None
    assert [e.split(",")[0] for e in errors] == ["a.md:4: 'tags' holds the invisible character U+2066"]


def test_joiners_that_make_emoji_are_not_refused():
    family = "\U0001F468\u200d\U0001F469\u200d\U0001F467"
    values, errors = read(f"title: 一家{family}\nsource: 新华社\n")
    assert errors == []
    assert values["title"] == f"一家{family}"


def test_every_problem_of_a_mapping_is_reported_together():
    values, errors = read("titel: 标题\nnumber: 0\ndraft: 是\n")
    assert values is None
    assert [e.splitlines()[0] for e in errors] == [
        "a.md:2: unknown key 'titel'",
        "a.md:2: 'title' is missing",
        "a.md:2: 'source' is missing",
        "a.md:3: 'number' should be a whole number from 1 to 999, not 0",
        "a.md:4: 'draft' should be true or false, not '是'",
    ]


def test_a_nested_mapping_is_named_in_the_messages():
    spec = {"title": Field("text", required=True, hint="give each attachment a 'title'"), "url": Field("text")}
    text = "title: 标题\nattachments:\n  - url: a.pdf\n  - title: 附件二\n    urll: b.pdf\n"
    values, errors = read(text, spec, at=("attachments", 0), what="attachment 1")
    assert values is None
    assert errors == ["a.md:4: 'title' is missing in attachment 1\n    hint: give each attachment a 'title'"]
    values, errors = read(text, spec, at=("attachments", 1), what="attachment 2")
    assert errors == ["a.md:6: unknown key 'urll' in attachment 2\n    hint: did you mean 'url'?"]


def test_something_other_than_a_mapping_is_an_error_at_its_line():
    values, errors = read("title: 标题\nattachments:\n  - a.pdf\n", at=("attachments", 0), what="attachment 1")
    assert values is None
    assert errors == ["a.md:4: expected a list of 'key: value' lines in attachment 1"]


@pytest.mark.parametrize("written", ["2017-05-03", "2017-5-3", "2017.5.3", "2017/05/03", "2017年5月3日", " 2017 年 5 月 3 日 ",
                                     dt.date(2017, 5, 3), dt.datetime(2017, 5, 3, 18, 30)])
def test_dates_as_editors_write_them(written):
    assert parse_date(written) == dt.date(2017, 5, 3)


@pytest.mark.parametrize("written", ["2017-02-30", "2017-13-01", "17-5-3", "2017年5月", "五月三日", 20170503, None, ""])
def test_what_is_no_date(written):
    assert parse_date(written) is None
