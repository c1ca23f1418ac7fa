#!/usr/bin/env python3
"""Benchmark of the print edition: how long a cold `newsletter build` of the sample site
takes, how big its PDF is, how many of its lines are flush, against stock WeasyPrint.

    .venv/bin/python bench/print_edition.py [--runs 5]

Every timed run is a new process on a fresh copy of the site (no PDF cache), so it
counts start-up, imports, loading, rendering and writing. Figures are medians.
The reference is stock WeasyPrint 70 rendering the same print HTML (no Chinese
justification, no line cache) in a new process: what the builder adds or saves. The
floor is stock WeasyPrint on the same text set in one column without multi-column
layout: the least time WeasyPrint needs for this text at all.
"""

from __future__ import annotations

import argparse
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

STOCK = r"""
import sys
from pathlib import Path
from builder.pipeline import load
from builder.print.document import print_document
from builder.render.themes import template_env
import weasyprint
archive, _ = load(Path(sys.argv[1]))
issue = archive.issues[0]
document = print_document(archive, issue, template_env(archive.site))
html = document.html
if sys.argv[3:] == ["one-column"]:  # the least layout WeasyPrint can do for this text
    import re
    html = re.sub(r"column-count: *\d+;", "", html)
pdf = weasyprint.HTML(string=html, base_url=document.folder).write_pdf()
Path(sys.argv[2]).write_bytes(pdf)
"""


def fresh_site(into: Path) -> Path:
    site = into / "site"
    site.mkdir()
    shutil.copy(ROOT / "site.yaml", site)
    shutil.copytree(ROOT / "content", site / "content")
    return site


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - started


def flush_share(pdf: Path) -> str:
    if not RAGGED.is_file():
        return "(ragged.py not found beside the repository)"
    return subprocess.run(["python3", str(RAGGED), str(pdf)], capture_output=True, text=True).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    newsletter = str(Path(PYTHON).parent / "newsletter")
    cold, warm, html_only, stock, floor = [], [], [], [], []
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.runs):
            work = Path(scratch) / f"run{run}"
            work.mkdir()
            site = fresh_site(work)
            cold.append(timed([newsletter, "build", "--site", str(site)]))
            warm.append(timed([newsletter, "build", "--site", str(site)]))
            html_only.append(timed([newsletter, "build", "--site", str(site), "--no-pdf",
                                    "--output", str(work / "html")]))
            stock.append(timed([PYTHON, "-c", STOCK, str(site), str(work / "stock.pdf")]))
            floor.append(timed([PYTHON, "-c", STOCK, str(site), str(work / "floor.pdf"), "one-column"]))
        pdf = site / "output" / "pdf" / "2017-18.pdf"
        reference = work / "stock.pdf"
        pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        page_count = next(line.split()[-1] for line in pages.splitlines() if line.startswith("Pages:"))
        print(f"sample issue 2017-18: {page_count} pages, {args.runs} runs, medians")
        print(f"  newsletter build, cold (PDF rendered)   {statistics.median(cold):6.2f} s   target < 4 s")
        print(f"  newsletter build, warm (PDF cached)     {statistics.median(warm):6.2f} s")
        print(f"  newsletter build --no-pdf (HTML only)   {statistics.median(html_only):6.2f} s")
        print(f"  stock WeasyPrint, same HTML (reference) {statistics.median(stock):6.2f} s")
        print(f"  stock WeasyPrint, one column (floor)    {statistics.median(floor):6.2f} s")
        print(f"  PDF size  {pdf.stat().st_size / 1e6:.2f} MB   target < 1 MB"
              f"   (stock WeasyPrint: {reference.stat().st_size / 1e6:.2f} MB)")
        print(f"  flush lines  builder: {flush_share(pdf)}   stock WeasyPrint: {flush_share(reference)}"
              "   target >= 0.99")


if __name__ == "__main__":
    main()
