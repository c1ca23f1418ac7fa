"""Each kind of bad input: the message names file and line and says what to do; exit code 1."""

import datetime as dt

from conftest import article, write

from builder.errors import ErrorLog
from builder.source.config import load_site
from builder.source.content import load_archive

ISSUE = "content/issues/2017-02"


def errors_of(newsletter, site):
    run = newsletter("check", "--site", site)
    assert run.code == 1, run.out + run.err
    assert run.err.rstrip().endswith("nothing was written")
    return run.err


def load(site, drafts=False):
    log = ErrorLog()
    archive = load_archive(load_site(site, log), log, drafts)
    assert not log.errors, [e.format() for e in log.errors]
    return archive


def test_the_fixture_loads_newest_issue_first_in_section_order(site):
    archive = load(site)
    assert [i.slug for i in archive.issues] == ["2017-02", "2017-01"]
    issue = archive.issues[0]
    # Section order of site.yaml first, then `order`, then file name.
    assert [a.slug for a in issue.articles] == ["market-a", "shenzhen", "intl"]
    assert issue.label == "2017年第2期（总第91期）"


def test_dates_as_editors_type_them(site):
    first = load(site).issues[1].articles[0]
    assert first.date == dt.date(2017, 1, 5)  # written 2017-1-5
    assert first.order == 1 and first.slug == "carbon-price"  # from 01-carbon-price.md


def test_drafts_are_left_out_unless_asked_for(site):
    assert [i.slug for i in load(site).issues] == ["2017-02", "2017-01"]
    assert "draft" not in [a.slug for a in load(site).articles()]
    with_drafts = load(site, drafts=True)
    assert [i.slug for i in with_drafts.issues] == ["2017-03", "2017-02", "2017-01"]
    assert "draft" in [a.slug for a in with_drafts.articles()]


def test_broken_yaml(site, newsletter):
    write(site / ISSUE / "bad.md", "---\ntitle: 标题\ndate: 2017-01-05\nsource: [新华社\nsection: 市场热点\n---\n正文\n")
    err = errors_of(newsletter, site)
    assert f"{ISSUE}/bad.md:5: this is not valid YAML" in err
    assert "hint: check the indentation" in err


def test_missing_required_field(site, newsletter):
    write(site / ISSUE / "bad.md", "---\ntitle: 标题\ndate: 2017-01-05\nsection: 市场热点\n---\n正文\n")
    err = errors_of(newsletter, site)
    assert f"{ISSUE}/bad.md:2: 'source' is missing" in err
    assert "add the 来源, e.g. 'source: 新华社'" in err


def test_date_that_is_not_a_date(site, newsletter):
    write(site / ISSUE / "bad.md", article(date="2017-13-45"))
    write(site / ISSUE / "bad2.md", article(date="下周一"))
    err = errors_of(newsletter, site)
    assert f"{ISSUE}/bad.md:3: 'date' should be a date such as 2017-05-03, not '2017-13-45'" in err
    assert f"{ISSUE}/bad2.md:3: 'date' should be a date such as 2017-05-03, not '下周一'" in err


def test_unknown_section_lists_the_known_ones(site, newsletter):
    write(site / ISSUE / "bad.md", article(section="市场动态"))
    err = errors_of(newsletter, site)
    assert f"{ISSUE}/bad.md:5: unknown section '市场动态'" in err
    assert "use one of the sections of site.yaml: 市场热点、政策聚焦、国际资讯" in err


def test_unknown_front_matter_key(site, newsletter):
    write(site / ISSUE / "bad.md", article(extra="sourse: 笔误\n"))
    err = errors_of(newsletter, site)
    assert f"{ISSUE}/bad.md:6: unknown key 'sourse'" in err and "did you mean 'source'?" in err


def test_two_articles_with_the_same_slug(site, newsletter):
    write(site / ISSUE / "03-market-a.md", article())
    err = errors_of(newsletter, site)
    assert f"{ISSUE}/market-a.md:1: the slug 'market-a' is already used by 03-market-a.md" in err


