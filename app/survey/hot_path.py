"""The resident's hot path: every speed-up of the resident pages, in one place.

A resident page view or page save does little work of its own (one draft read or
save), so the fixed costs around it decide how many residents a worker serves. Each
speed-up below takes one of those costs away; each can be switched off on its own
(``RESIDENT_SPEEDUPS_OFF=page_html,draft_memory``), and ``RESIDENT_CACHES=off``
switches them all off (tests compare pages both ways, tests/test_hot_path.py).

Figures: gunicorn CPU milliseconds per survey request in bench/survey_load.py (2 sync
workers, 16 clients, --seconds 12), SQLite / PostgreSQL, everything on: 1.85 / 2.25
(bare Flask hello-world: 0.78 / 0.77); below, how much more a request costs with that
one speed-up off. One run each on 3 December 2026 on 2 shared cores (load average
about 10): rates drifted too much to compare, CPU per request less so, and differences
under about 0.3 ms are within that run's noise ("~0").

=====================  ==================================================  ===========
speed-up               what it saves                                       +ms off
=====================  ==================================================  ===========
survey_snapshot        the survey, its municipality and districts read     +3.3 / +4.9
                       from the database on every request (kept for
                       SURVEY_CACHE_SECONDS)
page_html              rendering a page nobody has answered yet: its HTML  +0.7 / +0.8
                       is kept with a mark where each resident's CSRF
                       token goes (pages with answers are never kept)
parsed_questionnaire   parsing the frozen questionnaire YAML whenever the  +0.8 / +0.9
                       snapshot is read again (with survey_snapshot off
                       too: on every request, 118 ms on SQLite)
driver_statements      SQLAlchemy's execution layer around the draft read  +0.2 / +0.3
                       and save: straight on the DBAPI connection
draft_memory           the draft read after the save that redirected to    +0.1 / +0.1
                       it (this worker saved it itself, same revision)
page_url               url_for for the page a save redirects to            +0.3 / +0.2
cookie_header          werkzeug's general cookie quoting for the key       +0.3 / ~0
                       cookie
csrf_mac               the HMAC key schedule of every resident CSRF token  ~0 / ~0
page_progress          working out per page which pages are undecided      ~0 / ~0
sync_functions         Flask asking for each hook on each request whether  ~0 / ~0
                       it is a coroutine (App.ensure_sync)
=====================  ==================================================  ===========

Two more live with the app, not the survey (app/extensions.py): the session signer
built once (SessionCookies) and Flask-Limiter's app-wide request hooks taken out
(RateLimits); and the browser's language preference per Accept-Language header is an
lru_cache in app/i18n.py (being moved to Flask-Babel).

Nothing here may carry one resident's values to another: shared HTML is kept only for
pages without answers, keyed by everything it shows; a draft is kept per (survey, key)
and handed out as a copy, and only while the revision in the resident's cookie matches.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context, request, url_for
from sqlalchemy import Engine
from werkzeug.wrappers import Response

from ..caching import TTLCache
from ..config import ConfigError
from .draft_store import Draft, DraftStore

V = TypeVar("V")

SPEEDUPS = ("survey_snapshot", "page_html", "draft_memory", "driver_statements",
            "parsed_questionnaire", "page_progress", "csrf_mac", "cookie_header", "page_url",
            "sync_functions")
# Cached HTML carries this mark where each response puts its own CSRF token.
CSRF_MARK = "CSRF-TOKEN-PLACEHOLDER"


# --- the switch ---------------------------------------------------------------

def speedups_on(config: dict[str, Any]) -> frozenset[str]:
    """The speed-ups this app uses: all, unless RESIDENT_CACHES is off or some are
    named in RESIDENT_SPEEDUPS_OFF (for measuring one at a time)."""
    if not config.get("RESIDENT_CACHES", True):
        return frozenset()
    off = set(config.get("RESIDENT_SPEEDUPS_OFF", ()))
    unknown = off - set(SPEEDUPS)
    if unknown:
        raise ConfigError(f"RESIDENT_SPEEDUPS_OFF: no speed-up {sorted(unknown)}; "
                         f"known: {', '.join(SPEEDUPS)}")
    return frozenset(SPEEDUPS) - off


class HotPath:
    """One app's switches and caches (app.extensions["hot_path"])."""

    def __init__(self, app: Flask) -> None:
        self.on = speedups_on(app.config)
        self.surveys: TTLCache[str, Any] = TTLCache(256, app.config["SURVEY_CACHE_SECONDS"])
        # Shared HTML is keyed by the survey snapshot too: a change shows with it.
        self.pages: TTLCache[tuple, str] = TTLCache(1024, 3600.0)
        secret = app.secret_key
        secret = secret.encode() if isinstance(secret, str) else (secret or b"")
        self.csrf_mac = hmac.new(secret, b"survey-csrf:", hashlib.sha256)


def init_app(app: Flask) -> None:
    """Called when the survey blueprint is registered: the app's switches and caches,
    and the survey's draft store (on the database extension's draft engine)."""
    hot = app.extensions["hot_path"] = HotPath(app)
    app.extensions["draft_store"] = HotDraftStore(
        app.extensions["draft_engine"], driver="driver_statements" in hot.on,
        memory="draft_memory" in hot.on)
    if "sync_functions" in hot.on:
        app._sync_functions = TTLCache(4096)  # type: ignore[attr-defined]


