"""Job state in the database: submitted, claimed by one worker, finished or failed, and
deleted after its expiry. Every web server and worker machine shares this state through
the database; the queue only tells a worker which job id to claim."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import ACTIVE_JOB_STATES, BackgroundJob, Role, Survey, User, as_utc, utc_now

JOB_ID = re.compile(r"[0-9a-f]{32}")
# Seconds per unit (one report; one letter) until a job of the kind has run here once.
# Measured on the 2-core development machine with the demo (23 districts, 2000
# responses) while other work ran; a pack renders two reports at a time.
ESTIMATED_SECONDS_PER_UNIT = {"city": 30.0, "district": 20.0, "pack": 6.0, "letters": 0.08}
# A running job whose worker vanished (killed, machine down) is given up this much after
# the job timeout: a worker that is merely slow has been stopped by RQ by then.
GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Retention:
    """How long jobs and their files are kept (from the configuration)."""
    reports: timedelta
    letters: timedelta
    timeout: timedelta

    def of(self, kind: str) -> timedelta:
        return self.letters if kind == "letters" else self.reports


def active_job(session: Session, user_id: int, survey_id: int, kind: str
               ) -> BackgroundJob | None:
    return session.scalar(select(BackgroundJob).where(
        BackgroundJob.user_id == user_id, BackgroundJob.survey_id == survey_id,
        BackgroundJob.kind == kind, BackgroundJob.state.in_(ACTIVE_JOB_STATES)))


def submit(session: Session, user: User, survey: Survey, kind: str,
           parameters: dict) -> tuple[BackgroundJob, bool]:
    """A new queued job (True), or the job of this account, survey and kind that is still
    waiting or running (False). Expired jobs go on the way. The caller commits, then
    dispatches a new job."""
    delete_expired(session)
    existing = active_job(session, user.id, survey.id, kind)
    if existing is not None:
        return existing, False
    job = BackgroundJob(id=secrets.token_hex(16), user_id=user.id, survey_id=survey.id,
                        kind=kind, parameters=parameters, state="queued", message="")
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:  # the same click arrived a moment ago on another web server
        existing = active_job(session, user.id, survey.id, kind)
        if existing is None:
            raise
        return existing, False
    return job, True


def owned_job(session: Session, job_id: str, user: User, survey: Survey
              ) -> BackgroundJob | None:
    """The job if it belongs to this account and survey and has not expired."""
    if not JOB_ID.fullmatch(job_id):
        return None
    job = session.get(BackgroundJob, job_id)
    if job is None or job.user_id != user.id or job.survey_id != survey.id:
        return None
    if user.role == Role.POLICE and job.parameters.get("free_text", True):
        return None  # a report with single free-text answers is never for the police
    if job.expires_at is not None and as_utc(job.expires_at) <= utc_now():
        return None
    return job


def user_jobs(session: Session, user: User, survey: Survey) -> list[BackgroundJob]:
    """This account's jobs for the survey that are not expired, newest first."""
    return list(session.scalars(select(BackgroundJob).where(
        BackgroundJob.user_id == user.id, BackgroundJob.survey_id == survey.id,
        (BackgroundJob.expires_at.is_(None)) | (BackgroundJob.expires_at > utc_now()))
        .order_by(BackgroundJob.created_at.desc()).limit(10)))


def next_queued(session: Session) -> str | None:
    """The id of the job that has waited longest."""
    return session.scalar(select(BackgroundJob.id).where(BackgroundJob.state == "queued")
                          .order_by(BackgroundJob.created_at).limit(1))


def claim(session: Session, job_id: str) -> BackgroundJob | None:
    """Mark a queued job running and return it; None if it is not waiting any more (a
    second delivery of the same id, or another worker was quicker)."""
    claimed = session.execute(
        update(BackgroundJob)
        .where(BackgroundJob.id == job_id, BackgroundJob.state == "queued")
        .values(state="running", started_at=utc_now())).rowcount
    session.commit()
    return (session.get(BackgroundJob, job_id, populate_existing=True) if claimed == 1
            else None)


def finish(session: Session, job: BackgroundJob, file_name: str, content: bytes,
           keep: timedelta) -> None:
    """Store the file; commits together with whatever the job wrote (letters: the codes)."""
    now = utc_now()
    job.state, job.file_name, job.output = "done", file_name, content
    job.finished_at, job.expires_at = now, now + keep
    session.commit()


def fail(session: Session, job_id: str, message: str, keep: timedelta) -> None:
    """Record why the job failed; nothing it wrote is kept (the caller rolled back)."""
    now = utc_now()
    session.execute(update(BackgroundJob).where(BackgroundJob.id == job_id).values(
        state="failed", message=message, finished_at=now, expires_at=now + keep))
    session.commit()


