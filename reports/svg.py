"""Static SVG export of plotly charts with kaleido and Debian's Chromium.

One chart server (one Chromium, ``TABS`` tabs) per process, started on first use and
kept: a report pack renders a hundred and seventy charts through it. MathJax is off and
plotly.js comes from the plotly package, so the page needs nothing from the network, and
the browser gets none (NO_NETWORK).

Speed: kaleido reloads its page (5 MB of plotly.js) after every chart; here a tab is
reloaded only after a failed chart and every ``RELOAD_EVERY`` charts. A batch of charts
is drawn in the tabs side by side, and a chart drawn before in this process (same
figure, same format) is taken from a small cache instead of drawn again.
"""
from __future__ import annotations

import asyncio
import atexit
import base64
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import plotly.graph_objects as go

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
TABS = 2  # tabs drawing side by side in one Chromium
RELOAD_EVERY = 50  # charts a tab draws before its page is loaded afresh
CACHE_SIZE = 256  # charts kept per process (SVGs of a few kB each)

# A figure as plotly's go.Figure or as its plain JSON dict ({"data": [...], "layout": {...}}).
Figurish = go.Figure | dict


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


def _kaleido_class() -> type:
    """kaleido.Kaleido that keeps a tab's page between charts (see the module doc)."""
    import kaleido

    class ReusingKaleido(kaleido.Kaleido):
        async def _get_kaleido_tab(self):
            tab = await super()._get_kaleido_tab()
            if not hasattr(tab, "drawn"):
                _watch(tab)
            return tab

        async def _return_kaleido_tab(self, tab) -> None:
            tab.drawn += 1
            if tab.failed or tab.drawn >= RELOAD_EVERY:
                tab.failed, tab.drawn = False, 0
                await super()._return_kaleido_tab(tab)  # reloads, then hands it back
            else:
                await self.tabs_ready.put(tab)

    return ReusingKaleido


def _watch(tab) -> None:
    """Count a kaleido tab's charts and note when one fails (or times out)."""
    calc_fig = tab._calc_fig  # noqa: SLF001 - the one call kaleido makes per chart

    async def watched(*args, **kwargs):
        try:
            return await calc_fig(*args, **kwargs)
        except BaseException:
            tab.failed = True
            raise

    tab.drawn, tab.failed, tab._calc_fig = 0, False, watched


class ChartServer:
    """One Chromium drawing charts, driven from an event loop in its own thread."""

    def __init__(self, tabs: int = TABS) -> None:
        if not Path(CHROMIUM).exists():
            raise ChartExportError(f"{CHROMIUM} not found: install Debian's chromium (make "
                                   "run does) or set CHROMIUM_PATH")
        from kaleido import PageGenerator

        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="chart-server",
                                       daemon=True)
        self.thread.start()
        self.kaleido = _kaleido_class()(
            n=tabs, page_generator=PageGenerator(mathjax=False), path=CHROMIUM, timeout=90,
            browser_cls=_offline_chromium())
        self._call(self.kaleido.open())

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def draw(self, figures: Sequence[Figurish], file_format: str) -> list[bytes]:
        """The figures as images, drawn in the tabs side by side (in figure order)."""
        async def draw_all() -> list[bytes]:
            return await asyncio.gather(*(self.kaleido.calc_fig(
                figure, opts={"format": file_format, **_size(figure)}) for figure in figures))
        return self._call(draw_all())

    def close(self) -> None:
        try:
            self._call(self.kaleido.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join()
            self.loop.close()


_lock = threading.Lock()
_server: ChartServer | None = None
_cache: OrderedDict[str, bytes] = OrderedDict()
exports = 0  # charts drawn by Chromium in this process (the cache's hits not counted)


def _size(figure: Figurish) -> dict:
    layout = figure.layout if isinstance(figure, go.Figure) else figure.get("layout", {})
    return {"width": layout["width"], "height": layout["height"]}


def _key(figure: Figurish, file_format: str) -> str:
    from plotly.utils import PlotlyJSONEncoder

    spec = figure.to_plotly_json() if isinstance(figure, go.Figure) else figure
    return file_format + json.dumps(spec, cls=PlotlyJSONEncoder, sort_keys=True)


def _stop() -> None:
    global _server
    if _server is not None:
        server, _server = _server, None
        server.close()


def start_chart_server() -> None:
    """Start this process's Chromium now rather than at the first chart."""
    global _server
    with _lock:
        if _server is None:
            _server = ChartServer()
            atexit.register(_stop)


def figure_images(figures: Sequence[Figurish], file_format: str = "svg",
                  cache: bool = True) -> list[bytes]:
    """The figures as SVG or PNG (each at its own layout width and height). Identical
    figures, in this batch or drawn before in this process, are drawn once."""
    global _server, exports
    keys = [_key(figure, file_format) for figure in figures]
    with _lock:
        images = {key: _cache[key] for key in keys if cache and key in _cache}
        todo = {key: figure for key, figure in zip(keys, figures) if key not in images}
        if todo:
            if _server is None:
                _server = ChartServer()
                atexit.register(_stop)
            drawn = _server.draw(list(todo.values()), file_format)
            exports += len(drawn)
            images.update(zip(todo, drawn))
        for key, image in images.items():
            _cache[key] = image
            _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return [images[key] for key in keys]


def figure_image(figure: Figurish, file_format: str = "svg") -> bytes:
    """The figure as SVG or PNG (its own layout width and height)."""
    return figure_images([figure], file_format)[0]


def figure_svg(figure: Figurish) -> bytes:
    return figure_image(figure, "svg")


def svg_data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
