"""The resident's way through a survey: drafts per page, codes, atomic completion."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from questionnaires import Questionnaire, load_questionnaire_text

from ..legal import ResidentTexts
from ..models import (AccessMode, District, InvitationCode, Response, ResponseDraft,
                      ResponseSource, Survey, SurveyStatus, as_utc, today, utc_now)
from . import hot_path, used_codes
from .draft_store import DRAFTS, Draft, DraftStore

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: nothing a resident could misread in a printed letter.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 12  # 25**12 ~ 2**55.7, far above the 40 bits asked for


@dataclass(frozen=True)
class MunicipalityInfo:
    name: str
    min_n: int
    texts: ResidentTexts = ResidentTexts()  # legal texts and contact for residents


@dataclass(frozen=True)
class SurveyInfo:
    """What the resident pages need of a survey: a snapshot, safe to keep between
    requests (the ORM object is not)."""

    id: int
    slug: str
    title: str
    municipality_id: int
    municipality: MunicipalityInfo
    access_mode: AccessMode
    status: SurveyStatus
    opens_on: date | None
    closes_on: date | None


@dataclass(frozen=True)
class SurveyContext:
    survey: Survey | SurveyInfo
    questionnaire: Questionnaire
    districts: list[tuple[str, str]]  # (code, name), for the district question
    district_ids: dict[str, int]


def survey_context(session: Session, slug: str) -> SurveyContext | None:
    """The survey (ORM object), its frozen questionnaire and its districts."""
    survey = session.scalar(select(Survey).where(Survey.slug == slug))
    return context_of(session, survey) if survey is not None else None


def context_of(session: Session, survey: Survey) -> SurveyContext:
    """The context of a survey already loaded."""
    questionnaire = hot_path.parsed_questionnaire(
        survey.id, survey.questionnaire_yaml, survey.questionnaire_file,
        lambda: load_questionnaire_text(survey.questionnaire_yaml, survey.questionnaire_file))
    rows = session.execute(select(District.id, District.code, District.name)
                           .where(District.municipality_id == survey.municipality_id)
                           .order_by(District.name)).all()
    return SurveyContext(survey, questionnaire, [(code, name) for _id, code, name in rows],
                         {code: district_id for district_id, code, _name in rows})


def survey_snapshot(session: Session, slug: str) -> SurveyContext | None:
    """Like survey_context, with a detached SurveyInfo that may be cached."""
    context = survey_context(session, slug)
    if context is None:
        return None
    survey = context.survey
    info = SurveyInfo(survey.id, survey.slug, survey.title, survey.municipality_id,
                      MunicipalityInfo(survey.municipality.name, survey.municipality.min_n,
                                       ResidentTexts.of(survey.municipality)),
                      survey.access_mode, survey.status, survey.opens_on, survey.closes_on)
    return SurveyContext(info, context.questionnaire, context.districts, context.district_ids)


def availability(survey: Survey | SurveyInfo, on: date | None = None) -> str:
    """'open', 'not_open' (draft or before its opening date) or 'closed'."""
    on = on or today()
    if survey.status == SurveyStatus.CLOSED or (survey.closes_on and on > survey.closes_on):
        return "closed"
    if survey.status != SurveyStatus.OPEN or (survey.opens_on and on < survey.opens_on):
        return "not_open"
    return "open"


# --- invitation codes ---------------------------------------------------------

def normalise_code(code: str) -> str:
    return "".join(char for char in code.upper() if char.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def format_code(code: str) -> str:
    """ABCD-EFGH-JKMN: groups of four are easier to type from a letter."""
    return "-".join(code[index:index + 4] for index in range(0, len(code), 4))


def new_codes(session: Session, survey: Survey, count: int,
              district_id: int | None = None) -> list[str]:
    """Create ``count`` unused codes; return them in plain text (the only time they exist)."""
    codes = {"".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
             for _ in range(count)}
    while len(codes) < count:
        codes.add("".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)))
    ordered = sorted(codes)
    first = used_codes.reserve_numbers(session, survey.id, count)
    session.add_all(InvitationCode(survey_id=survey.id, district_id=district_id,
                                   code_hash=hash_code(code), number=first + offset)
                    for offset, code in enumerate(ordered))
    return [format_code(code) for code in ordered]


def find_code(session: Session, survey: Survey | SurveyInfo, code: str) -> InvitationCode | None:
    return session.scalar(select(InvitationCode).where(
        InvitationCode.survey_id == survey.id, InvitationCode.code_hash == hash_code(code)))


# --- drafts -------------------------------------------------------------------

# Built once: composing SQL expressions costs more than running them.
DRAFT_BY_CODE = DRAFTS.where(ResponseDraft.code_id == bindparam("code_id"))


@contextmanager
def _autocommit(engine: Engine) -> Iterator[Connection]:
    """A connection outside any session transaction, for one read or one single-statement
    write: no BEGIN and COMMIT round trips."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # pysqlite starts no transaction for a SELECT anyway, and switching the
            # isolation level would cost a PRAGMA each time.
            yield connection
            connection.commit()
        else:
            yield connection.execution_options(isolation_level="AUTOCOMMIT")


