from pathlib import Path

from conftest import ROOT, write

from builder.errors import ErrorLog
from builder.source.config import load_site

GOOD = """title: 节能减排信息动态
publisher: 编印单位
base_url: https://example.org/bulletin
sections:
  - name: 市场热点
    slug: market
  - name: 政策聚焦
    slug: policy
"""


def load(tmp_path: Path, text: str):
    write(tmp_path / "site.yaml", text)
    log = ErrorLog()
    return load_site(tmp_path, log), [e.format(tmp_path) for e in log.errors]


def test_the_sample_site_yaml_loads():
    log = ErrorLog()
    site = load_site(ROOT, log)
    assert not log.errors
    assert site.title == "节能减排信息动态"
    assert [s.name for s in site.sections] == ["市场热点", "政策聚焦", "国内资讯", "国际资讯", "推荐阅读"]


def test_defaults_and_normalised_base_url(tmp_path):
    site, errors = load(tmp_path, GOOD)
    assert errors == []
    assert site.base_url == "https://example.org/bulletin/"
    assert site.language == "zh-CN" and site.timezone == "Asia/Shanghai"
    assert site.pdf.columns == 2 and site.per_page == 20
    assert site.section("policy").name == "政策聚焦" and site.section("政策聚焦").slug == "policy"


def test_unknown_key_is_an_error_with_its_line_and_a_suggestion(tmp_path):
    site, errors = load(tmp_path, GOOD + "titel: 错字\n")
    assert site is None
    assert errors == ["site.yaml:9: unknown key 'titel'\n    hint: did you mean 'title'?"]


def test_wrong_types_are_errors_with_lines(tmp_path):
    text = GOOD + "pdf:\n  columns: two\n  page_number: roman\nfeed:\n  issues: 0\n"
    site, errors = load(tmp_path, text)
    assert site is None
    assert any(e.startswith("site.yaml:10: 'columns' should be a whole number, not 'two'") for e in errors)


def test_all_problems_are_reported_together(tmp_path):
    text = GOOD.replace("publisher: 编印单位\n", "").replace("slug: policy", "slug: Policy News")
    text += ("pdf:\n  page_number: roman\n  colour: red\n  latin_spacing: half\n  line_end_punctuation: hanging\n"
             "  line_start_bracket: quarter\n")
    site, errors = load(tmp_path, text)
    assert site is None
    joined = "\n".join(errors)
    assert "'publisher' is missing" in joined
    assert "site.yaml:7: section slug 'Policy News' may hold only a-z, 0-9 and single hyphens" in joined
    assert "site.yaml:9: pdf.page_number 'roman' is not known" in joined
    assert "site.yaml:10: pdf.colour 'red' is not a colour" in joined
    assert "site.yaml:11: pdf.latin_spacing 'half' is not known" in joined
    assert "site.yaml:12: pdf.line_end_punctuation 'hanging' is not known" in joined
    assert "site.yaml:13: pdf.line_start_bracket 'quarter' is not known" in joined


def test_broken_yaml_names_the_line(tmp_path):
    site, errors = load(tmp_path, GOOD + "description: [未闭合\n")
    assert site is None
    assert errors[0].startswith("site.yaml:10: this is not valid YAML")


def test_duplicate_section_and_bad_base_url(tmp_path):
    text = GOOD.replace("https://example.org/bulletin", "example.org") + "  - name: 市场热点\n    slug: market2\n"
    site, errors = load(tmp_path, text)
    assert site is None
    assert any("section '市场热点' (market2) is listed twice" in e for e in errors)
    assert any(e.startswith("site.yaml:3: base_url 'example.org' is not a web address") for e in errors)


def test_missing_site_yaml(tmp_path):
    log = ErrorLog()
    assert load_site(tmp_path, log) is None
    assert "there is no site.yaml here" in log.errors[0].message


def test_unknown_theme_is_an_error(tmp_path):
    site, errors = load(tmp_path, GOOD + "theme: fancy\n")
    assert site is None
    assert errors == ["site.yaml:9: there is no theme 'fancy'\n    hint: make the folder themes/fancy/ "
                      "with templates/ and static/, or use 'theme: default'"]
