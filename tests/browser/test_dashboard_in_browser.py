"""Police officers use the dashboard in a real browser, under the production CSP;
staff download a report."""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from app.demo import load_demo
from app.extensions import db
from app.results import survey_indicators
from app.survey.service import survey_context
from reports.formatting import interval, number, percent

from .conftest import DESKTOP, PHONE, log_in, new_page, screenshot
from .plotly_css import STYLESHEET, injected_rules, stylesheet_rules
from .test_resident_in_browser import assert_accessible

# Every layer of a chart lies within the chart (plotly's stylesheet stacks them; without
# it the reference line and labels fall below the bars and the toolbar sits on them).
CHART_LAYOUT = """() => [...document.querySelectorAll(".js-plotly-plot")].map(chart => {
  const box = chart.getBoundingClientRect();
  const outside = [...chart.querySelectorAll(".main-svg, .modebar-container")]
    .map(layer => layer.getBoundingClientRect())
    .filter(layer => layer.top < box.top - 1 || layer.bottom > box.bottom + 1);
  return {id: chart.id, outside: outside.length,
          modebar: getComputedStyle(chart.querySelector(".modebar")).position};
})"""
# Why a figure is not shown, as the reports say it (the threshold, or protection).
SUPPRESSED = re.compile(r"unter [\d.]+ Antworten|zum Schutz anderer Zahlen")
FLAG_WORDS = {"higher": "▲ höher", "lower": "▼ niedriger", "": ""}
CLIPPED_TABLES = """() => [...document.querySelectorAll(".table-wrap")]
  .filter(wrap => wrap.scrollWidth > wrap.clientWidth)
  .map(wrap => ({table: wrap.innerText.slice(0, 60), width: wrap.scrollWidth,
                 shown: wrap.clientWidth, columns: [...wrap.querySelectorAll("thead th")]
                   .map(cell => Math.round(cell.getBoundingClientRect().width))}))"""


def assert_charts_in_place(page: Page) -> None:
    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
    charts = page.evaluate(CHART_LAYOUT)
    assert charts and all(chart["outside"] == 0 for chart in charts), charts
    assert all(chart["modebar"] == "absolute" for chart in charts), charts  # over the chart


def assert_fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), \
        "the page scrolls sideways"
    assert page.evaluate(CLIPPED_TABLES) == []


@pytest.mark.pdf
def test_police_change_indicator_and_filter_and_see_chart_and_table_change(
        app, accounts, browser, live_server):
    with app.app_context():
        load_demo(db.session, responses=2000)
    page = new_page(browser, DESKTOP, live_server)
    log_in(page, "police@kassel.de")
    page.get_by_role("link", name="Lagebild").first.click()
    expect(page.get_by_role("heading", name="Lagebild: Sicherheit in Kassel 2026")).to_be_visible()
    expect(page.locator("#ranking .main-svg").first).to_be_visible()  # drawn by plotly.js
    expect(page.locator("#map .main-svg").first).to_be_visible()
    assert_charts_in_place(page)
    assert_fits_the_screen(page)
    table = page.locator("#district-table")
    night = table.inner_text()
    night_chart = page.locator("#ranking").inner_text()
    assert "Nord (Holland)" in night and "▲ höher" in night
    page.locator("#ranking").hover()  # the chart's toolbar works under the CSP
    titles = page.locator("#ranking .modebar-btn").evaluate_all(
        "buttons => buttons.map(button => button.dataset.title)")
    assert "Zoom in" in titles, titles
    assert not [title for title in titles if "Download" in title or "Share" in title], titles
    page.locator("#ranking [data-title='Zoom in']").click()
    page.locator("#ranking [data-title='Reset axes']").click()
    with page.expect_download() as download:  # drawn on the server
        page.locator("#ranking").locator("..").get_by_role("link", name="SVG").click()
    assert download.value.suggested_filename == "kassel-2026-ranking-unsafe_night-all.svg"
    assert download.value.path().read_bytes().startswith(b"<svg")
    screenshot(page, "dashboard-desktop")
    assert_accessible(page)

    page.get_by_label("Indikator").select_option(value="worry_burglary")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_role("heading", name="Wohnungseinbruch – Alle Befragten")).to_be_visible()
    burglary = table.inner_text()
    assert burglary != night
    expect(page.locator("#ranking .main-svg").first).to_be_visible()
    assert page.locator("#ranking").inner_text() != night_chart  # the chart changed too
    page.get_by_label("Gruppe").select_option(label="Frauen")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_role("heading", name="Wohnungseinbruch – Frauen")).to_be_visible()
    assert table.inner_text() != burglary and SUPPRESSED.search(table.inner_text())
    assert "group=gender%3Df" in page.url

    page.get_by_role("link", name="Mitte").click()
    expect(page.get_by_role("heading", name="Mitte im Vergleich zur Gesamtstadt")).to_be_visible()
    assert_charts_in_place(page)
    assert_fits_the_screen(page)
    screenshot(page, "dashboard-district-desktop")
    assert_accessible(page)
    assert all(url.startswith(live_server) for url in page.outside_requests)

    # Police never reach raw data or exports.
    for path in ("/backoffice/surveys/kassel-2026/export?format=csv",
                 "/backoffice/surveys/kassel-2026/codes", "/backoffice/m/kassel/audit"):
        assert page.goto(path).status == 403
    page.goto("/backoffice/surveys/kassel-2026")
    assert page.get_by_role("link", name="SPSS").count() == 0


