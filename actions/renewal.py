"""Prescription renewal: only a medicine prescribed before, recently enough, and for
oncology or haematology drugs only by an oncologist or a haematologist."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from clinic.records import Records
from clinic.sms import SmsTemplate, render_sms
from clinic.store.prescriptions import NewPrescription
from clinic.store.sms import SmsNotice
from clinic.tables import Consultation, Doctor, Patient
from clinic.time import aware
from protocol_writer.protocol import Protocol

# Specialties that may renew oncology and haematology drugs (as the seeds' service says).
RENEWING_SPECIALTIES = frozenset(
    {"oncologist", "haematologist", "hematologist", "онколог", "гематолог"}
)
# An earlier prescription that ended longer ago than this is not renewed remotely: the
# patient needs a new one in person.
HISTORY_WINDOW = timedelta(days=180)
DEFAULT_COURSE = timedelta(days=30)

REFUSALS = {
    "never_prescribed": "the patient has no earlier prescription of this medicine",
    "history_expired": "the earlier prescription ended more than 180 days ago; "
    "a new prescription needs an in-person visit",
    "specialty": "only an oncologist or a haematologist renews this medicine",
}


@dataclass(frozen=True)
class RenewalDecision:
    medicine: str
    allowed: bool
    reason: str | None = None  # a key of REFUSALS when refused
    prescription: NewPrescription | None = None  # to write when signing
    prior_id: str | None = None
    done_id: str | None = None  # this consultation renewed it already: nothing new

    @property
    def prescription_id(self) -> str | None:
        return self.done_id or (self.prescription.id if self.prescription else None)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "medicine": self.medicine,
            "allowed": self.allowed,
            "prior_id": self.prior_id,
            "prescription_id": self.prescription_id,
        }
        if self.prescription is not None:
            out["valid_from"] = self.prescription.valid_from.isoformat()
            out["valid_until"] = self.prescription.valid_until.isoformat()
        if self.reason is not None:
            out["reason"] = self.reason
            out["message"] = REFUSALS[self.reason]
        return out


class RenewalRefused(Exception):
    def __init__(self, refusals: list[RenewalDecision]) -> None:
        super().__init__("; ".join(f"{d.medicine}: {REFUSALS[d.reason or '']}" for d in refusals))
        self.refusals = refusals


async def decide_renewals(
    records: Records,
    protocol: Protocol,
    *,
    consultation: Consultation,
    doctor: Doctor | None,
    at: datetime,
) -> list[RenewalDecision]:
    """A decision for each medicine the protocol renews, in the protocol's order."""
    decisions = []
    for medication in protocol.medications:
        if not medication.renewal:
            continue
        done = await records.renewal_from(consultation.id, medication.name)
        if done is not None:
            decisions.append(
                RenewalDecision(medication.name, True, prior_id=done.prior_id, done_id=done.id)
            )
            continue
        prior = await records.latest_prescription(consultation.patient_id, medication.name)
        if prior is None:
            decisions.append(RenewalDecision(medication.name, False, "never_prescribed"))
            continue
        ended = aware(prior.valid_until)
        if ended < at - HISTORY_WINDOW:
            decisions.append(
                RenewalDecision(medication.name, False, "history_expired", prior_id=prior.id)
            )
            continue
        specialty = (doctor.specialty if doctor else "").strip().lower()
        if (prior.oncology or medication.oncology) and specialty not in RENEWING_SPECIALTIES:
            decisions.append(
                RenewalDecision(medication.name, False, "specialty", prior_id=prior.id)
            )
            continue
        # The new prescription continues the old one: no gap, no overlap.
        course = (
            timedelta(days=medication.duration_days)
            if medication.duration_days
            else (ended - aware(prior.valid_from)) or DEFAULT_COURSE
        )
        starts = max(at, ended)
        decisions.append(
            RenewalDecision(
                medication.name,
                True,
                prior_id=prior.id,
                prescription=NewPrescription(
                    id=str(uuid.uuid4()),
                    patient_id=consultation.patient_id,
                    medicine=prior.medicine,
                    dose=medication.dose or prior.dose,
                    oncology=prior.oncology or medication.oncology,
                    prescriber_id=doctor.id if doctor else "",
                    organisation_id=prior.organisation_id,
                    valid_from=starts,
                    valid_until=starts + course,
                    prior_id=prior.id,
                    consultation_id=consultation.id,
                ),
            )
        )
    return decisions


def renewal_notice(patient: Patient, prescription: NewPrescription) -> SmsNotice:
    text = render_sms(
        SmsTemplate.PRESCRIPTION_RENEWED,
        patient.language,
        medicine=prescription.medicine,
        valid_until=prescription.valid_until.date().isoformat(),
    )
    return SmsNotice(
        phone=patient.phone,
        text=text,
        purpose="prescription_renewed",
        patient_id=patient.id,
        key=f"renewal:{prescription.id}",
    )
