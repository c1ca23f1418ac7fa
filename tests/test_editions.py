"""builder/print/editions.py: each issue's print edition typeset only when its input
changed, the rest taken from the site's PDF cache (.cache/pdf).

Real typesetting takes seconds, so it happens here three times: once for the module's
fixture and twice in test_unchanged_issues_are_not_typeset_again. The other tests hand
the issues to `Recorder`, which stands in for the `Typesetters` and notes what it is
given, so that what is typeset again, and what is cached, can be counted."""

import os
import re
import shutil
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from conftest import FIXTURES, article, snapshot, write

from builder.pipeline import load
from builder.print.editions import Typesetters, start_editions
from builder.print.pdf import RenderedPdf
from builder.render.themes import template_env
from builder.routes import PDF_CACHE

TEA = "\U0001F9CB"  # in no installed font


class Recorder:
    """In place of `Typesetters`: notes the issues handed to it, and 'typesets' each at once
    into a stand-in PDF (with the given WeasyPrint problems)."""

    count = 1  # workers

    def accepting(self) -> bool:
        return True

    def environment_warnings(self) -> list:
        return []

    def __init__(self, problems: dict[str, tuple[str, ...]] | None = None) -> None:
        self.slugs: list[str] = []
        self.problems = problems or {}

    def typeset(self, document) -> Future:
        self.slugs.append(document.slug)
        done: Future = Future()
        done.set_result(RenderedPdf(slug=document.slug, pdf=b"%PDF-1.7 stand-in for " + document.slug.encode(),
                                    pages=1, problems=self.problems.get(document.slug, ())))
        return done


def editions_of(root: Path, workers, report=lambda _: None):
    archive, _ = load(root)
    pending = start_editions(archive, template_env(archive.site), workers)
    return pending, pending.finish(report)


def cached(root: Path) -> dict[str, bytes]:
    """The cached PDFs (not the file that says the cache was made here)."""
    folder = root / PDF_CACHE
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.name != ".home"} if folder.is_dir() else {}


def moved_here(root: Path) -> None:
    """The PDF cache of a copied site, as if the site had been moved (a copied cache is not trusted)."""
    folder = root / PDF_CACHE
    if folder.is_dir() and not folder.is_symlink():
        info = folder.stat()
        (folder / ".home").write_text(f"{info.st_dev} {info.st_ino}", encoding="utf-8")


def pdfs(editions) -> dict[str, bytes]:
    """Each edition's bytes, whether it is a file of the cache or held in memory."""
    return {slug: pdf.read_bytes() if isinstance(pdf, Path) else pdf for slug, pdf in editions.pdfs.items()}


@pytest.fixture(scope="module")
def typeset(tmp_path_factory):
    """The fixture site with both issues typeset for real: (site, editions, PDF cache as it was then)."""
    root = tmp_path_factory.mktemp("editions") / "site"
    shutil.copytree(FIXTURES / "site-basic", root)
    archive, _ = load(root)
    with Typesetters(issues=len(archive.issues)) as workers:
        editions = start_editions(archive, template_env(archive.site), workers).finish()
    assert editions.errors == (), editions.errors
    assert sorted(editions.pdfs) == ["2017-01", "2017-02"]
    assert all(pdf.startswith(b"%PDF-") for pdf in pdfs(editions).values())
    return root, editions, cached(root)


@pytest.fixture
def typeset_copy(typeset, tmp_path) -> Path:
    """A copy of the typeset site, its cache included, to change."""
    copy = tmp_path / "site"
    shutil.copytree(typeset[0], copy, symlinks=True)
    moved_here(copy)
    return copy


def test_typesetting_fills_the_cache_with_one_pdf_an_issue(typeset):
    root, editions, cache = typeset
    assert [name.split("-")[:2] for name in cache] == [["2017", "01"], ["2017", "02"]]
    assert sorted(cache.values()) == sorted(pdfs(editions).values())


def test_a_second_run_takes_every_pdf_from_the_cache_without_typesetting(typeset):
    root, first, cache = typeset
    workers, reported = Recorder(), []
    pending, editions = editions_of(root, workers, reported.append)
    assert workers.slugs == [] and pending.futures == {}
    assert pdfs(editions) == pdfs(first)
    assert (editions.errors, editions.warnings) == ((), ())
    assert reported == []  # nothing said to be typeset
    assert cached(root) == cache


