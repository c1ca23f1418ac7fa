"""builder/mail/subscribers.py: the subscriber list read row by row, every problem with its file and line."""

import os
import socket
from pathlib import Path

import pytest
from email_validator import validate_email

from builder.errors import ErrorLog
from builder.mail.subscribers import Subscriber, SubscriberList, group_filter, load_subscribers


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def load(tmp_path: Path, csv: str, suppressed: str | None = None, encoding: str = "utf-8") -> tuple[SubscriberList, ErrorLog]:
    log = ErrorLog()
    listed = write(tmp_path / "suppressed.txt", suppressed) if suppressed is not None else tmp_path / "suppressed.txt"
    result = load_subscribers(write(tmp_path / "subscribers.csv", csv, encoding), listed, log)
    assert result is not None, log.errors
    assert not log.errors
    return result, log


def failure(tmp_path: Path, data: bytes | str) -> str:
    """The one error of a subscriber list that cannot be used, as printed."""
    path = tmp_path / "subscribers.csv"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    log = ErrorLog()
    assert load_subscribers(path, None, log) is None
    assert len(log.errors) == 1, log.errors
    return log.errors[0].format(tmp_path)


def rejection(tmp_path: Path, csv: str) -> str:
    """The one rejected row of a list, as printed."""
    result, _ = load(tmp_path, csv)
    assert result.subscribers == ()
    assert len(result.rejected) == 1, result.rejected
    return result.rejected[0].format(tmp_path)


def test_valid_rows_in_file_order_with_their_lines(tmp_path):
    result, log = load(tmp_path, "email,name,groups\n"
                                 "zhang.san@Example.ORG , 张三 ,会员;理事\n"
                                 "li@example.org,,\n"
                                 "wang@例子.中国,王五,\n")
    path = tmp_path / "subscribers.csv"
    assert result.subscribers == (
        Subscriber("zhang.san@example.org", "张三", ("会员", "理事"), path, 2),
        Subscriber("li@example.org", "", (), path, 3),
        Subscriber("wang@xn--fsqu00a.xn--fiqs8s", "王五", (), path, 4),  # the form every server takes
    )
    assert result.rejected == result.skipped == ()
    assert not log.warnings


def test_columns_in_any_order_extra_ones_ignored_blank_rows_skipped(tmp_path):
    result, _ = load(tmp_path, "单位, Name ,EMAIL,备注\r\n"
                               "某研究所,赵六,zhao@example.org,x\r\n"
                               ",,,\r\n"
                               "\r\n"
                               "某公司,钱七,qian@example.org\r\n")
    assert [(s.email, s.name, s.groups, s.line) for s in result.subscribers] == [
        ("zhao@example.org", "赵六", (), 2), ("qian@example.org", "钱七", (), 5)]


def test_an_idn_domain_in_ascii_and_in_chinese_is_the_same_address(tmp_path):
    result, _ = load(tmp_path, "email\nwang@xn--fsqu00a.xn--fiqs8s\nWANG@例子.中国\n")
    assert [s.email for s in result.subscribers] == ["wang@xn--fsqu00a.xn--fiqs8s"]
    assert [reason for _, reason in result.skipped] == ["the same address as line 2"]


def test_a_file_without_an_email_column_cannot_be_used(tmp_path):
    assert failure(tmp_path, "mail,name\na@example.org,张三\n") == (
        "subscribers.csv:1: the subscriber list has no 'email' column: its first line is 'mail,name'\n"
        "    hint: name the column of addresses 'email' (and the others 'name' and 'groups')")


def test_a_file_without_a_header_is_told_to_add_one(tmp_path):
    assert "add the line 'email,name,groups' above the first subscriber" in failure(tmp_path, "a@example.org,张三\n")


def test_columns_separated_by_semicolons_are_named_as_the_problem(tmp_path):
    assert "separate the columns by commas" in failure(tmp_path, "email;name\na@example.org;张三\n")


