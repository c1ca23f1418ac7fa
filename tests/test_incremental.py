"""The build cache never makes a build wrong: after any change to a site, a build that
keeps .cache/ and output/ writes, byte for byte, what a build from scratch writes.

Each test starts from the fixture site built once (no PDF), changes it, builds it again
the incremental way (in this process, cache and output/ kept), and compares the output
with a clean build of a copy of the same sources, made in a process of its own with
--no-cache, so that nothing of the incremental builds' state (files or memory) can
reach it. Every change must also be seen in the output: a build that wrote nothing
new could not pass. A change is made right after a build, as a script would make it;
many are made again where the builds before and after come seconds apart, as they do
for an editor (the builder trusts time stamps only once they are a few seconds old).
test_cache.py covers the store itself (schemas, locking, links) and a build into a
fresh folder; here output/ is kept from build to build.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from itertools import count
from pathlib import Path

import pytest
from conftest import FIXTURES, article, comparable, write
from PIL import Image

from builder.cli import main
from builder.routes import BUILTIN_THEMES, OUTPUT_DIGESTS, OUTPUT_DIR

ISSUES = "content/issues"
CARBON = f"{ISSUES}/2017-01/01-carbon-price.md"
POLICY = f"{ISSUES}/2017-01/02-policy.md"
HUBEI = f"{ISSUES}/2017-02/market-a.md"
SHENZHEN = f"{ISSUES}/2017-02/market-b.md"
CARBON_PAGE = "issues/2017-01/carbon-price/index.html"
POLICY_PAGE = "issues/2017-01/policy/index.html"


# --- building and comparing -------------------------------------------------

# The builder trusts what the time stamps of the site's files say only once they are a
# few seconds old (a change within the same tick of the file system's clock could hide
# behind them), and every copy of a file is new. So the sites are all copied first and
# left to settle once: the first build of each test then keeps its work for the next.
SETTLE_SECONDS = 3


@dataclass(frozen=True)
class Pool:
    """Copies of the fixture site, made before the tests and left to settle together."""

    fresh: list[Path]  # one for each test that is `built`
    prepared: dict[str, Path]  # for each of SETTLED, a site with all but the last step of that change made


@pytest.fixture(scope="session")
def pool(request, tmp_path_factory) -> Pool:
    items = request.session.items
    folder = tmp_path_factory.mktemp("sites")
    numbers = count()

    def copy() -> Path:
        return shutil.copytree(FIXTURES / "site-basic", folder / str(next(numbers)) / "site", symlinks=True)

    fresh = [copy() for item in items if "built" in item.fixturenames]
    prepared = {}
    if any("settled_changes" in item.fixturenames for item in items):
        for name in SETTLED:
            prepared[name] = copy()
            for step in CHANGES[name][:-1]:
                step.change(prepared[name])
    time.sleep(SETTLE_SECONDS)
    return Pool(fresh, prepared)


@pytest.fixture
def built(pool, newsletter) -> Path:
    """The fixture site (two issues, a draft issue, a draft article, an image, issue notes), built once."""
    site = pool.fresh.pop()
    rebuild(newsletter, site)
    return site


def rebuild(newsletter, site: Path) -> None:
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 0, run.err


def build_quietly(site: Path) -> None:
    """`newsletter build`, as `rebuild` but outside a test (its output is not the test's)."""
    with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()) as said:
        assert main(["build", "--site", str(site), "--no-pdf"]) == 0, said.getvalue()


