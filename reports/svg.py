"""Static SVG export of plotly charts with kaleido and Debian's Chromium.

One kaleido server (one Chromium) per process, started on first use and kept: a
report pack renders a hundred charts through it. MathJax is off and plotly.js comes
from the plotly package, so the browser loads nothing from the network; a proxy on a
closed local port makes sure of it.
"""
from __future__ import annotations

import atexit
import base64
import os
import threading
from pathlib import Path

import plotly.graph_objects as go

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
_lock = threading.Lock()
_started = False


class ChartExportError(RuntimeError):
    """Charts cannot be exported; the message says what to install or fix."""


def _start() -> None:
    global _started
    import kaleido
    from kaleido import PageGenerator

    if not Path(CHROMIUM).exists():
        raise ChartExportError(f"{CHROMIUM} not found: install Debian's chromium (make run "
                               "does) or set CHROMIUM_PATH")
    kaleido.start_sync_server(page_generator=PageGenerator(mathjax=False), path=CHROMIUM,
                              n=1, timeout=90, proxy_server="http://127.0.0.1:9",
                              silence_warnings=True)
    atexit.register(kaleido.stop_sync_server, silence_warnings=True)
    _started = True


def figure_image(figure: go.Figure, file_format: str = "svg") -> bytes:
    """The figure as SVG or PNG (its own layout width and height)."""
    import kaleido

    with _lock:
        if not _started:
            _start()
        layout = figure.layout
        return kaleido.calc_fig_sync(figure, opts={"format": file_format,
                                                   "width": layout.width,
                                                   "height": layout.height})


def figure_svg(figure: go.Figure) -> bytes:
    return figure_image(figure, "svg")


def svg_data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
