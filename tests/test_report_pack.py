"""The pack's speed-ups change nothing a reader sees: identical charts are drawn once, a
chart drawn in a reused tab equals one drawn afresh, and the reports rendered by the
pack's processes equal the same reports rendered one after the other here."""
from __future__ import annotations

import asyncio
import re
import subprocess
import threading
from xml.etree import ElementTree

import pytest

from reports import charts, svg
from reports import pool as pool_module
from reports.build import ChartMaker, city_report, district_report, report_pack
from reports.pool import ReportPool

from .test_reports import data_for, demo  # noqa: F401 - demo is a fixture

pytestmark = pytest.mark.pdf  # every test here draws charts or renders PDFs


def bars(title: str):
    return charts.ranked_bars([charts.Bar("Nord", 0.3, 0.2, 0.4, "higher"),
                               charts.Bar("Süd", 0.2, 0.1, 0.3)], title, 0.25)


def test_identical_charts_are_drawn_once():
    first, second = bars("Eins"), bars("Zwei")
    before = svg.exports
    drawn = svg.figure_images([first, second, bars("Eins")])
    assert svg.exports - before == 2  # the repeated chart came from this batch
    assert drawn[0] == drawn[2] != drawn[1]
    assert svg.figure_svg(bars("Zwei")) == drawn[1] and svg.exports - before == 2
    svg.figure_images([first], cache=False)  # the benchmark draws without the cache
    assert svg.exports - before == 3


def without_ids(image: bytes) -> str:
    """The SVG without plotly's random ids (of the drawing, of each fill pattern), in
    the elements' ids and wherever they are referred to, in canonical XML: the order of
    an element's attributes, which a tab that has drawn before may write differently,
    does not count."""
    for name in set(re.findall(rb'id="[^"]*?([0-9a-f]{6})"', image)):
        image = image.replace(name, b"ID")
    return ElementTree.canonicalize(image.decode("utf-8"))


def test_a_reused_tab_draws_as_a_fresh_one(monkeypatch):
    figures = [bars(f"Diagramm {n}") for n in range(6)] + [charts.paired_bars(
        ["Nachts", "Tagsüber"], [0.3, None], [0.25, 0.1], "Vergleich", "Nord")]
    reused = [without_ids(image) for image in svg.figure_images(figures, cache=False)]
    monkeypatch.setattr(svg, "RELOAD_EVERY", 1)  # kaleido's way: a fresh page per chart
    assert [without_ids(image) for image in svg.figure_images(figures, cache=False)] == reused


def page_text(pdf: bytes, tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_the_pack_in_processes_equals_the_reports_made_one_by_one(app, tmp_path, start,
                                                                    monkeypatch):
    monkeypatch.setattr(pool_module, "start_method", lambda: start)
    data = data_for(app)
    data.districts = data.districts[:2]  # city and two districts: enough to share out
    done = []
    with ReportPool(2) as pool:
        stats = report_pack(data, tmp_path / "pack", "kassel-2026", done.append, pool=pool)
    assert sorted(done) == sorted(["stadt", *(d.code for d in data.districts)])  # progress
    assert [path.name for path in stats.files] == [
        "kassel-2026-stadt.pdf", *(f"kassel-2026-stadtteil-{d.code}.pdf"
                                   for d in sorted(data.districts, key=lambda d: d.code))]
    draw = ChartMaker()  # counts the charts of all three reports
    serial = {"kassel-2026-stadt.pdf": city_report(data, draw)} | {
        f"kassel-2026-stadtteil-{d.code}.pdf": district_report(data, d.code, draw)
        for d in data.districts}
    assert stats.pages == sum(pages for _pdf, pages in serial.values())
    assert stats.charts == draw.count >= 10 + 2  # city: 10; a district: one per chapter
    for path in stats.files:
        pdf, _pages = serial[path.name]
        assert page_text(path.read_bytes(), tmp_path, "a.pdf") == \
            page_text(pdf, tmp_path, "b.pdf"), path.name


def test_report_processes_are_forked_only_from_a_process_with_one_thread(monkeypatch):
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert pool_module.start_method() == "fork"
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # e.g. a chart server's loop
    assert pool_module.start_method() == "spawn"
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(pool_module, "FORK", False)
    assert pool_module.start_method() == "spawn"


def test_a_chromium_that_does_not_start_in_time_is_stopped_and_tried_once_more(monkeypatch):
    svg._stop()
    started = []
    real_server = svg.ChartServer
    monkeypatch.setattr(svg, "ChartServer", lambda: started.append(real_server()) or started[-1])
    monkeypatch.setattr(svg, "START_TIMEOUT", 0.001)
    with pytest.raises(svg.ChartExportError, match="did not start within"):
        svg.figure_images([bars("Zu langsam")], cache=False)
    assert len(started) == 2 and svg._server is None  # noqa: SLF001 - both stopped
    browsers = [getattr(server.kaleido, "subprocess", None) for server in started]
    assert all(browser is not None for browser in browsers)  # none launched unseen
    assert all(browser.poll() is not None for browser in browsers)  # none left running
    monkeypatch.setattr(svg, "START_TIMEOUT", 30)
    assert svg.figure_images([bars("Wieder da")], cache=False)[0].startswith(b"<svg")


def test_a_page_that_loads_before_kaleido_enables_page_events_still_starts(monkeypatch):
    """kaleido enables page events after it navigated: a page loaded in between never
    reported its load, and Chromium's start waited forever (seen with the basic bundle
    under load). Here the page always loads first."""
    from choreographer.protocol import devtools_async

    real_send = devtools_async.Target.send_command
    navigated = set()

    async def enable_late(target, command, params=None, **options):
        if command == "Page.navigate":
            navigated.add(id(target))
        elif command == "Page.enable" and id(target) in navigated:
            await asyncio.sleep(2)  # the page has loaded meanwhile
        return await real_send(target, command, params, **options)

    svg._stop()
    monkeypatch.setattr(devtools_async.Target, "send_command", enable_late)
    monkeypatch.setattr(svg, "START_TIMEOUT", 10)
    try:
        image = svg.figure_images([bars("Schnell geladen")], cache=False)[0]
    finally:
        svg._stop()  # not kept: it was started with the delay
    assert image.startswith(b"<svg")
