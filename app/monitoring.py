"""Response monitoring per district: invited, started, completed, return rate, time."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .backoffice.tabular import write_csv
from .models import (District, InvitationCode, Response, ResponseDraft, ResponseSource,
                     Survey)


@dataclass(frozen=True)
class DistrictProgress:
    code: str
    name: str
    invited: int
    started: int
    completed: int
    paper: int
    median_minutes: float | None

    @property
    def return_rate(self) -> float | None:
        """Completed per invitation (None without invitations, as for an open link)."""
        return self.completed / self.invited if self.invited else None


def progress(session: Session, survey: Survey) -> tuple[list[DistrictProgress],
                                                        DistrictProgress]:
    """Per-district rows and the city total."""
    districts = session.execute(select(District.id, District.code, District.name)
                                .where(District.municipality_id == survey.municipality_id)
                                .order_by(District.code)).all()
    invited = dict(session.execute(
        select(InvitationCode.district_id, func.count())
        .where(InvitationCode.survey_id == survey.id).group_by(InvitationCode.district_id)).all())
    completed, paper, minutes = Counter(), Counter(), defaultdict(list)
    for district_id, source, duration in session.execute(
            select(Response.district_id, Response.source, Response.duration_minutes)
            .where(Response.survey_id == survey.id)):
        completed[district_id] += 1
        paper[district_id] += source == ResponseSource.PAPER
        if source == ResponseSource.ONLINE and duration is not None:
            minutes[district_id].append(duration)
    by_code = {code: district_id for district_id, code, _name in districts}
    in_progress = Counter()
    for answers, code_district in session.execute(
            select(ResponseDraft.answers, InvitationCode.district_id)
            .outerjoin(InvitationCode, ResponseDraft.code_id == InvitationCode.id)
            .where(ResponseDraft.survey_id == survey.id)):
        in_progress[code_district or by_code.get((answers or {}).get("district"))] += 1
    rows = [DistrictProgress(code, name, invited.get(district_id, 0),
                             in_progress[district_id] + completed[district_id],
                             completed[district_id], paper[district_id],
                             _median(minutes[district_id]))
            for district_id, code, name in districts]
    total = DistrictProgress("_city", "Gesamt", sum(invited.values()),
                             sum(in_progress.values()) + sum(completed.values()),
                             sum(completed.values()), sum(paper.values()),
                             _median([m for values in minutes.values() for m in values]))
    return rows, total


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def progress_csv(rows: list[DistrictProgress], total: DistrictProgress) -> bytes:
    """The monitoring table; district names are neutralised like every export."""
    return write_csv(
        ["district", "name", "invited", "started", "completed", "paper", "return_rate",
         "median_minutes"],
        ([row.code, row.name, row.invited, row.started, row.completed, row.paper,
          "" if row.return_rate is None else f"{row.return_rate:.4f}",
          "" if row.median_minutes is None else f"{row.median_minutes:g}"]
         for row in rows + [total])).encode("utf-8")
