"""First start of the embedded platform: a demo doctor and patient so two tabs can talk."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from clinic.domain import Reason, Role
from clinic.records import opened_records
from clinic.settings import Settings
from clinic.sign_in import SignIn
from clinic.sms import SmsTemplate, render_sms
from clinic.store.base import token_hash


@dataclass(frozen=True)
class Invitation:
    patient_id: str
    token: str
    url: str


def invitation_url(settings: Settings, token: str) -> str:
    return f"{settings.public_base_url}/join/{token}"


async def invite_patient(
    settings: Settings,
    name: str,
    phone: str,
    reason: Reason,
    language: str | None = None,
    *,
    polyclinic_id: str | None = None,
    oncology_centre_id: str | None = None,
    guardian_id: str | None = None,
    birth_date: date | None = None,
    send_sms: bool = False,
) -> Invitation:
    """A new patient and their link; with `send_sms` the link is queued as an SMS to them,
    which the running server's messenger delivers (and retries)."""
    async with opened_records(settings) as records:
        patient = await records.add_patient(
            name,
            phone,
            language or settings.default_language,
            polyclinic_id=polyclinic_id,
            oncology_centre_id=oncology_centre_id,
            birth_date=birth_date,
        )
        if guardian_id:
            await records.link_guardian(guardian_id, patient.id)
        token = await records.invite(patient.id, reason, settings.invitation_ttl_s)
        url = invitation_url(settings, token)
        if send_sms:
            await records.queue_sms(
                phone=patient.phone,
                text=render_sms(SmsTemplate.INVITATION, patient.language, link=url),
                purpose=SmsTemplate.INVITATION.value,
                patient_id=patient.id,
                key=f"invitation:{token_hash(token)}",
            )
        return Invitation(patient.id, token, url)


async def signed_in_patient(settings: Settings, name: str, phone: str, reason: Reason) -> str:
    """An invited patient with an open session, for scripted parties: the session token."""
    invitation = await invite_patient(settings, name, phone, reason)
    async with opened_records(settings) as records:
        return await SignIn(records.engine, settings.session_ttl_s).open_session(
            Role.PATIENT, invitation.patient_id
        )


async def add_doctor(
    settings: Settings,
    name: str,
    specialty: str,
    login: str | None = None,
    password: str | None = None,
    totp_secret: str | None = None,
    role: Role = Role.DOCTOR,
    organisation_id: str | None = None,
) -> tuple[str, str]:
    async with opened_records(settings) as records:
        doctor, key = await records.add_doctor(
            name, specialty, login, password, totp_secret, role, organisation_id
        )
        return doctor.id, key


async def renew_credentials(
    settings: Settings, login_or_id: str, password: str | None
) -> str | None:
    async with opened_records(settings) as records:
        return await records.renew_credentials(login_or_id, password)


async def first_start(settings: Settings) -> list[str]:
    """Creates the demo accounts when there is no doctor yet; returns lines to print."""
    async with opened_records(settings) as records:
        if await records.count_doctors() > 0:
            return []
        password = secrets.token_urlsafe(9)
        _, key = await records.add_doctor("Демо Врач", "therapist", "demo", password)
        patient = await records.add_patient(
            "Демо Пациент", "+70000000000", settings.default_language
        )
        token = await records.invite(patient.id, Reason.RESPIRATORY, settings.invitation_ttl_s)
    return [
        "First start: demo accounts created (shown once; keep them; new ones: "
        "telemed users renew demo --password).",
        f"  doctor console: {settings.public_base_url}/console   login: demo   "
        f"password: {password}",
        f"  doctor's access key for programs (telemed simulate, integrations): {key}",
        f"  patient link:   {invitation_url(settings, token)}",
        "  More: telemed doctors add NAME --login LOGIN, telemed invite NAME PHONE",
    ]
