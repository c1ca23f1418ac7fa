"""`newsletter new issue` and `newsletter new article` on the fixture site: numbered and named
after what is there, complete, never over an existing file."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from conftest import snapshot

from builder.pipeline import load
from builder.scaffold.slugs import slug_of

TODAY = dt.date(2017, 1, 18)  # a Wednesday; the fixture's issues come out on Fridays


@pytest.fixture
def on(monkeypatch):
    """`new` as run on TODAY."""
    import builder.cli

    class Today(dt.date):
        @classmethod
        def today(cls):
            return TODAY

    monkeypatch.setattr(builder.cli, "dt", dt, raising=False)
    monkeypatch.setattr(dt, "date", Today)
    return TODAY


def test_new_issue_is_the_next_number_total_and_friday_in_a_folder_named_like_the_others(site, newsletter, on):
    run = newsletter("new", "issue", "--site", site)
    assert run.code == 0, run.err
    path = site / "content/issues/2017-04/issue.yaml"
    assert run.out.splitlines()[0] == "wrote content/issues/2017-04/issue.yaml: 2017年第4期（总第93期）, 2017-01-27, a draft"
    assert "newsletter new article --section 市场热点" in run.out
    text = path.read_text(encoding="utf-8")
    assert yaml.safe_load(text) == {"year": 2017, "number": 4, "total": 93, "date": dt.date(2017, 1, 27),
                                    "note": None, "draft": True}
    assert all("#" in line for line in text.splitlines())  # every key explained
    archive, _ = load(site, drafts=True)  # a valid issue, a draft
    issue = next(i for i in archive.issues if i.slug == "2017-04")
    assert issue.draft and issue.label == "2017年第4期（总第93期）"
    assert "2017-04" not in {i.slug for i in load(site)[0].issues}


def test_new_issue_in_a_new_year_is_number_one(site, newsletter):
    assert newsletter("new", "issue", "--site", site, "--date", "2018-01-05").code == 0
    values = yaml.safe_load((site / "content/issues/2018-01/issue.yaml").read_text(encoding="utf-8"))
    assert (values["year"], values["number"], values["total"]) == (2018, 1, 93)


def test_new_issue_refuses_a_date_not_after_the_latest_and_an_existing_folder(site, newsletter):
    before = snapshot(site)
    run = newsletter("new", "issue", "--site", site, "--date", "2017-01-20")
    assert run.code == 1
    assert run.err.startswith("error: content/issues/2017-03/issue.yaml:4: the new issue's date 2017-01-20 is not "
                              "after the latest issue's (2017-01-20)")
    (site / "content/issues/2017-04").mkdir()
    (site / "content/issues/2017-04/keep.txt").write_text("mine", encoding="utf-8")
    run = newsletter("new", "issue", "--site", site, "--date", "2017-01-27")
    assert run.code == 1 and run.err.startswith("error: content/issues/2017-04")  # the folder there, named
    assert (site / "content/issues/2017-04/keep.txt").read_text(encoding="utf-8") == "mine"
    assert not (site / "content/issues/2017-04/issue.yaml").exists()
    assert {k: v for k, v in snapshot(site).items() if "2017-04" not in k} == before


def test_new_article_goes_into_the_latest_issue_numbered_and_named_from_its_title(site, newsletter, on):
    run = newsletter("new", "article", "--site", site, "--section", "政策聚焦",
                     "--title", "重庆市印发《“十三五”控制温室气体排放工作方案》", "--source", "重庆日报")
    assert run.code == 0, run.err
    path = site / "content/issues/2017-03/02-chong-qing-shi-yin-fa-shi-san-wu-kong-zhi-wen.md"
    assert run.out.startswith(f"wrote {path.relative_to(site)}: 【政策聚焦】重庆市印发")
    archive, _ = load(site, drafts=True)
    article = next(a for i in archive.issues for a in i.articles if a.path == path)
    assert (article.title, article.source, article.section.name, article.date, article.order) == (
        "重庆市印发《“十三五”控制温室气体排放工作方案》", "重庆日报", "政策聚焦", TODAY, 1)
    assert article.slug == "chong-qing-shi-yin-fa-shi-san-wu-kong-zhi-wen"  # 48 characters at most
    assert f"/issues/2017-03/{article.slug}/" in run.out


def test_new_article_in_a_given_issue_takes_the_next_order_of_its_section(site, newsletter, on):
    archive, _ = load(site, drafts=True)
    market = [a.order for a in next(i for i in archive.issues if i.slug == "2017-02").articles
              if a.section.slug == "market"]
    run = newsletter("new", "article", "--site", site, "--issue", "2017-02", "--section", "market",
                     "--title", "EU: carbon price 30 欧元")
    assert run.code == 0, run.err
    archive, _ = load(site, drafts=True)
    issue = next(i for i in archive.issues if i.slug == "2017-02")
    article = next(a for a in issue.articles if a.title == "EU: carbon price 30 欧元")  # a colon, quoted in YAML
    assert article.order == max(market) + 1
    assert article.source == "测试简报"  # the bulletin's own, without --source
    assert article.date == dt.date(2017, 1, 13)  # not after its issue's date
    assert article.slug == "eu-carbon-price-30-ou-yuan"


def test_new_article_with_a_title_used_already_gets_its_own_address(site, newsletter):
    for _ in range(2):
        assert newsletter("new", "article", "--site", site, "--section", "市场热点", "--title", "碳市场").code == 0
    archive, _ = load(site, drafts=True)
    slugs = [a.slug for i in archive.issues for a in i.articles if a.title == "碳市场"]
    assert sorted(slugs) == ["tan-shi-chang", "tan-shi-chang-2"]


@pytest.mark.parametrize(("options", "said"), [
    (("--section", "不存在", "--title", "x"), "site.yaml: there is no section '不存在'\n    hint: give one of the "
                                             "sections of site.yaml: 市场热点、政策聚焦、国际资讯"),
    (("--section", "market", "--title", "x", "--issue", "2099-01"), "content/issues/2099-01: there is no such issue"),
    (("--section", "market", "--title", "  "), "the title is empty"),
    (("--section", "market", "--title", "碳价\v上涨"), "--title holds a line break or an invisible control character"),
    (("--section", "market", "--title", "碳价\n上涨"), "--title holds a line break or an invisible control character"),
])
def test_new_article_mistakes_are_said_and_nothing_is_written(site, newsletter, options, said):
    before = snapshot(site)
    run = newsletter("new", "article", "--site", site, *options)
    assert run.code == 1 and said in run.err, run.err
    assert snapshot(site) == before


@pytest.mark.parametrize(("title", "slug"), [
    ("巴黎协定生效", "ba-li-xie-ding-sheng-xiao"),
    ("重庆：碳排放权交易", "chong-qing-tan-pai-fang-quan-jiao-yi"),  # 重 read as chong in 重庆
    ("《京都议定书》第二承诺期", "jing-du-yi-ding-shu-di-er-cheng-nuo-qi"),
    ("ＧＤＰ增长６．５％", "gdp-zeng-zhang-6-5"),  # full-width letters and digits
    ("!!!", "article"),
    ("Café 碳市场", "cafe-tan-shi-chang"),
])
def test_slugs_are_ascii_pinyin(title, slug):
    assert slug_of(title) == slug
    assert slug_of("碳" * 100).count("-") < 30 and len(slug_of("碳" * 100)) <= 48
