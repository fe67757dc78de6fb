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
def codes(app, survey) -> list[str]:
    with app.app_context():
        coded = db.session.get(Survey, survey.id)
        coded.access_mode = "codes"
        district = coded.municipality.districts[0]
        plain = service.new_codes(db.session, coded, 3, district_id=district.id)
        db.session.commit()
        return plain


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
        # Codes are marked used in batches; until then the completed draft blocks the code,
        # holding neither the answers nor the key that the response was stored under.
        assert db.session.scalars(select(InvitationCode).where(InvitationCode.used)).all() == []
        [waiting] = db.session.scalars(select(ResponseDraft))
        assert waiting.completed and waiting.answers == {}
        assert waiting.key != stored.submission_key
    assert runner.invoke(args=["responses", "seal", "kassel-2026"]).output.startswith("1 Codes")
    with app.app_context():
        used = db.session.scalars(select(InvitationCode).where(InvitationCode.used)).all()
        assert db.session.scalars(select(ResponseDraft)).all() == []
    assert len(used) == 1
    assert Resident(app.test_client()).start(code=codes[0]).status_code == 409
    # Nothing in the response points back to the code or its row.
    assert used[0].code_hash not in str(stored.answers) and stored.submission_key
    assert "code" not in {c.name for c in Response.__table__.columns if "code" in c.name}


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


def complete_with(app, code: str) -> None:
    resident = Resident(app.test_client())
    response = resident.start(code=code)
    while True:
        location = response.headers["Location"]
        if location.endswith("/thanks"):
            return
        number = int(location.rsplit("/", 1)[1])
        response = resident.post(number, STANDARD_ANSWERS.get(number, {}))


def test_codes_are_sealed_in_batches_and_nothing_links_them_to_responses(app, survey,
                                                                         is_postgresql):
    from sqlalchemy import text

    with app.app_context():
        coded = db.session.get(Survey, survey.id)
        coded.access_mode = "codes"
        plain = service.new_codes(db.session, coded, service.SEAL_BATCH + 1)
        db.session.commit()
    for code in plain[:service.SEAL_BATCH - 1]:
        complete_with(app, code)
    with app.app_context():
        assert not db.session.scalars(select(InvitationCode).where(InvitationCode.used)).all()
        if is_postgresql:  # the waiting drafts (with their codes) share no transaction
            pairs = db.session.execute(text(  # id with a response, and their own one tells
                "SELECT count(*) FROM response r JOIN response_draft d ON r.xmin = d.xmin"))
            assert pairs.scalar() == 0  # nothing of the order in which they were completed
            stamps = db.session.execute(text(
                "SELECT count(DISTINCT xmin::text) FROM response_draft WHERE completed"))
            assert stamps.scalar() == 1
    complete_with(app, plain[service.SEAL_BATCH - 1])  # the tenth completes the batch
    with app.app_context():
        used = db.session.scalars(select(InvitationCode).where(InvitationCode.used)).all()
        assert len(used) == service.SEAL_BATCH
        assert db.session.scalars(select(ResponseDraft)).all() == []
        if is_postgresql:  # no row written together with a response points to a code
            pairs = db.session.execute(text(
                "SELECT count(*) FROM response r JOIN invitation_code c ON r.xmin = c.xmin"))
            assert pairs.scalar() == 0
