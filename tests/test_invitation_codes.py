"""Access with invitation codes: one response per code, resume anywhere, no link kept."""
from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import InvitationCode, Response, ResponseDraft, Survey
from app.survey import service

from .resident import STANDARD_ANSWERS, Resident, is_checked


@pytest.fixture
def codes(make_codes) -> list[str]:
    return make_codes(3)


def test_codes_are_unguessable_unambiguous_and_stored_hashed(app, codes):
    assert len(set(codes)) == 3
    for code in codes:
        raw = code.replace("-", "")
        assert not set(raw) & set("01OIL2Z5S8B")
        assert len(raw) * math.log2(len(service.CODE_ALPHABET)) >= 40
    with app.app_context():
        hashes = list(db.session.scalars(select(InvitationCode.code_hash)))
    assert len(hashes) == 3 and not set(hashes) & {c.replace("-", "") for c in codes}


def test_start_page_asks_for_the_code_and_prefills_it_from_the_letter(client, codes):
    html = client.get(f"/s/kassel-2026?code={codes[0]}").get_data(as_text=True)
    assert '<label for="code">' in html and f'value="{codes[0]}"' in html


@pytest.mark.parametrize("typed, status, message", [
    ("ABCD-EFGH-JKMN", 403, "Dieser Zugangscode ist nicht gültig."),
    ("", 422, "Bitte geben Sie Ihren Zugangscode ein."),
])
def test_unknown_or_missing_code_is_refused(app, client, codes, typed, status, message):
    response = Resident(client).start(code=typed)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


def test_resume_on_another_device_and_code_gives_one_response(app, runner, codes):
    phone, laptop = Resident(app.test_client()), Resident(app.test_client())
    response = phone.start(code=codes[0].lower().replace("-", " "))  # as typed from the letter
    assert response.headers["Location"].endswith("/page/1")
    phone.post(1, STANDARD_ANSWERS[1])
    phone.post(2, STANDARD_ANSWERS[2])
    resumed = laptop.start(code=codes[0])
    assert resumed.headers["Location"].endswith("/page/3")
    page2 = laptop.page(2).get_data(as_text=True)
    assert is_checked(page2, "safety_night", "3")
    number = 3
    while True:
        answer = laptop.post(number, STANDARD_ANSWERS.get(number, {}))
        location = answer.headers["Location"]
        if location.endswith("/thanks"):
            break
        number = int(location.rsplit("/", 1)[1])
    again = Resident(app.test_client()).start(code=codes[0])
    assert again.status_code == 409
    assert "bereits abgeschlossen" in again.get_data(as_text=True)
    with app.app_context():
        [stored] = db.session.scalars(select(Response))
        # The code is marked used in its survey's bitmap; its draft is gone.
        [code] = db.session.scalars(select(InvitationCode).where(
            InvitationCode.code_hash == service.hash_code(codes[0])))
        assert service.code_taken(db.session, code)
        assert db.session.scalars(select(ResponseDraft)).all() == []
        # Nothing in the response points back to the code or its row.
        assert code.code_hash not in str(stored.answers)
    assert not {c.name for c in Response.__table__.columns} & {"code", "code_id", "key"}
    assert Resident(app.test_client()).start(code=codes[0]).status_code == 409
    sealed = runner.invoke(args=["responses", "seal", "kassel-2026"])
    assert sealed.exit_code == 0 and sealed.output.startswith("1 Codes als genutzt vermerkt")


def test_phone_cannot_submit_after_the_laptop_finished(app, codes):
    phone, laptop = Resident(app.test_client()), Resident(app.test_client())
    phone.start(code=codes[1])
    laptop.start(code=codes[1])
    for number in range(1, 11):
        if number == 7:
            continue
        laptop_answers = dict(STANDARD_ANSWERS[number])
        if number == 6:
            laptop_answers = {code: "2" for code in STANDARD_ANSWERS[6]}
        response = laptop.post(number, laptop_answers)
    assert response.headers["Location"].endswith("/thanks")
    late = phone.page(1)  # the same draft was completed elsewhere: "already saved"
    assert late.headers["Location"].endswith("/thanks?already=1")
    with app.app_context():
        assert len(db.session.scalars(select(Response)).all()) == 1


