"""A build that would change nothing says so and writes nothing (builder/cache/stamp.py);
the archive read and rendered over several processes is the archive made in one."""

import os
import shutil

import pytest
from conftest import article, comparable, snapshot, write

import builder.render.web
from builder import files
from builder.cache import stamp
from builder.routes import BUILD_CACHE, OUTPUT_DIGESTS

UNCHANGED = "nothing changed since the last build, so nothing was written"
PAGE = "output/issues/2017-01/carbon-price/index.html"


@pytest.fixture
def settled(monkeypatch):
    """Time stamps trusted at once (in these tests no file changes twice in one tick)."""
    monkeypatch.setattr(files, "RACY_NS", 0)


def inode(path):
    return os.stat(path).st_ino


def test_a_build_that_would_change_nothing_writes_nothing_and_says_so(site, newsletter, settled):
    first = newsletter("build", "--site", site, "--no-pdf")
    assert first.code == 0 and UNCHANGED not in first.out
    before = (inode(site / "output"), inode(site / PAGE), snapshot(site / "output"))
    again = newsletter("build", "--site", site, "--no-pdf")
    assert again.code == 0
    assert UNCHANGED in again.out
    assert (inode(site / "output"), inode(site / PAGE), snapshot(site / "output")) == before


def test_the_warnings_of_the_last_build_are_said_again(site, newsletter, settled):
    write(site / "content/issues/2017-02/notes.markdown", "---\ntitle: x\n---\n")  # warned about: not .md
    first = newsletter("build", "--site", site, "--no-pdf")
    assert "only files ending in .md are" in first.err
    again = newsletter("build", "--site", site, "--no-pdf")
    assert UNCHANGED in again.out
    assert again.err == first.err


@pytest.mark.parametrize("change", ["article", "new file", "site.yaml", "template", "output page edited",
                                    "output page deleted", "output manifest", "other options", "no cache"])
def test_any_change_makes_a_real_build(site, newsletter, settled, change):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    options = ["build", "--site", site, "--no-pdf"]
    if change == "article":
        path = site / "content/issues/2017-01/01-carbon-price.md"
        path.write_text(path.read_text(encoding="utf-8") + "\n补充。\n", encoding="utf-8")
    elif change == "new file":
        write(site / "content/issues/2017-02/09-new.md", article(title="新的一篇"))
    elif change == "site.yaml":
        path = site / "site.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("测试简报", "测试简报二"), encoding="utf-8")
    elif change == "template":
        write(site / "templates/404.html", "<p>找不到</p>\n")
    elif change == "output page edited":
        (site / PAGE).write_text("edited by hand", encoding="utf-8")
    elif change == "output page deleted":
        (site / PAGE).unlink()
    elif change == "output manifest":
        (site / "output" / OUTPUT_DIGESTS).write_text("{}", encoding="utf-8")
    elif change == "other options":
        options.append("--drafts")
    else:
        options.append("--no-cache")
    run = newsletter(*options)
    assert run.code == 0 and UNCHANGED not in run.out and run.out.startswith(("  loaded", "built"))
    if change.startswith("output page"):
        assert "edited by hand" not in (site / PAGE).read_text(encoding="utf-8")


def test_a_site_changed_a_moment_before_the_build_is_not_stamped(site, newsletter):
    # The files were just copied: their time stamps cannot vouch for them yet.
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert not (site / BUILD_CACHE / stamp.FILE).exists()
    assert UNCHANGED not in newsletter("build", "--site", site, "--no-pdf").out


def test_a_damaged_or_foreign_stamp_means_a_real_build(site, newsletter, settled):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    place = site / BUILD_CACHE / stamp.FILE
    for damage in ("", "not json", "[]", '{"version": 1, "code": "x"}', '{"version": 99}'):
        place.write_text(damage, encoding="utf-8")
        run = newsletter("build", "--site", site, "--no-pdf")
        assert run.code == 0 and UNCHANGED not in run.out, damage


