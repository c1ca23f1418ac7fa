"""`newsletter check` over the whole site: what each file's own checks find, and what only
the whole site shows (links and pictures that lead nowhere, the numbering, dates, empty
sections, titles in two issues), in text and in JSON for tools."""

from __future__ import annotations

import json

import pytest
from conftest import article, write

ISSUES = "content/issues"


def check(newsletter, site, *options):
    return newsletter("check", "--site", site, *options)


def findings(newsletter, site):
    run = check(newsletter, site, "--format", "json")
    return run.code, json.loads(run.out)


def messages(newsletter, site, severity):
    _, result = findings(newsletter, site)
    return [(f["file"], f["line"], f["message"]) for f in result["findings"] if f["severity"] == severity]


# --- links and pictures --------------------------------------------------------------------------------------------

def test_a_link_to_a_page_that_is_not_there_is_an_error_at_its_line(site, newsletter):
    write(site / f"{ISSUES}/2017-02/links.md", article(title="链接", date="2017-01-12", body=(
        "第一段。\n\n见[另一篇](market-a/)、[上一期的文章](../2017-01/carbon-price/#x)、"
        "[本期](./)、[首页](../../)、[栏目](../../sections/market/)。\n\n而[这一篇](no-such-article/)不在，"
        "[那一期](../2016-52/)也不在。\n")))
    run = check(newsletter, site)
    assert run.code == 1
    lines = run.err.splitlines()
    assert "error: content/issues/2017-02/links.md:12: the link 'no-such-article/' leads to no page or file " \
           "of the archive" in lines
    assert "error: content/issues/2017-02/links.md:12: the link '../2016-52/' leads to no page or file of the " \
           "archive" in lines
    assert run.err.count("leads to no page") == 2  # the links that are there are not reported
    assert lines[-1] == "2 errors; nothing was written"


def test_links_to_files_of_the_issue_and_the_feed_are_found(site, newsletter):
    write(site / f"{ISSUES}/2017-01/files.md", article(title="附件", date="2017-01-05", body=(
        "[方案](plan.pdf)，[说明](notes.txt)，[本期的页面](./)，[另一期的页面](../2017-02/)。\n")))
    assert messages(newsletter, site, "error") == []
    path = site / f"{ISSUES}/2017-01/files.md"
    path.write_text(path.read_text(encoding="utf-8").replace("../2017-02/", "../2017-09/"), encoding="utf-8")
    assert [(file, message) for file, _, message in messages(newsletter, site, "error")] == [
        ("content/issues/2017-01/files.md", "the link '../2017-09/' leads to no page or file of the archive")]


def test_a_broken_link_in_the_editors_note_is_found_in_issue_yaml(site, newsletter):
    path = site / f"{ISSUES}/2017-02/issue.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "note: 详见[专题](../../topics/)。\n", encoding="utf-8")
    errors = messages(newsletter, site, "error")
    assert errors == [("content/issues/2017-02/issue.yaml", 5,
                       "the link '../../topics/' leads to no page or file of the archive")]


def test_a_page_link_is_relocated_on_the_article_page_and_reads_no_file(site, newsletter):
    write(site / f"{ISSUES}/2017-02/links.md", article(title="链接", date="2017-01-12",
                                                       body="见[另一篇](market-a/)和[上一期](../2017-01/)。\n"))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    page = (site / "output/issues/2017-02/links/index.html").read_text(encoding="utf-8")
    assert 'href="../market-a/"' in page and 'href="../../2017-01/"' in page


def test_a_broken_link_made_by_a_template_names_the_page(site, newsletter):
    write(site / "templates/404.html", '{% extends "base.html" %}{% block main %}<a href="gone/">x</a>'
                                       '{% endblock %}')
    errors = messages(newsletter, site, "error")
    assert (None, None, "the page 404.html links to 'gone/', which the archive does not have") in errors


# --- numbering, dates, sections, titles ------------------------------------------------------------------------------

def renumber(site, slug, **values):
    path = site / f"{ISSUES}/{slug}/issue.yaml"
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        text = "\n".join(f"{key}: {value}" if line.startswith(f"{key}:") else line for line in text.splitlines())
    path.write_text(text + "\n", encoding="utf-8")


