"""Patients, staff and their invitations."""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from argon2 import PasswordHasher
from sqlalchemy import func, select

from clinic.domain import Principal, Reason, Role
from clinic.store.base import Store, token_hash
from clinic.tables import Doctor, Invitation, Patient
from clinic.time import now


class PeopleStore(Store):
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