def test_a_stamp_reached_through_a_link_out_of_the_site_is_not_used(site, newsletter, settled, tmp_path):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    elsewhere = tmp_path / "elsewhere"
    (site / ".cache").rename(elsewhere)
    (site / ".cache").symlink_to(elsewhere, target_is_directory=True)
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 0 and UNCHANGED not in run.out


def test_the_archive_made_over_two_processes_is_the_one_made_in_one(site, newsletter, tmp_path, monkeypatch):
    # Over processes however few its pages: those of the issues, the sections and the feed.
    monkeypatch.setattr(builder.render.web, "FORK_PAGES", 0)
    assert newsletter("build", "--site", site, "--no-pdf", "--no-cache", "--jobs", "1",
                      "--output", tmp_path / "one").code == 0
    assert newsletter("build", "--site", site, "--no-pdf", "--no-cache", "--jobs", "2",
                      "--output", tmp_path / "two").code == 0
    one, two = snapshot(tmp_path / "one"), snapshot(tmp_path / "two")
    one.pop(OUTPUT_DIGESTS), two.pop(OUTPUT_DIGESTS)
    assert comparable(tmp_path / "one", one) == comparable(tmp_path / "two", two)


@pytest.mark.parametrize("template", ["article.html", "section.html"])
def test_a_template_error_in_a_worker_names_the_template_and_line(site, newsletter, monkeypatch, template):
    monkeypatch.setattr(builder.render.web, "FORK_PAGES", 0)
    write(site / "templates" / template, "{% extends 'base.html' %}\n{% block main %}\n"
                                         "{{ page_path }}\n{{ no_such_thing.x }}\n{% endblock %}\n")
    run = newsletter("build", "--site", site, "--no-pdf", "--jobs", "2")
    assert run.code == 1
    assert f"templates/{template}:4: template error" in run.err and "Traceback" not in run.err


@pytest.mark.parametrize("value", ["0", "-1", "two", "1000"])
def test_jobs_must_be_a_number_of_processes(site, newsletter, value):
    run = newsletter("build", "--site", site, "--no-pdf", "--jobs", value)
    assert run.code == 2 and "is not a number of processes" in run.err


@pytest.mark.parametrize("kind", ["link", "folder", "empty folder", "file"])
def test_a_spare_archive_that_is_not_the_builds_is_left_alone(site, newsletter, tmp_path, kind):
    spare = site / ".output.spare"
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "keep.txt", "mine")
    if kind == "link":
        spare.symlink_to(elsewhere, target_is_directory=True)
    elif kind == "folder":
        write(spare / "keep.txt", "mine")
    elif kind == "empty folder":
        spare.mkdir()
    else:
        spare.write_text("mine", encoding="utf-8")
    before = (spare.is_symlink(), snapshot(spare) if spare.is_dir() else spare.read_text(encoding="utf-8"))
    for title in ("第一次", "第二次", "第三次"):  # each build replaces output/ with one that differs
        write(site / "content/issues/2017-02/09-new.md", article(title=title))
        assert newsletter("build", "--site", site, "--no-pdf").code == 0
        assert title in (site / "output/issues/2017-02/new/index.html").read_text(encoding="utf-8")
    assert (spare.is_symlink(), snapshot(spare) if spare.is_dir() else spare.read_text(encoding="utf-8")) == before
    assert snapshot(elsewhere) == {"keep.txt": snapshot(elsewhere)["keep.txt"]}
    assert not list(site.glob(".output.new-*")) and not list(site.glob(".output.old-*"))