def test_two_issues_with_the_same_year_and_number(site, newsletter):
    write(site / "content/issues/2017-02b/issue.yaml", "year: 2017\nnumber: 2\ntotal: 99\ndate: 2017-01-14\n")
    write(site / "content/issues/2017-02b/a.md", article())
    err = errors_of(newsletter, site)
    assert "content/issues/2017-02b/issue.yaml:2: 2017年第2期 is also issue 2017-02" in err


def test_missing_image(site, newsletter):
    write(site / ISSUE / "bad.md", article(body="第一段。\n\n![碳价](images/missing.png)\n"))
    err = errors_of(newsletter, site)
    assert f"{ISSUE}/bad.md:10: 'images/missing.png' does not exist" in err
    assert f"put the file at {ISSUE}/images/missing.png" in err


def test_missing_attachment_file(site, newsletter):
    write(site / ISSUE / "bad.md", article(extra="attachments:\n  - title: 附件\n    url: files/plan.pdf\n"))
    err = errors_of(newsletter, site)
    assert f"{ISSUE}/bad.md:8: 'files/plan.pdf' does not exist" in err


def test_non_utf8_file(site, newsletter):
    (site / ISSUE / "bad.md").write_bytes(article().encode("gb18030"))
    err = errors_of(newsletter, site)
    assert f"{ISSUE}/bad.md:2: this file is not UTF-8 text" in err
    assert "save it as UTF-8" in err


def test_paths_outside_the_site_are_refused(site, newsletter):
    write(site / ISSUE / "a1.md", article(extra="slug: ../../../escape\n"))
    write(site / ISSUE / "a2.md", article(body="![x](../../../../etc/hostname)\n"))
    write(site / ISSUE / "a3.md", article(body="![x](/etc/hostname)\n"))
    write(site / ISSUE / "a4.md", article(extra="attachments:\n  - title: 附件\n    url: ../2017-01/plan.pdf\n"))
    err = errors_of(newsletter, site)
    assert f"{ISSUE}/a1.md:6: the slug '../../../escape' cannot be used in a web address" in err
    assert f"{ISSUE}/a2.md:8: '../../../../etc/hostname' points outside the issue's folder" in err
    assert f"{ISSUE}/a3.md:8: '/etc/hostname' is an absolute path" in err
    assert f"{ISSUE}/a4.md:8: '../2017-01/plan.pdf' points outside the issue's folder" in err


def test_front_matter_missing_or_unclosed(site, newsletter):
    write(site / ISSUE / "a1.md", "title: 标题\n\n正文\n")
    write(site / ISSUE / "a2.md", "---\ntitle: 标题\n\n正文\n")
    err = errors_of(newsletter, site)
    assert f"{ISSUE}/a1.md:1: the file does not start with front matter" in err
    assert f"{ISSUE}/a2.md:1: the front matter is not closed" in err


def test_issue_without_issue_yaml_and_with_bad_values(site, newsletter):
    write(site / "content/issues/2017-09/a.md", article())
    write(site / "content/issues/2017-10/issue.yaml", "year: 2017\nnumber: 十\ntotal: 100\ndate: 2017-3-3\n")
    err = errors_of(newsletter, site)
    assert "content/issues/2017-09/issue.yaml: this issue has no issue.yaml" in err
    assert "content/issues/2017-10/issue.yaml:2: 'number' should be a whole number, not '十'" in err


def test_every_error_of_a_run_is_reported_together(site, newsletter):
    write(site / ISSUE / "a1.md", article(section="不存在"))
    write(site / ISSUE / "a2.md", article(date="昨天"))
    write(site / "content/issues/2017-01/a3.md", "---\ntitle: 标题\n---\n")
    err = errors_of(newsletter, site)
    assert err.count("error: ") == 5  # a1 section; a2 date; a3 date, source, section
    assert "5 errors; nothing was written" in err
