#!/usr/bin/env python3
"""The print edition measured as a typesetter reads proofs: the table of issue 14.

    .venv/bin/python bench/typography.py [FILE.pdf]

Without a file, the sample site (content/, site.yaml) is built into a scratch folder and
its issue measured. The measures are read from the glyph positions in the PDF (PyMuPDF,
a test dependency) by tests/typography.py, as the reference typesettings of the same text
(XeLaTeX + ctex, Typst) were measured for issue 14; their figures are printed beside ours.
The blank at the foot of each column is ours alone (the references' were not measured).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from typography import measure, whole_lines  # noqa: E402 (the tests' module, found through the path above)

# Issue 14's references, measured on the same text with the same measures.
REFERENCES = {
    "pairs": ("100%", "100%"),
    "holes": ("0", "0"),
    "level": ("81%", "100%"),
    "lone": ("12", "5"),
}


def sample_pdf(scratch: Path) -> Path:
    site = scratch / "site"
    site.mkdir()
    shutil.copy(ROOT / "site.yaml", site)
    shutil.copytree(ROOT / "content", site / "content")
    newsletter = Path(sys.executable).parent / "newsletter"
    subprocess.run([str(newsletter), "build", "--site", str(site), "--no-search"], check=True, capture_output=True)
    return next((site / "output" / "pdf").glob("*.pdf"))


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        pdf = Path(sys.argv[1]) if len(sys.argv) > 1 else sample_pdf(Path(scratch))
        found = measure(pdf)
    share = f"{found.compressed / max(found.pairs, 1):.0%} ({found.compressed} of {found.pairs})"
    level = f"{found.level / max(found.right, 1):.0%} ({found.level} of {found.right})"
    feet = found.holes_in_feet()
    rows = [
        ("consecutive punctuation pairs compressed", share, *REFERENCES["pairs"]),
        ("gaps wider than 0.75 em inside body lines", str(len(found.holes)), *REFERENCES["holes"]),
        ("baselines level across the column gutter", level, *REFERENCES["level"]),
        ("paragraphs ending in one character (段末孤字)", str(len(found.lone)), *REFERENCES["lone"]),
        ("column feet more than 2 lines short (not before a section)", str(len(feet)), "—", "—"),
    ]
    print(f"{pdf.name}: {len(found.feet) // 2 + 2} pages")
    print(f"{'measure':62} {'ours':>18} {'XeLaTeX+ctex':>13} {'Typst':>7}")
    for name, ours, xelatex, typst in rows:
        print(f"{name:62} {ours:>18} {xelatex:>13} {typst:>7}")
    for page, text in found.holes:
        print(f"  hole: p{page} {text}")
    for page, text in found.lone:
        print(f"  one character: p{page} {text}")
    for foot in feet:
        print(f"  short column: p{foot.page} {foot.column}, {whole_lines(foot)} lines blank "
              f"({foot.blank_lines:.1f} lines under its last)")
    if found.uncompressed:
        print("  not compressed: " + ", ".join(f"p{page} {text}" for page, text in found.uncompressed))


if __name__ == "__main__":
    main()