def _hot() -> HotPath:
    return current_app.extensions["hot_path"]


def is_on(speedup: str) -> bool:
    """Outside an app (analysis scripts) every speed-up is on."""
    return not has_app_context() or speedup in _hot().on


# --- survey snapshot and shared page HTML ----------------------------------------

def cached_survey(slug: str, load: Callable[[], Any]) -> Any:
    """The survey snapshot from ``load``, kept for SURVEY_CACHE_SECONDS per worker
    process. A status change made elsewhere shows after at most that many seconds."""
    hot = _hot()
    if "survey_snapshot" not in hot.on:
        return load()
    context = hot.surveys.get(slug)
    if context is None:
        context = load()
        if context is not None:
            hot.surveys.put(slug, context)
    return context


def forget_cached_survey(slug: str) -> None:
    """After a change in the back office: this worker reads the survey again."""
    hot_path = current_app.extensions.get("hot_path")
    if hot_path is not None:
        hot_path.surveys.pop(slug)


def shared_html(cache_key: tuple | None, render: Callable[[], str],
                csrf_token: str | None) -> str:
    """HTML that looks the same for every resident, kept per worker under ``cache_key``
    (None: personal, never kept), with ``csrf_token`` put in where ``render`` wrote
    CSRF_MARK."""
    hot = _hot()
    if cache_key is None or "page_html" not in hot.on:
        html = render()
    else:
        html = hot.pages.get_or_make(cache_key, render)
    return html if csrf_token is None else html.replace(CSRF_MARK, csrf_token)


def page_url(slug: str, index: int) -> str:
    """The address of page ``index`` (0-based) as url_for builds it, for less."""
    if "page_url" in _hot().on:
        return f"{request.script_root}/s/{slug}/page/{index + 1}"
    return url_for("survey.page", slug=slug, number=index + 1)


# --- questionnaires (process-wide: parsed once, whatever app asks) -------------------

_questionnaires: TTLCache[tuple, Any] = TTLCache(64)
_per_questionnaire: TTLCache[tuple, tuple[Any, Any]] = TTLCache(256)


def parsed_questionnaire(survey_id: int, yaml_text: str, source: str,
                         parse: Callable[[], V]) -> V:
    """A survey's frozen questionnaire, parsed once per process."""
    if not is_on("parsed_questionnaire"):
        return parse()
    return _questionnaires.get_or_make((survey_id, yaml_text, source), parse)


def of_questionnaire(name: str, questionnaire: Any, compute: Callable[[], V]) -> V:
    """``compute()`` for this questionnaire object, worked out once (kept with the
    object itself, so that a reused id never returns another's)."""
    if not is_on("page_progress"):
        return compute()
    hit = _per_questionnaire.get((name, id(questionnaire)))
    if hit is not None and hit[0] is questionnaire:
        return hit[1]
    value = compute()
    _per_questionnaire.put((name, id(questionnaire)), (questionnaire, value))
    return value


# --- the key cookie and its CSRF token ------------------------------------------

def csrf_mac() -> Any:
    """HMAC(SECRET_KEY, "survey-csrf:" ...) to be continued with a key."""
    hot = _hot()
    if "csrf_mac" in hot.on:
        return hot.csrf_mac.copy()
    secret = current_app.secret_key
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, b"survey-csrf:", hashlib.sha256)


def set_key_cookie(response: Response, name: str, value: str, path: str,
                   secure: bool) -> None:
    """A session cookie (until the browser closes), HttpOnly, SameSite=Lax."""
    if "cookie_header" not in _hot().on:
        response.set_cookie(name, value, path=path, httponly=True, samesite="Lax",
                            secure=secure)
        return
    # Written out directly: the value is hex digits, "v" and "." only, nothing to quote.
    response.headers.add("Set-Cookie", f"{name}={value}; HttpOnly; Path={path}; "
                         "SameSite=Lax" + ("; Secure" if secure else ""))


# --- Flask's hooks ---------------------------------------------------------------

class KnownSyncFunctions:
    """For the Flask app class: decide once per function whether a view or hook is a
    coroutine (Flask asks again for every hook on every request)."""

    def ensure_sync(self, func: Callable) -> Callable:
        known = self.__dict__.get("_sync_functions")
        if known is None:  # switched off, or the app is not set up yet
            return super().ensure_sync(func)  # type: ignore[misc]
        sync = known.get(func)
        if sync is None:
            sync = super().ensure_sync(func)  # type: ignore[misc]
            known.put(func, sync)
        return sync


# --- drafts: straight on the driver, and kept in memory -----------------------------

# The draft with its code's district (the resident is not asked for it again).
FIND_BY_KEY = ("SELECT response_draft.id, response_draft.key, response_draft.code_id,"
               " response_draft.answers, response_draft.reached_page,"
               " response_draft.started_at, response_draft.revision, district.code"
               " FROM response_draft"
               " LEFT JOIN invitation_code ON invitation_code.id = response_draft.code_id"
               " LEFT JOIN district ON district.id = invitation_code.district_id"
               " WHERE response_draft.key = :key AND response_draft.survey_id = :survey_id")