def _draft(engine: Engine, statement, **params) -> Draft | None:
    with _autocommit(engine) as connection:
        row = connection.execute(statement, params).first()
    return Draft(*row) if row is not None else None


def start_draft(engine: Engine, survey: Survey | SurveyInfo,
                code: InvitationCode | None = None,
                answers: dict[str, Any] | None = None,
                district: str | None = None) -> Draft | None:
    """The resident's draft: the existing one for a code (resume), else a new one
    starting with ``answers`` (None if the code was completed elsewhere a moment ago).
    ``district``: the code's district (its code), as a draft read back names it."""
    if code is not None:
        existing = _draft(engine, DRAFT_BY_CODE, code_id=code.id)
        if existing is not None:
            return existing
    draft = Draft(id=0, key=uuid.uuid4().hex, code_id=code.id if code else None,
                  answers=dict(answers or {}), reached_page=0, started_at=utc_now(),
                  revision=0, district=district if code else None)
    try:
        with _autocommit(engine) as connection:
            draft.id = connection.execute(
                insert(ResponseDraft).returning(ResponseDraft.id),
                {"survey_id": survey.id, "key": draft.key, "code_id": draft.code_id,
                 "answers": draft.answers, "reached_page": 0,
                 "started_at": draft.started_at}).scalar_one()
    except IntegrityError:  # the same code started at the same moment elsewhere
        return _draft(engine, DRAFT_BY_CODE, code_id=code.id)
    return draft


def given_answers(questionnaire: Questionnaire, district: str | None) -> dict[str, str]:
    """Answers the resident is not asked for: the district questions, from the code."""
    if district is None:
        return {}
    return {question.code: district for page in questionnaire.pages
            for question in page.questions if question.type_name == "district"}


def find_draft(store: DraftStore, survey: Survey | SurveyInfo, key: str | None,
               revision: int | None = None, for_save: bool = False) -> Draft | None:
    """The open draft with this key (see DraftStore.find for the other arguments)."""
    return store.find(survey.id, key, revision, for_save) if key else None


def resume_key(secret: str | bytes, key: str, nonce: str) -> str:
    """The new key of an open-link draft resumed from the start page whose form carried
    ``nonce``. A key planted in a resident's browser is worthless once they resume: the
    new one needs the secret and a nonce that only their page held. The same form sent
    twice (a double tap) gives the same key, so the second tap finds the draft again."""
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, f"resume:{key}:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]


def rekey_draft(engine: Engine, draft: Draft, new_key: str) -> bool:
    """Give ``draft`` the key ``new_key``; False if it was completed or re-keyed meanwhile."""
    with _autocommit(engine) as connection:
        changed = connection.execute(
            update(ResponseDraft).where(ResponseDraft.id == draft.id,
                                        ResponseDraft.key == draft.key)
            .values(key=new_key)).rowcount == 1
    if changed:
        draft.key = new_key
    return changed


