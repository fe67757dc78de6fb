"""Invitation codes: generated per district together with what carries them to the
residents (letters, mail merge); no code remains whose letter could not be made."""
from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import delete
from sqlalchemy.orm import Session

from .. import audit
from ..backoffice import codes as codes_service
from ..backoffice.codes import GeneratedCode
from ..models import BackgroundJob, InvitationCode, Survey, User, utc_now
from ..survey.service import hash_code
from . import refuse

Made = TypeVar("Made")


def generate_codes(session: Session, survey: Survey, counts: dict[str, int], base_url: str,
                   actor: str | None, outputs: Callable[[list[GeneratedCode]], Made]
                   ) -> Made:
    """New codes per district (code -> count), committed, then ``outputs`` makes what
    carries them (letters, mail merge, files) and its result is returned.

    The codes are committed before their letters are rendered: making them locks the
    survey's code numbers, and a large batch of letters takes minutes to render, which
    no resident finishing the survey should wait for. If ``outputs`` fails, the codes are
    deleted again (``discard``) and its error goes on."""
    try:
        generated = codes_service.generate(session, survey, counts, base_url)
    except codes_service.CodesError as error:
        refuse(session, str(error), field="counts")
    audit.record(session, "codes_generated", f"{survey.slug}: {len(generated)} Codes " +
                 ", ".join(f"{code}={count}" for code, count in counts.items() if count),
                 user_email=actor, municipality_id=survey.municipality_id)
    session.commit()
    try:
        return outputs(generated)
    except Exception:
        discard(session, survey, generated, actor)
        raise


def codes_with_letters(session: Session, survey: Survey, counts: dict[str, int],
                       base_url: str, actor: str | None, workers: int = 1) -> bytes:
    """New codes and the ZIP with their letters and the mail merge (see generate_codes);
    ``workers`` processes lay out the letters (1: this process, as in a web request)."""
    return generate_codes(session, survey, counts, base_url, actor,
                          lambda generated: codes_service.letters_zip(survey, generated,
                                                                      base_url, workers))


def letters_in_request(session: Session, user: User, survey: Survey, counts: dict[str, int],
                       total: int, base_url: str, keep_for: timedelta) -> BackgroundJob:
    """A small letter batch made in the request, kept like a finished letter job: the
    codes page hands it out once (it starts the download itself) and it is deleted after
    that, at the latest after ``keep_for`` (LETTERS_RETENTION_MINUTES). No start time: it
    is no measure of how long a worker takes."""
    archive = codes_with_letters(session, survey, counts, base_url, user.email)
    now = utc_now()
    job = BackgroundJob(id=secrets.token_hex(16), user_id=user.id, survey_id=survey.id,
                        kind="letters", state="done", message="",
                        parameters={"counts": counts, "units": total, "in_request": True},
                        file_name=f"{survey.slug}-codes.zip", output=archive,
                        finished_at=now, expires_at=now + keep_for)
    session.add(job)
    session.commit()
    return job


def discard(session: Session, survey: Survey, generated: list[GeneratedCode],
            actor: str | None) -> None:
    """Delete codes again whose letters could not be made (committed, audited)."""
    session.rollback()
    hashes = [hash_code(item.code) for item in generated]
    for start in range(0, len(hashes), 500):
        session.execute(delete(InvitationCode).where(
            InvitationCode.survey_id == survey.id,
            InvitationCode.code_hash.in_(hashes[start:start + 500])))
    audit.record(session, "codes_discarded", f"{survey.slug}: {len(generated)} Codes "
                 "wieder gelöscht, die Briefe konnten nicht erstellt werden",
                 user_email=actor, municipality_id=survey.municipality_id)
    session.commit()
