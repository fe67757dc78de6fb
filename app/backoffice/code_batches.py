"""What the codes page tells staff: how many codes each district has, and which batches
were made when. Codes carry no time of creation (docs/anonymity.md), so the batches come
from the audit log, which records every generation with its counts."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import AuditEvent, InvitationCode, Survey


@dataclass(frozen=True)
class DistrictCodes:
    code: str | None  # None: codes made before districts were recorded with them
    name: str
    codes: int


@dataclass(frozen=True)
class CodeBatch:
    at: datetime
    user_email: str | None
    codes: int
    districts: str  # "Mitte 2, Nord (Holland) 1", or the log's own words
    discarded: bool  # the letters failed and the codes were deleted again


def district_counts(session: Session, survey: Survey) -> list[DistrictCodes]:
    """Codes per district of the survey, every district listed (0 where none)."""
    counts = dict(session.execute(
        select(InvitationCode.district_id, func.count())
        .where(InvitationCode.survey_id == survey.id)
        .group_by(InvitationCode.district_id)).all())
    rows = [DistrictCodes(district.code, district.name, counts.pop(district.id, 0))
            for district in survey.municipality.districts]
    if counts:  # codes of no (or no longer known) district
        rows.append(DistrictCodes(None, "ohne Stadtteil", sum(counts.values())))
    return rows


# As codes.codes_with_letters writes it ("kassel-2026: 3 Codes 01=2, 11=1"), as the CLI
# writes it ("kassel-2026: 3 für Stadtteil 11"), and a discarded batch ("…: 3 Codes
# wieder gelöscht, …").
WEB_DETAIL = re.compile(r"(?P<count>[0-9]+) Codes (?P<pairs>.*)")
CLI_DETAIL = re.compile(r"(?P<count>[0-9]+) für Stadtteil (?P<district>\S+)")
PAIR = re.compile(r"([^\s,=]+)=([0-9]+)")


def batches(session: Session, survey: Survey) -> list[CodeBatch]:
    """Every generation (and every discarded batch) of this survey, newest first."""
    names = {district.code: district.name for district in survey.municipality.districts}
    prefix = f"{survey.slug}: "
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.municipality_id == survey.municipality_id,
               AuditEvent.action.in_(("codes_generated", "codes_discarded")),
               AuditEvent.detail.startswith(prefix, autoescape=True))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()))
    found = []
    for event in events:
        batch = _batch(event, event.detail[len(prefix):], names)
        if batch is not None:
            found.append(batch)
    return found


def _batch(event: AuditEvent, text: str, names: dict[str, str]) -> CodeBatch | None:
    discarded = event.action == "codes_discarded"
    cli = CLI_DETAIL.fullmatch(text)
    web = WEB_DETAIL.match(text)
    if cli:
        count, pairs = int(cli["count"]), [(cli["district"], cli["count"])]
    elif web:
        count, pairs = int(web["count"]), PAIR.findall(web["pairs"])
    else:
        return None
    districts = ", ".join(f"{names.get(code, code)} {number}" for code, number in pairs)
    return CodeBatch(event.at, event.user_email, count, districts, discarded)