def allowed_pages(questionnaire: Questionnaire, draft: Draft) -> list[int]:
    """Visible pages up to the furthest the resident has reached."""
    return [index for index in questionnaire.visible_page_indexes(draft.answers)
            if index <= draft.reached_page]


def resume_page(questionnaire: Questionnaire, draft: Draft) -> int:
    pages = allowed_pages(questionnaire, draft)
    return pages[-1] if pages else 0


def _last_condition_pages(questionnaire: Questionnaire) -> list[int]:
    """For each page, the last page whose answers its condition reads (-1: shown
    always)."""
    return hot_path.of_questionnaire("last_condition_pages", questionnaire,
                                      lambda: _condition_pages(questionnaire))


def _condition_pages(questionnaire: Questionnaire) -> list[int]:
    page_of = {name: index for index, page in enumerate(questionnaire.pages)
               for name in page.field_names()}
    # An item not on any page can never be answered: its condition is settled from the start.
    return [max((page_of.get(name, -1) for name in page.show_if.variables()), default=-1)
            if page.show_if is not None else -1 for page in questionnaire.pages]


def progress(questionnaire: Questionnaire, answers: dict[str, Any], index: int
             ) -> tuple[int, int]:
    """'Page X of Y' on page ``index``: the pages counted are those shown under the
    answers so far and those still undecided (their condition reads an item on this page
    or a later one). Going forward, the total stays or shrinks, when an answer rules a
    page out; it never grows because a conditional page appears. A page shows the same
    count whenever it is reached with the same answers, also after "Zurück"."""
    last = _last_condition_pages(questionnaire)
    counted = [page for page, after in enumerate(last)
               if page == index or after >= index or questionnaire.pages[page].visible(answers)]
    return counted.index(index) + 1, len(counted)


def merge_page_answers(questionnaire: Questionnaire, draft: Draft, page_index: int,
                       page_answers: dict[str, Any]) -> dict[str, Any]:
    """The draft's answers with this page's fields replaced by what was just posted."""
    page_fields = questionnaire.pages[page_index].field_names()
    answers = {name: value for name, value in draft.answers.items() if name not in page_fields}
    answers.update(page_answers)
    return questionnaire.drop_hidden_answers(answers)


def save_answers(store: DraftStore, survey: Survey | SurveyInfo, draft: Draft,
                 answers: dict[str, Any], reached_page: int | None = None) -> bool:
    """Keep a page's answers on top of the draft's revision. False, with nothing saved,
    if the draft changed since it was read (another device) or is gone (completed in
    another tab): the caller reads it again and decides anew."""
    reached = draft.reached_page if reached_page is None else max(draft.reached_page,
                                                                   reached_page)
    return store.save(survey.id, draft, answers, reached)


def next_page(questionnaire: Questionnaire, answers: dict[str, Any], after: int) -> int | None:
    return next((index for index in questionnaire.visible_page_indexes(answers)
                 if index > after), None)


def previous_page(questionnaire: Questionnaire, answers: dict[str, Any], before: int
                  ) -> int | None:
    earlier = [index for index in questionnaire.visible_page_indexes(answers) if index < before]
    return earlier[-1] if earlier else None


_DRAFT_TABLE = ResponseDraft.__table__
_RESPONSE_FIELDS = ("survey_id", "answers", "district_id", "source", "completed_on",
                    "duration_minutes")
_ANSWERS = Response.__table__.c.answers.type
# The draft as the resident last saw it (same revision) ends: deleted.
_END_DRAFT = delete(_DRAFT_TABLE).where(_DRAFT_TABLE.c.id == bindparam("draft_id"),
                                        _DRAFT_TABLE.c.revision == bindparam("draft_revision"))
# The code's bit, set only if it is not set yet: a code gives one response.
_MARK_USED = text(
    "UPDATE used_codes SET bitmap = set_bit(bitmap, :number, 1)"
    " WHERE survey_id = :survey_id AND get_bit(bitmap, :number) = 0")