def test_the_district_comes_from_the_code_and_is_not_asked_again(app, codes):
    with app.app_context():
        district = db.session.scalar(select(Survey)).municipality.districts[0]
    resident = Resident(app.test_client())
    assert resident.start(code=codes[2]).headers["Location"].endswith("/page/1")
    page1 = resident.page(1).get_data(as_text=True)
    assert 'name="district"' not in page1  # no question, no field
    assert district.name in page1 and "aus Ihrer Einladung" in page1
    # A district posted anyway (another one) does not replace the code's.
    other = next(code for code in ("11", "12", "13") if code != district.code)
    saved = resident.post(1, {"district": other, "years_in_district": "4"})
    assert saved.headers["Location"].endswith("/page/2")
    for number in range(2, 11):
        if number == 7:
            continue
        answers = STANDARD_ANSWERS[number]
        if number == 6:
            answers = {item: "2" for item in STANDARD_ANSWERS[6]}
        resident.post(number, answers)
    with app.app_context():
        [stored] = db.session.scalars(select(Response))
        assert stored.answers["district"] == district.code
        assert stored.district_id == district.id


# --- the letter names a contact and how to get a paper questionnaire ----------------

def letters_text(app, runner, tmp_path, count: int = 2, **contact) -> tuple[str, int]:
    """The letters of ``count`` new codes for district 11 as text, and their pages."""
    import re
    import subprocess

    from app.models import Municipality

    with app.app_context():
        kassel = db.session.scalar(select(Municipality).where(Municipality.slug == "kassel"))
        for name, value in contact.items():
            setattr(kassel, name, value)
        db.session.commit()
    letters = tmp_path / "briefe.pdf"
    result = runner.invoke(args=["codes", "generate", "kassel-2026", "--district", "11",
                                 "--count", str(count), "--letters", str(letters)])
    assert result.exit_code == 0, result.output
    text = subprocess.run(["pdftotext", str(letters), "-"], capture_output=True, text=True,
                          check=True).stdout
    info = subprocess.run(["pdfinfo", str(letters)], capture_output=True, text=True).stdout
    return " ".join(text.split()), int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))


@pytest.mark.pdf
def test_the_letter_names_the_contact_and_the_paper_questionnaire(app, runner, codes,
                                                                  tmp_path):
    text, pages = letters_text(
        app, runner, tmp_path, contact_name="Frau Beispiel, Ordnungsamt",
        contact_phone="0561 787-1234", contact_email="befragung@kassel.example",
        paper_questionnaire="Einen Fragebogen auf Papier schicken wir Ihnen gern zu:\n"
                            "Anruf genügt.")
    assert pages == 2
    assert text.count("Fragen zur Befragung? Wenden Sie sich an Frau Beispiel, Ordnungsamt: "
                      "Telefon 0561 787-1234 · E-Mail befragung@kassel.example") == 2
    assert text.count("Lieber auf Papier? Einen Fragebogen auf Papier schicken wir Ihnen gern "
                      "zu: Anruf genügt.") == 2
    assert "Ausführlich: http://127.0.0.1:5000/s/kassel-2026/datenschutz" in text


@pytest.mark.pdf
def test_a_letter_without_a_contact_still_renders(app, runner, codes, tmp_path):
    text, pages = letters_text(app, runner, tmp_path)
    assert pages == 2 and text.count("Zugangscode ein:") == 2
    assert "Fragen zur Befragung" not in text and "Lieber auf Papier" not in text


@pytest.mark.pdf
def test_the_longest_contact_still_fits_on_one_page_per_letter(app, runner, codes, tmp_path):
    from app.legal import LIMITS

    def wide(length: int) -> str:  # wide letters in words: the most lines a field can take
        return ("MMMMMMMMM " * length)[:length].strip()

    text, pages = letters_text(
        app, runner, tmp_path, count=3, contact_name=wide(LIMITS["contact_name"][0]),
        contact_phone="0" * LIMITS["contact_phone"][0],
        contact_email="m" * (LIMITS["contact_email"][0] - 10) + "@kassel.de",
        paper_questionnaire=wide(LIMITS["paper_questionnaire"][0]))
    assert pages == 3 and text.count("Lieber auf Papier?") == 3
