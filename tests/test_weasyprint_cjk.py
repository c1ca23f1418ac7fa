"""builder.print.weasyprint_cjk as a whole: `with typesetting():` checks WeasyPrint's version, patches it for one
render and leaves it, and the process, as they were."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
import weasyprint
from conftest import ROOT, article, write
from test_typeset import HEAD, TEXT
from weasyprint.layout import inline

from builder.errors import SetupProblem
from builder.pipeline import load
from builder.print import weasyprint_cjk
from builder.print.document import print_document
from builder.print.pdf import render_pdf
from builder.print.weasyprint_cjk import (
    EXPECTED_WEASYPRINT,
    WeasyPrintMismatch,
    cjk,
    fonts,
    patches,
    runtime,
    typesetting,
)
from builder.render.themes import template_env

# The print CSS's settings (custom properties), and a document they change.
SETTING_A = "body { --cjk-latin-space: 0.25em; --cjk-line-end: half }"
SETTING_B = "body { --cjk-latin-space: 0; --cjk-line-end: full }"
COMMAS = '<p style="width: 213pt; text-indent: 0">' + "低碳发展，" * 10 + "低碳发展。</p>"
BODY = f"<p>{TEXT}</p>" + COMMAS + '<p style="text-indent: 0">比2015年下降19.5%，生<b>CCER</b>态</p>'


def document(setting):
    return HEAD + f"<style>{setting}</style>" + BODY


def pdf(html):
    return weasyprint.HTML(string=html).write_pdf(pdf_identifier=b"0" * 32)


def is_original(owner, name):
    return getattr(owner, name) is runtime.original(owner, name)


# --- the version guard --------------------------------------------------------------------------------------------

def test_the_expected_version_is_the_one_pinned_and_installed():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"weasyprint=={EXPECTED_WEASYPRINT}"' in pyproject
    assert weasyprint.__version__ == EXPECTED_WEASYPRINT
    weasyprint_cjk.check()


def test_another_weasyprint_version_is_refused_with_both_versions_named(monkeypatch):
    monkeypatch.setattr(weasyprint, "__version__", "70.1")
    with pytest.raises(WeasyPrintMismatch) as refused:
        with typesetting():
            pytest.fail("the body must not run")
    message = str(refused.value)
    assert "WeasyPrint 70.1 is installed" in message and "WeasyPrint 70.0 exactly" in message
    assert "the version: 70.1 instead of 70.0" in message
    assert "install weasyprint==70.0, e.g. by running ./dev build, which installs the pinned packages" in message
    assert isinstance(refused.value, SetupProblem)  # `newsletter` prints it whole, and exits 4
    assert all(is_original(owner, name) for owner, name, _ in patches.TABLE)  # nothing was installed
    assert not runtime.active()


def test_the_version_guard_works_under_python_dash_o():
    script = """
import sys
import weasyprint
weasyprint.__version__ = "70.1"
from builder.print.weasyprint_cjk import WeasyPrintMismatch, typesetting
assert False, "asserts are on"
try:
    with typesetting():
        print("accepted")
except WeasyPrintMismatch as exc:
    print(exc)
    sys.exit(3)