def test_a_changed_article_changes_the_digest_and_its_issue_is_typeset_again(typeset, typeset_copy):
    root, first, cache = typeset
    before, _ = editions_of(typeset_copy, Recorder())
    write(typeset_copy / "content/issues/2017-02/market-a.md",
          article(title="湖北碳市场成交活跃（更正）", date="2017-01-11", source="湖北碳排放权交易中心", section="market"))
    workers, reported = Recorder(), []
    pending, editions = editions_of(typeset_copy, workers, reported.append)
    assert workers.slugs == ["2017-02"]
    assert pending.digests["2017-02"] != before.digests["2017-02"]
    assert pending.digests["2017-01"] == before.digests["2017-01"]
    assert pdfs(editions)["2017-01"] == pdfs(first)["2017-01"]  # from the cache
    assert pdfs(editions)["2017-02"] == b"%PDF-1.7 stand-in for 2017-02"
    assert reported == ["typeset 2017-02.pdf: 1 pages, 0.00 MB"]
    # The new edition replaced the issue's old one in the cache; the other issue's stayed.
    now = cached(typeset_copy)
    assert len(now) == 2
    assert {name: pdf for name, pdf in now.items() if name.startswith("2017-01-")} == \
        {name: pdf for name, pdf in cache.items() if name.startswith("2017-01-")}
    assert [pdf for name, pdf in now.items() if name.startswith("2017-02-")] == [b"%PDF-1.7 stand-in for 2017-02"]
    assert pending.digests["2017-02"][:16] in next(name for name in now if name.startswith("2017-02-"))
    # And the run after takes it from the cache.
    again = Recorder()
    editions_of(typeset_copy, again)
    assert again.slugs == []


@pytest.mark.parametrize("link", [".cache/pdf", ".cache"])
def test_a_cache_that_links_outside_the_site_is_not_used_and_is_warned_about(typeset_copy, tmp_path, link):
    elsewhere = tmp_path / "elsewhere"
    (typeset_copy / link).rename(elsewhere)  # holds the right PDFs, under the right names
    (typeset_copy / link).symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(elsewhere)
    workers = Recorder()
    _, editions = editions_of(typeset_copy, workers)
    assert sorted(workers.slugs) == ["2017-01", "2017-02"]  # every issue typeset again
    assert editions.errors == ()
    assert [(w.path, w.message) for w in editions.warnings if "cache" in w.message] == [
        (typeset_copy / PDF_CACHE, "the PDF cache is a link to outside the site, so it is not used: every PDF is "
                                   "typeset again")]
    assert pdfs(editions)["2017-01"] == b"%PDF-1.7 stand-in for 2017-01"
    assert snapshot(elsewhere) == before  # nothing written there, nothing deleted


def test_a_cached_pdf_that_is_a_link_is_not_taken(typeset, typeset_copy, tmp_path):
    name = next(name for name in typeset[2] if name.startswith("2017-01-"))
    outside = write(tmp_path / "outside.pdf", "%PDF-1.7 not the build's")
    (typeset_copy / PDF_CACHE / name).unlink()
    (typeset_copy / PDF_CACHE / name).symlink_to(outside)
    workers = Recorder()
    _, editions = editions_of(typeset_copy, workers)
    assert workers.slugs == ["2017-01"]
    assert b"not the build's" not in pdfs(editions)["2017-01"]


def test_an_edition_with_a_character_no_font_has_is_not_cached(site):
    write(site / "content/issues/2017-02/tea.md", article(body=f"奶茶{TEA}一杯。\n"))
    workers = Recorder()
    _, editions = editions_of(site, workers)
    assert sorted(workers.slugs) == ["2017-01", "2017-02"]
    assert [e.format(site).splitlines()[0] for e in editions.errors] == [
        f"content/issues/2017-02/tea.md:8: '{TEA}' (U+1F9CB BUBBLE TEA) is in no installed font and would print as "
        "an empty box"]
    assert sorted(editions.pdfs) == ["2017-01"]
    assert [name[:8] for name in cached(site)] == ["2017-01-"]
    # So the next run typesets it, and reports the error, again.
    again = Recorder()
    _, editions = editions_of(site, again)
    assert again.slugs == ["2017-02"] and len(editions.errors) == 1


def test_an_edition_whose_typesetting_found_problems_is_not_cached(site):
    problem = "Failed to load image at 'file:///issue/images/price.png': cannot identify image file"
    workers = Recorder({"2017-01": (problem,)})
    _, editions = editions_of(site, workers)
    assert [e.format(site).splitlines()[0] for e in editions.errors] == [
        f"content/issues/2017-01/01-carbon-price.md:16: the print edition cannot use this file: {problem}"]
    assert sorted(editions.pdfs) == ["2017-02"]
    assert [name[:8] for name in cached(site)] == ["2017-02-"]


