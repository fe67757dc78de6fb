"""The audit log: who did what, when (logins, exports, imports, codes, status changes)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .models import AuditEvent


def record(session: Session, action: str, detail: str = "", *, user_email: str | None,
           municipality_id: int | None = None) -> None:
    """Add an audit event to the session; it is committed with the action it records."""
    session.add(AuditEvent(action=action, detail=detail[:2000], user_email=user_email,
                           municipality_id=municipality_id))
