"""Municipal staff run a survey wave in a real browser."""
from __future__ import annotations

import zipfile

from playwright.sync_api import expect

from ..staff import PASSWORD, make_users
from .conftest import DESKTOP, new_page, screenshot
from .test_resident_in_browser import assert_accessible


def test_staff_set_up_a_wave_and_download_letters_and_data(app, survey, browser, live_server,
                                                          tmp_path):
    make_users(app)
    page = new_page(browser, DESKTOP, live_server)
    page.goto("/backoffice/")
    page.get_by_label("E-Mail-Adresse").fill("staff@kassel.de")
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Übersicht")).to_be_visible()
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
    page.get_by_label("Mitte").fill("2")
    with page.expect_download() as download:
        page.get_by_role("button", name="Codes erzeugen und herunterladen").click()
    archive = tmp_path / "codes.zip"
    download.value.save_as(archive)
    assert "kassel-2027-einladungen.pdf" in zipfile.ZipFile(archive).namelist()
    page.go_back()
    page.goto("/backoffice/surveys/kassel-2027")
    expect(page.get_by_role("row", name="Mitte")).to_contain_text("2")
    assert_accessible(page)
    screenshot(page, "backoffice-survey-desktop")
    with page.expect_download() as download:
        page.get_by_role("link", name="SPSS").click()
    assert download.value.suggested_filename == "kassel-2027-antworten.sav"