"""
    run = subprocess.run([sys.executable, "-O", "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 3, run.stdout + run.stderr
    assert "WeasyPrint 70.1 is installed" in run.stdout and "WeasyPrint 70.0 exactly" in run.stdout
    assert "accepted" not in run.stdout


def test_a_changed_internal_is_named(monkeypatch):
    def get_next_linebox(*args):  # a WeasyPrint whose lines are aligned elsewhere
        return None

    monkeypatch.delattr(inline, "add_word_spacing")
    monkeypatch.setattr(inline, "get_next_linebox", get_next_linebox)
    with pytest.raises(WeasyPrintMismatch) as refused:
        weasyprint_cjk.check()
    message = str(refused.value)
    assert "WeasyPrint 70.0 is installed, but its internals are not those" in message
    assert "layout.inline.add_word_spacing exists" in message
    assert "layout.inline.get_next_linebox calls text_align" in message
    assert "the version" not in message
    assert "install weasyprint==70.0" in message


# --- one table, put in place and taken away together ----------------------------------------------------------------

def test_the_table_names_every_replaced_function_once_and_keeps_weasyprints_own():
    targets = [(owner, name) for owner, name, _ in patches.TABLE]
    assert len(targets) == len(set(targets)) == 13
    for owner, name, replacement in patches.TABLE:
        kept = runtime.original(owner, name)
        assert kept is not replacement
        assert kept.__module__.startswith("weasyprint."), (owner, name)
        assert is_original(owner, name)


def test_the_patches_are_in_place_inside_and_gone_after():
    with typesetting():
        assert patches.installed()
        for owner, name, replacement in patches.TABLE:
            assert getattr(owner, name) is replacement
    assert not patches.installed()
    for owner, name, _ in patches.TABLE:
        assert is_original(owner, name), (owner, name)


def test_the_patches_are_gone_after_an_error_in_the_body():
    with pytest.raises(ValueError, match="in the body"):
        with typesetting():
            pdf(document(SETTING_A))
            raise ValueError("in the body")
    for owner, name, _ in patches.TABLE:
        assert is_original(owner, name), (owner, name)
    assert not runtime.active()


def test_nested_use_is_an_error_that_leaves_the_outer_render_alone():
    with typesetting():
        with pytest.raises(RuntimeError, match="already in use"):
            with typesetting():
                pass
        assert patches.installed() and runtime.active()
        pdf(document(SETTING_A))
    assert all(is_original(owner, name) for owner, name, _ in patches.TABLE)


def test_install_refuses_functions_someone_else_replaced(monkeypatch):
    monkeypatch.setattr(inline, "text_align", lambda *args: None)
    with pytest.raises(RuntimeError, match="not its own"):
        with typesetting():
            pass
    assert not runtime.active()


# --- fonts read whole only when wanted ------------------------------------------------------------------------------

def counting_whole_reads(monkeypatch):
    reads = []
    real = fonts.get_hb_object_data

    def read(face):
        reads.append(face)
        return real(face)

    monkeypatch.setattr(fonts, "get_hb_object_data", read)
    return reads


def embedded_fonts(data, tmp_path):
    path = tmp_path / "fonts.pdf"
    path.write_bytes(data)
    listing = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    return [line.split()[0] for line in listing.splitlines()[2:] if " yes " in line]


def test_a_subset_font_is_never_read_whole_and_the_pdf_is_weasyprints_own(monkeypatch, tmp_path):
    reads = counting_whole_reads(monkeypatch)
    with typesetting():
        ours = pdf(document(SETTING_A))
    assert reads == []  # HarfBuzz subsets from the face
    monkeypatch.setattr(patches, "TABLE", tuple(entry for entry in patches.TABLE if entry[2] is not fonts.Font))
    with typesetting():
        eager = pdf(document(SETTING_A))
    assert ours == eager
    assert any("Noto-Serif-CJK-SC" in name for name in embedded_fonts(ours, tmp_path))


def test_a_font_embedded_whole_is_read_when_wanted(monkeypatch):
    reads = counting_whole_reads(monkeypatch)
    with typesetting():
        whole = weasyprint.HTML(string=document(SETTING_A)).write_pdf(pdf_identifier=b"0" * 32, full_fonts=True)
    assert reads  # every font it embeds, read in full
    assert len(whole) > 10_000_000  # a Noto CJK collection is 19 to 27 MB


# --- state tied to one render ---------------------------------------------------------------------------------------

def module_containers():
    """{(module, name): size} of every dict, list and set held by a module of the package."""
    found = {}
    for name, module in sorted(sys.modules.items()):
        if name.startswith("builder.print.weasyprint_cjk") and isinstance(module, types.ModuleType):
            for attribute, value in vars(module).items():
                if isinstance(value, (dict, list, set)) and not attribute.startswith("__"):
                    found[name, attribute] = len(value)
    return found


def test_a_render_leaves_no_cache_behind():
    weasyprint_cjk.ensure()  # the process's one check of WeasyPrint is remembered: no render's cache
    before = module_containers()
    with typesetting():
        state = runtime.current()
        pdf(document(SETTING_A))
        assert state.lines and state.blank_halves  # the caches were used
        assert cjk.gaps.cache_info().currsize > 0
    assert not runtime.active()
    with pytest.raises(RuntimeError):
        runtime.current()
    for cached in cjk.CACHES:
        assert cached.cache_info().maxsize is not None  # bounded
        assert cached.cache_info().currsize == 0, cached  # and emptied
    assert module_containers() == before  # no module-level dict, list or set grew


def test_each_render_has_a_fresh_state():
    with typesetting():
        first = runtime.current()
        pdf(document(SETTING_A))
    with typesetting():
        second = runtime.current()
        assert second is not first
        assert not second.lines and not second.blank_halves and not second.column_trials


RENDER_IN_A_FRESH_PROCESS = """
import sys
import weasyprint
from builder.print.weasyprint_cjk import typesetting
source, target = sys.argv[1:]
with open(source, encoding="utf-8") as file:
    html = file.read()
with typesetting():
    pdf = weasyprint.HTML(string=html).write_pdf(pdf_identifier=b"0" * 32)
with open(target, "wb") as file:
    file.write(pdf)
