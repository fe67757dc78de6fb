"""Processes that turn report HTML into PDF files (WeasyPrint), side by side.

The process that makes a pack computes the figures, draws the charts (its one Chromium,
reports/svg.py) and fills the templates; these processes only lay out and write PDFs,
the part that costs most CPU. They get finished HTML, so they import WeasyPrint and
nothing else, and no pandas frame crosses a process boundary.
"""
from __future__ import annotations

import gc
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from .pdf import render_pdf, render_pdf_counted

# A report allocates millions of small objects; collecting the young generation less
# often costs nothing here (a report process lives for one pack) and saves CPU.
GC_THRESHOLDS = (50_000, 20, 100)
TUNE_GC = True  # False: Python's default collector settings (the benchmark's lever)
FORK = True  # False: always start processes afresh ("spawn")

# A page with the report stylesheet and both font weights: loads fonts and Pango's
# measurements while the pack's figures are still being computed.
WARM_UP_HTML = ('<html lang="de"><head><link rel="stylesheet" href="report.css"></head>'
                '<body><h2>Auf einen Blick</h2><p>Anteil <strong>31 %</strong></p>'
                '<table><tr><th>Aussage</th><td class="num">1.234</td></tr></table></body></html>')


def start_method() -> str:
    """'fork' when this process runs a single thread: the report processes then start at
    once with everything imported. With any other thread running (a chart server's event
    loop, a web server's job runner) a forked child could inherit a lock held by that
    thread, so the processes start afresh ('spawn') and import what they need."""
    return "fork" if FORK and threading.active_count() == 1 else "spawn"


class ReportPool:
    """A fixed number of processes that write report PDFs.

    Start it before the figures are computed and the charts drawn: the processes warm
    up meanwhile. ``setup`` (picklable, no arguments) runs first in each process (the
    benchmark switches speed-ups off with it). Writing a PDF is CPU-bound, so more
    processes than cores gain nothing.
    """

    def __init__(self, workers: int, setup: Callable[[], None] | None = None) -> None:
        self.workers = max(1, workers)
        context = multiprocessing.get_context(start_method())
        self.executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=context,
                                            initializer=_start_worker, initargs=(setup,))
        # Spawned processes start as work arrives: one no-op each starts them all now.
        self._started = [self.executor.submit(int) for _ in range(self.workers)]

    def write_pdf(self, html: str, path: Path) -> Future:
        """Lay out ``html`` and write it to ``path``; the future's result is the number
        of pages."""
        return self.executor.submit(_write_pdf, html, path)

    def untagged_pdf(self, html: str) -> Future:
        """Lay out ``html``; the future's result is the PDF, untagged (a part of a PDF
        that is joined from parts, see reports/letters.py)."""
        return self.executor.submit(render_pdf, html, False)

    def __enter__(self) -> ReportPool:
        return self

    def __exit__(self, *exc_info) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)


def _start_worker(setup: Callable[[], None] | None) -> None:
    if setup is not None:
        setup()
    try:
        render_pdf_counted(WARM_UP_HTML)
    except Exception:  # noqa: BLE001 - a real report raises it again, where it is seen
        pass
    if TUNE_GC:
        gc.collect()
        gc.freeze()  # what was imported stays: the collector no longer walks it
        gc.set_threshold(*GC_THRESHOLDS)


def _write_pdf(html: str, path: Path) -> int:
    pdf, pages = render_pdf_counted(html)
    path.write_bytes(pdf)
    return pages
