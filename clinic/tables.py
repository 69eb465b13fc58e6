"""The relational schema. Alembic migrations in clinic/migrations follow it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, stored and read back in UTC on every engine.

    SQLite keeps no offset: a 09:00+03:00 stored as it is would come back as 09:00 UTC and
    compare as text against UTC moments. Converting on the way in keeps one meaning everywhere.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        return _utc(value)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        return _utc(value)


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    """A polyclinic (where in-person visits happen) or an oncology centre."""

    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # polyclinic, oncology_centre
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Patient(Base):
    __tablename__ = "patients"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="ru")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Unknown for patients invited before it was asked: their age is then not shown.
    birth_date: Mapped[date | None] = mapped_column(Date)
    # The polyclinic the patient is attached to, and the oncology centre following them.
    polyclinic_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", name="fk_patients_polyclinic")
    )
    oncology_centre_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", name="fk_patients_oncology_centre"), index=True
    )
    # Set by the centre while a course runs: the patient's page asks for check-ins.
    under_chemotherapy: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Guardianship(Base):
    """A parent who may read and act for a child's record (the seeds: children under 15)."""

    __tablename__ = "guardianships"
    guardian_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", name="fk_guardianships_guardian"), primary_key=True
    )
    child_id: Mapped[str] = mapped_column(
        ForeignKey("patients.id", name="fk_guardianships_child"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Doctor(Base):
    __tablename__ = "doctors"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    full_name: Mapped[str] = mapped_column(String(200))
    specialty: Mapped[str] = mapped_column(String(64))
    # "doctor" or "operator": staff accounts share this table; an operator runs the service
    # (audit trail, record pushes) and reads no medical record.
    role: Mapped[str] = mapped_column(String(16), default="doctor", server_default="doctor")
    # SHA-256 of a high-entropy access key for programs; shown once, never stored.
    access_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # People sign in to the console with a login and an argon2-hashed password.
    login: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # An optional second factor: the base32 secret of a TOTP authenticator app.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Where they work: oncology-centre staff see that centre's patients.
    organisation_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", name="fk_doctors_organisation")
    )

    __table_args__ = (UniqueConstraint("login", name="uq_doctors_login"),)


class Invitation(Base):
    """A patient's link into the queue; only the token's hash is kept."""

    __tablename__ = "invitations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Set when a one-time password opened it: a link works once.
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LoginFailure(Base):
    """Wrong passwords in a row for a console login, and how long it is locked.

    Keyed by the login as typed, not by the doctor: a login that does not exist locks the
    same way, so the lock tells nobody which logins exist.
    """

    __tablename__ = "login_failures"
    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OtpChallenge(Base):
    """A one-time password sent by SMS for an invitation; only its hash is kept."""

    __tablename__ = "otp_challenges"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    invitation_id: Mapped[str] = mapped_column(ForeignKey("invitations.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SessionRow(Base):
    """A signed-in browser. The cookie holds a random token; only its hash is kept."""

    __tablename__ = "sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(16))
    principal_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SmsMessage(Base):
    """Every SMS the platform sends: the outbox the dispatcher delivers from, and the log.

    status: pending (waiting for delivery), sent (the operator took it), delivered (the
    operator's delivery report), failed (the operator gave up), development (not sent).
    """

    __tablename__ = "sms_messages"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    phone: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    patient_id: Mapped[str | None] = mapped_column(String(36), index=True)
    # One message per event (e.g. "renewal:<prescription id>"): a retried action sends none.
    idempotency_key: Mapped[str | None] = mapped_column(String(120))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Also a lease, as in the record outbox.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    operator_ref: Mapped[str | None] = mapped_column(String(120), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (UniqueConstraint("idempotency_key", name="uq_sms_idempotency_key"),)


OPEN_STATUSES = "status IN ('waiting', 'active')"
ACTIVE_STATUS = "status = 'active'"


class Consultation(Base):
    """Created when the patient joins the queue: the queue is the set of waiting ones."""

    __tablename__ = "consultations"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    doctor_id: Mapped[str | None] = mapped_column(ForeignKey("doctors.id"), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    mode: Mapped[str] = mapped_column(String(8))
    language: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16), index=True)
    queued_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Urgent places (a high-risk chemotherapy check-in) are taken before routine ones.
    priority: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A waiting patient with no page open since then: never taken, and out of the queue
    # once away longer than the setting (signaling/presence.py).
    away_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the patient's browser first offered its audio: a call they never joined ends
    # without a protocol.
    patient_connected_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The database, not the handlers, keeps a patient to one open place and a doctor to one
    # call: two sockets (or two nodes) racing past a check-then-write both lose but one.
    __table_args__ = (
        Index(
            "uq_consultations_open_per_patient",
            "patient_id",
            unique=True,
            sqlite_where=text(OPEN_STATUSES),
            postgresql_where=text(OPEN_STATUSES),
        ),
        Index(
            "uq_consultations_active_per_doctor",
            "doctor_id",
            unique=True,
            sqlite_where=text(ACTIVE_STATUS),
            postgresql_where=text(ACTIVE_STATUS),
        ),
    )


class TranscriptSegmentRow(Base):
    __tablename__ = "transcript_segments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id"))
    speaker: Mapped[str] = mapped_column(String(16))
    # "speech" for recognised text; "gap" marks audio lost to a failure, so it is never silent.
    kind: Mapped[str] = mapped_column(String(8), default="speech")
    start_s: Mapped[float] = mapped_column(Float)
    end_s: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)
    confidence: Mapped[float] = mapped_column(Float)
    words: Mapped[list[dict[str, object]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_segments_consultation_start", "consultation_id", "start_s"),)


class ProtocolRow(Base):
    __tablename__ = "protocols"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    consultation_id: Mapped[str] = mapped_column(ForeignKey("consultations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, object]] = mapped_column(JSON)
    html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # A signed version is never changed; a correction is a new version naming the one
    # it supersedes.
    signed_by: Mapped[str | None] = mapped_column(
        ForeignKey("doctors.id", name="fk_protocols_signed_by")
    )
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    supersedes_id: Mapped[str | None] = mapped_column(String(36))

    __table_args__ = (
        UniqueConstraint("consultation_id", "version", name="uq_protocols_consultation_version"),
    )


class OutboxEntry(Base):
    """A push to a medical record, written in the transaction that made it: a signed
    protocol, or a visit booked, moved or cancelled (no protocol)."""

    __tablename__ = "outbox"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    protocol_id: Mapped[str | None] = mapped_column(ForeignKey("protocols.id"), index=True)
    target: Mapped[str] = mapped_column(String(16))
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), index=True)  # pending, sent
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Also a lease: a dispatcher that claims an entry moves this forward first.
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    remote_ref: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class RecordDocument(Base):
    """The built-in medical record: each pushed FHIR Bundle (a signed protocol's, or a
    visit's), stored once."""

    __tablename__ = "record_documents"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    protocol_id: Mapped[str | None] = mapped_column(ForeignKey("protocols.id"))
    bundle: Mapped[dict[str, object]] = mapped_column(JSON)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime())


class AuditEntry(Base):
    """Append-only: who touched which patient's data, when, from where, and the outcome."""

    __tablename__ = "audit_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor_role: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str | None] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(64))
    patient_id: Mapped[str | None] = mapped_column(String(36), index=True)
    object_id: Mapped[str | None] = mapped_column(String(36))
    source: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)


