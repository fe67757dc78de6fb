"""Accounts: creation, password checks with lock-out, password change, ending sessions."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import case, literal, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ROLES, Municipality, Role, User, as_utc, utc_now

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A clear, user-facing reason why an account action was refused; ``field``: the
    input it concerns (a form field's name)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# Checked against when the e-mail is unknown, so that both cases take the same time: the
# scrypt hash of a random password nobody knows, with the parameters hash_password uses
# (a constant: made on first use, it made the first unknown login of a process slower).
DUMMY_HASH = ("scrypt:32768:8:1$2VtNCj3Uskl9NHcT$7207c8a278ff6eb0a02a5ac5eb5cbdef5e824cecb3b98"
              "43195080f52db5702d29002b6ec68c61c2a5e3286b69a1b72c7b6e1b354ed13736bcc4287955ea"
              "95187")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_new_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang "
                           "sein.", field)


def create_user(session: Session, email: str, password: str, role: str,
                municipality_slugs: list[str]) -> User:
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise AccountError(f"'{email}' ist keine gültige E-Mail-Adresse.", "email")
    if role not in ROLES:
        raise AccountError(f"Unbekannte Rolle '{role}' (erlaubt: {', '.join(ROLES)}).", "role")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"Es gibt bereits ein Konto für {email}.", "email")
    municipalities = []
    for slug in municipality_slugs:
        municipality = session.scalar(select(Municipality).where(Municipality.slug == slug))
        if municipality is None:
            raise AccountError(f"Unbekannte Kommune '{slug}'.", "municipalities")
        municipalities.append(municipality)
    if role == Role.ADMIN and municipalities:
        raise AccountError("Die Rolle admin gilt für alle Kommunen; keine Kommune angeben.",
                           "municipalities")
    if role == Role.STAFF and len(municipalities) != 1:
        raise AccountError("Die Rolle staff braucht genau eine Kommune (--municipality).",
                           "municipalities")
    if role == Role.POLICE and not municipalities:
        raise AccountError("Die Rolle police braucht mindestens eine Kommune (--municipality).",
                           "municipalities")
    check_new_password(password)
    user = User(email=email, password_hash=hash_password(password), role=role,
                municipalities=municipalities)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> tuple[User | None, str]:
    """(user, "") on success, else (None, "invalid" or "locked"); five failures in a row
    lock the account for LOCK_MINUTES, during which not even the right password counts.

    Which of the two reasons applies is for the audit log only: the login page answers
    both alike. An unknown, inactive, locked or wrongly typed account costs the same
    work (one password hash check, one counting UPDATE), so neither the answer nor its
    timing tells whether an account exists or is locked."""
    email = email.strip().lower()
    user = session.scalar(select(User).where(User.email == email))
    now = utc_now()
    known = user is not None and user.active
    locked = known and user.locked_until is not None and as_utc(user.locked_until) > now
    right = check_password_hash(user.password_hash if known else DUMMY_HASH, password)
    if known and right and not locked:
        session.execute(update(User).where(User.id == user.id)
                        .values(failed_logins=0, locked_until=None))
        return user, ""
    locked_now = _count_failure(session, email, now)
    return None, "locked" if locked or locked_now else "invalid"


def _count_failure(session: Session, email: str, now: datetime) -> bool:
    """One more failure for the active, unlocked account ``email``, if there is one; the
    fifth locks it. One UPDATE that reads and writes the counter in the database, so
    that concurrent failures are all counted (a read-modify-write in Python lost them).
    True if this failure locked the account."""
    reached = User.failed_logins + 1 >= MAX_FAILED_LOGINS
    lock_end = literal(now + timedelta(minutes=LOCK_MINUTES), User.locked_until.type)
    statement = (
        update(User)
        .where(User.email == email, User.active.is_(True),
               or_(User.locked_until.is_(None), User.locked_until <= now))
        .values(failed_logins=case((reached, 0), else_=User.failed_logins + 1),
                locked_until=case((reached, lock_end), else_=User.locked_until))
        .returning(User.locked_until)
        .execution_options(synchronize_session=False))
    locked_until = session.scalar(statement)
    return locked_until is not None and as_utc(locked_until) > now


def end_sessions(session: Session, user: User) -> int:
    """End every session of ``user`` (each carries the version it was made under), on
    every device; returns the new version, for a session that is to go on."""
    version = session.scalar(
        update(User).where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .returning(User.session_version)
        .execution_options(synchronize_session=False))
    set_committed_value(user, "session_version", version)
    return version


def change_password(session: Session, user: User, current: str, new: str,
                    repeated: str) -> int:
    """Set a new password and end every session of the account; returns the new
    session version (see end_sessions)."""
    if not check_password_hash(user.password_hash, current):
        raise AccountError("Das bisherige Passwort stimmt nicht.", "current")
    if new != repeated:
        raise AccountError("Die beiden neuen Passwörter stimmen nicht überein.", "repeat")
    check_new_password(new, "new")
    user.password_hash = hash_password(new)
    return end_sessions(session, user)
