"""Which invitation codes have given their response: one bitmap per survey.

Bit ``InvitationCode.number`` of ``used_codes.bitmap`` is set in the very transaction that
stores the response and removes the code's draft; the code's own row is never written
again after it was created. A bitmap is a set: it keeps no order in which codes were
used, and the single row rewritten with every completion carries only the stamp of the
latest one. Bits are numbered as PostgreSQL's ``get_bit``/``set_bit`` number them (bit n
is bit n % 8, least significant first, of byte n // 8); SQLite gets the same two
functions from ``register_sqlite_functions``.
"""
from __future__ import annotations

import sqlite3
from typing import Any

from flask import Flask
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import InvitationCode, UsedCodes


def is_set(bitmap: bytes, number: int) -> bool:
    return number // 8 < len(bitmap) and bool(bitmap[number // 8] >> (number % 8) & 1)


def numbers_set(bitmap: bytes) -> set[int]:
    return {index * 8 + bit for index, byte in enumerate(bitmap) for bit in range(8)
            if byte >> bit & 1}


def _checked(bitmap: bytes, number: int) -> None:
    if not 0 <= number < len(bitmap) * 8:  # as PostgreSQL refuses it
        raise ValueError(f"bit {number} out of range")


def _get_bit(bitmap: bytes | None, number: int) -> int | None:
    if bitmap is None or number is None:
        return None
    _checked(bitmap, number)
    return int(is_set(bitmap, number))


def _set_bit(bitmap: bytes | None, number: int, value: int) -> bytes | None:
    """PostgreSQL's set_bit; the platform only ever sets bits (value 1)."""
    if bitmap is None or number is None:
        return None
    _checked(bitmap, number)
    if not value:
        raise ValueError("bits of used codes are never cleared")
    changed = bytearray(bitmap)
    changed[number // 8] |= 1 << (number % 8)
    return bytes(changed)


def _pad(bitmap: bytes | None, size: int) -> bytes | None:
    return None if bitmap is None else bytes(bitmap) + bytes(max(0, size - len(bitmap)))


def register_sqlite_functions(connection: sqlite3.Connection) -> None:
    """PostgreSQL's get_bit/set_bit on bytea, for SQLite blobs (and pad_bitmap)."""
    connection.create_function("get_bit", 2, _get_bit, deterministic=True)
    connection.create_function("set_bit", 3, _set_bit, deterministic=True)
    connection.create_function("pad_bitmap", 2, _pad, deterministic=True)


def init_app(app: Flask) -> None:
    """Every SQLite connection of the app's engines gets the bitmap functions."""
    engines = {app.extensions["database_engine"], app.extensions["draft_engine"]}
    for engine in engines:
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _on_connect)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    register_sqlite_functions(dbapi_connection)


_PAD = {
    "postgresql": "bitmap || decode(repeat('00', greatest(0, :size - length(bitmap))), 'hex')",
    "sqlite": "pad_bitmap(bitmap, :size)",
}


def reserve_numbers(session: Session, survey_id: int, count: int) -> int:
    """The first of ``count`` new code numbers for the survey, with the bitmap grown to
    hold them. Locks the survey's bitmap row until the caller commits, so that two
    batches generated at once never get the same numbers."""
    dialect = session.get_bind().dialect.name
    if session.get(UsedCodes, survey_id) is None:
        try:
            with session.begin_nested():
                session.add(UsedCodes(survey_id=survey_id, bitmap=b""))
        except IntegrityError:  # another batch of the same survey made it a moment ago
            pass
    # A write first: it takes the row lock (PostgreSQL) or the write lock (SQLite) before
    # the highest number is read.
    session.execute(text(f"UPDATE used_codes SET bitmap = {_PAD[dialect]} "
                         "WHERE survey_id = :survey_id"),
                    {"size": 0, "survey_id": survey_id})
    highest = session.scalar(select(func.max(InvitationCode.number))
                             .where(InvitationCode.survey_id == survey_id))
    first = 0 if highest is None else highest + 1
    session.execute(text(f"UPDATE used_codes SET bitmap = {_PAD[dialect]} "
                         "WHERE survey_id = :survey_id"),
                    {"size": (first + count + 7) // 8, "survey_id": survey_id})
    return first


def _bitmap(session: Session, survey_id: int) -> bytes:
    bitmap = session.scalar(select(UsedCodes.bitmap).where(UsedCodes.survey_id == survey_id))
    return bytes(bitmap) if bitmap is not None else b""


def is_used(session: Session, code: InvitationCode) -> bool:
    return is_set(_bitmap(session, code.survey_id), code.number)


def used_numbers(session: Session, survey_id: int) -> set[int]:
    return numbers_set(_bitmap(session, survey_id))
