#!/usr/bin/env python3
"""What charts cost a build (issue 15): "a chart adds well under a second".

    .venv/bin/python bench/charts.py [--runs N]

Builds the sample site cold (a fresh copy, no .cache/, PDF included, no search index) with
its charts and with its chart blocks taken out, the two in turn, and prints the medians
and their difference per chart; then draws each of the sample's charts in this process
(matplotlib's import apart) and prints the time a drawing takes and the size of its SVG;
and a rebuild with the charts in the cache, which draws none.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NEWSLETTER = Path(sys.executable).parent / "newsletter"
CHART_BLOCK = re.compile(r"^```chart\n.*?^```\n", re.S | re.M)


def site(into: Path, charts: bool) -> Path:
    target = into / ("with" if charts else "without")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copy(ROOT / "site.yaml", target)
    shutil.copytree(ROOT / "content", target / "content")
    if not charts:
        for article in (target / "content").rglob("*.md"):
            text = article.read_text(encoding="utf-8")
            article.write_text(CHART_BLOCK.sub("", text), encoding="utf-8")
    return target


def build(folder: Path) -> tuple[float, str]:
    started = time.perf_counter()
    run = subprocess.run([str(NEWSLETTER), "build", "--site", str(folder), "--no-search"],
                         capture_output=True, text=True, check=True)
    return time.perf_counter() - started, run.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    count = sum(len(CHART_BLOCK.findall(p.read_text(encoding="utf-8"))) for p in (ROOT / "content").rglob("*.md"))
    with tempfile.TemporaryDirectory() as scratch:
        times: dict[bool, list[float]] = {True: [], False: []}
        for number in range(runs):
            for charts in (True, False):
                took, _ = build(site(Path(scratch), charts))
                times[charts].append(took)
            print(f"  run {number + 1}: with charts {times[True][-1]:.2f} s, without {times[False][-1]:.2f} s")
        kept, out = build(site(Path(scratch), True))  # once cold, to fill the cache
        touched = next((Path(scratch) / "with" / "content").rglob("25-reading-2.md"))
        touched.write_text(touched.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        again, out = build(Path(scratch) / "with")
    with_charts, without = statistics.median(times[True]), statistics.median(times[False])
    print(f"sample issue, {count} charts, {runs} cold builds each (PDF included), medians")
    print(f"  cold build with its charts        {with_charts:.2f} s")
    print(f"  cold build without them           {without:.2f} s")
    print(f"  added by the charts               {with_charts - without:+.2f} s, "
          f"{(with_charts - without) / max(count, 1):+.2f} s a chart   target: well under 1 s a chart")
    print(f"  rebuild, an article with charts edited: {again:.2f} s, "
          f"{'drew none' if 'drew' not in out else 'drew again: the cache failed'}")
    from builder.charts.draw import draw
    from builder.charts.spec import CHART_MARK, Chart
    from builder.pipeline import load

    started = time.perf_counter()
    import matplotlib  # noqa: F401

    imported = time.perf_counter() - started
    archive, _ = load(ROOT)
    charts = [Chart.from_json(line[len(CHART_MARK):]) for a in archive.articles()
              for line in a.body.split("\n") if line.startswith(CHART_MARK)]
    for chart in filter(None, charts):
        draws = []
        for _ in range(5):
            started = time.perf_counter()
            svg = draw(chart, archive.site.pdf.colour)
            draws.append(time.perf_counter() - started)
        print(f"  {chart.title}: {statistics.median(draws) * 1000:.0f} ms a drawing (median of 5), "
              f"SVG {len(svg.encode()) / 1000:.1f} kB")
    print(f"  matplotlib's import, once a build that draws: {imported:.2f} s")


if __name__ == "__main__":
    main()