def test_unchanged_issues_are_not_typeset_again(site, newsletter):
    first = newsletter("build", "--site", site)
    assert "typeset 2017-01.pdf" in first.out and "typeset 2017-02.pdf" in first.out
    before = (site / "output/pdf/2017-01.pdf").read_bytes()
    second = newsletter("build", "--site", site)
    assert "typeset" not in second.out
    assert (site / "output/pdf/2017-01.pdf").read_bytes() == before
    write(site / "content/issues/2017-02/market-a.md", article(title="湖北碳市场成交活跃（更正）", section="市场热点"))
    third = newsletter("build", "--site", site)
    assert "typeset 2017-02.pdf" in third.out and "typeset 2017-01.pdf" not in third.out


def test_missing_harfbuzz_subsetter_is_warned_about(monkeypatch):
    import weasyprint.text.ffi

    from builder.print.editions import _environment_warnings

    assert not [w for w in _environment_warnings() if "libharfbuzz-subset0" in w.message]
    monkeypatch.setattr(weasyprint.text.ffi, "harfbuzz_subset", None)
    warned = [w for w in _environment_warnings() if "libharfbuzz-subset0" in w.message]
    assert warned and "apt-get install libharfbuzz-subset0" in warned[0].hint


def test_characters_no_font_has_are_reported_even_when_the_typesetting_died(site):
    write(site / "content/issues/2017-02/tea.md", article(body=f"奶茶{TEA}一杯。\n"))

    class Dying(Recorder):
        def typeset(self, document) -> Future:
            died: Future = Future()
            died.set_exception(BrokenProcessPool("a worker died"))
            return died

    _, editions = editions_of(site, Dying())
    first_lines = [e.format(site).splitlines()[0] for e in editions.errors]
    assert f"content/issues/2017-02/tea.md:8: '{TEA}' (U+1F9CB BUBBLE TEA) is in no installed font and would " \
           "print as an empty box" in first_lines
    assert sum("a worker process died" in line for line in first_lines) == 2
    assert editions.pdfs == {}


class Slow(Recorder):
    """Typesets the issues named in `never` never (their futures stay running)."""

    def __init__(self, never: set[str]) -> None:
        super().__init__()
        self.never = never

    def typeset(self, document) -> Future:
        if document.slug not in self.never:
            return super().typeset(document)
        self.slugs.append(document.slug)
        running: Future = Future()
        running.set_running_or_notify_cancel()
        return running


def test_a_pdf_is_cached_as_soon_as_it_is_typeset_so_a_stopped_build_keeps_it(site):
    lines = []

    def stop_after_the_first(line: str) -> None:
        lines.append(line)
        if line.startswith("typeset "):
            raise KeyboardInterrupt  # Ctrl-C while the other issue is still being set

    with pytest.raises(KeyboardInterrupt):
        editions_of(site, Slow({"2017-02"}), stop_after_the_first)
    assert [name[:8] for name in cached(site)] == ["2017-01-"]
    again = Recorder()
    editions_of(site, again)
    assert again.slugs == ["2017-02"]  # the next build goes on where this one stopped


def test_an_issue_set_longer_than_the_limit_is_stopped_and_the_others_kept(site, monkeypatch):
    import builder.print.editions as editions

    monkeypatch.setattr(editions, "TYPESETTING_LIMIT", 2)
    monkeypatch.setattr(editions, "STALL_GRACE", 0)  # the stand-in worker never stops by itself
    monkeypatch.setattr(editions, "PROGRESS_SECONDS", 1)
    lines = []
    _, result = editions_of(site, Slow({"2017-02"}), lines.append)
    assert [e.format(site).splitlines()[0] for e in result.errors] == [
        "content/issues/2017-02: the typesetting of this issue took more than 0 minutes and was stopped"]
    assert sorted(result.pdfs) == ["2017-01"]
    assert "still typesetting: 1 of 2 done" in lines, lines


def three_more_issues(site: Path) -> None:
    for n in range(3, 6):
        folder = site / f"content/issues/2018-0{n}"
        shutil.copytree(site / "content/issues/2017-01", folder)
        meta = (folder / "issue.yaml").read_text(encoding="utf-8")
        meta = meta.replace("year: 2017", "year: 2018").replace("number: 1", f"number: {n}")
        (folder / "issue.yaml").write_text(meta.replace("total: 90", f"total: {90 + n}").replace("date: 2017-", "date: 2018-"),
                                           encoding="utf-8")


