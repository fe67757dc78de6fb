"""Police officers use the dashboard in a real browser; staff download a report."""
from __future__ import annotations

import time

from playwright.sync_api import expect

from app.demo import load_demo
from app.extensions import db

from ..staff import PASSWORD, make_users
from .conftest import DESKTOP, PHONE, new_page, screenshot
from .test_resident_in_browser import assert_accessible


def log_in(page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()


def test_police_change_indicator_and_filter_and_see_chart_and_table_change(
        app, survey, browser, live_server):
    with app.app_context():
        load_demo(db.session, responses=2000)
    make_users(app)
    page = new_page(browser, DESKTOP, live_server)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    log_in(page, "police@kassel.de")
    page.get_by_role("link", name="Lagebild").first.click()
    expect(page.get_by_role("heading", name="Lagebild: Sicherheit in Kassel 2026")).to_be_visible()
    expect(page.locator("#ranking .main-svg").first).to_be_visible()  # drawn by plotly.js
    expect(page.locator("#map .main-svg").first).to_be_visible()
    table = page.locator("#district-table")
    night = table.inner_text()
    night_chart = page.locator("#ranking").inner_text()
    assert "Nord (Holland)" in night and "▲ höher" in night
    screenshot(page, "dashboard-desktop")
    assert_accessible(page)

    page.get_by_label("Indikator").select_option(label="Wohnungseinbruch")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_role("heading", name="Wohnungseinbruch – Alle Befragten")).to_be_visible()
    burglary = table.inner_text()
    assert burglary != night
    expect(page.locator("#ranking .main-svg").first).to_be_visible()
    assert page.locator("#ranking").inner_text() != night_chart  # the chart changed too
    page.get_by_label("Gruppe").select_option(label="Frauen")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_role("heading", name="Wohnungseinbruch – Frauen")).to_be_visible()
    assert table.inner_text() != burglary and "unterdrückt" in table.inner_text()
    assert "group=gender%3Df" in page.url

    page.get_by_role("link", name="Mitte").click()
    expect(page.get_by_role("heading", name="Mitte im Vergleich zur Gesamtstadt")).to_be_visible()
    assert_accessible(page)
    assert not [e for e in errors if "Content Security Policy" in e], errors
    assert all(url.startswith(live_server) for url in page.outside_requests)

    # Police never reach raw data or exports.
    for path in ("/backoffice/surveys/kassel-2026/export?format=csv",
                 "/backoffice/surveys/kassel-2026/codes", "/backoffice/m/kassel/audit"):
        assert page.goto(path).status == 403
    page.goto("/backoffice/surveys/kassel-2026")
    assert page.get_by_role("link", name="SPSS").count() == 0


def test_dashboard_on_a_phone_and_bad_urls(app, survey, browser, live_server):
    with app.app_context():
        load_demo(db.session, responses=800)
    make_users(app)
    page = new_page(browser, PHONE, live_server)
    log_in(page, "staff@kassel.de")
    page.goto("/dashboard/kassel-2026")
    expect(page.locator("#district-table")).to_be_visible()
    screenshot(page, "dashboard-phone")
    for path in ("/dashboard/gibt-es-nicht", "/dashboard/kassel-2026?indicator=unbekannt",
                 "/dashboard/kassel-2026?group=gender=x", "/dashboard/kassel-2026/district/99",
                 "/dashboard/kassel-2026?wave=andere", "/dashboard/fulda-2026"):
        response = page.goto(path)
        assert response.status == 404, path
        expect(page.get_by_text("Diese Seite gibt es nicht.")).to_be_visible()


def test_staff_download_the_city_report(app, survey, browser, live_server, tmp_path):
    with app.app_context():
        load_demo(db.session, responses=600)
    make_users(app)
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
