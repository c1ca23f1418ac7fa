"""builder/print/glyphs.py: every character of an issue checked against the print fonts,
each problem with the file and line where an editor can change it."""

import subprocess

from conftest import article, write

from builder.pipeline import load
from builder.print.glyphs import PRINT_FACES, check_issue, covered_by, missing_faces

TEA = "\U0001F9CB"  # BUBBLE TEA: in no installed font
KING = "\u2654"  # WHITE CHESS KING: not in Noto CJK, in DejaVu Sans
PRIVATE = "\ue000"  # private use: in no font


def fonts_with(char: str) -> str:
    return subprocess.run(["fc-list", f":charset={ord(char):x}", "family"], capture_output=True, text=True).stdout


def issue_of(site, slug: str = "2017-02"):
    archive, _ = load(site)
    return archive.site, next(issue for issue in archive.issues if issue.slug == slug)


def messages(errors, site) -> list[str]:
    return [e.format(site).splitlines()[0] for e in errors]


def test_the_characters_chosen_for_these_tests_are_what_they_should_be():
    assert fonts_with(TEA).strip() == "" and fonts_with(PRIVATE).strip() == ""
    assert "DejaVu Sans" in fonts_with(KING)
    assert ord(KING) not in covered_by(PRINT_FACES)


def test_the_fixture_site_prints_in_the_print_fonts_alone(site):
    archive, _ = load(site, drafts=True)
    for issue in archive.issues:
        report = check_issue(archive.site, issue)
        assert (report.errors, report.warnings) == ((), ()), issue.slug


def test_a_character_no_font_has_is_an_error_and_one_only_a_fallback_has_a_warning(site):
    write(site / "content/issues/2017-02/tea.md",
          article(title=f"奶茶{KING}", extra="order: 3\n", body=f"第一段。\n\n奶茶{TEA}一杯，{KING}一枚。\n"))
    report = check_issue(*issue_of(site))
    assert messages(report.errors, site) == [
        f"content/issues/2017-02/tea.md:11: '{TEA}' (U+1F9CB BUBBLE TEA) is in no installed font and would print "
        "as an empty box"]
    assert report.errors[0].hint == "replace the character, or install a font that has it"
    # Reported where it first occurs: in the title (line 2), not in the body (line 11).
    assert messages(report.warnings, site) == [
        f"content/issues/2017-02/tea.md:2: '{KING}' (U+2654 WHITE CHESS KING) is not in the print fonts; it will "
        "print in another typeface"]


def test_a_character_is_reported_once_at_its_first_line(site):
    write(site / "content/issues/2017-02/tea.md", article(body=f"第一段。\n\n{TEA}{TEA}\n\n又一杯{TEA}。\n"))
    report = check_issue(*issue_of(site))
    assert [(e.path.name, e.line) for e in report.errors] == [("tea.md", 10)]


def test_characters_of_the_issue_yaml_and_site_yaml_are_checked(site):
    with open(site / "content/issues/2017-01/issue.yaml", "a", encoding="utf-8") as issue_yaml:
        issue_yaml.write(f"  又及{TEA}。\n")  # the note's third line
    settings = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(settings.replace("publisher: 测试编印单位", f"publisher: 测试编印单位{KING}"),
                                    encoding="utf-8")
    report = check_issue(*issue_of(site, "2017-01"))
    # In the note's block, lines 6 to 9 (it is reported at its key's line, 6, today).
    assert [e.path.name for e in report.errors] == ["issue.yaml"] and 6 <= report.errors[0].line <= 9
    assert [(e.path.name, e.line) for e in report.warnings] == [("site.yaml", None)]


def test_an_attachment_title_is_reported_at_the_attachment_list(site):
    write(site / "content/issues/2017-02/tea.md",
          article(extra=f"attachments:\n  - title: 附件{TEA}\n    url: https://example.com/a.pdf\n"))
    report = check_issue(*issue_of(site))
    assert [(e.path.name, e.line) for e in report.errors] == [("tea.md", 7)]  # where the list starts


def test_other_faces_can_be_checked_against(site):
    site_settings, issue = issue_of(site)
    report = check_issue(site_settings, issue, ("DejaVu Sans",))
    assert report.errors == ()
    warned = {e.message[1] for e in report.warnings}
    assert {"湖", "碳", "深"} <= warned  # Chinese is in another installed font


def test_a_private_use_character_is_an_error(site):
    write(site / "content/issues/2017-02/pua.md", article(body=f"私用字{PRIVATE}。\n"))
    report = check_issue(*issue_of(site))
    assert [(e.path.name, e.line) for e in report.errors] == [("pua.md", 8)]


def test_covered_by_holds_the_print_fonts_characters():
    covered = covered_by(PRINT_FACES)
    assert all(ord(c) in covered for c in "节能减排信息动态，。“”《》（）0123456789ABCxyz")
    assert ord(" ") in covered and 0x1F not in covered and 0x10FFFF not in covered
    assert ord(TEA) not in covered and ord(KING) not in covered
    assert ord(KING) in covered_by(("DejaVu Sans",))


def test_missing_faces_names_the_families_fontconfig_lacks():
    assert missing_faces() == []
    assert missing_faces(("Noto Serif CJK SC", "No Such Family:bold", "No Such Family")) == ["No Such Family"]


def test_character_no_font_has_is_an_error_with_file_and_line(site, newsletter):
    write(site / "content/issues/2017-02/tea.md", article(body="第一段。\n\n奶茶\U0001F9CB一杯。\n"))
    run = newsletter("build", "--site", site)
    assert run.code == 1
    assert "content/issues/2017-02/tea.md:10: '\U0001F9CB' (U+1F9CB BUBBLE TEA) is in no installed font" in run.err


def test_check_reports_characters_the_fonts_lack(site, newsletter):
    write(site / "content/issues/2017-02/tea.md", article(body="奶茶\U0001F9CB一杯。\n"))
    run = newsletter("check", "--site", site)
    assert run.code == 1
    assert "content/issues/2017-02/tea.md:8: '\U0001F9CB' (U+1F9CB BUBBLE TEA) is in no installed font" in run.err


def test_character_in_a_title_is_reported_at_the_title_line(site, newsletter):
    write(site / "content/issues/2017-02/tea.md", article(title="奶茶\U0001F9CB", extra="order: 3\n"))
    run = newsletter("check", "--site", site)
    assert "content/issues/2017-02/tea.md:2: '\U0001F9CB' (U+1F9CB BUBBLE TEA)" in run.err