def test_the_spare_archive_is_brought_up_to_date_and_swapped_in(site, newsletter):
    for title in ("第一次", "第二次", "第三次", "第四次"):
        write(site / "content/issues/2017-02/09-new.md", article(title=title))
        assert newsletter("build", "--site", site, "--no-pdf").code == 0
        spare, published = site / ".output.spare", site / "output"
        assert title in (published / "issues/2017-02/new/index.html").read_text(encoding="utf-8")
    # The two archives share the files that did not change; what changed is not in the spare.
    assert inode(spare / "issues/2017-01/carbon-price/index.html") == inode(published / PAGE.removeprefix("output/"))
    assert not (spare / "issues/2017-02/new/index.html").exists()
    assert (spare / "issues/2017-02/new").is_dir()  # its folder kept for the next build


def test_a_spare_made_apart_from_the_published_archive_links_only_files_as_the_build_left_them(site, newsletter,
                                                                                              tmp_path):
    from builder.render.output import make_spare

    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert not (site / ".output.spare").exists()  # the first build replaced nothing
    (site / PAGE).write_text("edited by hand", encoding="utf-8")
    make_spare(site / "output")
    spare = site / ".output.spare"
    index = "issues/2017-02/index.html"
    assert inode(spare / index) == inode(site / "output" / index)
    assert not (spare / PAGE.removeprefix("output/")).exists()  # not as the build left it: left out
    make_spare(site / "output")  # a spare there already: nothing done
    write(site / "content/issues/2017-02/09-new.md", article(title="新的一篇"))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert newsletter("build", "--site", site, "--no-pdf", "--no-cache", "--output", tmp_path / "clean").code == 0
    built, clean = snapshot(site / "output"), snapshot(tmp_path / "clean")
    built.pop(OUTPUT_DIGESTS), clean.pop(OUTPUT_DIGESTS)
    assert comparable(site / "output", built) == comparable(tmp_path / "clean", clean)
    assert not list(site.glob(".output.new-*"))


@pytest.mark.parametrize("name", ["/{victim}", "../{victim_name}", "issues/../../{victim_name}", "a\\\\b", ""])
def test_names_in_the_digests_that_no_build_writes_make_nothing_deleted_or_linked(site, newsletter, tmp_path, name):
    import json

    victim = write(site / "notes.txt", "the editor's")
    outside = write(tmp_path / "outside.txt", "not the site's")
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    for title in ("一", "二", "三"):
        for folder in ("output", ".output.spare"):
            digests = site / folder / OUTPUT_DIGESTS
            if digests.is_file():
                entries = json.loads(digests.read_text(encoding="utf-8"))
                for target in (victim, outside):
                    entries[name.format(victim=target, victim_name=target.name)] = [1, 1, "x"]
                digests.write_text(json.dumps(entries), encoding="utf-8")
        write(site / "content/issues/2017-02/09-new.md", article(title=title))
        assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert victim.read_text(encoding="utf-8") == "the editor's" and outside.read_text(encoding="utf-8") == "not the site's"


def test_a_spare_copied_from_elsewhere_is_not_used(site, newsletter, tmp_path):
    import shutil

    for title in ("一", "二"):
        write(site / "content/issues/2017-02/09-new.md", article(title=title))
        assert newsletter("build", "--site", site, "--no-pdf").code == 0
    spare = site / ".output.spare"
    assert spare.is_dir()
    # As a spare committed to a repository and checked out: the same files, another folder.
    elsewhere = tmp_path / "outside"
    write(elsewhere / "precious.txt", "mine")
    shutil.copytree(spare, tmp_path / "copy", symlinks=True)
    shutil.rmtree(spare)
    (tmp_path / "copy").rename(spare)
    (spare / "issues/2017-02/new").rename(spare / "issues/2017-02/new-moved")
    (spare / "issues/2017-02/new").symlink_to(elsewhere, target_is_directory=True)
    write(site / "content/issues/2017-02/09-new.md", article(title="三"))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert snapshot(elsewhere) == {"precious.txt": snapshot(elsewhere)["precious.txt"]}
    assert "三" in (site / "output/issues/2017-02/new/index.html").read_text(encoding="utf-8")


