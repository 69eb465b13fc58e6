"""In-person visits: a protocol that asks for one (or a red triage) proposes the earliest
suitable free slot at the patient's polyclinic; the doctor confirms, the patient can cancel
or move it, and every change reaches the patient by SMS and the medical record as FHIR
Slot and Appointment resources."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from clinic.domain import Principal
from clinic.records import Records
from clinic.settings import Settings
from clinic.sms import SmsTemplate, render_sms
from clinic.store.people import new_invitation
from clinic.store.record_push import RecordPush
from clinic.store.sms import SmsNotice
from clinic.tables import Organisation, Patient, Slot
from clinic.time import aware, now
from protocol_writer.fhir import visit_bundle


def visit_needed(data: dict[str, object]) -> tuple[bool, int]:
    """Whether a protocol asks for an in-person visit, and in how many days at the earliest."""
    follow_up = data.get("follow_up") or {}
    triage = data.get("triage") or {}
    assert isinstance(follow_up, dict) and isinstance(triage, dict)
    if triage.get("level") == "red":
        return True, 0  # getting worse: the first free slot, whatever the plan said
    if follow_up.get("kind") == "in_person":
        return True, int(follow_up.get("in_days") or 0)
    return False, 0


def slot_body(slot: Slot, organisation: Organisation | None) -> dict[str, object]:
    return {
        "slot_id": slot.id,
        "starts_at": aware(slot.starts_at).isoformat(),
        "ends_at": aware(slot.ends_at).isoformat(),
        "doctor": slot.doctor_name,
        "specialty": slot.specialty,
        "room": slot.room,
        "place": _place(organisation, slot),
    }


def _place(organisation: Organisation | None, slot: Slot) -> str:
    parts = [
        organisation.name if organisation else "",
        organisation.address if organisation else "",
        slot.room,
    ]
    return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    slot: Slot | None = None
    error: str | None = None


class Bookings:
    def __init__(
        self, records: Records, settings: Settings, targets: tuple[str, ...] = ("builtin",)
    ) -> None:
        self._records = records
        self._settings = settings
        self._zone = ZoneInfo(settings.timezone)
        self._targets = targets  # the medical records each change of a visit is pushed to

    async def _pushes(self, slot: Slot, patient: Patient, booked: bool) -> list[RecordPush]:
        """The visit's Slot and Appointment as they are after this change, for each record."""
        event_id = str(uuid.uuid4())
        bundle = visit_bundle(
            event_id, slot, await self._records.organisation(slot.organisation_id), patient, booked
        )
        return [
            RecordPush(target, f"{target}:visit:{event_id}", bundle) for target in self._targets
        ]

    async def proposal(
        self, patient: Patient, in_days: int, at: datetime | None = None
    ) -> Slot | None:
        """The earliest free slot at the patient's polyclinic from `in_days` days on."""
        if patient.polyclinic_id is None:
            return None
        moment = at or now()
        slots = await self._records.free_slots(
            patient.polyclinic_id, moment + timedelta(days=in_days), limit=1
        )
        return slots[0] if slots else None

    async def book(
        self, who: Principal, patient: Patient, slot_id: str, consultation_id: str | None
    ) -> Outcome:
        slot = await self._records.slot(slot_id)
        if slot is None or slot.organisation_id != patient.polyclinic_id:
            return Outcome(False, error="no_such_slot")
        notice = await self._notice(patient, slot, SmsTemplate.APPOINTMENT_BOOKED)
        if not await self._records.book_slot(
            slot_id,
            patient.id,
            consultation_id=consultation_id,
            booked_by=who.id,
            notice=notice,
            pushes=await self._pushes(slot, patient, True),
        ):
            return Outcome(False, error="slot_taken")
        return Outcome(True, await self._records.slot(slot_id))

    async def cancel(self, patient: Patient, slot_id: str) -> Outcome:
        slot = await self._records.slot(slot_id)
        if slot is None or slot.patient_id != patient.id:
            return Outcome(False, error="no_such_appointment")
        text = render_sms(
            SmsTemplate.APPOINTMENT_CANCELLED, patient.language, when=self._when(slot)
        )
        notice = SmsNotice(
            patient.phone,
            text,
            "appointment_cancelled",
            patient.id,
            f"cancel:{slot.id}:{aware(slot.booked_at or now()).isoformat()}",
        )
        if not await self._records.cancel_booking(
            slot_id, patient.id, notice, await self._pushes(slot, patient, False)
        ):
            return Outcome(False, error="no_such_appointment")
        return Outcome(True, slot)

    async def move(
        self, who: Principal, patient: Patient, slot_id: str, to_slot_id: str
    ) -> Outcome:
        target, current = await self._records.slot(to_slot_id), await self._records.slot(slot_id)
        if target is None or target.organisation_id != patient.polyclinic_id or current is None:
            return Outcome(False, error="no_such_slot")
        organisation = await self._records.organisation(target.organisation_id)
        text = render_sms(
            SmsTemplate.APPOINTMENT_MOVED,
            patient.language,
            when=self._when(target),
            place=_place(organisation, target),
            doctor=target.doctor_name,
        )
        notice = SmsNotice(
            patient.phone,
            text,
            "appointment_moved",
            patient.id,
            f"move:{slot_id}:{to_slot_id}:{now().isoformat()}",
        )
        pushes = [
            *await self._pushes(current, patient, False),
            *await self._pushes(target, patient, True),
        ]
        if not await self._records.move_booking(
            slot_id, to_slot_id, patient.id, booked_by=who.id, notice=notice, pushes=pushes
        ):
            return Outcome(False, error="slot_taken")
        return Outcome(True, await self._records.slot(to_slot_id))

    async def _notice(self, patient: Patient, slot: Slot, template: SmsTemplate) -> SmsNotice:
        # The link signs the patient in (with a code by SMS, as always) to their page, where
        # the visit can be cancelled or moved.
        invitation, token = new_invitation(
            patient.id,
            await self._records.invitation_reason(patient.id),
            self._settings.invitation_ttl_s,
        )
        await self._records.store_invitation(invitation)
        organisation = await self._records.organisation(slot.organisation_id)
        text = render_sms(
            template,
            patient.language,
            when=self._when(slot),
            place=_place(organisation, slot),
            doctor=slot.doctor_name,
            link=f"{self._settings.public_base_url}/join/{token}",
        )
        return SmsNotice(
            patient.phone,
            text,
            template,
            patient.id,
            f"book:{slot.id}:{patient.id}:{now().isoformat()}",
        )

    def _when(self, slot: Slot) -> str:
        return aware(slot.starts_at).astimezone(self._zone).strftime("%d.%m.%Y %H:%M")