_CODE_NUMBER = select(InvitationCode.number).where(InvitationCode.id == bindparam("code_id"))
_STORE_RESPONSE = insert(Response.__table__)
# PostgreSQL: the three steps in one statement, atomic by itself and one round trip.
# The response is stored only if the draft was ended here and, for a code, its bit was
# not set before (a draft started for a code completed elsewhere a moment earlier).
_END_MARK_AND_STORE = text("""
WITH ended AS (
    DELETE FROM response_draft WHERE id = :draft_id AND revision = :draft_revision
    RETURNING code_id),
marked AS (
    UPDATE used_codes SET bitmap = set_bit(used_codes.bitmap, invitation_code.number, 1)
    FROM ended JOIN invitation_code ON invitation_code.id = ended.code_id
    WHERE used_codes.survey_id = invitation_code.survey_id
      AND get_bit(used_codes.bitmap, invitation_code.number) = 0
    RETURNING used_codes.survey_id)
INSERT INTO response (survey_id, answers, district_id, source, completed_on, duration_minutes)
SELECT :survey_id, :answers, :district_id, :source, :completed_on, :duration_minutes
FROM ended WHERE ended.code_id IS NULL OR EXISTS (SELECT 1 FROM marked)
RETURNING id""").bindparams(bindparam("answers", type_=_ANSWERS))


class _NotStored(Exception):
    """The draft is not as the resident last saw it: nothing changes."""


def complete(engine: Engine, context: SurveyContext, draft: Draft) -> bool:
    """Store the response, remove its draft and, for a code, set the code's bit in the
    survey's used-codes bitmap: all in one transaction.

    Returns False, storing nothing, when the draft is no longer as ``draft`` shows it:
    already completed (double submit, second tab) or changed since at another device
    (then its revision has moved on, and the draft stays). A draft of a code that has
    given its response elsewhere meanwhile is removed without storing anything.

    Nothing written here points from the response to the code: the code's row is not
    touched, the draft (the only row holding code and answers together) is deleted, and
    the bitmap is a set (docs/anonymity.md).
    """
    answers = context.questionnaire.drop_hidden_answers(draft.answers)
    started = as_utc(draft.started_at)
    response = {"survey_id": context.survey.id, "answers": answers,
                "district_id": context.district_ids.get(answers.get("district")),
                "source": ResponseSource.ONLINE, "completed_on": today(),
                "duration_minutes": max(0, round((utc_now() - started).total_seconds() / 60))}
    ending = {"draft_id": draft.id, "draft_revision": draft.revision}
    if engine.dialect.name == "postgresql":
        with _autocommit(engine) as connection:
            return connection.execute(_END_MARK_AND_STORE, ending | response).first() \
                is not None
    try:  # SQLite has no data-modifying WITH: the same steps in one transaction
        with engine.begin() as connection:
            if connection.execute(_END_DRAFT, ending).rowcount != 1:
                raise _NotStored  # rolls back
            if draft.code_id is not None:
                number = connection.execute(_CODE_NUMBER, {"code_id": draft.code_id}).scalar()
                if connection.execute(_MARK_USED, {"number": number,
                                                   "survey_id": context.survey.id}
                                      ).rowcount != 1:
                    return False  # the code was used elsewhere: its draft goes, unstored
            connection.execute(_STORE_RESPONSE, response)
    except _NotStored:
        return False
    if draft.code_id is not None:
        erase_traces(engine)
    return True


def erase_traces(engine: Engine) -> None:
    """Leave no earlier state of drafts or of the used-codes bitmap in the database
    files where it could still be read next to the responses: SQLite's write-ahead log
    is copied into the database and truncated (deleted rows are zeroed there, see
    ``secure_delete`` in extensions.py); on PostgreSQL the two tables are vacuumed."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    elif engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM response_draft, used_codes")


def code_taken(session: Session, code: InvitationCode) -> bool:
    """The code has given its response."""
    return used_codes.is_used(session, code)
