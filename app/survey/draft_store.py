"""Reading and saving residents' drafts: one read per page view, one save per page post.

Each save raises the draft's revision, and only a save based on the current revision
succeeds (optimistic concurrency: two devices working on one code's draft never
overwrite each other's pages with an older state). This is the plain store, on
SQLAlchemy Core; the one the app uses runs the same two statements straight on the
driver and keeps drafts in memory (hot_path.HotDraftStore). Starting and completing
drafts are in service.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import Engine, bindparam, select, update

from ..models import District, InvitationCode, ResponseDraft


@dataclass
class Draft:
    """A resident's progress as read from the database (a plain snapshot: the hot path
    of every page view stays clear of ORM bookkeeping), with the district of its
    invitation code, if any (read with it: the resident is not asked for it again)."""

    id: int
    key: str
    code_id: int | None
    answers: dict[str, Any]
    reached_page: int
    started_at: datetime
    revision: int = 0
    district: str | None = None


_TABLE = ResponseDraft.__table__
# Built once: composing SQL expressions costs more than running them on every page view.
DRAFTS = (select(_TABLE.c.id, _TABLE.c.key, _TABLE.c.code_id, _TABLE.c.answers,
                 _TABLE.c.reached_page, _TABLE.c.started_at, _TABLE.c.revision,
                 District.code)
          .select_from(_TABLE.outerjoin(InvitationCode,
                                        InvitationCode.id == _TABLE.c.code_id)
                       .outerjoin(District, District.id == InvitationCode.district_id)))
_BY_KEY = DRAFTS.where(_TABLE.c.key == bindparam("key"),
                       _TABLE.c.survey_id == bindparam("survey_id"))
_SAVE = (update(_TABLE).where(_TABLE.c.id == bindparam("draft_id"),
                              _TABLE.c.revision == bindparam("old_revision"))
         .values(answers=bindparam("answers"), reached_page=bindparam("reached"),
                 revision=_TABLE.c.revision + 1))


class DraftStore:
    """Drafts on ``engine``, one autocommit statement each."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def find(self, survey_id: int, key: str, revision: int | None = None,
             for_save: bool = False) -> Draft | None:
        """The open draft with this key. ``revision`` (the one the resident's cookie
        names) and ``for_save`` (the draft is read to be saved) let a store answer
        from memory where it may; this one always reads."""
        row = self._read(survey_id, key)
        return Draft(*row) if row is not None else None

    def save(self, survey_id: int, draft: Draft, answers: dict[str, Any],
             reached_page: int) -> bool:
        """Save on top of ``draft.revision``; False (and nothing saved) if the draft has
        changed since or is gone. On success ``draft`` holds the new state."""
        if not self._write(draft, answers, reached_page):
            return False
        draft.answers, draft.reached_page = answers, reached_page
        draft.revision += 1
        return True

    def forget(self, survey_id: int, key: str) -> None:
        """The draft ended or got another key: a store with a memory drops it."""

    def close(self) -> None:
        """Close what the store holds open (tests dropping their database)."""

    def _read(self, survey_id: int, key: str) -> tuple | None:
        with self.engine.connect() as connection:
            row = connection.execute(_BY_KEY, {"key": key, "survey_id": survey_id}).first()
            connection.commit()
        return tuple(row) if row is not None else None

    def _write(self, draft: Draft, answers: dict[str, Any], reached_page: int) -> bool:
        with self.engine.begin() as connection:
            return connection.execute(_SAVE, {
                "draft_id": draft.id, "old_revision": draft.revision, "answers": answers,
                "reached": reached_page}).rowcount == 1


def drafts() -> DraftStore:
    """The current app's store (registered with the survey blueprint, see hot_path)."""
    return current_app.extensions["draft_store"]