def test_dashboard_on_a_phone_and_bad_urls(app, accounts, browser, live_server):
    # 1,500 responses: four-digit case numbers ("1.234") made the district table wider
    # than the phone's screen until intervals could wrap there.
    with app.app_context():
        load_demo(db.session, responses=1500)
    page = new_page(browser, PHONE, live_server)
    log_in(page, "staff@kassel.de")
    page.goto("/dashboard/kassel-2026")
    expect(page.locator("#district-table")).to_be_visible()
    assert_charts_in_place(page)
    assert_fits_the_screen(page)
    screenshot(page, "dashboard-phone")
    page.get_by_role("link", name="Nord (Holland)").click()
    expect(page.get_by_role("heading", name="Nord (Holland) im Vergleich")).to_be_visible()
    assert_charts_in_place(page)
    assert_fits_the_screen(page)
    screenshot(page, "dashboard-district-phone")
    for path in ("/dashboard/gibt-es-nicht", "/dashboard/kassel-2026?indicator=unbekannt",
                 "/dashboard/kassel-2026?group=gender=x", "/dashboard/kassel-2026/district/99",
                 "/dashboard/kassel-2026?wave=andere", "/dashboard/fulda-2026"):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.get_by_text("Diese Seite gibt es nicht.")).to_be_visible()


@pytest.mark.reads_demo
def test_without_javascript_the_tables_show_every_figure(app, browser, live_server):
    with app.app_context():
        context = survey_context(db.session, "kassel-2026")
        table = survey_indicators(db.session, context).table
    page = new_page(browser, DESKTOP, live_server, javascript=False)
    log_in(page, "police@kassel.de")
    page.goto("/dashboard/kassel-2026?indicator=worry_burglary")
    burglary = table[(table["indicator"] == "worry_burglary") & (table["group"] == "all")]
    published = 0
    for code, name in context.districts:
        row = burglary[burglary["district"] == code].iloc[0]
        cells = page.locator("#district-table tr").filter(
            has=page.get_by_role("rowheader", name=name, exact=True)).inner_text()
        if row["suppressed"]:
            assert SUPPRESSED.search(cells), (name, cells)
            continue
        published += 1
        for figure in (percent(row["estimate"]), interval(row["ci_low"], row["ci_high"]),
                       number(row["n"]), FLAG_WORDS[row["flag"]]):
            assert figure in cells, (name, figure, cells)
    assert published >= 10
    assert page.locator(".main-svg").count() == 0  # no chart drawn in the browser …
    assert page.get_by_role("link", name="SVG").count() == 2  # … but both to download
    assert_fits_the_screen(page)


def test_the_stylesheet_served_is_the_one_plotly_would_inject(browser):
    """app/static/plotly.css stands in for the <style> the CSP blocks; after a plotly
    upgrade it must be regenerated (`python -m tests.browser.plotly_css`)."""
    page = browser.new_page()
    try:
        served = stylesheet_rules(page, STYLESHEET.read_text(encoding="utf-8"))
        assert served == injected_rules(page), "app/static/plotly.css is out of date"
    finally:
        page.close()


@pytest.mark.pdf
def test_staff_download_the_city_report(app, accounts, browser, live_server, tmp_path):
    with app.app_context():
        load_demo(db.session, responses=600)
    page = new_page(browser, DESKTOP, live_server)
    log_in(page, "staff@kassel.de")
    page.goto("/backoffice/surveys/kassel-2026")
    page.get_by_role("button", name="Stadtbericht").click()
    deadline = time.monotonic() + 120
    while page.get_by_role("link", name="kassel-2026-stadt.pdf herunterladen").count() == 0:
        assert time.monotonic() < deadline, "report not ready"
        page.wait_for_timeout(1000)
        page.reload()
    with page.expect_download() as download:
        page.get_by_role("link", name="kassel-2026-stadt.pdf herunterladen").click()
    path = tmp_path / "stadt.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
