"""Accounts: log in, log out, change one's password, create an account."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .. import audit
from ..auth import service
from ..models import User
from . import ActionError, refuse

# One answer for an unknown account, a wrong password and a locked account, so that
# nobody learns which accounts exist or are locked. The owner, who knows the password
# is right, learns from it how to get in: wait for the lock to end.
LOGIN_FAILED = (
    "E-Mail-Adresse oder Passwort stimmen nicht. Nach "
    f"{service.MAX_FAILED_LOGINS} Fehlversuchen in Folge nimmt ein Konto "
    f"{service.LOCK_MINUTES} Minuten lang kein Passwort an, auch das richtige nicht. "
    "Sind Sie sicher, dass Ihr Passwort stimmt, versuchen Sie es nach "
    f"{service.LOCK_MINUTES} Minuten noch einmal.")


def log_in(session: Session, email: str, password: str) -> User:
    """The account, if the password is right and the account not locked. A failure is
    committed too (the failure counter, the audit event) before it is refused, with
    the one message for every reason (LOGIN_FAILED)."""
    email = email[:254]
    user, problem = service.authenticate(session, email, password)
    audit.record(session, "login" if not problem else f"login_{problem}",
                 user_email=email.strip().lower()[:254])
    session.commit()
    if user is None:
        raise ActionError(LOGIN_FAILED)
    return user


def log_out(session: Session, user: User) -> None:
    """End every session of the account, on every device."""
    service.end_sessions(session, user)
    audit.record(session, "logout", user_email=user.email)
    session.commit()


def change_password(session: Session, user: User, current: str, new: str,
                    repeated: str) -> None:
    """A new password; every session of the account ends (the caller starts a new one
    for the browser that changed it)."""
    try:
        service.change_password(session, user, current, new, repeated)
    except service.AccountError as error:
        refuse(session, str(error), field=error.field)
    audit.record(session, "password_changed", user_email=user.email)
    session.commit()


def create_user(session: Session, email: str, password: str, role: str,
                municipality_slugs: list[str], actor: str) -> User:
    """An account for staff (one municipality), police (one or more) or the programme
    office (admin: all)."""
    try:
        user = service.create_user(session, email, password, role, municipality_slugs)
    except service.AccountError as error:
        refuse(session, str(error), field=error.field)
    audit.record(session, "user_created", f"{user.email} ({role})", user_email=actor,
                 municipality_id=user.municipalities[0].id if user.municipalities else None)
    session.commit()
    return user