def test_a_column_named_twice_cannot_be_used(tmp_path):
    assert failure(tmp_path, "email,name,Email\n").startswith(
        "subscribers.csv:1: the column 'email' is there twice (columns 1 and 3)")


@pytest.mark.parametrize("address, reason", [
    ("zhang.example.org", "An email address must have an @-sign."),
    ("zhang san@example.org", "invalid characters before the @-sign: SPACE"),
    ("zhang@@example.org", "The part after the @-sign contains invalid characters: '@'."),
    ("zhang@example.org.", "An email address cannot end with a period."),
    ("zhang@localhost", "It should have a period."),
    ("Zhang <zhang@example.org>", "A display name and angle brackets around the email address are not permitted"),
])
def test_bad_addresses_are_rejected_with_email_validators_reason(tmp_path, address, reason):
    result, _ = load(tmp_path, f"email,name\nok@example.org,甲\n{address},张三\nalso@example.org,乙\n")
    assert [s.email for s in result.subscribers] == ["ok@example.org", "also@example.org"]
    [error] = result.rejected
    assert (error.path, error.line) == (tmp_path / "subscribers.csv", 3)
    assert error.format(tmp_path).startswith(f"subscribers.csv:3: '{address}' is not a usable email address: ")
    assert reason in error.message
    assert error.hint == "correct the address, or delete the row"


def test_a_unicode_local_part_is_refused_and_the_rest_kept(tmp_path):
    # It needs a server speaking SMTPUTF8, which many lack, and a 7-bit To header cannot hold it.
    assert validate_email("张三@example.org", check_deliverability=False).normalized == "张三@example.org"
    result, _ = load(tmp_path, "email,name\n张三@example.org,张三\nli@example.org,李四\n")
    assert [s.email for s in result.subscribers] == ["li@example.org"]
    assert result.rejected[0].line == 2 and "is not a usable email address" in result.rejected[0].message


@pytest.mark.parametrize("name", ["=?utf-8?q?x=22_=3Cvictim=40evil=2Eorg=3E=2C_=22y?=", "=?utf-8?q?Bcc=3A_x?=",
                                  "张三 =?UTF-8?B?5byg5LiJ?="])
def test_a_name_written_as_an_encoded_header_word_is_refused(tmp_path, name):
    result, _ = load(tmp_path, f"email,name\nok@example.org,{name}\n")
    assert result.subscribers == ()
    assert "is written as a mail header's encoded word" in result.rejected[0].message


def test_an_empty_address_is_rejected(tmp_path):
    assert rejection(tmp_path, "name,email\n张三,\n") == (
        "subscribers.csv:2: this row has no address in its 'email' column\n"
        "    hint: write the address, or delete the row")


def test_duplicates_in_another_case_keep_the_first_row(tmp_path):
    result, _ = load(tmp_path, "email,name\nLi.Si@Example.org,李四\nzhao@example.org,赵六\nli.si@EXAMPLE.ORG,李四（重复）\n")
    assert [(s.email, s.line) for s in result.subscribers] == [("Li.Si@example.org", 2), ("zhao@example.org", 3)]
    [(duplicate, reason)] = result.skipped
    assert (duplicate.name, duplicate.line, reason) == ("李四（重复）", 4, "the same address as line 2")


def test_a_line_break_in_a_quoted_name_is_rejected_at_the_rows_first_line(tmp_path):
    text = rejection(tmp_path, 'email,name\n"a@example.org","张三\r\nBcc: all@example.org"\n')
    assert text.startswith("subscribers.csv:2: the name '张三\\r\\nBcc: all@example.org' holds a line break: "
                           "in a mail header it could change the message\n")
    assert "this row runs from line 2 to line 3" in text


def test_a_line_break_in_a_quoted_address_is_rejected(tmp_path):
    result, _ = load(tmp_path, 'email,name\n"a@example.org\nb@example.org",张三\nc@example.org,李四\n')
    [error] = result.rejected
    assert error.line == 2
    assert error.message.startswith("the address 'a@example.org\\nb@example.org' holds a line break")
    assert [(s.email, s.line) for s in result.subscribers] == [("c@example.org", 4)]