class Prescription(Base):
    """An electronic prescription; a renewal is a new row naming the one it renews."""

    __tablename__ = "prescriptions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    medicine: Mapped[str] = mapped_column(String(200))
    # The medicine's name folded for comparison: a renewal matches an earlier one by it.
    medicine_key: Mapped[str] = mapped_column(String(200))
    dose: Mapped[str | None] = mapped_column(String(100))
    oncology: Mapped[bool] = mapped_column(Boolean, default=False)
    prescriber_id: Mapped[str | None] = mapped_column(
        ForeignKey("doctors.id", name="fk_prescriptions_prescriber")
    )
    organisation_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", name="fk_prescriptions_organisation")
    )
    valid_from: Mapped[datetime] = mapped_column(UtcDateTime())
    valid_until: Mapped[datetime] = mapped_column(UtcDateTime())
    prior_id: Mapped[str | None] = mapped_column(String(36))
    # The consultation that renewed it: one renewal per medicine per consultation, so a
    # retried or corrected signature never prescribes twice.
    consultation_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("consultation_id", "medicine_key", name="uq_prescriptions_renewal"),
        Index("ix_prescriptions_patient_medicine", "patient_id", "medicine_key"),
    )


class Slot(Base):
    """A published in-person appointment slot; booked by setting its patient atomically."""

    __tablename__ = "slots"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(ForeignKey("organisations.id"))
    doctor_name: Mapped[str] = mapped_column(String(200))
    specialty: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    room: Mapped[str] = mapped_column(String(100), default="")
    patient_id: Mapped[str | None] = mapped_column(
        ForeignKey("patients.id", name="fk_slots_patient"), index=True
    )
    consultation_id: Mapped[str | None] = mapped_column(String(36))
    booked_by: Mapped[str | None] = mapped_column(String(36))
    booked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_slots_organisation_start", "organisation_id", "starts_at"),)


class ConsiliumDecision(Base):
    """A tumour board's decision about a patient, entered or imported by centre staff."""

    __tablename__ = "consilium_decisions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    organisation_id: Mapped[str | None] = mapped_column(
        ForeignKey("organisations.id", name="fk_consilium_organisation")
    )
    decided_on: Mapped[str] = mapped_column(String(10))  # ISO date of the board
    decision: Mapped[str] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(36))
    # The invitation to talk it over with an oncologist, sent with the notice.
    invitation_id: Mapped[str | None] = mapped_column(String(36))
    # Lets an import be repeated: the same board decision is stored once.
    external_id: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (
        UniqueConstraint("organisation_id", "external_id", name="uq_consilium_external"),
    )


class CheckIn(Base):
    """A chemotherapy patient's answers to the periodic questionnaire, and their review.

    A high-risk answer sets `review_due_at`; a doctor of the centre must review it by then.
    """

    __tablename__ = "checkins"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    patient_id: Mapped[str] = mapped_column(ForeignKey("patients.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(36))  # the patient or a parent
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    answers: Mapped[dict[str, object]] = mapped_column(JSON)
    level: Mapped[str] = mapped_column(String(8))  # red, amber, green
    flags: Mapped[list[str]] = mapped_column(JSON)
    review_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reviewed_by: Mapped[str | None] = mapped_column(String(36))
    review_note: Mapped[str | None] = mapped_column(Text)
