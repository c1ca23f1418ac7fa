"""The build's charts drawn before its pages are rendered, in a process of their own.

Every chart of the archive (each article's resolved chart lines) is looked up in the
build's cache; those it lacks are drawn together in one child process and kept there for
the next build. Either way the drawings are held in `markdown.drawings` before the pages
are rendered, so the pages, the feeds and the print editions (and the worker processes
forked to render pages, which cannot read what this build has not yet committed to the
cache) take each from there. The
child imports matplotlib (0.6 s, some 60 MB) and ends with the drawing: the build's own
process, which lives on while the editions are typeset, never holds it. A build whose
charts are all in the cache draws nothing and says nothing of them.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

from builder.charts.spec import CHART_MARK, Chart
from builder.model import Archive
from builder.render import markdown


def charts_of(archive: Archive) -> list[Chart]:
    """Every chart in the archive's articles, each once."""
    found: dict[str, Chart] = {}
    for article in archive.articles():
        if CHART_MARK not in article.body:
            continue
        for line in article.body.split("\n"):
            if line.startswith(CHART_MARK):
                chart = Chart.from_json(line[len(CHART_MARK):])
                if chart is not None:
                    found.setdefault(chart.to_json(), chart)
    return list(found.values())


def draw_missing(archive: Archive, store, report: Callable[[str], None]) -> int:
    """Draw the charts `store` lacks (one child process for them all) and keep them there;
    how many were drawn."""
    colour = archive.site.pdf.colour
    missing = []
    for chart in charts_of(archive):
        key = markdown.chart_key(chart, colour)
        kept = store.get("chart", key)
        if kept is None:
            missing.append(chart)
        else:
            markdown.drawings[key] = kept.decode("utf-8")
    if not missing:
        return 0
    started = time.monotonic()
    # fork is quick and shares the charts; with threads about (a fork would copy their
    # locks held), a fresh interpreter instead.
    method = "fork" if threading.active_count() == 1 and hasattr(multiprocessing, "get_context") else "spawn"
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(method)) as pool:
        drawings = pool.submit(_draw_all, missing, colour).result()
    for chart, svg in zip(missing, drawings):
        key = markdown.chart_key(chart, colour)
        store.put("chart", key, svg.encode("utf-8"))  # for the next build
        markdown.drawings[key] = svg  # for this one's pages (and its workers)
    report(f"drew {len(missing)} chart{'s' if len(missing) > 1 else ''} ({time.monotonic() - started:.1f} s)")
    return len(missing)


def _draw_all(charts: list[Chart], colour: str) -> list[str]:
    from builder.charts.draw import draw

    return [draw(chart, colour) for chart in charts]