def test_builds_work_where_files_cannot_be_hard_linked(site, newsletter, monkeypatch, tmp_path):
    def no_links(*_, **__):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    for title in ("一", "二", "三"):
        write(site / "content/issues/2017-02/09-new.md", article(title=title))
        assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert newsletter("build", "--site", site, "--no-pdf", "--no-cache", "--output", tmp_path / "clean").code == 0
    built, clean = snapshot(site / "output"), snapshot(tmp_path / "clean")
    built.pop(OUTPUT_DIGESTS), clean.pop(OUTPUT_DIGESTS)
    assert comparable(site / "output", built) == comparable(tmp_path / "clean", clean)


def test_a_withdrawn_article_is_not_left_in_the_spare(site, newsletter):
    write(site / "content/issues/2017-02/09-new.md", article(title="要撤下的一篇"))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    (site / "content/issues/2017-02/09-new.md").unlink()
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert (site / ".output.spare").is_dir()
    assert not (site / ".output.spare/issues/2017-02/new").exists()


def test_the_spare_holds_only_what_is_published(site, newsletter, tmp_path):
    """Beside a web server's folder, a spare must show nothing the archive does not."""
    write(site / "content/issues/2017-02/09-new.md", article(title="撤下", body="要撤下的一段。"))
    assert newsletter("build", "--site", site, "--no-pdf", "--output", tmp_path / "www").code == 0
    path = site / "content/issues/2017-01/01-carbon-price.md"
    path.write_text(path.read_text(encoding="utf-8").replace("---\n", "---\n", 1) + "\n改过的一段。\n",
                    encoding="utf-8")
    (site / "content/issues/2017-02/09-new.md").unlink()
    assert newsletter("build", "--site", site, "--no-pdf", "--output", tmp_path / "www").code == 0
    spare = tmp_path / ".www.spare"
    assert spare.is_dir()
    published = snapshot(tmp_path / "www")
    for name, digest in snapshot(spare).items():
        if name not in (".newsletter-output", OUTPUT_DIGESTS, ".newsletter-spare"):
            assert published.get(name) == digest, name
    assert not (spare / "issues/2017-02/new").exists()
    assert not (spare / "issues/2017-01/carbon-price/index.html").exists()


@pytest.mark.parametrize("linked", ["file", "folder"])
def test_a_template_linked_inside_the_site_is_part_of_the_pages_key(site, newsletter, tmp_path, linked):
    shared = write(site / "shared/404.html", "<p>第一版</p>\n")
    if linked == "file":
        (site / "templates").mkdir()
        (site / "templates/404.html").symlink_to("../shared/404.html")
    else:
        (site / "templates").symlink_to("shared", target_is_directory=True)
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert "第一版" in (site / "output/404.html").read_text(encoding="utf-8")
    shared.write_text("<p>第二版</p>\n", encoding="utf-8")
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert "第二版" in (site / "output/404.html").read_text(encoding="utf-8")


def test_the_build_cache_holds_one_entry_an_issue_however_often_the_issues_change(site, newsletter, settled):
    import sqlite3

    from builder.cache.store import FILE

    for title in ("一", "二", "三", "四", "五"):
        write(site / "content/issues/2017-02/09-new.md", article(title=title))
        assert newsletter("build", "--site", site, "--no-pdf").code == 0
        db = sqlite3.connect(site / BUILD_CACHE / FILE)
        issues = db.execute("SELECT count(*) FROM entries WHERE kind = 'issue'").fetchone()[0]
        db.close()
        assert issues == 3  # the fixture's three issue folders (one a draft), not one more each build


