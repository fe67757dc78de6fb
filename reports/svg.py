"""Static SVG export of plotly charts with kaleido and Debian's Chromium.

One chart server (one Chromium, ``TABS`` tabs) per process, started on first use (or
early, without waiting, by ``start_chart_server``) and kept: a report pack draws a
hundred and seventy charts through it. MathJax is off and plotly.js is a local file, so
the page needs nothing from the network, and the browser gets none (NO_NETWORK).

Speed: the page loads plotly.js's basic bundle (reports/vendor: bar and scatter, all
the charts use; a quarter of the full bundle's size, so a tab is ready in a third of the
time). Charts are drawn as soon as the first tab is ready; the other tabs load
meanwhile. kaleido reloads its page after every chart; here a tab is reloaded only
after a failed chart and every ``RELOAD_EVERY`` charts. A batch of charts is drawn in
the tabs side by side, and a chart drawn before in this process (same figure, same
format) is taken from a small cache instead of drawn again.
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
START_TIMEOUT = 30  # seconds Chromium may take to be ready (usually 1.5); then once more
BASIC_BUNDLE = Path(__file__).resolve().parent / "vendor" / "plotly-basic.min.js"
USE_BASIC_BUNDLE = True  # False: the plotly package's full bundle (the benchmark's lever)

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

        async def _conform_tabs(self, tabs=None) -> None:
            # kaleido 1.5 sends Page.navigate before Page.enable and then waits for the
            # page's load event: a page that loads in between (the basic bundle often
            # does) never reports it, and the tab waits forever. Page events on first.
            tabs = list(tabs) if tabs else list(self.tabs.values())
            for tab in tabs:
                await tab.send_command("Page.enable")
            await super()._conform_tabs(tabs)

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
        page = PageGenerator(plotly=BASIC_BUNDLE, mathjax=False) if USE_BASIC_BUNDLE \
            else PageGenerator(mathjax=False)
        self.kaleido = _kaleido_class()(
            n=1, page_generator=page, path=CHROMIUM, timeout=90,
            browser_cls=_offline_chromium())
        self._more_tabs: list[asyncio.Future] = []
        # Chromium starts in the background: the caller computes figures meanwhile.
        self.opening = asyncio.run_coroutine_threadsafe(self._open(tabs), self.loop)

    async def _open(self, tabs: int) -> None:
        opening = asyncio.ensure_future(self.kaleido.open())  # the browser, its first tab
        done, _pending = await asyncio.wait({opening}, timeout=START_TIMEOUT)
        if not done:
            await self._launched(opening)
            opening.cancel()
            await asyncio.gather(opening, return_exceptions=True)
            raise ChartExportError(f"{CHROMIUM} did not start within {START_TIMEOUT:g} s: "
                                   "charts cannot be drawn")
        opening.result()  # raises what starting it raised
        self._more_tabs = [asyncio.ensure_future(self.kaleido._create_kaleido_tab())  # noqa: SLF001
                           for _ in range(tabs - 1)]

    async def _launched(self, opening: asyncio.Future, limit: float = 10.0) -> None:
        """Wait until kaleido holds the browser process it is launching. choreographer
        launches it in a thread: cancelled meanwhile, open() drops the process, which
        then runs on unseen and cannot be stopped."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while not (opening.done() or hasattr(self.kaleido, "subprocess")) \
                and loop.time() < deadline:
            await asyncio.sleep(0.01)

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def draw(self, figures: Sequence[Figurish], file_format: str) -> list[bytes]:
        """The figures as images, drawn in the tabs side by side (in figure order)."""
        self.opening.result()  # raises what starting Chromium raised

        async def draw_all() -> list[bytes]:
            return await asyncio.gather(*(self.kaleido.calc_fig(
                figure, opts={"format": file_format, **_size(figure)}) for figure in figures))
        return self._call(draw_all())

    async def _shut_down(self) -> None:
        for task in self._more_tabs:
            task.cancel()
        await asyncio.gather(*self._more_tabs, return_exceptions=True)
        await self.kaleido.close()
        process = getattr(self.kaleido, "subprocess", None)
        if process is not None and process.poll() is None:
            # A start given up on (START_TIMEOUT): kaleido's close leaves that browser
            # running. choreographer's kill ends its process group, then reaps it.
            from choreographer.utils._kill import kill

            await asyncio.get_running_loop().run_in_executor(None, kill, process)

    def close(self) -> None:
        try:
            self.opening.exception()  # wait until Chromium has started (or failed to)
            self._call(self._shut_down())
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


atexit.register(_stop)  # a Chromium left running would outlive this process


def _discard_server() -> None:
    try:
        _stop()
    except Exception:  # noqa: BLE001 - a browser that never started may not close cleanly
        pass


def _running_server() -> ChartServer:
    """This process's chart server, started if there is none (call with ``_lock`` held)."""
    global _server
    if _server is None:
        _server = ChartServer()
    return _server


def start_chart_server() -> None:
    """Start this process's Chromium now rather than at the first chart, without waiting
    for it (the first chart waits)."""
    with _lock:
        _running_server()


def figure_images(figures: Sequence[Figurish], file_format: str = "svg",
                  cache: bool = True) -> list[bytes]:
    """The figures as SVG or PNG (each at its own layout width and height). Identical
    figures, in this batch or drawn before in this process, are drawn once."""
    global exports
    keys = [_key(figure, file_format) for figure in figures]
    with _lock:
        images = {key: _cache[key] for key in keys if cache and key in _cache}
        todo = {key: figure for key, figure in zip(keys, figures) if key not in images}
        if todo:
            drawn = _draw(list(todo.values()), file_format)
            exports += len(drawn)
            images.update(zip(todo, drawn))
        for key, image in images.items():
            _cache[key] = image
            _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return [images[key] for key in keys]


def _draw(figures: list[Figurish], file_format: str) -> list[bytes]:
    """The figures drawn by this process's chart server (started if need be). A Chromium
    that did not start is stopped, and one more is started; the second failure raises."""
    for attempt in (1, 2):
        server = _running_server()
        try:
            return server.draw(figures, file_format)
        except BaseException:
            opening = server.opening
            if not (opening.done() and opening.exception() is not None):
                raise  # Chromium runs: the charts themselves failed
            _discard_server()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def figure_image(figure: Figurish, file_format: str = "svg") -> bytes:
    """The figure as SVG or PNG (its own layout width and height)."""
    return figure_images([figure], file_format)[0]


def figure_svg(figure: Figurish) -> bytes:
    return figure_image(figure, "svg")


def svg_data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
