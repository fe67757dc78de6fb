"""The data model. Rules live in the database too: keys, uniques and checks."""
from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (JSON, Boolean, CheckConstraint, Column, Date, DateTime, Enum,
                        ForeignKey, Index, Integer, LargeBinary, String, Table, Text,
                        UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

AnswerJSON = JSON().with_variant(JSONB(), "postgresql")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """A stored time as aware UTC: SQLite hands back naive datetimes (stored as UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def today() -> date:
    return datetime.now(timezone.utc).date()


class SurveyStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class AccessMode(StrEnum):
    OPEN = "open"  # a public link
    CODES = "codes"  # invitation codes from letters


class ResponseSource(StrEnum):
    ONLINE = "online"
    PAPER = "paper"  # keyed in from a paper questionnaire
    SYNTHETIC = "synthetic"  # demo data


class Role(StrEnum):
    ADMIN = "admin"  # the programme office: every municipality
    STAFF = "staff"  # one municipality's staff
    POLICE = "police"  # reads the results of its municipalities


def enum_column(enum: type[StrEnum], length: int) -> Enum:
    """A VARCHAR(length) column type that loads its values back as members of ``enum``.

    StrEnum members equal their strings, so code comparing with plain strings keeps
    working; the stored values are the strings themselves (no native database enum, no
    migration). The allowed values are the table's named CheckConstraint (``one_of``)."""
    return Enum(enum, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda members: [member.value for member in members])


def one_of(column: str, enum: type[StrEnum], name: str) -> CheckConstraint:
    """The CHECK that ``column`` holds a value of ``enum``."""
    return CheckConstraint(f"{column} IN ({', '.join(repr(str(m)) for m in enum)})", name=name)


class Base(DeclarativeBase):
    pass


class Municipality(Base):
    __tablename__ = "municipality"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    min_n: Mapped[int] = mapped_column(Integer, default=30)
    # District boundaries as a GeoJSON FeatureCollection (feature property ``code``).
    geojson: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    # Texts of the resident pages' legal links, plain text as staff typed it (app/legal.py).
    # No Impressum means none is shown (it cannot be defaulted); no privacy notice or
    # accessibility statement means the platform's default text; no English text means
    # the German one.
    imprint: Mapped[str | None] = mapped_column(Text)
    privacy_notice: Mapped[str | None] = mapped_column(Text)
    privacy_notice_en: Mapped[str | None] = mapped_column(Text)
    accessibility_statement: Mapped[str | None] = mapped_column(Text)
    accessibility_statement_en: Mapped[str | None] = mapped_column(Text)
    # Whom residents ask about the survey, named in the letters and on the start page.
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(60))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    # How to get a paper questionnaire (German; printed in the letters).
    paper_questionnaire: Mapped[str | None] = mapped_column(Text)

    districts: Mapped[list[District]] = relationship(
        back_populates="municipality", order_by="District.code")

    __table_args__ = (CheckConstraint("min_n >= 1", name="min_n_positive"),)


class District(Base):
    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))

    municipality: Mapped[Municipality] = relationship(back_populates="districts")

    __table_args__ = (UniqueConstraint("municipality_id", "code", name="district_code_unique"),)


class PopulationCell(Base):
    """Residents of one district by gender and age group (the weighting margins)."""

    __tablename__ = "population_cell"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(
        ForeignKey("district.id", ondelete="CASCADE"), index=True)
    gender: Mapped[str] = mapped_column(String(8))
    age_group: Mapped[str] = mapped_column(String(16))
    population: Mapped[int] = mapped_column(Integer)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("district_id", "gender", "age_group", name="population_cell_unique"),
        CheckConstraint("population >= 0", name="population_not_negative"),
    )


