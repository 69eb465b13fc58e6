"""The medical record store: every read and write of patient data goes through here."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from clinic.db import create_engine, sessionmaker, upgrade_async
from clinic.domain import (
    CallMode,
    ConsultationStatus,
    Principal,
    Reason,
    Role,
    Segment,
    Speaker,
    Word,
)
from clinic.settings import Settings
from clinic.tables import (
    AuditEntry,
    Consultation,
    Doctor,
    Invitation,
    OutboxEntry,
    Patient,
    ProtocolRow,
    RecordDocument,
    TranscriptSegmentRow,
)
from clinic.time import aware as _aware
from clinic.time import now


class Conflict(Exception):
    """The record moved on meanwhile (e.g. someone signed a newer version): reload and retry."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@asynccontextmanager
async def opened_records(settings: Settings) -> AsyncIterator[Records]:
    """The record store of a migrated database, for commands that run outside the server."""
    engine = create_engine(settings)
    try:
        await upgrade_async(settings.database_url)
        yield Records(engine)
    finally:
        await engine.dispose()


class Records:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine)

    # --- people -------------------------------------------------------------

    async def add_patient(self, full_name: str, phone: str, language: str = "ru") -> Patient:
        patient = Patient(
            id=str(uuid.uuid4()), full_name=full_name, phone=phone, language=language,
            created_at=now(),
        )
        async with self._session() as s, s.begin():
            s.add(patient)
        return patient

    async def add_doctor(self, full_name: str, specialty: str, login: str | None = None,
                         password: str | None = None, totp_secret: str | None = None,
                         role: Role = Role.DOCTOR) -> tuple[Doctor, str]:
        """The doctor and their access key; the key is not stored and cannot be shown again.

        With a login and password the doctor can also sign in to the console; the password
        is kept only as an argon2 hash.
        """
        key = secrets.token_urlsafe(24)
        doctor = Doctor(
            id=str(uuid.uuid4()), full_name=full_name, specialty=specialty,
            access_key_hash=token_hash(key), created_at=now(), login=login,
            password_hash=PasswordHasher().hash(password) if password else None,
            totp_secret=totp_secret, role=role.value,
        )
        async with self._session() as s, s.begin():
            s.add(doctor)
        return doctor, key

    async def count_doctors(self) -> int:
        async with self._session() as s:
            return int(await s.scalar(select(func.count()).select_from(Doctor)) or 0)

    async def invite(self, patient_id: str, reason: Reason, ttl_s: int) -> str:
        """Creates an invitation link token for the patient; only its hash is stored."""
        token = secrets.token_urlsafe(24)  # 192 random bits
        created = now()
        async with self._session() as s, s.begin():
            s.add(Invitation(
                id=str(uuid.uuid4()), patient_id=patient_id, token_hash=token_hash(token),
                reason=reason.value, created_at=created,
                expires_at=created + timedelta(seconds=ttl_s),
            ))
        return token

    async def invitation_reason(self, patient_id: str) -> Reason:
        """Why the patient was last invited: the default reason of their queue place."""
        async with self._session() as s:
            reason = await s.scalar(
                select(Invitation.reason).where(Invitation.patient_id == patient_id)
                .order_by(Invitation.created_at.desc()).limit(1))
        return Reason(reason) if reason else Reason.RESPIRATORY

    async def doctor_by_key(self, key: str) -> Principal | None:
        async with self._session() as s:
            doctor = await s.scalar(select(Doctor).where(Doctor.access_key_hash == token_hash(key)))
        if doctor is None:
            return None
        return Principal(Role(doctor.role), doctor.id, doctor.full_name)

    async def people_names(self, ids: set[str]) -> dict[str, str]:
        """Display names of doctors and patients by id, for audit listings."""
        if not ids:
            return {}
        async with self._session() as s:
            doctors = await s.execute(select(Doctor.id, Doctor.full_name)
                                      .where(Doctor.id.in_(ids)))
            patients = await s.execute(select(Patient.id, Patient.full_name)
                                       .where(Patient.id.in_(ids)))
            return {i: n for i, n in [*doctors.all(), *patients.all()]}

    async def patient(self, patient_id: str) -> Patient | None:
        async with self._session() as s:
            return await s.get(Patient, patient_id)

    async def doctor(self, doctor_id: str) -> Doctor | None:
        async with self._session() as s:
            return await s.get(Doctor, doctor_id)

    # --- the queue and consultations ----------------------------------------

    async def open_consultation_of(self, patient_id: str) -> Consultation | None:
        """The patient's waiting or active consultation, if any: a rejoin finds it here."""
        async with self._session() as s:
            return await s.scalar(
                select(Consultation)
                .where(Consultation.patient_id == patient_id)
                .where(Consultation.status.in_(
                    [ConsultationStatus.WAITING.value, ConsultationStatus.ACTIVE.value]))
                .order_by(Consultation.queued_at.desc())
                .limit(1)
            )

    async def enqueue(
        self, patient_id: str, reason: Reason, mode: CallMode, language: str
    ) -> Consultation:
        existing = await self.open_consultation_of(patient_id)
        if existing is not None:
            return existing
        consultation = Consultation(
            id=str(uuid.uuid4()), patient_id=patient_id, doctor_id=None, reason=reason.value,
            mode=mode.value, language=language, status=ConsultationStatus.WAITING.value,
            queued_at=now(), started_at=None, ended_at=None,
        )
        async with self._session() as s, s.begin():
            s.add(consultation)
        return consultation

    async def waiting(self) -> list[tuple[Consultation, Patient]]:
        async with self._session() as s:
            rows = await s.execute(
                select(Consultation, Patient)
                .join(Patient, Patient.id == Consultation.patient_id)
                .where(Consultation.status == ConsultationStatus.WAITING.value)
                .order_by(Consultation.queued_at)
            )
            return [(c, p) for c, p in rows.all()]

    async def take(self, doctor_id: str, consultation_id: str | None) -> Consultation | None:
        """Atomically moves one waiting consultation to the doctor: two doctors never get one."""
        async with self._session() as s, s.begin():
            if consultation_id is None:
                consultation_id = await s.scalar(
                    select(Consultation.id)
                    .where(Consultation.status == ConsultationStatus.WAITING.value)
                    .order_by(Consultation.queued_at)
                    .limit(1)
                )
                if consultation_id is None:
                    return None
            result = await s.execute(
                update(Consultation)
                .where(Consultation.id == consultation_id)
                .where(Consultation.status == ConsultationStatus.WAITING.value)
                .values(status=ConsultationStatus.ACTIVE.value, doctor_id=doctor_id,
                        started_at=now())
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                return None
            return await s.get(Consultation, consultation_id)

    async def ping(self) -> None:
        """Raises if the database does not answer."""
        async with self._session() as s:
            await s.execute(select(1))

    async def median_consultation_s(self, recent: int = 50) -> float | None:
        """The median length of the last ended consultations; None before there are any."""
        async with self._session() as s:
            rows = (await s.execute(
                select(Consultation.started_at, Consultation.ended_at)
                .where(Consultation.status == ConsultationStatus.ENDED.value)
                .where(Consultation.started_at.is_not(None))
                .order_by(Consultation.ended_at.desc()).limit(recent))).all()
        lengths = sorted((_aware(end) - _aware(start)).total_seconds()
                         for start, end in rows if start and end)
        return lengths[len(lengths) // 2] if lengths else None

    async def count_active_consultations(self) -> int:
        async with self._session() as s:
            return int(await s.scalar(
                select(func.count()).select_from(Consultation)
                .where(Consultation.status == ConsultationStatus.ACTIVE.value)) or 0)

    async def consultation(self, consultation_id: str) -> Consultation | None:
        async with self._session() as s:
            return await s.get(Consultation, consultation_id)

    async def active_consultation_of_doctor(self, doctor_id: str) -> Consultation | None:
        async with self._session() as s:
            return await s.scalar(
                select(Consultation)
                .where(Consultation.doctor_id == doctor_id)
                .where(Consultation.status == ConsultationStatus.ACTIVE.value)
                .limit(1)
            )

    async def finish(self, consultation_id: str, status: ConsultationStatus) -> bool:
        """Ends an open consultation; False when it was already over."""
        async with self._session() as s, s.begin():
            result = await s.execute(
                update(Consultation)
                .where(Consultation.id == consultation_id)
                .where(Consultation.status.in_(
                    [ConsultationStatus.WAITING.value, ConsultationStatus.ACTIVE.value]))
                .values(status=status.value, ended_at=now())
            )
            return result.rowcount == 1  # type: ignore[attr-defined]

    # --- transcript ---------------------------------------------------------

    async def add_segment(self, segment: Segment) -> None:
        async with self._session() as s, s.begin():
            s.add(TranscriptSegmentRow(
                consultation_id=segment.consultation_id, speaker=segment.speaker.value,
                kind=segment.kind, start_s=segment.start, end_s=segment.end, text=segment.text,
                confidence=segment.confidence, words=[asdict(w) for w in segment.words],
                created_at=now(),
            ))

    async def segments(self, consultation_id: str) -> list[Segment]:
        async with self._session() as s:
            rows = await s.scalars(
                select(TranscriptSegmentRow)
                .where(TranscriptSegmentRow.consultation_id == consultation_id)
                .order_by(TranscriptSegmentRow.start_s, TranscriptSegmentRow.id)
            )
            return [
                Segment(
                    consultation_id=r.consultation_id, speaker=Speaker(r.speaker),
                    start=r.start_s, end=r.end_s, text=r.text, confidence=r.confidence,
                    words=tuple(Word(**w) for w in r.words), kind=r.kind,  # type: ignore[arg-type]
                )
                for r in rows
            ]

    # --- protocols ----------------------------------------------------------

    async def save_protocol(
        self, consultation_id: str, data: dict[str, object], html: str, status: str = "draft"
    ) -> ProtocolRow:
        async with self._session() as s, s.begin():
            latest = await s.scalar(
                select(func.max(ProtocolRow.version))
                .where(ProtocolRow.consultation_id == consultation_id)
            )
            row = ProtocolRow(
                id=str(uuid.uuid4()), consultation_id=consultation_id,
                version=int(latest or 0) + 1, status=status, data=data, html=html,
                created_at=now(),
            )
            s.add(row)
        return row

    async def latest_protocol(
        self, consultation_id: str, *, signed_only: bool = False
    ) -> ProtocolRow | None:
        async with self._session() as s:
            query = select(ProtocolRow).where(ProtocolRow.consultation_id == consultation_id)
            if signed_only:
                query = query.where(ProtocolRow.status == "signed")
            return await s.scalar(query.order_by(ProtocolRow.version.desc()).limit(1))

    async def signed_protocols_of_patient(self, patient_id: str) -> list[ProtocolRow]:
        """The latest signed version of each of the patient's consultations, newest first."""
        async with self._session() as s:
            rows = list(await s.scalars(
                select(ProtocolRow).join(Consultation,
                                         Consultation.id == ProtocolRow.consultation_id)
                .where(Consultation.patient_id == patient_id)
                .where(ProtocolRow.status == "signed")
                .order_by(ProtocolRow.signed_at.desc())))
        latest: dict[str, ProtocolRow] = {}
        for row in rows:
            latest.setdefault(row.consultation_id, row)
        return list(latest.values())

    async def has_treated(self, doctor_id: str, patient_id: str) -> bool:
        """Whether the doctor has or had a consultation with the patient."""
        async with self._session() as s:
            found = await s.scalar(
                select(Consultation.id).where(Consultation.doctor_id == doctor_id)
                .where(Consultation.patient_id == patient_id).limit(1))
            return found is not None

    async def protocol_versions(self, consultation_id: str) -> list[ProtocolRow]:
        async with self._session() as s:
            return list(await s.scalars(
                select(ProtocolRow).where(ProtocolRow.consultation_id == consultation_id)
                .order_by(ProtocolRow.version)))

    async def sign_protocol(
        self,
        *,
        protocol_id: str,
        consultation_id: str,
        based_on_version: int,
        doctor_id: str,
        signed_at: datetime,
        data: dict[str, object],
        html: str,
        pushes: dict[str, dict[str, object]],
    ) -> ProtocolRow:
        """Stores a new signed version and its record pushes in one transaction.

        `based_on_version` is the version the doctor edited: if another version was added
        since, nothing is written and Conflict is raised, so no edit is silently lost.
        """
        try:
            return await self._sign(protocol_id, consultation_id, based_on_version, doctor_id,
                                    signed_at, data, html, pushes)
        except IntegrityError as exc:  # another signature of the same version won the race
            raise Conflict("the protocol changed since it was opened") from exc

    async def _sign(self, protocol_id: str, consultation_id: str, based_on_version: int,
                    doctor_id: str, signed_at: datetime, data: dict[str, object], html: str,
                    pushes: dict[str, dict[str, object]]) -> ProtocolRow:
        async with self._session() as s, s.begin():
            latest = await s.scalar(
                select(ProtocolRow).where(ProtocolRow.consultation_id == consultation_id)
                .order_by(ProtocolRow.version.desc()).limit(1))
            if latest is None or latest.version != based_on_version:
                raise Conflict("the protocol changed since it was opened")
            previous_signed = await s.scalar(
                select(ProtocolRow.id).where(ProtocolRow.consultation_id == consultation_id)
                .where(ProtocolRow.status == "signed")
                .order_by(ProtocolRow.version.desc()).limit(1))
            row = ProtocolRow(
                id=protocol_id, consultation_id=consultation_id, version=latest.version + 1,
                status="signed", data=data, html=html, created_at=signed_at,
                signed_by=doctor_id, signed_at=signed_at, supersedes_id=previous_signed,
            )
            s.add(row)
            await s.flush()
            for target, payload in pushes.items():
                s.add(OutboxEntry(
                    id=str(uuid.uuid4()), protocol_id=protocol_id, target=target,
                    idempotency_key=f"{target}:{protocol_id}", payload=payload,
                    status="pending", attempts=0, next_attempt_at=signed_at,
                    created_at=signed_at,
                ))
        return row

    # --- outbox and the built-in record ------------------------------------

    async def claim_outbox(self, lease_s: float, limit: int = 10) -> list[OutboxEntry]:
        """Due pending entries, each leased to this caller by moving its next attempt on."""
        moment = now()
        claimed = []
        async with self._session() as s, s.begin():
            due = list(await s.scalars(
                select(OutboxEntry).where(OutboxEntry.status == "pending")
                .where(OutboxEntry.next_attempt_at <= moment)
                .order_by(OutboxEntry.next_attempt_at).limit(limit)))
            for entry in due:
                result = await s.execute(
                    update(OutboxEntry).where(OutboxEntry.id == entry.id)
                    .where(OutboxEntry.next_attempt_at == entry.next_attempt_at)
                    .values(next_attempt_at=moment + timedelta(seconds=lease_s)))
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    claimed.append(entry)
        return claimed

    async def outbox_sent(self, entry_id: str, remote_ref: str) -> None:
        async with self._session() as s, s.begin():
            await s.execute(update(OutboxEntry).where(OutboxEntry.id == entry_id).values(
                status="sent", sent_at=now(), remote_ref=remote_ref[:200], last_error=None,
                attempts=OutboxEntry.attempts + 1))

    async def outbox_failed(self, entry_id: str, error: str, retry_in_s: float) -> None:
        async with self._session() as s, s.begin():
            await s.execute(update(OutboxEntry).where(OutboxEntry.id == entry_id).values(
                last_error=error[:2000], attempts=OutboxEntry.attempts + 1,
                next_attempt_at=now() + timedelta(seconds=retry_in_s)))

    async def outbox(self, status: str | None = None) -> list[OutboxEntry]:
        async with self._session() as s:
            query = select(OutboxEntry).order_by(OutboxEntry.created_at)
            if status is not None:
                query = query.where(OutboxEntry.status == status)
            return list(await s.scalars(query))

    async def store_record_document(
        self, idempotency_key: str, patient_id: str, protocol_id: str, bundle: dict[str, object]
    ) -> str:
        """Stores a Bundle in the built-in record once; a repeat returns the first copy's id."""
        async with self._session() as s, s.begin():
            existing = await s.scalar(select(RecordDocument.id).where(
                RecordDocument.idempotency_key == idempotency_key))
            if existing is not None:
                return existing
            document = RecordDocument(
                id=str(uuid.uuid4()), idempotency_key=idempotency_key, patient_id=patient_id,
                protocol_id=protocol_id, bundle=bundle, stored_at=now())
            s.add(document)
            return document.id

    async def record_documents(self, patient_id: str) -> list[RecordDocument]:
        async with self._session() as s:
            return list(await s.scalars(
                select(RecordDocument).where(RecordDocument.patient_id == patient_id)
                .order_by(RecordDocument.stored_at)))

    # --- audit --------------------------------------------------------------

    async def audit(
        self,
        actor: Principal | None,
        action: str,
        *,
        patient_id: str | None = None,
        object_id: str | None = None,
        source: str | None = None,
        outcome: str = "ok",
        detail: str | None = None,
    ) -> None:
        async with self._session() as s, s.begin():
            s.add(AuditEntry(
                at=now(), actor_role=actor.role.value if actor else "anonymous",
                actor_id=actor.id if actor else None, action=action, patient_id=patient_id,
                object_id=object_id, source=source, outcome=outcome, detail=detail,
            ))

    async def audit_entries(self, patient_id: str | None = None) -> list[AuditEntry]:
        async with self._session() as s:
            query = select(AuditEntry).order_by(AuditEntry.id)
            if patient_id is not None:
                query = query.where(AuditEntry.patient_id == patient_id)
            return list(await s.scalars(query))
