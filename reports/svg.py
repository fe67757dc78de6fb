"""Static SVG export of plotly charts with kaleido and Debian's Chromium.

One kaleido server (one Chromium) per process, started on first use and kept: a
report pack renders a hundred charts through it. MathJax is off and plotly.js comes
from the plotly package, so the page needs nothing from the network, and the browser
gets none (NO_NETWORK).
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


# Every network request of kaleido's Chromium fails. A chart is text from the database
# drawn by a browser on the server: should markup ever reach plotly again, that browser
# must not be a way into the local network. A proxy alone is not enough (Chromium goes
# to loopback directly, past any proxy, unless `<-loopback>` says otherwise); a host
# resolver that fails every name and address is a second, independent wall. kaleido's
# own page and plotly.js are local files.
NO_NETWORK = ("--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
              "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking")


def _offline_chromium() -> type:
    """choreographer's Chromium (as kaleido starts it) with NO_NETWORK added."""
    from choreographer.browsers import Chromium  # imported late: web workers rarely need it

    class OfflineChromium(Chromium):
        def get_cli(self) -> list[str]:
            return [*super().get_cli(), *NO_NETWORK]

    return OfflineChromium


def _start() -> None:
    global _started
    import kaleido
    from kaleido import PageGenerator

    if not Path(CHROMIUM).exists():
        raise ChartExportError(f"{CHROMIUM} not found: install Debian's chromium (make run "
                               "does) or set CHROMIUM_PATH")
    kaleido.start_sync_server(page_generator=PageGenerator(mathjax=False), path=CHROMIUM,
                              n=1, timeout=90, browser_cls=_offline_chromium(),
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