def test_a_worker_that_dies_stops_the_build_at_once_with_a_message(site, newsletter, monkeypatch):
    import builder.render.web

    real = builder.render.web._Pages.issues

    def dies_in_a_worker(self, numbers, pdfs):
        if os.getpid() != parent and not self.planning:
            os._exit(9)  # as the kernel's out-of-memory killer would leave it
        return real(self, numbers, pdfs)

    parent = os.getpid()
    monkeypatch.setattr(builder.render.web, "FORK_PAGES", 0)
    monkeypatch.setattr(builder.render.web._Pages, "issues", dies_in_a_worker)
    run = newsletter("build", "--site", site, "--no-pdf", "--jobs", "2")
    assert run.code == 4
    assert "a worker process died" in run.err and "--jobs 1" in run.err and "Traceback" not in run.err
    assert not (site / "output").exists()


@pytest.mark.parametrize("where", [".cache/build/last-build.json", "output/.newsletter-digests",
                                   "output/.newsletter-output"])
@pytest.mark.parametrize("what", ["pipe", "deeply nested JSON"])
def test_a_pipe_or_a_deeply_nested_file_in_place_of_the_builds_own_is_no_hang_and_no_fault(site, newsletter,
                                                                                            settled, where, what):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    path = site / where
    path.unlink(missing_ok=True)
    if what == "pipe":
        os.mkfifo(path)
    else:
        path.write_text(("" if "output" not in where else
                         "Written by `newsletter build`; the next build replaces this folder.\nFiles the build "
                         "wrote (any other file in this folder is kept by the next build), in JSON:\n")
                        + "[" * 1_000_000, encoding="utf-8")
    write(site / "content/issues/2017-02/09-new.md", article(title="再建"))
    run = newsletter("build", "--site", site, "--no-pdf")
    assert "Traceback" not in run.err and "failed unexpectedly" not in run.err
    if where.endswith(".newsletter-output") and what != "pipe":  # a damaged manifest: the editor is asked to look
        assert run.code == 1 and "the list of the files the last build wrote is damaged" in run.err
    else:
        assert run.code == 0 and "再建" in (site / "output/issues/2017-02/new/index.html").read_text(encoding="utf-8")


def test_a_folder_nested_fifteen_hundred_levels_deep_in_an_issue_is_no_hang(site, newsletter):
    place = str(site / "content/issues/2017-01")
    for _ in range(1500):  # walked in a second, where a realpath for each level took minutes
        place += "/d"
        os.mkdir(place)
    try:
        assert newsletter("build", "--site", site, "--no-pdf").code == 0
    finally:
        # Removed here, from the deepest up: pytest's own clean-up (shutil.rmtree) of a later
        # run would recurse past Python's limit.
        while place != str(site / "content/issues/2017-01"):
            os.rmdir(place)
            place = os.path.dirname(place)


def test_a_file_put_into_the_spare_by_hand_is_not_published(site, newsletter):
    for title in ("第一次", "第二次"):
        write(site / "content/issues/2017-02/09-new.md", article(title=title))
        assert newsletter("build", "--site", site, "--no-pdf").code == 0
    write(site / ".output.spare/issues/2017-01/planted.html", "<script>alert(1)</script>")
    write(site / ".output.spare/planted.js", "alert(1)")
    write(site / "content/issues/2017-02/09-new.md", article(title="第三次"))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert "第三次" in (site / "output/issues/2017-02/new/index.html").read_text(encoding="utf-8")
    assert not (site / "output/issues/2017-01/planted.html").exists()
    assert not (site / "output/planted.js").exists()


def test_a_spare_from_which_many_files_went_lists_only_those_it_holds(site, newsletter, monkeypatch):
    import json

    from builder.render import output

    monkeypatch.setattr(output, "SPARE_RELIST", 1)
    for title in ("第一次", "第二次", "第三次"):
        write(site / "content/issues/2017-02/09-new.md", article(title=title))
        assert newsletter("build", "--site", site, "--no-pdf").code == 0
        assert title in (site / "output/issues/2017-02/new/index.html").read_text(encoding="utf-8")
        spare = site / ".output.spare"
        if title == "第一次":  # no archive replaced yet
            continue
        listed = set(json.loads((spare / OUTPUT_DIGESTS).read_text(encoding="utf-8")))
        held = {path.relative_to(spare).as_posix() for path in spare.rglob("*") if path.is_file()}
        assert listed == held - {".newsletter-output", OUTPUT_DIGESTS, ".newsletter-spare"}
        assert "issues/2017-02/new/index.html" not in listed