"""


def fresh_process_pdf(html, tmp_path, name):
    source, target = tmp_path / f"{name}.html", tmp_path / f"{name}.pdf"
    source.write_text(html, encoding="utf-8")
    subprocess.run([sys.executable, "-c", RENDER_IN_A_FRESH_PROCESS, str(source), str(target)],
                   check=True, cwd=ROOT, capture_output=True)
    return target.read_bytes()


def test_rendering_again_after_changing_a_setting_gives_a_fresh_process_bytes(tmp_path):
    a, b = document(SETTING_A), document(SETTING_B)
    in_this_process = []
    for html in (a, b, a):
        with typesetting():
            in_this_process.append(pdf(html))
    fresh_a, fresh_b = fresh_process_pdf(a, tmp_path, "a"), fresh_process_pdf(b, tmp_path, "b")
    assert fresh_a != fresh_b  # the setting changes the PDF
    assert in_this_process[0] == fresh_a
    assert in_this_process[1] == fresh_b
    assert in_this_process[2] == fresh_a


def build_with(site: Path, tmp_path: Path, sitecustomize: str) -> subprocess.CompletedProcess[str]:
    """`newsletter build` in a Python whose every process (the build, its typesetters and
    the server they are forked from) first runs `sitecustomize`: as if another WeasyPrint
    were installed."""
    (tmp_path / "custom").mkdir()
    (tmp_path / "custom" / "sitecustomize.py").write_text(sitecustomize, encoding="utf-8")
    script = f"import sys\nfrom builder.cli import main\nsys.exit(main(['build', '--site', {str(site)!r}]))\n"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(tmp_path / "custom")})


def test_a_build_with_another_weasyprint_says_what_to_install_and_exits_4(site, tmp_path):
    run = build_with(site, tmp_path, "import weasyprint\nweasyprint.__version__ = '70.1'\n")
    assert run.returncode == 4, run.stderr
    assert run.stderr.startswith("error: WeasyPrint 70.1 is installed, but the print edition's typesetting needs "
                                 "WeasyPrint 70.0 exactly: install weasyprint==70.0")
    assert "fault of the builder" not in run.stderr and "Traceback" not in run.stderr
    assert not (site / "output").exists()


FRESH_RENDER = """
import json, sys
from builder.print.document import PrintDocument
from builder.print.pdf import render_pdf
from builder.render.themes import template_env
fields = json.load(open(sys.argv[1], encoding="utf-8"))
fields["images"] = tuple(tuple(pair) for pair in fields["images"])
fields["files"] = tuple(fields["files"])
sys.stdout.buffer.write(render_pdf(PrintDocument(**fields)).pdf)
"""


def test_an_issue_rendered_again_after_a_setting_changed_is_what_a_fresh_process_sets(site, tmp_path):
    """As the build (and a long-running server) renders: one issue, its settings changed
    in site.yaml between two renders in one process, then changed back."""
    def issue_document():
        archive, _ = load(site)
        issue = next(i for i in archive.issues if i.slug == "2017-02")
        return print_document(archive, issue, template_env(archive.site))

    def fresh(document) -> bytes:
        fields = tmp_path / f"{document.digest[:8]}.json"
        fields.write_text(json.dumps(dataclasses.asdict(document)), encoding="utf-8")
        return subprocess.run([sys.executable, "-c", FRESH_RENDER, str(fields)], capture_output=True, check=True,
                              cwd=ROOT).stdout

    write(site / "content/issues/2017-02/09-mixed.md", article(title="中西文", body="2017年1月4日，CCER 交易（委）。" * 40))
    a = issue_document()
    yaml_text = (site / "site.yaml").read_text(encoding="utf-8")
    (site / "site.yaml").write_text(
        yaml_text.replace("pdf:\n", "pdf:\n  latin_spacing: none\n  line_end_punctuation: half\n"), encoding="utf-8")
    b = issue_document()
    here = [render_pdf(document).pdf for document in (a, b, a)]
    assert here[0] != here[1]  # the settings change the PDF
    assert here[0] == here[2] == fresh(a)
    assert here[1] == fresh(b)


def test_a_render_in_another_thread_meanwhile_is_refused():
    import threading

    refused = []

    def other() -> None:
        try:
            with typesetting():
                pass
        except RuntimeError as exc:
            refused.append(str(exc))

    with typesetting():
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
    assert refused == ["typesetting() is already in use in this process: one render at a time"]
    with typesetting():  # and free again afterwards
        pass


def test_an_interrupted_start_leaves_weasyprint_as_it_was(monkeypatch):
    def interrupted(state) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runtime, "begin", interrupted)
    with pytest.raises(KeyboardInterrupt):
        with typesetting():
            pass
    assert patches.pristine() and not runtime.active()
    monkeypatch.undo()
    with typesetting():
        assert patches.installed()


def test_a_weasyprint_whose_modules_moved_is_a_mismatch_not_a_crash(site, tmp_path):
    """A release that renamed something the extension imports from WeasyPrint: the build
    says which WeasyPrint to install (exit 4), not that a worker process died."""
    run = build_with(site, tmp_path, "import weasyprint.text.ffi\n"
                                     "del weasyprint.text.ffi.TO_UNITS  # as if renamed: the extension imports it\n")
    assert run.returncode == 4, run.stderr
    assert run.stderr.startswith("error: WeasyPrint 70.0 is installed, but its internals are not those")
    assert "its modules could not be imported (ImportError" in run.stderr
    assert "worker process died" not in run.stderr