def start_clean_build(site: Path, *options: str) -> Callable[[], dict[str, bytes]]:
    """Start building the site's present sources from scratch (a copy without .cache/ and
    output/, built with --no-cache by a new process, beside whatever this one does next);
    the function returned waits for it and gives its output."""
    copy = Path(tempfile.mkdtemp(prefix="clean-", dir=site.parent)) / "site"
    shutil.copytree(site, copy, symlinks=True,
                    ignore=lambda folder, names: {".cache", OUTPUT_DIR} & set(names) if Path(folder) == site else ())
    command = Path(sys.executable).parent / "newsletter"
    process = subprocess.Popen([command, "build", "--site", copy, "--no-pdf", "--no-cache", *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def output() -> dict[str, bytes]:
        _, said = process.communicate(timeout=60)
        assert process.returncode == 0, said
        return tree(copy / OUTPUT_DIR)
    return output


def tree(folder: Path) -> dict[str, bytes]:
    """Every file and folder under `folder` (a folder's name ends in '/'; a link stands for
    where it points) and its bytes; all but the digests of the output manifest, which
    hold each file's time."""
    found: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[name] = b"link to " + os.fsencode(os.readlink(path))
        elif path.is_dir():
            found[name + "/"] = b""
        elif name != OUTPUT_DIGESTS:
            found[name] = path.read_bytes()
    return comparable(folder, found)  # type: ignore[return-value]


def assert_same(incremental: dict[str, bytes], clean: dict[str, bytes]) -> None:
    missing = sorted(clean.keys() - incremental.keys())
    extra = sorted(incremental.keys() - clean.keys())
    differing = sorted(name for name in clean.keys() & incremental.keys() if clean[name] != incremental[name])
    assert not (missing or extra or differing), (
        f"the incremental build differs from a clean one: missing {missing}, extra {extra}, differing {differing}")


def page(site: Path, path: str) -> str:
    """A file of the built output as text; '' if the build did not write it."""
    file = site / OUTPUT_DIR / path
    return file.read_text(encoding="utf-8") if file.is_file() else ""


def published(site: Path, path: str) -> bool:
    return (site / OUTPUT_DIR / path).exists()


# --- the changes ------------------------------------------------------------

def replace(path: Path, old: str, new: str) -> None:
    """`old` in the file, once, becomes `new` (the edit fails loudly if the fixture changed)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path} once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def edit(name: str, old: str, new: str) -> Callable[[Path], None]:
    return lambda site: replace(site / name, old, new)


def override_template(name: str, marker: str, folder: str = "templates") -> Callable[[Path], None]:
    """The site's own copy of a template of the default theme, `marker` at its start."""
    def add(site: Path) -> None:
        theirs = (BUILTIN_THEMES / "default/templates" / name).read_text(encoding="utf-8")
        if theirs.startswith("{% extends"):  # only what is inside a block is rendered
            first, rest = theirs.split("{% block main %}", 1)
            write(site / folder / name, f"{first}{{% block main %}}{marker}{rest}")
        else:
            write(site / folder / name, marker + theirs)
    return add


def link_templates(site: Path) -> None:
    """templates/ as a link to a folder elsewhere in the site (kept there for several sites)."""
    override_template("article.html", LINKED_MARKER, "shared/templates")(site)
    (site / "templates").symlink_to("shared/templates")


def link_theme(site: Path) -> None:
    """The site's theme folder as a link to one elsewhere in the site."""
    write(site / "my-theme/static/site.css", "body { color: #123456; }\n")
    (site / "themes").mkdir()
    (site / "themes/default").symlink_to("../my-theme")


def remove(name: str) -> Callable[[Path], None]:
    return lambda site: (site / name).unlink()


def rename(old: str, new: str) -> Callable[[Path], None]:
    return lambda site: (site / old).rename(site / new)


def replace_image(site: Path) -> None:
    """Another picture under the same name, as an editor's program saves it: a new file in its place."""
    picture = site / ISSUES / "2017-01/images/price.png"
    before = picture.read_bytes()
    Image.new("RGB", (3, 2), (200, 30, 30)).save(picture.with_name("new.png"))
    os.replace(picture.with_name("new.png"), picture)
    assert picture.read_bytes() != before


def replace_keeping_size_and_time(site: Path) -> None:
    """Another text of the same length put in place with the old file's times, as `cp -p`,
    `rsync -a` or unzip leave a file copied from elsewhere."""
    path = site / HUBEI
    elsewhere = site.parent / "market-a.md"
    elsewhere.write_text(path.read_text(encoding="utf-8").replace("成交活跃", "成交清淡"), encoding="utf-8")
    times = path.stat()
    os.utime(elsewhere, ns=(times.st_atime_ns, times.st_mtime_ns))
    shutil.copy2(elsewhere, path)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (times.st_size, times.st_mtime_ns)


def swap_files(first: str, second: str) -> Callable[[Path], None]:
    def swap(site: Path) -> None:
        (site / first).rename(site / (first + ".swap"))
        (site / second).rename(site / first)
        (site / (first + ".swap")).rename(site / second)
    return swap


def new_issue(site: Path) -> None:
    folder = site / ISSUES / "2017-04"
    write(folder / "issue.yaml", "year: 2017\nnumber: 4\ntotal: 93\ndate: 2017-01-27\n")
    write(folder / "01-first.md", article(title="第四期的文章", date="2017-01-26", body="第四期的正文。"))


def edit_by_hand(path: str) -> Callable[[Path], None]:
    return lambda site: write(site / OUTPUT_DIR / path, "<p>edited by hand</p>\n")


def touch_every_source_file(site: Path) -> None:
    for path in site.rglob("*"):
        if path.is_file() and path.relative_to(site).parts[0] not in (".cache", OUTPUT_DIR):
            os.utime(path)


def image_is_the_new_one(site: Path) -> bool:
    return (site / OUTPUT_DIR / "issues/2017-01/images/price.png").read_bytes() == \
        (site / ISSUES / "2017-01/images/price.png").read_bytes()


def before(text: str, first: str, second: str) -> bool:
    return first in text and second in text and text.index(first) < text.index(second)


@dataclass(frozen=True)
class Step:
    """One change to the site, followed by a build; `shows` tells its result in the output
    (None: the output must stay as it was)."""

    change: Callable[[Path], None]
    shows: Callable[[Path], bool] | None


SITE_CSS = "themes/default/static/site.css"
TEMPLATE_MARKER = "<!-- 本站自己的文章模板 -->"
LINKED_MARKER = "<!-- 共用的模板：一 -->"

CHANGES: dict[str, tuple[Step, ...]] = {
    "article body": (Step(edit(POLICY, "现将有关事项通知如下", "现将有关事项补充通知如下"),
                          lambda s: "现将有关事项补充通知如下" in page(s, POLICY_PAGE)),),
    "article title": (Step(edit(CARBON, "title: 各交易所碳价走势", "title: 各交易所碳价周报"),
                           lambda s: "各交易所碳价周报" in page(s, CARBON_PAGE)
                           and "各交易所碳价周报" in page(s, "issues/2017-01/index.html")
                           and "上一篇：各交易所碳价周报" in page(s, POLICY_PAGE)),),  # a neighbour's pager
    "article date": (Step(edit(HUBEI, "date: 2017-01-11", "date: 2017-01-09"),
                          lambda s: "2017-1-9" in page(s, "issues/2017-02/market-a/index.html")
                          and before(page(s, "sections/market/index.html"), "深圳碳市场履约在即", "湖北碳市场成交活跃")),),
    "article section": (Step(edit(HUBEI, "section: market", "section: policy"),
                             lambda s: "湖北碳市场成交活跃" in page(s, "sections/policy/index.html")
                             and "湖北碳市场成交活跃" not in page(s, "sections/market/index.html")),),
    "article order": (Step(edit(HUBEI, "section: market\n", "section: market\norder: 5\n"),
                           lambda s: before(page(s, "index.html"), "深圳碳市场履约在即", "湖北碳市场成交活跃")),),
    "article made a draft": (Step(edit(SHENZHEN, "slug: shenzhen\n", "slug: shenzhen\ndraft: true\n"),
                                  lambda s: not published(s, "issues/2017-02/shenzhen")
                                  and "深圳碳市场履约在即" not in page(s, "index.html")),),
    "draft article published": (Step(edit(f"{ISSUES}/2017-01/03-draft.md", "draft: true", "draft: false"),
                                     lambda s: "尚未定稿的文章" in page(s, "issues/2017-01/draft/index.html")
                                     and published(s, "issues/2017-01/images/draft-only.png")),),
    "new article": (Step(lambda s: write(s / ISSUES / "2017-02/04-new.md", article(title="新增的文章", body="新的正文。")),
                         lambda s: "新的正文。" in page(s, "issues/2017-02/new/index.html")
                         and "新增的文章" in page(s, "index.html")),),
    "deleted article": (Step(remove(POLICY),
                             lambda s: not published(s, "issues/2017-01/policy")
                             and "关于开展碳排放核查的通知" not in page(s, "issues/2017-01/index.html")),),
    "same size and time kept": (Step(replace_keeping_size_and_time,
                                     lambda s: "湖北碳市场本周成交清淡" in page(s, "issues/2017-02/market-a/index.html")),),
    "article files swapped": (Step(swap_files(HUBEI, SHENZHEN),
                                   lambda s: "湖北碳市场成交活跃" in page(s, "issues/2017-02/market-b/index.html")
                                   and not published(s, "issues/2017-02/market-a")),),
    "renamed article file": (Step(rename(POLICY, f"{ISSUES}/2017-01/02-notice.md"),
                                  lambda s: "关于开展碳排放核查的通知" in page(s, "issues/2017-01/notice/index.html")
                                  and not published(s, "issues/2017-01/policy")),),
    "renamed issue folder": (Step(rename(f"{ISSUES}/2017-02", f"{ISSUES}/2017-02-special"),
                                  lambda s: "湖北碳市场成交活跃" in page(s, "issues/2017-02-special/index.html")
                                  and not published(s, "issues/2017-02")),),
    "new issue": (Step(new_issue, lambda s: "2017年第4期" in page(s, "index.html")
                       and "第四期的正文。" in page(s, "issues/2017-04/first/index.html")),),
    "draft issue published": (Step(edit(f"{ISSUES}/2017-03/issue.yaml", "draft: true", "draft: false"),
                                   lambda s: "2017年第3期" in page(s, "index.html")
                                   and "下一期的稿件" in page(s, "issues/2017-03/next/index.html")),),
    "deleted issue": (Step(lambda s: shutil.rmtree(s / ISSUES / "2017-02"),
                           lambda s: "2017年第1期" in page(s, "index.html") and not published(s, "issues/2017-02")),),
    "issue note": (Step(edit(f"{ISSUES}/2017-01/issue.yaml", "本期关注全国碳市场建设。", "本期关注全国碳市场扩容。"),
                        lambda s: "本期关注全国碳市场扩容。" in page(s, "issues/2017-01/index.html")),),
    "issue number": (Step(edit(f"{ISSUES}/2017-02/issue.yaml", "number: 2", "number: 5"),
                          lambda s: "2017年第5期" in page(s, "index.html")
                          and "2017年第5期" in page(s, "issues/2017-02/market-a/index.html")),),
    "site title": (Step(edit("site.yaml", "title: 测试简报", "title: 碳市场简报"),
                        lambda s: "碳市场简报" in page(s, "index.html") and "碳市场简报" in page(s, CARBON_PAGE)),),
    "section name": (Step(lambda s: (replace(s / "site.yaml", "name: 国际资讯", "name: 国际动态"),
                                     replace(s / ISSUES / "2017-02/intl.md", "section: 国际资讯", "section: international")),
                          lambda s: "【国际动态】" in page(s, "issues/2017-02/index.html")
                          and "国际资讯" not in page(s, "issues/2017-02/intl/index.html")),),
    "section slug": (Step(edit("site.yaml", "slug: international", "slug: world"),
                          lambda s: published(s, "sections/world/index.html")
                          and not published(s, "sections/international")),),
    "template override added then removed": (
        Step(override_template("article.html", TEMPLATE_MARKER),
             lambda s: TEMPLATE_MARKER in page(s, CARBON_PAGE) and TEMPLATE_MARKER not in page(s, "index.html")),
        Step(remove("templates/article.html"),
             lambda s: TEMPLATE_MARKER not in page(s, CARBON_PAGE) and "各交易所碳价走势" in page(s, CARBON_PAGE))),
    "included template overridden": (Step(override_template("_toc.html", "<!-- 本站自己的目录 -->"),
                                          lambda s: "<!-- 本站自己的目录 -->" in page(s, "issues/2017-01/index.html")),),
    # Every page template extends base.html: the pages are made again from their own template's
    # digest, which takes in the templates it extends.
    "base template overridden": (Step(override_template("base.html", "<!-- 本站自己的外框 -->"),
                                      lambda s: all("<!-- 本站自己的外框 -->" in page(s, path) for path in
                                                    ("index.html", "issues/2017-01/index.html", CARBON_PAGE))),),
    # A template named by a variable cannot be known from the template's text: a change to any
    # template file makes its pages again.
    "template included by a variable's name": (
        Step(lambda s: (write(s / "templates/article.html", '{% extends "base.html" %}{% block main %}'
                              '{% set part = "_part.html" %}{% include part %}{% endblock %}'),
                        write(s / "templates/_part.html", "<p>部件：一</p>")),
             lambda s: "部件：一" in page(s, CARBON_PAGE)),
        Step(edit("templates/_part.html", "部件：一", "部件：二"), lambda s: "部件：二" in page(s, CARBON_PAGE))),
    "theme static file overridden then edited": (
        Step(lambda s: write(s / SITE_CSS, "body { color: #123456; }\n"),
             lambda s: page(s, "static/site.css") == "body { color: #123456; }\n"),
        Step(edit(SITE_CSS, "#123456", "#654321"),  # the same size
             lambda s: page(s, "static/site.css") == "body { color: #654321; }\n")),
    # Edited in place (the same file, the same size), as most editors save.
    "linked templates folder edited": (
        Step(link_templates, lambda s: LINKED_MARKER in page(s, CARBON_PAGE)),
        Step(edit("shared/templates/article.html", "模板：一", "模板：二"),
             lambda s: "<!-- 共用的模板：二 -->" in page(s, CARBON_PAGE))),
    "linked theme folder edited": (
        Step(link_theme, lambda s: page(s, "static/site.css") == "body { color: #123456; }\n"),
        Step(edit("my-theme/static/site.css", "#123456", "#654321"),
             lambda s: page(s, "static/site.css") == "body { color: #654321; }\n")),
    "image replaced": (Step(replace_image, image_is_the_new_one),),
    "changes in a row and back": (
        Step(edit(CARBON, "title: 各交易所碳价走势", "title: 各交易所碳价周报"),
             lambda s: "各交易所碳价周报" in page(s, CARBON_PAGE)),
        Step(edit(SHENZHEN, "深圳碳市场履约在即。", "深圳碳市场履约期临近。"),
             lambda s: "深圳碳市场履约期临近。" in page(s, "issues/2017-02/shenzhen/index.html")
             and "各交易所碳价周报" in page(s, CARBON_PAGE)),
        Step(edit(CARBON, "title: 各交易所碳价周报", "title: 各交易所碳价走势"),  # as the cache has seen it before
             lambda s: "各交易所碳价周报" not in page(s, "issues/2017-01/index.html"))),
    "nothing changed": (Step(lambda s: None, None),),
    "touched but not changed": (Step(touch_every_source_file, None),),
    "output page edited by hand": (Step(edit_by_hand(CARBON_PAGE), None),),
    "output folder deleted": (Step(lambda s: shutil.rmtree(s / OUTPUT_DIR), None),),
    # No sleep: the second edit comes within the second of the build that read the first,
    # and leaves the file its size (稳, 衡 and 定 are three bytes each in UTF-8).
    "same-size edits within one second": (
        Step(edit(CARBON, "整体平稳", "整体平衡"), lambda s: "整体平衡" in page(s, CARBON_PAGE)),
        Step(edit(CARBON, "整体平衡", "整体平定"), lambda s: "整体平定" in page(s, CARBON_PAGE))),
}


def assert_built_right(site: Path, step: Step, previous: dict[str, bytes], clean: dict[str, bytes]) -> None:
    """The output is what a clean build writes, and shows the step's change (or, where
    the step shows none, is as it was)."""
    incremental = tree(site / OUTPUT_DIR)
    assert_same(incremental, clean)
    if step.shows is None:
        assert incremental == previous
    else:
        assert incremental != previous and step.shows(site)


@pytest.mark.parametrize("steps", CHANGES.values(), ids=CHANGES.keys())
def test_after_a_change_an_incremental_build_writes_what_a_clean_build_writes(built, newsletter, steps):
    site = built
    for step in steps:
        previous = tree(site / OUTPUT_DIR)
        step.change(site)
        clean = start_clean_build(site)
        rebuild(newsletter, site)
        assert_built_right(site, step, previous, clean())


# Changes made again where the build before and the build after come seconds apart (as
# they do for an editor), so that the builder does not read the files again for being
# new, and must tell the change from what the files look like. The earlier steps of a
# change are the site as it was before.
SETTLED = ("article body", "same size and time kept", "article files swapped", "renamed article file",
           "deleted article", "new article", "draft article published", "issue note", "image replaced",
           "template override added then removed", "theme static file overridden then edited",
           "linked templates folder edited", "linked theme folder edited", "touched but not changed")


@pytest.fixture(scope="session")
def settled_changes(pool) -> dict[str, tuple[Path, dict[str, bytes]]]:
    """For each of SETTLED: a site built, then given the change's last step, then left to
    settle; with its output before that step."""
    changed = {}
    for name, site in pool.prepared.items():
        build_quietly(site)
        changed[name] = site, tree(site / OUTPUT_DIR)
        CHANGES[name][-1].change(site)
    time.sleep(SETTLE_SECONDS)
    return changed


@pytest.mark.parametrize("name", SETTLED)
def test_after_a_change_left_to_settle_an_incremental_build_writes_what_a_clean_build_writes(settled_changes,
                                                                                             newsletter, name):
    site, previous = settled_changes[name]
    clean = start_clean_build(site)
    rebuild(newsletter, site)
    assert_built_right(site, CHANGES[name][-1], previous, clean())


def pin_times(site: Path, second: int) -> None:
    """Every file and folder of the site given one time, as a file system that keeps whole
    seconds (FAT, HFS+, many network shares) gives everything done within that second."""
    for path in [site, *site.rglob("*")]:
        os.utime(path, ns=(second, second), follow_symlinks=False)


def test_a_same_size_edit_within_the_second_of_the_build_is_seen_where_times_are_whole_seconds(built, newsletter):
    site = built
    second = time.time_ns() // 10**9 * 10**9
    replace(site / CARBON, "整体平稳", "整体平衡")
    pin_times(site, second)
    rebuild(newsletter, site)
    pin_times(site, second)  # what the build wrote too
    replace(site / CARBON, "整体平衡", "整体平定")
    pin_times(site, second)
    clean = start_clean_build(site)
    rebuild(newsletter, site)
    assert_same(tree(site / OUTPUT_DIR), clean())
    assert "整体平定" in page(site, CARBON_PAGE)


def test_builds_with_and_without_drafts_in_turn_write_what_clean_builds_write(built, newsletter):
    site = built
    clean = start_clean_build(site, "--drafts")
    assert newsletter("build", "--site", site, "--no-pdf", "--drafts").code == 0
    assert_same(tree(site / OUTPUT_DIR), clean())
    assert "尚未定稿的文章" in page(site, "issues/2017-01/draft/index.html")
    clean = start_clean_build(site)
    rebuild(newsletter, site)
    assert_same(tree(site / OUTPUT_DIR), clean())
    assert not published(site, "issues/2017-01/draft") and not published(site, "issues/2017-03")


# --- a damaged or missing cache ---------------------------------------------

def fill_with_garbage(site: Path) -> None:
    """Every file of the cache, its size kept, full of bytes no build wrote."""
    for path in (site / ".cache").rglob("*"):
        if path.is_file():
            path.write_bytes((b"\xffgarbage\0" * (path.stat().st_size // 9 + 1))[: path.stat().st_size])


def truncate(site: Path) -> None:
    for path in (site / ".cache").rglob("*"):
        if path.is_file():
            os.truncate(path, path.stat().st_size // 2)


def delete(site: Path) -> None:
    shutil.rmtree(site / ".cache")


@pytest.mark.parametrize("edited", [False, True], ids=["unedited", "edited"])
@pytest.mark.parametrize("damage", [fill_with_garbage, truncate, delete], ids=["garbage", "truncated", "deleted"])
def test_after_damage_to_the_cache_an_incremental_build_writes_what_a_clean_build_writes(built, newsletter,
                                                                                          damage, edited):
    site = built
    previous = tree(site / OUTPUT_DIR)
    assert any(path.is_file() for path in (site / ".cache").rglob("*"))
    damage(site)
    if edited:
        replace(site / POLICY, "现将有关事项通知如下", "现将有关事项补充通知如下")
    clean = start_clean_build(site)
    rebuild(newsletter, site)
    incremental = tree(site / OUTPUT_DIR)
    assert_same(incremental, clean())
    assert (incremental != previous and "补充通知" in page(site, POLICY_PAGE)) if edited else incremental == previous


# --- a failed build ---------------------------------------------------------

def exactly(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under `folder`, the manifests too, with its bytes and its time."""
    return {path.relative_to(folder).as_posix(): (path.read_bytes(), path.lstat().st_mtime_ns)
            for path in sorted(folder.rglob("*")) if path.is_file()}


def break_front_matter(site: Path) -> None:
    """A good edit in another issue beside a bad one: the failed build has work of its own to keep, or not."""
    replace(site / SHENZHEN, "深圳碳市场履约在即。", "深圳碳市场履约期临近。")
    replace(site / CARBON, "title: 各交易所碳价走势", "title: [各交易所碳价走势")


def break_template(site: Path) -> None:
    override_template("article.html", "{% if %}")(site)


@dataclass(frozen=True)
class Breakage:
    make: Callable[[Path], None]
    mend: Callable[[Path], None]
    shows: Callable[[Path], bool]


BREAKAGES = {
    "front matter": Breakage(break_front_matter, edit(CARBON, "title: [各交易所碳价走势", "title: 各交易所碳价周报"),
                             lambda s: "各交易所碳价周报" in page(s, CARBON_PAGE)
                             and "深圳碳市场履约期临近。" in page(s, "issues/2017-02/shenzhen/index.html")),
    "template": Breakage(break_template, override_template("article.html", TEMPLATE_MARKER),
                         lambda s: TEMPLATE_MARKER in page(s, CARBON_PAGE)),
}


@pytest.mark.parametrize("breakage", BREAKAGES.values(), ids=BREAKAGES.keys())
def test_a_failed_incremental_build_leaves_the_output_as_it_was_and_the_mended_build_is_right(built, newsletter,
                                                                                              breakage):
    site = built
    left = exactly(site / OUTPUT_DIR)
    breakage.make(site)
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 1, run.out + run.err
    assert exactly(site / OUTPUT_DIR) == left
    breakage.mend(site)
    clean = start_clean_build(site)
    rebuild(newsletter, site)
    assert_same(tree(site / OUTPUT_DIR), clean())
    assert breakage.shows(site)


def test_a_template_s_digest_changes_with_the_templates_it_is_made_of_and_no_other(tmp_path):
    from builder.errors import ErrorLog
    from builder.render.themes import TemplateDigests, template_env
    from builder.source.config import load_site

    site_folder = shutil.copytree(FIXTURES / "site-basic", tmp_path / "site", symlinks=True)

    def digests() -> dict[str, str]:
        site = load_site(site_folder, ErrorLog())
        assert site is not None
        known = TemplateDigests(template_env(site), site)
        return {name: known(name) for name in ("article.html", "issue.html", "index.html", "section.html")}

    first = digests()
    override_template("article.html", "<!-- 一 -->")(site_folder)
    second = digests()
    assert second["article.html"] != first["article.html"]
    assert {k: v for k, v in second.items() if k != "article.html"} == \
        {k: v for k, v in first.items() if k != "article.html"}
    override_template("_toc.html", "<!-- 目录 -->")(site_folder)  # included by the issue page and the home page
    third = digests()
    assert [name for name in third if third[name] != second[name]] == ["issue.html", "index.html"]
    override_template("base.html", "<!-- 外框 -->")(site_folder)
    fourth = digests()
    assert all(fourth[name] != third[name] for name in fourth)
