"""Reading and saving residents' drafts on a database connection of each worker's own.

Every page view reads a draft and every page post saves one. On that path SQLAlchemy's
execution layer cost three times the database work itself (measured on PostgreSQL:
0.25 ms of CPU for a read and a save through a pooled connection, 0.08 ms straight on
the driver), so these two statements go to the DBAPI connection directly, in autocommit
mode. Starting and completing drafts stay with SQLAlchemy.

Each save raises the draft's revision, and only a save based on the current revision
succeeds (optimistic concurrency: two devices working on one code's draft never
overwrite each other's pages with an older state). The resident's cookie names the
revision they were last given, so a worker may answer from the drafts it read or saved
itself while the revision still matches, without asking the database again: a page post
always (its save checks the revision), a page view only within VIEW_SECONDS (the page a
post redirects to), since another worker may have completed or changed the draft since.
Drafts leave memory after KEEP_SECONDS.
"""
from __future__ import annotations

import json
import os
import re
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

FIND_BY_KEY = ("SELECT id, key, code_id, answers, reached_page, started_at, revision"
               " FROM response_draft WHERE key = :key AND survey_id = :survey_id")
SAVE = ("UPDATE response_draft SET answers = :answers, reached_page = :reached_page,"
        " revision = revision + 1 WHERE id = :id AND revision = :revision")
RECENT_LIMIT = 5000  # drafts kept in memory per process, about 10 MB at most
VIEW_SECONDS = 5.0
KEEP_SECONDS = 900.0


@dataclass
class Draft:
    """A resident's progress as read from the database (a plain snapshot: the hot path
    of every page view stays clear of ORM bookkeeping)."""

    id: int
    key: str
    code_id: int | None
    answers: dict[str, Any]
    reached_page: int
    started_at: datetime
    revision: int = 0


def _for_driver(sql: str, dialect_name: str) -> str:
    """``:name`` parameters suit sqlite3; psycopg wants ``%(name)s``."""
    if dialect_name == "sqlite":
        return sql
    if dialect_name == "postgresql":
        return re.sub(r":(\w+)", r"%(\1)s", sql)
    raise NotImplementedError(f"drafts on {dialect_name}")


class DraftStore:
    """One autocommit connection per process and thread, taken out of ``engine``'s pool
    (so that the engine's connect settings apply) and reconnected once if it was lost."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        dialect = engine.dialect
        self.sqlite = dialect.name == "sqlite"
        self.find_sql = _for_driver(FIND_BY_KEY, dialect.name)
        self.save_sql = _for_driver(SAVE, dialect.name)
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        # (survey id, key) -> (monotonic time kept, draft)
        self._recent: dict[tuple[int, str], tuple[float, Draft]] = {}
        self._next_sweep = time.monotonic() + KEEP_SECONDS

    def _connection(self) -> Any:
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # new thread, or a forked worker
            local.connection = None
            local.pid = os.getpid()
        if local.connection is None:
            fairy = self.engine.raw_connection()
            fairy.detach()  # ours now: never handed back to the pool
            connection = fairy.dbapi_connection
            if self.sqlite:
                connection.isolation_level = None  # autocommit
            else:
                connection.autocommit = True
                connection.prepare_threshold = 0  # two statements, run again and again
            local.connection = connection
            with self._lock:
                self._opened.append(connection)
        return local.connection

    def _execute(self, sql: str, params: dict[str, Any]) -> Any:
        for attempt in (0, 1):
            connection = self._connection()
            try:
                cursor = connection.cursor()
                cursor.execute(sql, params)
                return cursor
            except self.engine.dialect.loaded_dbapi.Error as error:
                if attempt or not self.engine.dialect.is_disconnect(error, connection, None):
                    raise
                # The server went away: so did the pooled connections, which would be
                # handed out next. A fresh pool, then a fresh connection.
                self._forget(connection)
                self.engine.dispose()
        raise AssertionError("unreachable")

    def _forget(self, connection: Any) -> None:
        self._local.connection = None
        with self._lock:
            if connection in self._opened:
                self._opened.remove(connection)
        try:
            connection.close()
        except Exception:  # nothing left to close
            pass

    def find(self, survey_id: int, key: str, revision: int | None = None,
             for_save: bool = False) -> Draft | None:
        """The open draft with this key. ``revision``: the one the resident's cookie
        names; a draft this process holds at that revision is not read again, if it is
        to be saved (``for_save``: the save checks the revision) or was kept less than
        VIEW_SECONDS ago."""
        if revision is not None:
            kept = self._recent.get((survey_id, key))
            if kept is not None and kept[1].revision == revision and (
                    for_save or time.monotonic() - kept[0] < VIEW_SECONDS):
                return replace(kept[1], answers=dict(kept[1].answers))
        row = self._execute(self.find_sql, {"key": key, "survey_id": survey_id}).fetchone()
        if row is None:
            self.forget(survey_id, key)
            return None
        if self.sqlite:  # sqlite3 hands back JSON and timestamps as SQLAlchemy stored them
            row = (*row[:3], json.loads(row[3]), row[4], datetime.fromisoformat(row[5]),
                   row[6])
        draft = Draft(*row)
        self._remember(survey_id, draft)
        return replace(draft, answers=dict(draft.answers))

    def save(self, survey_id: int, draft: Draft, answers: dict[str, Any],
             reached_page: int) -> bool:
        """Save on top of ``draft.revision``; False (and nothing saved) if the draft has
        changed since or is gone. On success ``draft`` holds the new state."""
        saved = self._execute(self.save_sql, {
            "id": draft.id, "answers": json.dumps(answers), "reached_page": reached_page,
            "revision": draft.revision}).rowcount == 1
        if not saved:
            self.forget(survey_id, draft.key)
            return False
        draft.answers, draft.reached_page = answers, reached_page
        draft.revision += 1
        self._remember(survey_id, replace(draft, answers=dict(answers)))
        return True

    def forget(self, survey_id: int, key: str) -> None:
        self._recent.pop((survey_id, key), None)

    def _remember(self, survey_id: int, draft: Draft) -> None:
        now = time.monotonic()
        if len(self._recent) >= RECENT_LIMIT:
            self._recent.clear()  # cheaper than an LRU, and a miss only costs one read
        elif now > self._next_sweep:
            self._next_sweep = now + KEEP_SECONDS
            for place in [place for place, (kept, _draft) in list(self._recent.items())
                          if now - kept > KEEP_SECONDS]:
                self._recent.pop(place, None)
        self._recent[(survey_id, draft.key)] = (now, draft)

    def close(self) -> None:
        """Close every connection this store opened (tests dropping their database)."""
        with self._lock:
            for connection in self._opened:
                try:
                    connection.close()
                except Exception:  # already gone with its server
                    pass
            self._opened.clear()
        self._local = threading.local()
        self._recent.clear()
