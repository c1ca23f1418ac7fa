"""builder.cache: a build takes the work of the last one from .cache/build/, never wrongly;
a damaged cache is started anew with one line saying so; --no-cache reads nothing of it."""

import shutil
import sqlite3

import pytest
from conftest import FIXTURES, article, comparable, snapshot, write

from builder.cache.store import FILE, Store
from builder.routes import BUILD_CACHE


def pages(folder):
    """The output's files, but for the digests (which hold each file's time)."""
    return comparable(folder, {name: digest for name, digest in snapshot(folder).items()
                               if name != ".newsletter-digests"})


def test_a_rebuild_with_the_cache_gives_what_a_build_from_scratch_gives(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert (site / BUILD_CACHE / FILE).is_file()
    write(site / "content/issues/2017-02/03-new.md", article(title="新文章", body="新的**正文**。"))
    (site / "content/issues/2017-01/01-carbon-price.md").write_text(
        (site / "content/issues/2017-01/01-carbon-price.md").read_text(encoding="utf-8") + "\n补充一段。\n",
        encoding="utf-8")
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    cached = pages(site / "output")
    assert newsletter("build", "--site", site, "--no-pdf", "--no-cache", "--output", site.parent / "fresh").code == 0
    assert pages(site.parent / "fresh") == cached
    assert "补充一段。" in (site / "output/issues/2017-01/carbon-price/index.html").read_text(encoding="utf-8")


def poison(site, article, html: str) -> None:
    """Put a wrong text of `article`'s page into the cache, as only a stale cache could hold."""
    from builder.render import web

    db = sqlite3.connect(site / BUILD_CACHE / FILE)
    db.execute("INSERT OR REPLACE INTO entries VALUES (?, ?, ?)",
               (web.ARTICLE_TEXT, web._article_text_key(article, False, "#c00000"), web._encoded([html, [], "", []])))
    db.commit()
    db.close()


def test_an_articles_text_is_taken_from_the_cache_and_no_cache_reads_none_of_it(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    from builder.pipeline import load

    archive, _ = load(site)
    first = archive.issues[0].articles[0]
    page = site / "output" / first.url_path / "index.html"
    db = sqlite3.connect(site / BUILD_CACHE / FILE)
    assert db.execute("SELECT count(*) FROM entries WHERE kind = 'article text'").fetchone()[0] == \
        len(archive.articles())
    db.close()
    poison(site, first, "<p>FROM THE CACHE</p>")
    page.unlink()  # so that the page is rendered again (its Markdown unchanged), not taken as it was
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert "FROM THE CACHE" in page.read_text(encoding="utf-8")  # the cache is what is used
    assert newsletter("build", "--site", site, "--no-pdf", "--no-cache").code == 0
    assert "FROM THE CACHE" not in page.read_text(encoding="utf-8")  # --no-cache read none of it


def test_a_damaged_cache_is_started_anew_with_one_line_and_the_build_is_right(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    right = pages(site / "output")
    for damage in (b"this is not a database", b"SQLite format 3\0" + b"\xff" * 100, b""):
        (site / BUILD_CACHE / FILE).write_bytes(damage)
        for suffix in ("-wal", "-shm"):
            (site / BUILD_CACHE / (FILE + suffix)).unlink(missing_ok=True)
        run = newsletter("build", "--site", site, "--no-pdf", "--output", site.parent / "again")
        assert run.code == 0, run.err
        said = [line for line in run.out.splitlines() if "build cache" in line]
        assert len(said) <= 1 and (not damage or "it is started anew" in said[0]), run.out
        assert pages(site.parent / "again") == right


def test_a_cache_of_another_schema_is_started_anew(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    db = sqlite3.connect(site / BUILD_CACHE / FILE)
    db.execute("UPDATE meta SET value = '0' WHERE key = 'schema'")
    db.commit()
    db.close()
    run = newsletter("build", "--site", site, "--no-pdf")
    assert run.code == 0 and "written by another version (schema 0)" in run.out


def test_entries_no_build_used_are_dropped(tmp_path):
    with Store(tmp_path / "cache", tmp_path) as store:
        store.put("markdown", "a", b"A")
        store.put("markdown", "b", b"B")
    with Store(tmp_path / "cache", tmp_path) as store:
        assert store.get("markdown", "a") == b"A"
    with Store(tmp_path / "cache", tmp_path) as store:
        assert store.get("markdown", "a") == b"A" and store.get("markdown", "b") is None


def test_deleting_the_cache_is_always_safe(site, newsletter):
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    right = pages(site / "output")
    import shutil

    shutil.rmtree(site / ".cache")
    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    assert pages(site / "output") == right


def test_no_cache_never_deletes_through_a_link_to_elsewhere(site, newsletter, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    write(elsewhere / "build" / FILE, "the user's own file")
    (site / ".cache").symlink_to(elsewhere)
    run = newsletter("build", "--site", site, "--no-pdf", "--no-cache")
    assert run.code == 0 and "is a link to outside the site: it is not used" in run.out
    assert (elsewhere / "build" / FILE).read_text() == "the user's own file"


def test_a_second_build_at_the_same_time_does_without_the_store_and_deletes_nothing(tmp_path):
    said = []
    with Store(tmp_path / "cache", tmp_path) as first:
        first.put("markdown", "k1", b"first")
        with Store(tmp_path / "cache", tmp_path, said.append) as second:
            assert second.get("markdown", "k1") is None
            second.put("markdown", "k2", b"second")
        assert len(said) == 1 and "this build does without it" in said[0]
    with Store(tmp_path / "cache", tmp_path) as again:
        assert again.get("markdown", "k1") == b"first"  # the first build's work is kept


def test_a_store_file_that_is_a_link_is_not_used(tmp_path):
    elsewhere = tmp_path / "other.sqlite3"
    elsewhere.write_bytes(b"someone's database")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / FILE).symlink_to(elsewhere)
    said = []
    with Store(tmp_path / "cache", tmp_path, said.append) as store:
        store.put("markdown", "k", b"v")
    assert "is a link to outside the site" in said[0]
    assert elsewhere.read_bytes() == b"someone's database"


def test_a_build_cache_copied_from_elsewhere_is_started_anew_and_none_of_it_is_used(site, newsletter, tmp_path):
    import shutil

    assert newsletter("build", "--site", site, "--no-pdf").code == 0
    from builder.pipeline import load

    archive, _ = load(site)
    first = archive.issues[0].articles[0]
    poison(site, first, "<p>FROM THE CACHE</p><script>alert(1)</script>")
    copy = tmp_path / "copy"  # as a site whose .cache/ was committed to a repository and checked out
    shutil.copytree(site, copy, symlinks=True)
    shutil.rmtree(copy / "output")
    run = newsletter("build", "--site", copy, "--no-pdf")
    assert run.code == 0
    assert "made elsewhere and copied here" in run.out and "started anew" in run.out
    assert "FROM THE CACHE" not in (copy / "output" / first.url_path / "index.html").read_text(encoding="utf-8")


class _Entries(dict):
    """A memo in memory: what the build cache holds, as (kind, key) -> bytes."""

    def get(self, kind, key):  # type: ignore[override]
        return super().get((kind, key))

    def put(self, kind, key, value):
        self[(kind, key)] = value


def _kept_issue(tmp_path):
    from builder.errors import ErrorLog
    from builder.source.config import load_site
    from builder.source.content import load_issue
    from builder.source.issue_memo import IssueMemo

    site = load_site(shutil.copytree(FIXTURES / "site-basic", tmp_path / "site"), ErrorLog())
    folder = site.root / "content/issues/2017-01"
    issue = load_issue(folder, site, ErrorLog(), drafts=True)
    memo = IssueMemo(_Entries(), "salt")
    memo.put("k", issue, ())
    return memo, issue, folder, site


def test_an_issue_taken_from_the_cache_is_the_issue_read_from_its_folder(tmp_path):
    memo, issue, folder, site = _kept_issue(tmp_path)
    assert memo.get("k", folder, site) == (issue, ())
    assert any(len(article.body) > 50 for article in issue.articles)


def test_an_issue_whose_bodies_cannot_be_kept_exactly_is_read_from_its_folder_again(tmp_path):
    # Bodies read from files are UTF-8 text; one with a surrogate (only a model made in code
    # can hold one) is not kept rather than kept wrong.
    import dataclasses

    memo, issue, folder, site = _kept_issue(tmp_path)
    for body in ("碳排放权交易 😀 末", "孤 \ud800\udc80 对"):
        odd = dataclasses.replace(issue, articles=(dataclasses.replace(issue.articles[0], body=body),
                                                   *issue.articles[1:]))
        memo.memo.clear()
        memo.put("k", odd, ())
        assert memo.get("k", folder, site) == ((odd, ()) if "\ud800" not in body else None)


@pytest.mark.parametrize("damage", [
    lambda value: value[:-1],  # a body cut short
    lambda value: value + "多".encode(),  # bytes after the last body
    lambda value: value.replace(b"\n", b" ", 1),  # no line between the fields and the bodies
    lambda value: b"[" * 100_000 + value,  # nested past what JSON is parsed to
    lambda value: value.replace(b'"2017-01"', b'"2017-02"', 1),  # another folder's issue
], ids=["short", "long", "one-line", "nested", "other-folder"])
def test_a_damaged_issue_in_the_cache_is_read_from_its_folder_again(tmp_path, damage):
    memo, issue, folder, site = _kept_issue(tmp_path)
    entries = memo.memo
    entries[("issue", "k")] = damage(entries[("issue", "k")])
    assert memo.get("k", folder, site) is None


def test_an_articles_text_is_kept_under_everything_it_is_made_of():
    import dataclasses
    import datetime as dt
    from pathlib import Path

    from builder.model import Article, Attachment, Section
    from builder.render.web import _article_text_key

    article = Article("2017-18", "a", "标题", dt.date(2017, 5, 5), "新华社", Section("市场热点", "market"), 1,
                      Path("a.md"), "正文。", 5, summary="摘要", attachments=(Attachment("附件", "a.pdf", True),))
    key = _article_text_key(article, False, "#c00000")
    changed = [dataclasses.replace(article, body="正文！"), dataclasses.replace(article, summary="另一摘要"),
               dataclasses.replace(article, attachments=(Attachment("附件二", "a.pdf", True),)),
               dataclasses.replace(article, attachments=(Attachment("附件", "b.pdf", True),)),
               dataclasses.replace(article, attachments=(Attachment("附件", "a.pdf", False),))]
    keys = {_article_text_key(other, False, "#c00000") for other in changed} | {_article_text_key(article, True, "#c00000")}
    assert key not in keys and len(keys) == 6
    # The colour (the charts' first series) only where the text has a chart.
    assert _article_text_key(article, False, "#004080") == key
    from builder.charts.spec import CHART_MARK

    charted = dataclasses.replace(article, body=CHART_MARK + '["bar","t","x",["y"],"","",[["a",[1.0]]],""]')
    assert _article_text_key(charted, False, "#004080") != _article_text_key(charted, False, "#c00000")
    # What the page shows around the text is not part of it: the title, date, source, section.
    assert _article_text_key(dataclasses.replace(article, title="别的标题", source="别处"), False, "#c00000") == key
