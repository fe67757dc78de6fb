"""How staff see survey states, dates and times: in German, and in local time (times are
stored in UTC; staff read the clock on their wall)."""
from __future__ import annotations

from datetime import date, datetime

from ..audit import LOCAL_TIME
from ..models import AccessMode, Survey, SurveyStatus, as_utc, today

STATUS_WORDS = {SurveyStatus.DRAFT: "Entwurf", SurveyStatus.OPEN: "geöffnet",
                SurveyStatus.CLOSED: "geschlossen"}
ACCESS_WORDS = {AccessMode.OPEN: "offener Link", AccessMode.CODES: "Einladungscodes"}


def german_date(day: date | None) -> str:
    """'01.05.2026' ('' for no date)."""
    return day.strftime("%d.%m.%Y") if day else ""


def local_time(moment: datetime) -> str:
    """'12.03.2026 14:05' in Berlin time, from a stored UTC time."""
    return as_utc(moment).astimezone(LOCAL_TIME).strftime("%d.%m.%Y %H:%M")


def status_text(survey: Survey, on: date | None = None) -> str:
    """The survey's status as staff should read it: an open survey before its first day
    takes no answers yet ('geplant ab …'), one past its last day none any more."""
    on = on or today()
    if survey.status == SurveyStatus.OPEN and survey.opens_on and on < survey.opens_on:
        return f"geplant ab {german_date(survey.opens_on)}"
    if survey.status == SurveyStatus.OPEN and survey.closes_on and on > survey.closes_on:
        return (f"geöffnet, Befragungszeitraum endete am {german_date(survey.closes_on)} "
                "(nimmt keine Antworten mehr an)")
    return STATUS_WORDS[survey.status]