SAVE = ("UPDATE response_draft SET answers = :answers, reached_page = :reached_page,"
        " revision = revision + 1 WHERE id = :id AND revision = :revision")
RECENT_LIMIT = 5000  # drafts kept in memory per process, about 10 MB at most
VIEW_SECONDS = 5.0
KEEP_SECONDS = 900.0


def _for_driver(sql: str, dialect_name: str) -> str:
    """``:name`` parameters suit sqlite3; psycopg wants ``%(name)s``."""
    if dialect_name == "sqlite":
        return sql
    if dialect_name == "postgresql":
        return re.sub(r":(\w+)", r"%(\1)s", sql)
    raise NotImplementedError(f"drafts on {dialect_name}")


class HotDraftStore(DraftStore):
    """DraftStore with its two statements run on a DBAPI connection of each process and
    thread (``driver``), and drafts kept in memory (``memory``).

    The driver: SQLAlchemy's execution layer cost three times the database work itself
    (PostgreSQL: 0.25 ms of CPU for a read and a save through a pooled connection,
    0.08 ms straight on the driver). The connection is taken out of the engine's pool
    (so that its connect settings apply), kept in autocommit mode, and reconnected once
    if it was lost.

    The memory: the resident's cookie names the revision they were last given, so a
    worker may answer from the drafts it read or saved itself while the revision still
    matches, without asking the database again: a page post always (its save checks
    the revision), a page view only within VIEW_SECONDS (the page a post redirects to),
    since another worker may have completed or changed the draft since. Drafts leave
    memory after KEEP_SECONDS."""

    def __init__(self, engine: Engine, driver: bool = True, memory: bool = True) -> None:
        super().__init__(engine)
        self.driver = driver
        dialect = engine.dialect
        self.sqlite = dialect.name == "sqlite"
        self.find_sql = _for_driver(FIND_BY_KEY, dialect.name)
        self.save_sql = _for_driver(SAVE, dialect.name)
        self._local = threading.local()
        self._opened: list[Any] = []
        self._lock = threading.Lock()
        # (survey id, key) -> (monotonic time kept, draft)
        self._recent: TTLCache[tuple[int, str], tuple[float, Draft]] | None = \
            TTLCache(RECENT_LIMIT, KEEP_SECONDS) if memory else None

    def find(self, survey_id: int, key: str, revision: int | None = None,
             for_save: bool = False) -> Draft | None:
        if revision is not None and self._recent is not None:
            kept = self._recent.get((survey_id, key))
            if kept is not None and kept[1].revision == revision and (
                    for_save or time.monotonic() - kept[0] < VIEW_SECONDS):
                return replace(kept[1], answers=dict(kept[1].answers))
        draft = super().find(survey_id, key)
        if draft is None:
            self.forget(survey_id, key)
            return None
        self._remember(survey_id, draft)
        return replace(draft, answers=dict(draft.answers))

    def save(self, survey_id: int, draft: Draft, answers: dict[str, Any],
             reached_page: int) -> bool:
        if not super().save(survey_id, draft, answers, reached_page):
            self.forget(survey_id, draft.key)
            return False
        self._remember(survey_id, replace(draft, answers=dict(answers)))
        return True

    def forget(self, survey_id: int, key: str) -> None:
        if self._recent is not None:
            self._recent.pop((survey_id, key))

    def _remember(self, survey_id: int, draft: Draft) -> None:
        if self._recent is not None:
            self._recent.put((survey_id, draft.key), (time.monotonic(), draft))

    def _read(self, survey_id: int, key: str) -> tuple | None:
        if not self.driver:
            return super()._read(survey_id, key)
        row = self._execute(self.find_sql, {"key": key, "survey_id": survey_id}).fetchone()
        if row is not None and self.sqlite:
            # sqlite3 hands back JSON and timestamps as SQLAlchemy stored them
            row = (*row[:3], json.loads(row[3]), row[4], datetime.fromisoformat(row[5]),
                   *row[6:])
        return row

    def _write(self, draft: Draft, answers: dict[str, Any], reached_page: int) -> bool:
        if not self.driver:
            return super()._write(draft, answers, reached_page)
        return self._execute(self.save_sql, {
            "id": draft.id, "answers": json.dumps(answers), "reached_page": reached_page,
            "revision": draft.revision}).rowcount == 1

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
                self._close_own(connection)
                self.engine.dispose()
        raise AssertionError("unreachable")

    def _close_own(self, connection: Any) -> None:
        self._local.connection = None
        with self._lock:
            if connection in self._opened:
                self._opened.remove(connection)
        try:
            connection.close()
        except Exception:  # nothing left to close
            pass

    def close(self) -> None:
        with self._lock:
            for connection in self._opened:
                try:
                    connection.close()
                except Exception:  # already gone with its server
                    pass
            self._opened.clear()
        self._local = threading.local()
        if self._recent is not None:
            self._recent.clear()