def take_output(session: Session, job: BackgroundJob) -> bytes | None:
    """The finished file. Letters carry the invitation codes in plain text: they are
    deleted as they are handed out (the caller commits after sending)."""
    content = job.output
    if job.kind == "letters" and content is not None:
        job.output = None
        job.message = "Die Briefe wurden heruntergeladen und danach gelöscht."
    return content


def delete_expired(session: Session) -> int:
    """Delete the jobs past their expiry, files and all (no commit)."""
    return session.execute(delete(BackgroundJob).where(
        BackgroundJob.expires_at <= utc_now())).rowcount


def clean_up(session: Session, retention: Retention) -> int:
    """Delete expired jobs with their files; give up jobs whose worker vanished. Returns
    the number of jobs deleted. Commits."""
    now = utc_now()
    deleted = delete_expired(session)
    session.execute(update(BackgroundJob).where(
        BackgroundJob.state == "running",
        BackgroundJob.started_at < now - retention.timeout - GRACE).values(
        state="failed", finished_at=now, expires_at=now + retention.reports,
        message="Der Auftrag wurde abgebrochen: er lief länger als erlaubt, oder sein "
                "Arbeitsprozess wurde beendet."))
    session.execute(update(BackgroundJob).where(
        BackgroundJob.state == "queued",
        BackgroundJob.created_at < now - retention.reports).values(
        state="failed", finished_at=now, expires_at=now + retention.reports,
        message="Der Auftrag hat zu lange auf einen freien Arbeitsprozess gewartet. Läuft "
                "ein Job-Worker (flask --app app jobs worker)?"))
    session.commit()
    return deleted


def next_expiry(session: Session) -> datetime | None:
    moment = session.scalar(select(func.min(BackgroundJob.expires_at)))
    return as_utc(moment) if moment is not None else None


@dataclass(frozen=True)
class Progress:
    """What the status page tells: how long the job will take, and why we think so."""
    expected_seconds: float
    measured: bool  # from the last finished job of its kind here, not the stated estimate
    waiting_before: int  # jobs queued earlier (all accounts)
    elapsed_seconds: float | None

    @property
    def refresh_seconds(self) -> int:
        """How often the status page reloads itself: often for short jobs only."""
        return 3 if self.expected_seconds <= 90 else 10


def duration_text(seconds: float) -> str:
    """'20 Sekunden', '3 Minuten', '1 Stunde 10 Minuten' (rounded as people say it)."""
    if seconds < 55:
        value = max(5, int(round(seconds / 5) * 5)) if seconds >= 5 else max(1, round(seconds))
        return f"{value} Sekunde{'' if value == 1 else 'n'}"
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"{minutes} Minute{'' if minutes == 1 else 'n'}"
    hours, minutes = divmod(minutes, 60)
    text = f"{hours} Stunde{'' if hours == 1 else 'n'}"
    return text + (f" {minutes} Minute{'' if minutes == 1 else 'n'}" if minutes else "")


def _units(parameters: dict) -> float:
    return max(float(parameters.get("units", 1)), 1.0)


def progress(session: Session, job: BackgroundJob) -> Progress:
    """Expected duration from the last finished job of the same kind (this survey's
    first), scaled by size (reports in a pack, letters); else the stated estimate."""
    last = session.execute(
        select(BackgroundJob.started_at, BackgroundJob.finished_at, BackgroundJob.parameters)
        .where(BackgroundJob.kind == job.kind, BackgroundJob.state == "done",
               BackgroundJob.started_at.is_not(None), BackgroundJob.finished_at.is_not(None))
        .order_by((BackgroundJob.survey_id == job.survey_id).desc(),
                  BackgroundJob.finished_at.desc()).limit(1)).first()
    if last is not None:
        seconds = (as_utc(last.finished_at) - as_utc(last.started_at)).total_seconds()
        per_unit = max(seconds, 1.0) / _units(last.parameters)
    else:
        per_unit = ESTIMATED_SECONDS_PER_UNIT[job.kind]
    waiting = 0
    if job.state == "queued":
        waiting = session.scalar(select(func.count()).select_from(BackgroundJob).where(
            BackgroundJob.state == "queued", BackgroundJob.created_at < job.created_at)) or 0
    elapsed = ((utc_now() - as_utc(job.started_at)).total_seconds()
               if job.state == "running" and job.started_at is not None else None)
    return Progress(per_unit * _units(job.parameters), last is not None, waiting, elapsed)
