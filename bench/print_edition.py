#!/usr/bin/env python3
"""Benchmark of the print edition: the cold build of the sample site, PDF included, as a
multiple of stock WeasyPrint setting the same text in two plain columns. Target: 1.5x.

    .venv/bin/python bench/print_edition.py [--runs 5]

The figure: median time of a cold `newsletter build` of the sample site divided by the
median time of stock WeasyPrint rendering the same print HTML, both measured in this
run. Every timed run is a new process, so both count start-up, imports, layout and
writing the PDF; the runs alternate (ours, stock, ours, stock, ...) so that the load of
a busy machine falls on both alike.

- Ours, "cold build": `newsletter build` on a fresh copy of the site (no .cache/, so no
  PDF from an earlier run): reading, the web pages and the PDF with the Chinese
  typesetting.
- Stock: a process that does nothing but `import weasyprint` (70, unpatched) and render
  the issue's print HTML to a PDF. That HTML is made once beforehand by the builder, in
  a separate process that is not timed, and saved to a file; the stock process does not
  import the builder at all (it checks, and fails if it did), so none of our WeasyPrint
  patches can be in it. The HTML is the builder's own, unchanged: its only CJK-specific
  parts are two custom properties that only our typesetting reads (`--cjk-latin-space`,
  `--cjk-line-end`) and `line-break: strict`, which WeasyPrint 70 does not support and
  drops while parsing the stylesheet. They do not make stock WeasyPrint slower (rendered
  in turn in one process, medians of 6: with them 3.79 s, without 3.87 s), so
  nothing is removed. Its `.body` is set in two columns (`column-count: 2`, from
  site.yaml) with plain `text-align: justify`.

Also printed, for context and not part of the figure: the build with the PDF cached,
the build without PDF, stock WeasyPrint on the same text in one column (the floor: no
multi-column layout), the PDF's size and its share of flush lines (with
`../shared/tools/ragged.py`).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RAGGED = ROOT.parent / "shared" / "tools" / "ragged.py"
ISSUE = "2017-18"
TARGET = 1.5

# Not timed: the builder makes the issue's print HTML, as a build would; saved to a file.
PREPARE = r"""
import sys
from pathlib import Path
from builder.pipeline import load
from builder.print.document import print_document
from builder.render.themes import template_env
archive, _ = load(Path(sys.argv[1]))
issue = next(issue for issue in archive.issues if issue.slug == sys.argv[2])
document = print_document(archive, issue, template_env(archive.site))
Path(sys.argv[3]).write_text(document.html, encoding="utf-8")
print(Path(document.folder).as_uri() + "/")
"""

# Timed: stock WeasyPrint and nothing else (argv: HTML file, base URL, PDF).
STOCK = r"""
import sys
import weasyprint
weasyprint.HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3])
if any(name == "builder" or name.startswith("builder.") for name in sys.modules):
    sys.exit("the stock run imported the builder")
"""


def fresh_site(into: Path) -> Path:
    site = into / "site"
    site.mkdir()
    shutil.copy(ROOT / "site.yaml", site)
    shutil.copytree(ROOT / "content", site / "content")
    return site


# Both run as on an editor's machine, with Python's compiled modules kept (see bench/archive.py).
USERS_ENVIRONMENT = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=USERS_ENVIRONMENT)
    return time.perf_counter() - started


def stock_command(html: Path, base_url: str, pdf: Path) -> list[str]:
    # -I: no PYTHON* variables, no user site, not the current folder on sys.path.
    return [PYTHON, "-I", "-c", STOCK, str(html), base_url, str(pdf)]


def pages(pdf: Path) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")


def flush_share(pdf: Path) -> str:
    if not RAGGED.is_file():
        return "(ragged.py not found beside the repository)"
    return subprocess.run(["python3", str(RAGGED), str(pdf)], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    newsletter = str(Path(PYTHON).parent / "newsletter")
    cold, stock, warm, html_only, floor = [], [], [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        two_columns, one_column = scratch / "two-columns.html", scratch / "one-column.html"
        base_url = subprocess.run([PYTHON, "-c", PREPARE, str(fresh_site(scratch)), ISSUE, str(two_columns)],
                                  check=True, capture_output=True, text=True, cwd=ROOT).stdout.strip()
        html = two_columns.read_text(encoding="utf-8")
        if not re.search(r"column-count: *2;", html):
            sys.exit("the print HTML does not set its text in two columns (site.yaml: pdf.columns)")
        one_column.write_text(re.sub(r"column-count: *\d+;", "", html), encoding="utf-8")
        for run in range(args.runs):
            work = scratch / f"run{run}"
            work.mkdir()
            site = fresh_site(work)
            # The pair that makes the figure, back to back.
            cold.append(timed([newsletter, "build", "--site", str(site)]))
            stock.append(timed(stock_command(two_columns, base_url, work / "stock.pdf")))
            # Context.
            warm.append(timed([newsletter, "build", "--site", str(site)]))
            html_only.append(timed([newsletter, "build", "--site", str(site), "--no-pdf",
                                    "--output", str(work / "html")]))
            floor.append(timed(stock_command(one_column, base_url, work / "floor.pdf")))
            print(f"  run {run + 1}: cold build {cold[-1]:5.2f} s, stock two columns {stock[-1]:5.2f} s,"
                  f" {cold[-1] / stock[-1]:.2f}x", flush=True)
        pdf = site / "output" / "pdf" / f"{ISSUE}.pdf"
        reference = work / "stock.pdf"
        ratio = statistics.median(cold) / statistics.median(stock)
        print(f"sample issue {ISSUE}, {args.runs} runs alternating, medians")
        print(f"  cold build, PDF included              {statistics.median(cold):6.2f} s   ({pages(pdf)} pages)")
        print(f"  stock WeasyPrint, two plain columns   {statistics.median(stock):6.2f} s   ({pages(reference)} pages)")
        print(f"  cold build / stock WeasyPrint         {ratio:6.2f}x   target <= {TARGET}x: "
              f"{'met' if ratio <= TARGET else 'not met'}")
        print("context (not part of the figure):")
        print(f"  newsletter build, warm (PDF cached)   {statistics.median(warm):6.2f} s")
        print(f"  newsletter build --no-pdf (HTML only) {statistics.median(html_only):6.2f} s")
        print(f"  stock WeasyPrint, one column (floor)  {statistics.median(floor):6.2f} s")
        print(f"  PDF size  {pdf.stat().st_size / 1e6:.2f} MB   target < 1 MB"
              f"   (stock WeasyPrint: {reference.stat().st_size / 1e6:.2f} MB)")
        print(f"  flush lines  builder: {flush_share(pdf)}   stock WeasyPrint: {flush_share(reference)}"
              "   target >= 0.99")


if __name__ == "__main__":
    main()
