"""Patients, staff, their organisations, guardians and invitations; who may read whose record."""

from __future__ import annotations

import secrets
import uuid
from datetime import date, timedelta

from argon2 import PasswordHasher
from sqlalchemy import func, or_, select, update

from clinic.domain import Principal, Reason, Role
from clinic.store.base import Store, token_hash
from clinic.tables import Consultation, Doctor, Guardianship, Invitation, Organisation, Patient
from clinic.time import now


def new_invitation(patient_id: str, reason: Reason, ttl_s: int) -> tuple[Invitation, str]:
    """An invitation row to store and the link token to send; only the token's hash is kept."""
    token = secrets.token_urlsafe(24)  # 192 random bits
    created = now()
    return Invitation(
        id=str(uuid.uuid4()),
        patient_id=patient_id,
        token_hash=token_hash(token),
        reason=reason.value,
        created_at=created,
        expires_at=created + timedelta(seconds=ttl_s),
    ), token


class PeopleStore(Store):
    async def add_organisation(self, kind: str, name: str, address: str = "") -> Organisation:
        if kind not in ("polyclinic", "oncology_centre"):
            raise ValueError(f"unknown organisation kind {kind!r}")
        organisation = Organisation(
            id=str(uuid.uuid4()), kind=kind, name=name, address=address, created_at=now()
        )
        async with self._session() as s, s.begin():
            s.add(organisation)
        return organisation

    async def organisation(self, organisation_id: str | None) -> Organisation | None:
        if not organisation_id:
            return None
        async with self._session() as s:
            return await s.get(Organisation, organisation_id)

    async def organisations(self, kind: str | None = None) -> list[Organisation]:
        async with self._session() as s:
            query = select(Organisation).order_by(Organisation.name)
            if kind is not None:
                query = query.where(Organisation.kind == kind)
            return list(await s.scalars(query))

    async def add_patient(
        self,
        full_name: str,
        phone: str,
        language: str = "ru",
        *,
        polyclinic_id: str | None = None,
        oncology_centre_id: str | None = None,
        birth_date: date | None = None,
    ) -> Patient:
        patient = Patient(
            id=str(uuid.uuid4()),
            full_name=full_name,
            phone=phone,
            language=language,
            created_at=now(),
            birth_date=birth_date,
            polyclinic_id=polyclinic_id,
            oncology_centre_id=oncology_centre_id,
        )
        async with self._session() as s, s.begin():
            s.add(patient)
        return patient

    async def add_doctor(
        self,
        full_name: str,
        specialty: str,
        login: str | None = None,
        password: str | None = None,
        totp_secret: str | None = None,
        role: Role = Role.DOCTOR,
        organisation_id: str | None = None,
    ) -> tuple[Doctor, str]:
        """The doctor and their access key; the key is not stored and cannot be shown again.

        With a login and password the doctor can also sign in to the console; the password
        is kept only as an argon2 hash.
        """
        key = secrets.token_urlsafe(24)
        doctor = Doctor(
            id=str(uuid.uuid4()),
            full_name=full_name,
            specialty=specialty,
            access_key_hash=token_hash(key),
            created_at=now(),
            login=login,
            password_hash=PasswordHasher().hash(password) if password else None,
            totp_secret=totp_secret,
            role=role.value,
            organisation_id=organisation_id,
        )
        async with self._session() as s, s.begin():
            s.add(doctor)
        return doctor, key

    async def login_taken(self, login: str) -> bool:
        async with self._session() as s:
            return await s.scalar(select(Doctor.id).where(Doctor.login == login)) is not None

    async def renew_credentials(self, login_or_id: str, password: str | None) -> str | None:
        """A new access key for the account (the old one stops working) and, when given, a
        new console password; None when there is no such account."""
        key = secrets.token_urlsafe(24)
        values: dict[str, str] = {"access_key_hash": token_hash(key)}
        if password:
            values["password_hash"] = PasswordHasher().hash(password)
        async with self._session() as s, s.begin():
            renewed = await s.execute(
                update(Doctor)
                .where(or_(Doctor.login == login_or_id, Doctor.id == login_or_id))
                .values(**values)
            )
        return key if renewed.rowcount == 1 else None  # type: ignore[attr-defined]

    async def count_doctors(self) -> int:
        async with self._session() as s:
            return int(await s.scalar(select(func.count()).select_from(Doctor)) or 0)

    async def invite(self, patient_id: str, reason: Reason, ttl_s: int) -> str:
        """Creates an invitation link token for the patient; only its hash is stored."""
        invitation, token = new_invitation(patient_id, reason, ttl_s)
        async with self._session() as s, s.begin():
            s.add(invitation)
        return token

    async def store_invitation(self, invitation: Invitation) -> None:
        async with self._session() as s, s.begin():
            s.add(invitation)

    async def invitation_reason(self, patient_id: str) -> Reason:
        """Why the patient was last invited: the default reason of their queue place."""
        async with self._session() as s:
            reason = await s.scalar(
                select(Invitation.reason)
                .where(Invitation.patient_id == patient_id)
                .order_by(Invitation.created_at.desc())
                .limit(1)
            )
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
            doctors = await s.execute(select(Doctor.id, Doctor.full_name).where(Doctor.id.in_(ids)))
            patients = await s.execute(
                select(Patient.id, Patient.full_name).where(Patient.id.in_(ids))
            )
            return {i: n for i, n in [*doctors.all(), *patients.all()]}

    async def patient(self, patient_id: str) -> Patient | None:
        async with self._session() as s:
            return await s.get(Patient, patient_id)

    async def doctor(self, doctor_id: str) -> Doctor | None:
        async with self._session() as s:
            return await s.get(Doctor, doctor_id)

    async def patients_of_centre(self, organisation_id: str) -> list[Patient]:
        async with self._session() as s:
            return list(
                await s.scalars(
                    select(Patient)
                    .where(Patient.oncology_centre_id == organisation_id)
                    .order_by(Patient.full_name)
                )
            )

    async def link_guardian(self, guardian_id: str, child_id: str) -> None:
        """Lets a parent read and act for a child's record; linking twice changes nothing."""
        if guardian_id == child_id:
            raise ValueError("a patient cannot be their own guardian")
        async with self._session() as s, s.begin():
            if await s.get(Guardianship, (guardian_id, child_id)) is None:
                s.add(Guardianship(guardian_id=guardian_id, child_id=child_id, created_at=now()))

    async def children_of(self, guardian_id: str) -> list[Patient]:
        async with self._session() as s:
            return list(
                await s.scalars(
                    select(Patient)
                    .join(Guardianship, Guardianship.child_id == Patient.id)
                    .where(Guardianship.guardian_id == guardian_id)
                    .order_by(Patient.full_name)
                )
            )

    async def may_read_patient(self, who: Principal, patient_id: str) -> bool:
        """The relation that opens a record: the patient, a linked parent, a doctor who
        treats or treated them, or a doctor or staff of the oncology centre following them."""
        async with self._session() as s:
            if who.role is Role.PATIENT:
                return (
                    who.id == patient_id
                    or await s.get(Guardianship, (who.id, patient_id)) is not None
                )
            if (
                who.role is Role.DOCTOR
                and await s.scalar(
                    select(Consultation.id)
                    .where(Consultation.doctor_id == who.id)
                    .where(Consultation.patient_id == patient_id)
                    .limit(1)
                )
                is not None
            ):
                return True
            if who.role in (Role.DOCTOR, Role.STAFF):
                centre = await s.scalar(select(Doctor.organisation_id).where(Doctor.id == who.id))
                return (
                    centre is not None
                    and await s.scalar(
                        select(Patient.id)
                        .where(Patient.id == patient_id)
                        .where(Patient.oncology_centre_id == centre)
                    )
                    is not None
                )
        return False
