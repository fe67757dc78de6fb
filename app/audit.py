"""The audit log: who did what, when (logins, exports, imports, codes, status changes)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from .models import AuditEvent

# Every action the code records, as staff read it in the log (tests/test_accounts.py
# checks that each `audit.record(...)` in app/ has its name here).
ACTION_NAMES = {
    "login": "Anmeldung",
    "login_invalid": "Anmeldung fehlgeschlagen",
    "login_locked": "Anmeldung abgewiesen (Konto gesperrt)",
    "logout": "Abmeldung",
    "password_changed": "Passwort geändert",
    "user_created": "Konto angelegt",
    "municipality_created": "Kommune angelegt",
    "districts_imported": "Stadtteile importiert",
    "min_n_changed": "Mindestfallzahl geändert",
    "survey_created": "Befragung angelegt",
    "survey_dates": "Befragungszeitraum geändert",
    "survey_open": "Befragung geöffnet",
    "survey_closed": "Befragung geschlossen",
    "codes_generated": "Einladungscodes erzeugt",
    "codes_discarded": "Einladungscodes wieder gelöscht",
    "letters_requested": "Einladungsbriefe beauftragt",
    "report_requested": "Bericht beauftragt",
    "responses_exported": "Antworten exportiert",
    "responses_imported": "Papierfragebögen importiert",
    "resident_texts_changed": "Texte für Befragte geändert",
}
LOCAL_TIME = ZoneInfo("Europe/Berlin")
SHOWN_EVENTS = 500
GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")


def record(session: Session, action: str, detail: str = "", *, user_email: str | None,
           municipality_id: int | None = None) -> None:
    """Add an audit event to the session; it is committed with the action it records."""
    session.add(AuditEvent(action=action, detail=detail[:2000], user_email=user_email,
                           municipality_id=municipality_id))


def action_name(action: str) -> str:
    """The German name of an action (an action unknown here shows as recorded)."""
    return ACTION_NAMES.get(action, action)


def actor_name(user_email: str | None) -> str:
    """Who did it: the account's e-mail, or the command line (which records 'cli')."""
    return "Kommandozeile" if user_email in (None, "cli") else user_email


@dataclass
class AuditFilter:
    """What the log is filtered by (GET parameters), and what was wrong with them."""
    action: str = ""
    first_day: date | None = None  # local dates, both included
    last_day: date | None = None
    values: dict[str, str] = field(default_factory=dict)  # as typed, shown again
    errors: dict[str, str] = field(default_factory=dict)  # field name -> message


def _day(text: str, label: str, errors: dict[str, str], name: str) -> date | None:
    """A date as a date field sends it (2026-03-01) or as typed by hand (1.3.2026)."""
    if not text:
        return None
    german = GERMAN_DATE.fullmatch(text)
    try:
        if german:
            return date(int(german[3]), int(german[2]), int(german[1]))
        return date.fromisoformat(text)
    except ValueError:
        errors[name] = (f"„{label}“: '{text}' ist kein gültiges Datum. Bitte als TT.MM.JJJJ "
                        "oder JJJJ-MM-TT angeben.")
        return None


def parse_filter(args: dict[str, str], recorded: list[str]) -> AuditFilter:
    """The filter from the query string; a bad value gets a message for its field and
    filters nothing."""
    values = {name: args.get(name, "").strip()[:100] for name in ("action", "from", "to")}
    errors: dict[str, str] = {}
    action = values["action"]
    if action and action not in ACTION_NAMES and action not in recorded:
        errors["action"] = f"Eine Aktion '{action}' gibt es im Protokoll nicht."
        action = ""
    first = _day(values["from"], "Von", errors, "from")
    last = _day(values["to"], "Bis", errors, "to")
    if first and last and last < first:
        errors["to"] = "„Bis“ liegt vor „Von“: bitte den Zeitraum prüfen."
        first = last = None
    return AuditFilter(action, first, last, values, errors)


def _utc_start(day: date) -> datetime:
    """The moment a local day begins, as stored (UTC)."""
    return datetime.combine(day, time(), LOCAL_TIME).astimezone(timezone.utc)


def events_query(municipality_id: int | None, chosen: AuditFilter) -> Select:
    """Events of one municipality (None: all), filtered; latest first."""
    query = select(AuditEvent)
    if municipality_id is not None:
        query = query.where(AuditEvent.municipality_id == municipality_id)
    if chosen.action:
        query = query.where(AuditEvent.action == chosen.action)
    if chosen.first_day:
        query = query.where(AuditEvent.at >= _utc_start(chosen.first_day))
    if chosen.last_day:
        query = query.where(AuditEvent.at < _utc_start(chosen.last_day + timedelta(days=1)))
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def recorded_actions(session: Session, municipality_id: int | None) -> list[str]:
    """The actions that occur in this log, in the order of ACTION_NAMES (then others)."""
    query = select(AuditEvent.action).distinct()
    if municipality_id is not None:
        query = query.where(AuditEvent.municipality_id == municipality_id)
    present = set(session.scalars(query))
    order = list(ACTION_NAMES)
    return sorted(present, key=lambda action: (order.index(action) if action in order
                                               else len(order), action))


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    total: int  # events that match the filter, of which at most SHOWN_EVENTS are shown
    actions: list[str]
    chosen: AuditFilter


def audit_page(session: Session, municipality_id: int | None,
               args: dict[str, str]) -> AuditPage:
    """What the audit log page shows for these GET parameters."""
    actions = recorded_actions(session, municipality_id)
    chosen = parse_filter(args, actions)
    if chosen.action and chosen.action not in actions:  # known, but not (yet) in this log
        actions.append(chosen.action)
    query = events_query(municipality_id, chosen)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    events = list(session.scalars(query.limit(SHOWN_EVENTS)))
    return AuditPage(events, total or 0, actions, chosen)
