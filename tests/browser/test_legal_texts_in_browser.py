"""Staff enter the legal texts and the contact for residents in a real browser."""
from __future__ import annotations

from playwright.sync_api import expect

from .conftest import DESKTOP, log_in, new_page, screenshot
from .test_resident_in_browser import assert_accessible


def test_staff_enter_the_contact_and_see_an_error_beside_the_field(app, accounts, browser,
                                                                   live_server):
    page = new_page(browser, DESKTOP, live_server)
    log_in(page, "staff@kassel.de")
    page.goto("/backoffice/m/kassel")
    expect(page.get_by_text("Kein Impressum eingetragen.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Ansprechperson oder Stelle für Fragen").fill("Frau Beispiel, Ordnungsamt")
    page.get_by_label("E-Mail", exact=True).fill("befragung at kassel")
    page.get_by_role("button", name="Kontakt speichern").click()
    expect(page.locator("#e-contact_email")).to_contain_text("keine E-Mail-Adresse")
    expect(page.get_by_label("Ansprechperson oder Stelle für Fragen")).to_have_value(
        "Frau Beispiel, Ordnungsamt")
    assert_accessible(page)
    screenshot(page, "backoffice-municipality-contact-error")
    page.get_by_label("E-Mail", exact=True).fill("befragung@kassel.example")
    page.get_by_role("button", name="Kontakt speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Gespeichert: Ansprechperson, E-Mail.")
    page.get_by_label("Impressum").fill("Stadt Kassel\nObere Königsstraße 8\n34117 Kassel")
    page.get_by_role("button", name="Texte speichern").click()
    expect(page.get_by_text("Kein Impressum eingetragen.")).to_have_count(0)
    page.get_by_role("link", name="Impressum", exact=True).click()
    expect(page.get_by_text("Obere Königsstraße 8")).to_be_visible()
    assert_accessible(page)