@pytest.mark.parametrize("name, words", [
    ("张\u200b三", "the invisible character U+200B"),
    ("\u202eabc", "the invisible character U+202E"),
    ("张\x1b[31m三", "the control character U+001B"),
    ("张\u0085三", "a line break"),
    ("张\t三", "a tab"),
])
def test_control_and_invisible_characters_in_a_name_are_rejected(tmp_path, name, words):
    text = rejection(tmp_path, f'email,name\na@example.org,"{name}"\n')
    assert text.startswith("subscribers.csv:2: the name '")
    assert words in text
    assert "\x1b" not in text and "\u202e" not in text  # shown escaped: the terminal is not steered


def test_a_name_over_100_characters_is_rejected_and_spaces_are_trimmed(tmp_path):
    assert "the name is 101 characters long" in rejection(tmp_path, f"email,name\na@example.org,{'长' * 101}\n")
    result, _ = load(tmp_path, f"email,name\na@example.org,\u3000 {'长' * 100} \n")
    assert result.subscribers[0].name == "长" * 100


def test_suppressed_addresses_in_another_case_are_skipped(tmp_path):
    result, log = load(tmp_path, "email,name\nA@Example.org,甲\nb@example.org,乙\n",
                       suppressed="# unsubscribed\n\nZHANG@example.org\na@EXAMPLE.ORG   # bounced 2024-05\n")
    assert [s.email for s in result.subscribers] == ["b@example.org"]
    [(skipped, reason)] = result.skipped
    assert (skipped.email, skipped.line) == ("A@example.org", 2)
    assert reason == "on the suppression list (suppressed.txt line 4)"
    assert not log.warnings


def test_a_suppression_line_that_is_no_address_is_a_warning(tmp_path):
    result, log = load(tmp_path, "email\na@example.org\nb@example.org\n",
                       suppressed="\ufeff# bounced\nnot an address\nb@example.org\n")
    assert [s.email for s in result.subscribers] == ["a@example.org"]
    [warning] = log.warnings
    assert warning.format(tmp_path).startswith("suppressed.txt:2: 'not an address' is not an email address (")
    assert "it suppresses nothing" in warning.message


def test_a_missing_suppression_list_suppresses_nothing(tmp_path):
    result, log = load(tmp_path, "email\na@example.org\n")
    assert not (tmp_path / "suppressed.txt").exists()
    assert len(result.subscribers) == 1 and not log.warnings
    log = ErrorLog()
    assert load_subscribers(tmp_path / "subscribers.csv", None, log) is not None and not log.warnings


def test_a_suppression_list_that_cannot_be_read_stops_the_send(tmp_path):
    (tmp_path / "suppressed.txt").mkdir()
    write(tmp_path / "subscribers.csv", "email\na@example.org\n")
    log = ErrorLog()
    assert load_subscribers(tmp_path / "subscribers.csv", tmp_path / "suppressed.txt", log) is None
    assert log.errors[0].format(tmp_path).startswith(
        "suppressed.txt: the suppression list cannot be read: it is a folder, not a file")


def test_a_utf8_bom_is_not_part_of_the_first_column_name(tmp_path):
    result, log = load(tmp_path, "\ufeffemail,name\na@example.org,张三\n")
    assert [(s.email, s.name) for s in result.subscribers] == [("a@example.org", "张三")]
    assert not log.warnings


def test_a_gb18030_file_as_chinese_excel_saves_it_is_read_with_a_warning(tmp_path):
    result, log = load(tmp_path, "email,name,groups\r\na@example.org,张三,会员；理事\r\n", encoding="gb18030")
    assert [(s.name, s.groups) for s in result.subscribers] == [("张三", ("会员", "理事"))]
    [warning] = log.warnings
    assert warning.format(tmp_path).startswith("subscribers.csv:2: the subscriber list is not UTF-8: "
                                               "it was read as GB18030")
    assert "CSV UTF-8" in warning.hint