def test_a_spare_finished_apart_after_thousands_of_changes_holds_only_what_is_published(site, newsletter,
                                                                                        monkeypatch):
    """An archive of which thousands of files changed is made the next spare by a process
    of its own (here run in this one): the same spare as the build would make itself."""
    import json

    from builder.render import output

    started = []

    def apart(job, *folders):
        started.append(job)
        getattr(output, job)(*folders)
        return True

    monkeypatch.setattr(output, "APART", 1)
    monkeypatch.setattr(output, "SPARE_RELIST", 1)
    monkeypatch.setattr(output, "_apart", apart)
    write(site / "output/CNAME", "bulletin.example.org\n")
    for title in ("第一次", "第二次", "第三次"):
        write(site / "content/issues/2017-02/09-new.md", article(title=title))
        assert newsletter("build", "--site", site, "--no-pdf").code == 0
        assert title in (site / "output/issues/2017-02/new/index.html").read_text(encoding="utf-8")
    assert "finish_spare" in started
    spare = site / ".output.spare"
    published = snapshot(site / "output")
    held = snapshot(spare)
    for name, digest in held.items():
        if name not in (".newsletter-output", OUTPUT_DIGESTS, ".newsletter-spare"):
            assert published.get(name) == digest, name
    assert "CNAME" not in held and "issues/2017-02/new/index.html" not in held
    listed = set(json.loads((spare / OUTPUT_DIGESTS).read_text(encoding="utf-8")))
    assert listed <= set(held)
    assert (site / "output/CNAME").read_text(encoding="utf-8") == "bulletin.example.org\n"
    assert not list(site.glob(".output.new-*")) and not list(site.glob(".output.old-*"))


def test_an_output_folder_made_by_hand_becomes_no_spare_that_blocks_the_next(site, newsletter):
    write(site / "output/CNAME", "bulletin.example.org\n")
    for title in ("第一次", "第二次", "第三次"):
        write(site / "content/issues/2017-02/09-new.md", article(title=title))
        assert newsletter("build", "--site", site, "--no-pdf").code == 0
    spare, published = site / ".output.spare", site / "output"
    # A spare of the build's, sharing the unchanged pages with the published archive.
    assert (spare / OUTPUT_DIGESTS).is_file() and not (spare / "CNAME").exists()
    page = "issues/2017-01/carbon-price/index.html"
    assert inode(spare / page) == inode(published / page)
    assert (published / "CNAME").read_text(encoding="utf-8") == "bulletin.example.org\n"


def test_an_issue_withdrawn_and_brought_back_is_built_from_the_spare(site, newsletter, monkeypatch, tmp_path):
    """The spare lists the pages of a withdrawn issue (under a thousand files went) though
    their folders are gone: the build that brings them back makes the folders again rather
    than starting the whole archive anew."""
    from builder.render import output

    bases = []
    fill = output._Plan.fill

    def spy(self, base, *rest):
        bases.append(len(base))
        return fill(self, base, *rest)

    monkeypatch.setattr(output._Plan, "fill", spy)
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    write(site / "content/issues/2017-02/09-new.md", article(title="一"))
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    shutil.move(site / "content/issues/2017-02", tmp_path / "2017-02")
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    shutil.move(tmp_path / "2017-02", site / "content/issues/2017-02")
    bases.clear()
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert "一" in (site / "output/issues/2017-02/new/index.html").read_text(encoding="utf-8")
    assert len(bases) == 1 and bases[0] > 0  # one fill, from the spare