class Survey(Base):
    """A survey wave; its questionnaire is frozen as the YAML text it was created from."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    questionnaire_yaml: Mapped[str] = mapped_column(Text)
    questionnaire_file: Mapped[str] = mapped_column(String(200))
    access_mode: Mapped[AccessMode] = mapped_column(enum_column(AccessMode, 8),
                                                    default=AccessMode.OPEN)
    status: Mapped[SurveyStatus] = mapped_column(enum_column(SurveyStatus, 8),
                                                 default=SurveyStatus.DRAFT)
    opens_on: Mapped[date | None] = mapped_column(Date)
    closes_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)

    municipality: Mapped[Municipality] = relationship()

    __table_args__ = (
        one_of("access_mode", AccessMode, "survey_access_mode"),
        one_of("status", SurveyStatus, "survey_status"),
    )


class InvitationCode(Base):
    """An access code from a letter. Only its hash is kept; whether it was used is a bit
    in UsedCodes, never a change to this row (see docs/anonymity.md)."""

    __tablename__ = "invitation_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"),
                                           index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The code's bit in its survey's UsedCodes.bitmap (0, 1, 2, ... in order of creation).
    number: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        UniqueConstraint("survey_id", "number", name="invitation_code_number_unique"),
        CheckConstraint("number >= 0", name="invitation_code_number_not_negative"),
    )


class UsedCodes(Base):
    """Which codes of a survey gave their response: one bitmap per survey, bit
    ``InvitationCode.number`` set in the very statement that stores the response.

    A set, not a list: it holds no order in which codes were used, and no code row is
    written when a response is stored, so neither values nor transaction stamps pair a
    response with its code (docs/anonymity.md)."""

    __tablename__ = "used_codes"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("survey.id", ondelete="CASCADE"), primary_key=True)
    bitmap: Mapped[bytes] = mapped_column(LargeBinary, default=b"")


class ResponseDraft(Base):
    """Progress of a resident who has started but not finished; kept per page.

    A draft is removed only when its response is stored (in the same transaction): a
    draft key that is no longer found belongs to a completed questionnaire."""

    __tablename__ = "response_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"),
                                           index=True)
    key: Mapped[str] = mapped_column(String(32), unique=True)
    code_id: Mapped[int | None] = mapped_column(
        ForeignKey("invitation_code.id", ondelete="CASCADE"), unique=True)
    answers: Mapped[dict[str, Any]] = mapped_column(AnswerJSON, default=dict)
    reached_page: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    # One up with every saved page: a save based on an older state is refused and redone
    # on the current one (two devices with one code), and a worker may reuse a draft it
    # read before as long as the resident's cookie names the same revision.
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Response(Base):
    """A completed questionnaire: answers by item code, the date and nothing else."""

    __tablename__ = "response"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"),
                                           index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(AnswerJSON)
    source: Mapped[ResponseSource] = mapped_column(enum_column(ResponseSource, 12),
                                                   default=ResponseSource.ONLINE)
    completed_on: Mapped[date] = mapped_column(Date, default=today)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        one_of("source", ResponseSource, "response_source"),
    )


ROLES = tuple(Role)

user_municipality = Table(
    "user_municipality", Base.metadata,
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipality.id", ondelete="CASCADE"),
           primary_key=True),
)


class User(UserMixin, Base):
    """A staff, police or programme-office account (residents never have one); UserMixin
    makes it the ``current_user`` of Flask-Login."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, 8))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Every session cookie carries the version it was issued under; logout and a password
    # change raise it, so all sessions of the account end at once, on every device.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)

    municipalities: Mapped[list[Municipality]] = relationship(
        secondary=user_municipality, order_by="Municipality.name")

    __table_args__ = (one_of("role", Role, "user_role"),)

    @property
    def is_active(self) -> bool:
        return self.active


class AuditEvent(Base):
    """Who did what when: logins, exports, imports, codes, survey status changes."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now, index=True)
    user_email: Mapped[str | None] = mapped_column(String(254))
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipality.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")


# --- Background jobs ----------------------------------------------------------------

ACTIVE_JOB_STATES = ("queued", "running")  # at most one per account, survey and kind


class BackgroundJob(Base):
    """A report or a batch of invitation letters made by a job worker, with its file.
    It belongs to the account that asked for it and is deleted at ``expires_at``. The
    job queue (Redis) carries only the id: everything else lives here, so that any web
    server and any worker machine sharing the database sees the same state."""

    __tablename__ = "background_job"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random, not guessable
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"),
                                         index=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id", ondelete="CASCADE"),
                                           index=True)
    kind: Mapped[str] = mapped_column(String(12))
    # What to make: district, free_text, counts per district, units for the estimate.
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(8), default="queued", index=True)
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    file_name: Mapped[str | None] = mapped_column(String(200))
    # Loaded only for a download: status pages and the cleaner never read the bytes.
    output: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)

    __table_args__ = (
        CheckConstraint("kind IN ('city', 'district', 'pack', 'letters')",
                        name="background_job_kind"),
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')",
                        name="background_job_state"),
        # One waiting or running job per account, survey and kind, whichever web server
        # took the click: a second click finds the first job instead of starting another.
        Index("background_job_one_active", "user_id", "survey_id", "kind", unique=True,
              postgresql_where=text("state IN ('queued', 'running')"),
              sqlite_where=text("state IN ('queued', 'running')")),
    )