def test_progress_says_how_many_are_done_and_the_time_left(site):
    three_more_issues(site)
    lines = []
    editions_of(site, Recorder(), lines.append)
    typeset = [line for line in lines if line.startswith("typeset ")]
    assert len(typeset) == 5
    # The time left is reckoned from the first edition's time: a few seconds on a busy machine.
    assert re.search(r"\(1 of 5, about \d+ s left\)$", typeset[0]) and typeset[-1].endswith("(5 of 5)")


def test_issues_beyond_what_the_workers_take_wait_and_are_handed_on_as_each_is_done(site, monkeypatch):
    import builder.print.editions as editions

    three_more_issues(site)
    monkeypatch.setattr(editions, "QUEUED_PER_WORKER", 2)
    workers = Recorder()
    archive, _ = load(site)
    pending = start_editions(archive, template_env(archive.site), workers)
    assert len(workers.slugs) == 2 and len(pending.to_typeset) == 5  # the other three wait
    result = pending.finish()
    assert sorted(workers.slugs) == sorted(pending.to_typeset)  # each handed on once
    assert sorted(result.pdfs) == ["2017-01", "2017-02", "2018-03", "2018-04", "2018-05"]
    assert pending.futures == {}  # no finished edition held in memory
    # The waiting issues' documents, made again when their turn came, are those the cache is named by.
    again = Recorder()
    editions_of(site, again)
    assert again.slugs == []


def worker_pid(_document) -> int:
    return os.getpid()


def test_typesetters_are_replaced_by_fresh_ones_after_their_share_of_editions(monkeypatch):
    import builder.print.editions as editions

    monkeypatch.setattr(editions, "_typeset", worker_pid)  # named to the workers: test_editions.worker_pid
    monkeypatch.setattr(editions, "EDITIONS_PER_WORKER", 2)
    with Typesetters(jobs=1) as workers:
        first = [workers.typeset(None) for _ in range(2)]
        assert {future.result(timeout=60) for future in first} == {first[0].result()}  # one worker
        assert workers.accepting()  # both done: a fresh pool
        later = workers.typeset(None).result(timeout=60)
        assert later != first[0].result()
        slow = [workers.typeset(None), workers.typeset(None)]
        if not all(future.done() for future in slow):
            assert not workers.accepting()  # its last editions unfinished: nothing more handed to it
        for future in slow:
            future.result(timeout=60)
        assert workers.accepting()


def test_a_worker_stops_an_edition_set_longer_than_the_limit_and_is_free_again(monkeypatch):
    import time

    import builder.print.editions as editions

    monkeypatch.setattr(editions, "TYPESETTING_LIMIT", 1)
    monkeypatch.setattr(editions, "render_pdf", lambda document: time.sleep(30))
    document = type("Document", (), {"slug": "2017-02"})()
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="2017-02 took more than 1 s"):
        editions._typeset(document)
    assert time.monotonic() - started < 5
    monkeypatch.setattr(editions, "render_pdf", lambda document: "set")
    assert editions._typeset(document) == "set"  # no alarm left behind
    time.sleep(1.2)


def test_a_pdf_cache_copied_from_elsewhere_is_not_taken(typeset, tmp_path):
    copy = tmp_path / "site"
    shutil.copytree(typeset[0], copy, symlinks=True)  # as a cache committed to a repository and checked out
    for name in cached(copy):
        (copy / PDF_CACHE / name).write_bytes(b"%PDF-1.7 forged")
    workers = Recorder()
    _, editions = editions_of(copy, workers)
    assert sorted(workers.slugs) == ["2017-01", "2017-02"]  # typeset here, none taken
    assert b"forged" not in b"".join(pdfs(editions).values())
    assert b"forged" not in b"".join(cached(copy).values())  # and the forged ones gone from the cache


def test_the_time_left_is_reckoned_from_when_the_typesetting_began(site, monkeypatch):
    """By the time the build collects the editions (after rendering the archive), many may
    be done: the time they took counts from when the first went to a worker."""
    import builder.print.editions as editions

    now = [1000.0]
    monkeypatch.setattr(editions.time, "monotonic", lambda: now[0])
    lines: list[str] = []
    progress = editions._Progress(10, lines.append, started=800.0)  # typesetting began 200 s ago
    progress.done("typeset a.pdf")
    progress.done("typeset b.pdf")
    assert lines[-1] == "typeset b.pdf (2 of 10, about 13 min left)"  # 100 s each, 8 to go
