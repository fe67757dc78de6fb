"""Municipal staff run a survey wave in a real browser."""
from __future__ import annotations

import zipfile

import pytest
from playwright.sync_api import expect

from .conftest import DESKTOP, log_in, new_page, screenshot
from .test_resident_in_browser import assert_accessible


@pytest.mark.pdf
def test_staff_set_up_a_wave_and_download_letters_and_data(app, accounts, browser, live_server,
                                                          tmp_path):
    page = new_page(browser, DESKTOP, live_server)
    log_in(page, "staff@kassel.de")
    page.get_by_role("link", name="Stadt Kassel").click()
    population = tmp_path / "bevoelkerung.csv"
    population.write_text("district_code;gender;age_group;population\n01;f;18-29;700\n",
                          encoding="cp1252")
    page.get_by_label("Bevölkerung (CSV)").set_input_files(str(population))
    page.get_by_role("button", name="Importieren").click()
    expect(page.get_by_role("status")).to_contain_text("1 Bevölkerungszellen")
    page.get_by_role("link", name="Neue Befragung").click()
    page.get_by_label("Kürzel für die Adresse").fill("kassel-2027")
    page.get_by_label("Einladungscodes").check()
    page.get_by_role("button", name="Befragung anlegen").click()
    page.get_by_role("button", name="Öffnen").click()
    expect(page.get_by_role("status")).to_contain_text("geöffnet")
    page.get_by_role("link", name="Einladungscodes").click()
    generate_codes_with_a_typo_first(page, tmp_path)
    page.goto("/backoffice/surveys/kassel-2027")
    expect(page.get_by_role("row", name="Mitte")).to_contain_text("2")
    assert_accessible(page)
    screenshot(page, "backoffice-survey-desktop")
    with page.expect_download() as download:
        page.get_by_role("link", name="SPSS").first.click()  # the one without weights
    assert download.value.suggested_filename == "kassel-2027-antworten.sav"
    page.get_by_role("button", name="Schließen").click()  # asks first
    expect(page.get_by_role("heading", name="schließen?")).to_be_visible()
    page.get_by_role("button", name="Ja, Befragung schließen").click()
    expect(page.get_by_role("status")).to_contain_text("Die Befragung ist jetzt geschlossen.")
    expect(page.locator("#survey-status")).to_have_text("geschlossen")
    page.goto("/backoffice/m/kassel/audit")
    page.get_by_label("Aktion").select_option(label="Einladungscodes erzeugt")
    page.get_by_role("button", name="Filtern").click()
    expect(page.locator("#audit-table tbody tr")).to_have_count(1)
    expect(page.locator("#audit-table tbody tr")).to_contain_text("Einladungscodes erzeugt")
    assert_accessible(page)
    screenshot(page, "backoffice-audit-desktop")
    page.goto("/backoffice/m/kassel/audit?from=31.02.2026")
    expect(page.locator("#e-from")).to_contain_text("'31.02.2026' ist kein gültiges Datum")


def generate_codes_with_a_typo_first(page, tmp_path) -> None:
    """A typo is kept with its error beside it; corrected, the letters download by
    themselves and the page says what exists now, with no error left over."""
    page.get_by_label("Mitte").fill("zwei")
    page.get_by_label("Wesertor").fill("1")
    page.get_by_role("button", name="Codes erzeugen und herunterladen").click()
    expect(page.get_by_role("alert")).to_contain_text("Es wurden keine Codes erzeugt")
    expect(page.locator("#e-count_01")).to_have_text("Fehler: „zwei“ ist keine ganze Zahl.")
    expect(page.get_by_label("Mitte")).to_have_value("zwei")
    expect(page.get_by_label("Wesertor")).to_have_value("1")
    assert_accessible(page)
    screenshot(page, "backoffice-codes-error-desktop")
    page.get_by_role("link", name="Anzahl für Mitte").click()
    expect(page.get_by_label("Mitte")).to_be_focused()
    page.get_by_label("Mitte").fill("2")
    page.get_by_label("Wesertor").fill("")
    with page.expect_download() as download:
        page.get_by_role("button", name="Codes erzeugen und herunterladen").click()
    archive = tmp_path / "codes.zip"
    download.value.save_as(archive)
    assert "kassel-2027-einladungen.pdf" in zipfile.ZipFile(archive).namelist()
    expect(page.get_by_role("status").first).to_contain_text(
        "2 Codes erzeugt. Die Briefe sind fertig")
    expect(page.locator("#codes-table").get_by_role("row", name="Mitte")).to_contain_text("2")
    expect(page.locator("#batches-table tbody tr")).to_have_count(1)
    expect(page.locator("#batches-table tbody tr")).to_contain_text("Mitte 2")
    expect(page.locator(".error-summary, .error-message")).to_have_count(0)
    expect(page.get_by_label("Mitte")).to_have_value("")
    assert_accessible(page)
    screenshot(page, "backoffice-codes-after-generation-desktop")
