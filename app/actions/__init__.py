"""Back-office actions: each thing staff or the command line do is ONE function here.

An action validates its input, writes, records its audit event and commits, all in
one; when it refuses, it rolls back and raises ``ActionError`` with the message (and
the problem lines and the form field it concerns). Views (app/backoffice/, app/auth/)
and CLI commands (app/cli/backoffice.py) only translate: form or options in, a page, a
redirect or a printed line out.

Who commits: actions commit, nothing below them does. Services (app/municipal.py,
app/auth/service.py, app/backoffice/codes.py, districts.py, responses_io.py, app/legal.py)
check and write into the session they are given and never commit, so that an action's
writes and its audit event are stored together or not at all. (The job queue,
app/jobs/, commits its own bookkeeping: a job's state must be stored while the job runs.)

Actor: who is recorded in the audit log, the logged-in account's e-mail address, or
``CLI_ACTOR`` for the command line.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import NoReturn

from sqlalchemy.orm import Session

CLI_ACTOR = "cli"


class ActionError(ValueError):
    """An action refused: ``message`` says why; ``problems`` are the lines that go with
    it (a file's problems: TableProblem objects or plain strings), ``field`` the name of
    the input they concern (a form field; None: the action as a whole)."""

    def __init__(self, message: str, problems: Iterable[object] = (),
                 field: str | None = None, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = list(problems)
        self.field = field
        self.fields = fields or {}  # several inputs wrong at once: name -> message

    def by_field(self) -> dict[str, str | list[str]]:
        """What to show beside which form field ('form': not one field's problem)."""
        if self.fields:
            return dict(self.fields)
        return {self.field or "form": self.lines or self.message}

    @property
    def lines(self) -> list[str]:
        return [str(problem) for problem in self.problems]

    def text(self) -> str:
        """Message and problem lines, one a line (as the command line prints them)."""
        return "\n".join([self.message, *self.lines])


def refuse(session: Session, message: str, problems: Iterable[object] = (),
           field: str | None = None, fields: dict[str, str] | None = None) -> NoReturn:
    """Undo what the action wrote so far and raise its ActionError."""
    session.rollback()
    raise ActionError(message, problems, field, fields)
