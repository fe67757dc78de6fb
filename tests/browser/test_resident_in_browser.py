"""A resident completes the standard questionnaire in a real browser (Debian chromium)."""
from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.extensions import db
from app.models import Response

from .conftest import DESKTOP, PHONE, new_page, screenshot

AXE = Axe()


def assert_accessible(page: Page) -> None:
    results = AXE.run(page)
    serious = [violation for violation in results.response["violations"]
               if violation["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]])
                           for v in serious]


def stored(app) -> list[Response]:
    with app.app_context():
        return list(db.session.scalars(select(Response)))


def test_resident_completes_the_survey_on_a_phone(app, survey, browser, live_server):
    page = new_page(browser, PHONE, live_server)
    page.goto("/s/kassel-2026")
    assert_accessible(page)
    screenshot(page, "survey-start-phone")
    page.get_by_role("button", name="Befragung beginnen").click()
    page.get_by_role("button", name="Weiter").click()  # nothing chosen yet
    expect(page.get_by_role("alert")).to_contain_text("Bitte prüfen Sie Ihre Angaben")
    assert_accessible(page)
    screenshot(page, "survey-error-phone")
    page.get_by_label("In welchem Stadtteil").select_option(label="Nord (Holland)")
    page.get_by_role("button", name="Weiter").click()
    expect(page.get_by_text("Seite 2 von 10")).to_be_visible()
    page.get_by_role("group", name="tagsüber").get_by_label("eher sicher").check()
    page.get_by_role("group", name="nachts").get_by_label("sehr unsicher").check()
    page.get_by_role("button", name="Weiter").click()
    page.get_by_role("group", name="Wohnungseinbruch").get_by_label("sehr beunruhigt").check()
    assert_accessible(page)
    screenshot(page, "survey-matrix-phone")
    while page.get_by_role("button", name="Weiter").count():
        page.get_by_role("button", name="Weiter").click()
    page.get_by_role("button", name="Antworten absenden").click()
    expect(page.get_by_role("heading", name="Vielen Dank!")).to_be_visible()
    [response] = stored(app)
    assert response.answers["district"] == "11"
    assert (response.answers["safety_day"], response.answers["safety_night"]) == (2, 4)
    assert response.answers["worry_burglary"] == 4
    assert all(url.startswith(live_server) for url in page.outside_requests)


def test_resident_completes_the_survey_with_the_keyboard_only(app, survey, browser, live_server):
    page = new_page(browser, DESKTOP, live_server)
    page.goto("/s/kassel-2026?lang=en")
    page.keyboard.press("Tab")  # skip link first
    expect(page.get_by_text("Skip to content")).to_be_focused()
    start = page.get_by_role("button", name="Start the survey")
    for _ in range(5):
        if start.evaluate("element => element === document.activeElement"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    district = page.get_by_label("Which district")
    district.focus()
    page.keyboard.press("ArrowDown")  # the first district in the list
    page.keyboard.press("Tab")  # to the years field, where Enter submits the form
    page.keyboard.type("12")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_text("Page 2 of 10")).to_be_visible()
    page.get_by_role("group", name="during the day").get_by_label("very safe").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # into the night group
    page.keyboard.press("ArrowDown")  # radios: arrow keys move and select
    with page.expect_navigation():
        page.keyboard.press("Enter")
    for _ in range(10):
        if "/page/" not in page.url:
            break
        page.locator("button[value=next]").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    [response] = stored(app)
    assert response.answers["safety_day"] == 1 and response.answers["safety_night"] == 2
    assert response.answers["years_in_district"] == 12
    screenshot(page, "survey-thanks-desktop")


def test_answer_targets_are_large_rows_and_the_scale_stays_on_one_line(app, survey, browser,
                                                                         live_server):
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page = new_page(browser, viewport, live_server)
        page.goto("/s/kassel-2026")
        page.get_by_role("button", name="Befragung beginnen").click()
        page.get_by_label("In welchem Stadtteil").select_option(label="Nord (Holland)")
        page.get_by_role("button", name="Weiter").click()
        page.get_by_role("group", name="tagsüber").get_by_label("eher sicher").check()
        page.get_by_role("group", name="nachts").get_by_label("eher sicher").check()
        page.get_by_role("button", name="Weiter").click()
        rows = page.locator(".matrix-row")
        for index in range(rows.count()):
            boxes = [choice.bounding_box() for choice in rows.nth(index).locator(".choice").all()]
            assert all(box["height"] >= 44 for box in boxes), (name, boxes)
            if name == "desktop":  # the whole scale on one line
                assert len({round(box["y"]) for box in boxes}) == 1, boxes
        # A click at the far end of an answer's row (not on the circle, not on the text)
        # chooses it.
        row = page.get_by_role("group", name="Raub").locator(".choice").nth(2)
        row.scroll_into_view_if_needed()
        box = row.bounding_box()
        page.mouse.click(box["x"] + box["width"] - 3, box["y"] + box["height"] / 2)
        expect(row.locator("input")).to_be_checked()
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        screenshot(page, f"survey-matrix-{name}")
        page.close()


def test_legal_pages_are_linked_and_accessible(app, survey, browser, live_server):
    from app.models import Municipality

    with app.app_context():
        kassel = db.session.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        kassel.contact_name, kassel.contact_phone = "Frau Beispiel, Ordnungsamt", "0561 787-1234"
        kassel.paper_questionnaire = "Einen Fragebogen auf Papier schicken wir Ihnen gern zu."
        db.session.commit()
    for viewport, name in ((PHONE, "phone"), (DESKTOP, "desktop")):
        page = new_page(browser, viewport, live_server)
        page.goto("/s/kassel-2026")
        expect(page.get_by_role("heading", name="Fragen zur Befragung")).to_be_visible()
        assert_accessible(page)
        screenshot(page, f"survey-start-contact-{name}")
        page.get_by_role("navigation", name="Rechtliches").get_by_role(
            "link", name="Datenschutzerklärung").click()
        expect(page.get_by_role("heading", level=1, name="Datenschutzerklärung")).to_be_visible()
        expect(page.get_by_role("heading", name="Was mit Ihren Antworten gespeichert wird")) \
            .to_be_visible()
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
        screenshot(page, f"survey-privacy-{name}")
        page.get_by_role("link", name="Impressum").click()
        expect(page.get_by_text("noch kein Impressum eingetragen")).to_be_visible()
        assert_accessible(page)
        page.goto("/s/kassel-2026/barrierefreiheit?lang=en")
        expect(page.get_by_role("heading", level=1, name="Accessibility statement")) \
            .to_be_visible()
        assert_accessible(page)
        page.close()
