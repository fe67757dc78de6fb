"""Accounts: creation, password checks with lock-out, password change."""
from __future__ import annotations

import re
from datetime import timedelta
from functools import cache

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..models import ROLES, Municipality, User, as_utc, utc_now

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 12
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A clear, user-facing reason why an account action was refused."""


@cache
def _dummy_hash() -> str:
    """Checked against when the e-mail is unknown, so that both cases take the same time
    (made on first use: scrypt costs every process start ~60 ms otherwise)."""
    return hash_password("not a real password")


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_new_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen lang "
                           "sein.")


def create_user(session: Session, email: str, password: str, role: str,
                municipality_slugs: list[str]) -> User:
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise AccountError(f"'{email}' ist keine gültige E-Mail-Adresse.")
    if role not in ROLES:
        raise AccountError(f"Unbekannte Rolle '{role}' (erlaubt: {', '.join(ROLES)}).")
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError(f"Es gibt bereits ein Konto für {email}.")
    municipalities = []
    for slug in municipality_slugs:
        municipality = session.scalar(select(Municipality).where(Municipality.slug == slug))
        if municipality is None:
            raise AccountError(f"Unbekannte Kommune '{slug}'.")
        municipalities.append(municipality)
    if role == "admin" and municipalities:
        raise AccountError("Die Rolle admin gilt für alle Kommunen; keine Kommune angeben.")
    if role == "staff" and len(municipalities) != 1:
        raise AccountError("Die Rolle staff braucht genau eine Kommune (--municipality).")
    if role == "police" and not municipalities:
        raise AccountError("Die Rolle police braucht mindestens eine Kommune (--municipality).")
    check_new_password(password)
    user = User(email=email, password_hash=hash_password(password), role=role,
                municipalities=municipalities)
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> tuple[User | None, str]:
    """(user, "") on success, else (user or None, reason). Locks after repeated failures."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return None, "invalid"
    now = utc_now()
    if user.locked_until is not None and as_utc(user.locked_until) > now:
        return user, "locked"
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
            user.failed_logins = 0
            return user, "locked"
        return user, "invalid"
    user.failed_logins = 0
    user.locked_until = None
    return user, ""


def change_password(user: User, current: str, new: str, repeated: str) -> None:
    if not check_password_hash(user.password_hash, current):
        raise AccountError("Das bisherige Passwort stimmt nicht.")
    if new != repeated:
        raise AccountError("Die beiden neuen Passwörter stimmen nicht überein.")
    check_new_password(new)
    user.password_hash = hash_password(new)
