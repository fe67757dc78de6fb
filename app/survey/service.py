"""The resident's way through a survey: drafts per page, codes, atomic completion."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from questionnaires import Questionnaire, load_questionnaire_text

from ..models import (District, InvitationCode, Response, ResponseDraft, Survey, as_utc, today,
                      utc_now)
from .draft_store import Draft, DraftStore

# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: nothing a resident could misread in a printed letter.
CODE_ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
CODE_LENGTH = 12  # 25**12 ~ 2**55.7, far above the 40 bits asked for


@dataclass(frozen=True)
class MunicipalityInfo:
    name: str
    min_n: int


@dataclass(frozen=True)
class SurveyInfo:
    """What the resident pages need of a survey: a snapshot, safe to keep between
    requests (the ORM object is not)."""

    id: int
    slug: str
    title: str
    municipality_id: int
    municipality: MunicipalityInfo
    access_mode: str
    status: str
    opens_on: date | None
    closes_on: date | None


@dataclass(frozen=True)
class SurveyContext:
    survey: Survey | SurveyInfo
    questionnaire: Questionnaire
    districts: list[tuple[str, str]]  # (code, name), for the district question
    district_ids: dict[str, int]


@lru_cache(maxsize=64)
def _parse_frozen(survey_id: int, yaml_text: str, source: str) -> Questionnaire:
    return load_questionnaire_text(yaml_text, source)


def survey_context(session: Session, slug: str) -> SurveyContext | None:
    """The survey (ORM object), its frozen questionnaire and its districts."""
    survey = session.scalar(select(Survey).where(Survey.slug == slug))
    return context_of(session, survey) if survey is not None else None


def context_of(session: Session, survey: Survey) -> SurveyContext:
    """The context of a survey already loaded."""
    questionnaire = _parse_frozen(survey.id, survey.questionnaire_yaml, survey.questionnaire_file)
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
                      MunicipalityInfo(survey.municipality.name, survey.municipality.min_n),
                      survey.access_mode, survey.status, survey.opens_on, survey.closes_on)
    return SurveyContext(info, context.questionnaire, context.districts, context.district_ids)


def availability(survey: Survey | SurveyInfo, on: date | None = None) -> str:
    """'open', 'not_open' (draft or before its opening date) or 'closed'."""
    on = on or today()
    if survey.status == "closed" or (survey.closes_on and on > survey.closes_on):
        return "closed"
    if survey.status != "open" or (survey.opens_on and on < survey.opens_on):
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
    session.add_all(InvitationCode(survey_id=survey.id, district_id=district_id,
                                   code_hash=hash_code(code)) for code in codes)
    return [format_code(code) for code in sorted(codes)]


def find_code(session: Session, survey: Survey | SurveyInfo, code: str) -> InvitationCode | None:
    return session.scalar(select(InvitationCode).where(
        InvitationCode.survey_id == survey.id, InvitationCode.code_hash == hash_code(code)))


# --- drafts -------------------------------------------------------------------

# Built once: composing SQL expressions costs more than running them on every page view.
_DRAFTS = select(ResponseDraft.id, ResponseDraft.key, ResponseDraft.code_id,
                 ResponseDraft.answers, ResponseDraft.reached_page, ResponseDraft.started_at,
                 ResponseDraft.revision)
DRAFT_BY_CODE = _DRAFTS.where(ResponseDraft.code_id == bindparam("code_id"),
                              ResponseDraft.completed.is_(False))


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
                code: InvitationCode | None = None) -> Draft | None:
    """The resident's draft: the existing one for a code (resume), else a new one
    (None if the code was completed elsewhere a moment ago)."""
    if code is not None:
        existing = _draft(engine, DRAFT_BY_CODE, code_id=code.id)
        if existing is not None:
            return existing
    draft = Draft(id=0, key=uuid.uuid4().hex, code_id=code.id if code else None, answers={},
                  reached_page=0, started_at=utc_now(), revision=0)
    try:
        with _autocommit(engine) as connection:
            draft.id = connection.execute(
                insert(ResponseDraft).returning(ResponseDraft.id),
                {"survey_id": survey.id, "key": draft.key, "code_id": draft.code_id,
                 "answers": {}, "reached_page": 0, "started_at": draft.started_at}).scalar_one()
    except IntegrityError:  # the same code started at the same moment elsewhere
        return _draft(engine, DRAFT_BY_CODE, code_id=code.id)
    return draft


def find_draft(store: DraftStore, survey: Survey | SurveyInfo, key: str | None,
               revision: int | None = None, for_save: bool = False) -> Draft | None:
    """The open draft with this key (see DraftStore.find for the other arguments)."""
    return store.find(survey.id, key, revision, for_save) if key else None


def was_completed(session: Session, draft_key: str) -> bool:
    return session.scalar(select(Response.id).where(Response.submission_key == draft_key)) \
        is not None


def allowed_pages(questionnaire: Questionnaire, draft: Draft) -> list[int]:
    """Visible pages up to the furthest the resident has reached."""
    return [index for index in questionnaire.visible_page_indexes(draft.answers)
            if index <= draft.reached_page]


def resume_page(questionnaire: Questionnaire, draft: Draft) -> int:
    pages = allowed_pages(questionnaire, draft)
    return pages[-1] if pages else 0


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
_RESPONSE_TABLE = Response.__table__
# The draft as the resident last saw it: not completed, and at the same revision.
_OPEN = (_DRAFT_TABLE.c.id == bindparam("draft_id"), _DRAFT_TABLE.c.completed.is_(False),
         _DRAFT_TABLE.c.revision == bindparam("draft_revision"))
# How a draft ends: an open-link draft goes; a code's draft is emptied, re-keyed and kept,
# marked completed, until its code is sealed.
_END_DRAFT = {False: delete(_DRAFT_TABLE).where(*_OPEN),
              True: update(_DRAFT_TABLE).where(*_OPEN).values(
                  completed=True, answers={}, key=bindparam("new_key"))}
_RESPONSE_FIELDS = ("survey_id", "answers", "district_id", "source", "completed_on",
                    "duration_minutes", "submission_key")
_STORE_RESPONSE = insert(_RESPONSE_TABLE)


def _end_and_store(with_code: bool):
    """One PostgreSQL statement that ends the draft and, only if it did, stores the
    response: atomic by itself, one round trip instead of four."""
    ended = _END_DRAFT[with_code].returning(_DRAFT_TABLE.c.id).cte("ended")
    # Prefixed names: a parameter named like a draft column would join the UPDATE's SET.
    values = select(*(bindparam(f"response_{name}", type_=_RESPONSE_TABLE.c[name].type)
                      for name in _RESPONSE_FIELDS)).select_from(ended)
    return (insert(_RESPONSE_TABLE).from_select(_RESPONSE_FIELDS, values).add_cte(ended)
            .returning(_RESPONSE_TABLE.c.id))


_END_AND_STORE = {False: _end_and_store(False), True: _end_and_store(True)}
# Every ended code draft of a survey written once more, together, in a transaction of
# their own: they then share one transaction id, which tells nothing about their order.
_RESTAMP = (update(_DRAFT_TABLE)
            .where(_DRAFT_TABLE.c.survey_id == bindparam("restamp_survey"),
                   _DRAFT_TABLE.c.completed.is_(True))
            .values(revision=_DRAFT_TABLE.c.revision + 1))


class _AlreadyCompleted(Exception):
    """Another request completed this draft a moment ago."""


def complete(engine: Engine, context: SurveyContext, draft: Draft) -> bool:
    """Store the response atomically with the end of its draft.

    Returns False, storing nothing, when the draft is no longer as ``draft`` shows it:
    already completed (double submit, second tab; the unique submission key guards this
    too) or changed since at another device (then its revision has moved on).

    The invitation code itself is not touched here: a row written in the same
    transaction as the response could be paired with it later (PostgreSQL stamps both
    with one transaction id, xmin). A code's draft is emptied, re-keyed and marked
    completed, which blocks the code; then all such drafts of the survey are written once
    more, together, so that none carries the transaction id of its response, nor one
    next to it: their order is lost among them. seal_completed() marks codes used in
    batches and removes those drafts.
    """
    answers = context.questionnaire.drop_hidden_answers(draft.answers)
    started = as_utc(draft.started_at)
    with_code = draft.code_id is not None
    response = {"survey_id": context.survey.id, "answers": answers,
                "district_id": context.district_ids.get(answers.get("district")),
                "source": "online", "completed_on": today(),
                "duration_minutes": max(0, round((utc_now() - started).total_seconds() / 60)),
                "submission_key": draft.key}
    ending = {"draft_id": draft.id, "draft_revision": draft.revision,
              "new_key": uuid.uuid4().hex}
    postgresql = engine.dialect.name == "postgresql"
    try:
        if postgresql:
            params = ending | {f"response_{name}": value for name, value in response.items()}
            with _autocommit(engine) as connection:
                if connection.execute(_END_AND_STORE[with_code], params).first() is None:
                    return False
        else:  # SQLite has no data-modifying WITH: two statements in one transaction
            with engine.begin() as connection:
                if connection.execute(_END_DRAFT[with_code], ending).rowcount != 1:
                    raise _AlreadyCompleted  # rolls back
                connection.execute(_STORE_RESPONSE, response)
    except _AlreadyCompleted:
        return False
    except IntegrityError as error:
        if "submission_key" not in str(error.orig):
            raise  # not a second submission: a real error, for the log
        return False
    if with_code:
        if postgresql:
            with _autocommit(engine) as connection:
                connection.execute(_RESTAMP, {"restamp_survey": context.survey.id})
        with Session(engine) as session:
            seal_completed(session, minimum=SEAL_BATCH)
    return True


SEAL_BATCH = 10


def seal_completed(session: Session, minimum: int = SEAL_BATCH,
                   survey_id: int | None = None) -> int:
    """Mark the codes of completed drafts used and remove those drafts, all in one
    transaction, once at least ``minimum`` are waiting: a batch gives no order in which
    codes were used, and nothing is left that points from a code to a response."""
    query = select(ResponseDraft.id, ResponseDraft.code_id).where(
        ResponseDraft.completed.is_(True))
    if survey_id is not None:
        query = query.where(ResponseDraft.survey_id == survey_id)
    waiting = session.execute(query).all()
    if not waiting or len(waiting) < minimum:
        session.rollback()
        return 0
    session.execute(update(InvitationCode).where(
        InvitationCode.id.in_([code_id for _id, code_id in waiting])).values(used=True))
    session.execute(delete(ResponseDraft).where(
        ResponseDraft.id.in_([draft_id for draft_id, _code in waiting])))
    session.commit()
    return len(waiting)


def code_taken(session: Session, code: InvitationCode) -> bool:
    """Used, or completed and waiting to be sealed."""
    return code.used or session.scalar(select(ResponseDraft.id).where(
        ResponseDraft.code_id == code.id, ResponseDraft.completed.is_(True))) is not None
