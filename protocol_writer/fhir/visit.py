"""An in-person visit as a FHIR R4 transaction Bundle: Patient, Location, Schedule, Slot and
Appointment.

The Slot and the Appointment are conditional updates on our identifiers, so booking,
moving and cancelling one visit change the same two resources on the record's server
instead of piling up copies; the others are conditional creates, as in a protocol's Bundle.
"""

from __future__ import annotations

import uuid
from typing import Any

from clinic.tables import Organisation, Patient, Slot
from clinic.time import aware
from protocol_writer.fhir.entries import ID_SYSTEM, Write, entry, transaction

VISIT_BUNDLE_SYSTEM = f"{ID_SYSTEM}visit-event"
_NAMESPACE = uuid.UUID("6f1c2b1e-4f0e-5d35-9a43-3b1f0c1f7a10")


def _entry(kind: str, value: str, resource: dict[str, Any], *, update: bool) -> dict[str, Any]:
    return entry(_NAMESPACE, kind, value, resource, Write.UPDATE if update else Write.CREATE)


def visit_bundle(
    event_id: str, slot: Slot, organisation: Organisation | None, patient: Patient, booked: bool
) -> dict[str, Any]:
    """The visit's state after one event (booked, or freed by a cancel or a move)."""
    place = organisation.id if organisation else slot.organisation_id
    entries = [
        _entry("Patient", patient.id, {"name": [{"text": patient.full_name}]}, update=False),
        _entry(
            "Location",
            place,
            {
                "status": "active",
                "name": organisation.name if organisation else place,
                **(
                    {"address": {"text": organisation.address}}
                    if organisation and organisation.address
                    else {}
                ),
            },
            update=False,
        ),
    ]
    patient_ref, location_ref = entries[0]["fullUrl"], entries[1]["fullUrl"]
    doctor = {"display": f"{slot.doctor_name}, {slot.specialty}".strip(", ")}
    schedule = _entry(
        "Schedule",
        str(uuid.uuid5(_NAMESPACE, f"{place}/{slot.doctor_name}")),
        {"active": True, "actor": [{"reference": location_ref}, doctor]},
        update=False,
    )
    start, end = aware(slot.starts_at).isoformat(), aware(slot.ends_at).isoformat()
    slot_entry = _entry(
        "Slot",
        slot.id,
        {
            "schedule": {"reference": schedule["fullUrl"]},
            "status": "busy" if booked else "free",
            "start": start,
            "end": end,
        },
        update=True,
    )
    appointment = _entry(
        "Appointment",
        f"{slot.id}.{patient.id}",
        {
            "status": "booked" if booked else "cancelled",
            "description": "In-person visit after a telemedicine consultation"
            + (f", room {slot.room}" if slot.room else ""),
            "start": start,
            "end": end,
            "slot": [{"reference": slot_entry["fullUrl"]}],
            "participant": [
                {"actor": {"reference": patient_ref}, "status": "accepted"},
                {"actor": doctor, "status": "accepted"},
                {"actor": {"reference": location_ref}, "status": "accepted"},
            ],
        },
        update=True,
    )
    return transaction(VISIT_BUNDLE_SYSTEM, event_id, [*entries, schedule, slot_entry, appointment])