def test_a_gap_in_the_numbering_is_a_warning_not_an_error(site, newsletter):
    renumber(site, "2017-03", number=5, total=94)
    code, result = findings(newsletter, site)
    assert code == 0 and result["errors"] == 0
    said = [(f["file"], f["line"], f["message"]) for f in result["findings"]]
    assert ("content/issues/2017-03/issue.yaml", 2,
            "2017年第3–4期 is missing: the issue before this one is 2017-02 (第2期)") in said
    assert ("content/issues/2017-03/issue.yaml", 3,
            "总第92–93期 is missing: the issue before this one is 2017-02 (总第91期)") in said
    assert check(newsletter, site).out.startswith("checked 3 issues and 7 articles: no errors, ")


def test_a_repeated_number_is_an_error(site, newsletter):
    renumber(site, "2017-03", number=2)
    run = check(newsletter, site)
    assert run.code == 1 and "2017年第2期 is also issue 2017-0" in run.err


def test_a_later_total_dated_earlier_is_a_warning(site, newsletter):
    renumber(site, "2017-03", date="2017-01-10")
    warnings = messages(newsletter, site, "warning")
    assert ("content/issues/2017-03/issue.yaml", 4,
            "总第92期 is dated 2017-01-10, before 总第91期 (2017-02, 2017-01-13)") in warnings


def test_an_article_dated_after_its_issue_is_a_warning_at_its_date(site, newsletter):
    write(site / f"{ISSUES}/2017-02/late.md", article(title="晚到的文章", date="2017-01-20"))
    assert ("content/issues/2017-02/late.md", 3, "发布日期 2017-01-20 is after the issue's date 2017-01-13") \
        in messages(newsletter, site, "warning")


def test_sections_an_issue_leaves_empty_are_named(site, newsletter):
    warnings = messages(newsletter, site, "warning")
    assert ("content/issues/2017-02/issue.yaml", None, "this issue has no article in 【政策聚焦】") in warnings


def test_the_same_title_in_two_issues_is_a_warning_at_the_later(site, newsletter):
    write(site / f"{ISSUES}/2017-02/again.md", article(title="湖北碳市场 成交活跃", date="2017-01-12"))
    write(site / f"{ISSUES}/2017-01/first.md", article(title="湖北碳市场成交活跃", date="2017-01-05"))
    warnings = messages(newsletter, site, "warning")
    assert ("content/issues/2017-02/again.md", 2, "the same title is in 2017-01 (first.md)") in warnings


# --- what each file's own checks find, said the same way ----------------------------------------------------------------

@pytest.mark.parametrize(("extra", "said"), [
    ("link: www.example.org\n", "link 'www.example.org' is not a web address"),
    ("attachments: [{title: 附件, url: missing.pdf}]\n", "'missing.pdf' does not exist"),
])
def test_a_front_matter_mistake_is_an_error(site, newsletter, extra, said):
    write(site / f"{ISSUES}/2017-02/bad.md", article(title="有错", date="2017-01-12", extra=extra))
    run = check(newsletter, site)
    assert run.code == 1 and said in run.err
    assert any(f["message"].startswith(said) and f["file"] == "content/issues/2017-02/bad.md"
               for f in findings(newsletter, site)[1]["findings"])


def test_json_gives_every_finding_with_its_place_and_warnings_come_with_errors(site, newsletter):
    write(site / f"{ISSUES}/2017-02/bad.md", article(title="有错", date="2017-01-12", body="[x](nowhere/)\n"))
    code, result = findings(newsletter, site)
    assert code == 1
    assert result["errors"] == 1 and result["warnings"] >= 1
    for finding in result["findings"]:
        assert set(finding) == {"file", "line", "column", "severity", "message", "hint"}
        assert finding["severity"] in ("error", "warning")
    text = check(newsletter, site)
    assert text.err.count("warning: ") == result["warnings"]  # shown beside the errors, not lost


def test_a_broken_link_typed_percent_encoded_is_found_at_its_line(site, newsletter):
    write(site / f"{ISSUES}/2017-02/encoded.md", article(title="编码", date="2017-01-12",
                                                         body="第一段。\n\n[出去](%2E%2E/%2E%2E/%2E%2E/etc/)\n"))
    errors = messages(newsletter, site, "error")
    assert errors == [("content/issues/2017-02/encoded.md", 10,
                       "the link '../../../etc/' leads to no page or file of the archive")]