def test_a_file_that_is_no_utf8_text_says_how_to_save_it(tmp_path):
    assert failure(tmp_path, b"\xef\xbb\xbfemail,name\na@example.org,\xd5\xc5\xc8\xfd\n") == (
        "subscribers.csv:2: the subscriber list is not UTF-8 text (the first byte that is not is on line 2)\n"
        "    hint: save it as UTF-8: in Excel, File → Save As → 'CSV UTF-8 (逗号分隔) (*.csv)'")
    assert "is UTF-16 text" in failure(tmp_path, "email,name\n".encode("utf-16"))
    assert "is a spreadsheet workbook (.xlsx)" in failure(tmp_path, b"PK\x03\x04\x14\x00\x06\x00")


def test_an_empty_file_cannot_be_used(tmp_path):
    assert failure(tmp_path, "") == (
        "subscribers.csv: the subscriber list is empty\n"
        "    hint: its first line names the columns: email,name,groups; then one subscriber a line")
    assert "is empty" in failure(tmp_path, "\n\n")


def test_a_header_alone_is_an_empty_list(tmp_path):
    result, log = load(tmp_path, "email,name,groups\n")
    assert result == SubscriberList((), (), ())
    assert not log.warnings


def test_a_missing_file_a_folder_or_a_pipe_cannot_be_used(tmp_path):
    log = ErrorLog()
    assert load_subscribers(tmp_path / "nothing.csv", None, log) is None
    assert log.errors[0].format(tmp_path) == (
        "nothing.csv: the subscriber list cannot be read: it does not exist\n"
        "    hint: give the path of a CSV file saved as UTF-8, with the columns email,name,groups")
    os.mkfifo(tmp_path / "pipe.csv")
    log = ErrorLog()
    assert load_subscribers(tmp_path / "pipe.csv", None, log) is None
    assert "it is a named pipe, not a file" in log.errors[0].message


def test_an_unclosed_quote_is_told_apart_from_a_line_break(tmp_path):
    result, _ = load(tmp_path, 'email,name\na@example.org,"张三\nb@example.org,李四\nc@example.org,王五\n')
    [error] = result.rejected
    assert error.line == 2
    assert "this row runs from line 2 to line 4" in error.hint
    assert "a quote \" is never closed" in error.hint


def test_groups_are_split_on_ascii_and_full_width_separators(tmp_path):
    result, _ = load(tmp_path, 'email,groups\n'
                               'a@example.org,"会员; 理事,专家；会员，顾问、 "\n'
                               'b@example.org,\n'
                               'c@example.org, Press \n')
    assert [s.groups for s in result.subscribers] == [("会员", "理事", "专家", "顾问"), (), ("Press",)]


def test_group_filter_keeps_those_in_any_of_the_groups(tmp_path):
    result, _ = load(tmp_path, "email,groups\n"
                               "a@example.org,会员;理事\n"
                               "b@example.org,专家\n"
                               "c@example.org,\n"
                               "d@example.org,Press\n")
    emails = lambda subscribers: [s.email for s in subscribers]  # noqa: E731
    assert emails(group_filter(result.subscribers, {"理事"})) == ["a@example.org"]
    assert emails(group_filter(result.subscribers, {"专家", "会员"})) == ["a@example.org", "b@example.org"]
    assert emails(group_filter(result.subscribers, {"press"})) == ["d@example.org"]
    assert group_filter(result.subscribers, {"没有的组"}) == ()
    assert group_filter(result.subscribers, set()) == ()


def test_no_address_is_looked_up_on_the_network(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket, "getaddrinfo", offline)
    monkeypatch.setattr(socket.socket, "connect", offline)
    result, _ = load(tmp_path, "email\na@no-mail-servers-here.example\n")
    assert [s.email for s in result.subscribers] == ["a@no-mail-servers-here.example"]
