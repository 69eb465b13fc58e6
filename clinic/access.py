"""Who may see what. Every check of a person against a consultation lives here, and the
policy: for each role and action, the relation the person must have to the record.

A role with no rule for an action is refused it whoever they are; a role with a rule still
needs the relation, which the route checks against the record (a consultation's parties,
`Records.may_read_patient`, the patient's oncology centre). Adding a role means adding its
rules here and its row in `tests/test_roles.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum

from clinic.domain import Principal, Role
from clinic.tables import Consultation


class Relation(Enum):
    ANY = "any"  # the role alone: operators' views of the platform, not of a record
    OWN = "own"  # the patient themselves or a parent linked to them, acting for them
    PARTY = "party"  # the consultation's patient, or the doctor who took it
    RECORD = "record"  # whoever may read the patient's record (may_read_patient)
    CENTRE = "centre"  # a doctor or staff member of the oncology centre following them


_P, _D, _S, _O = Role.PATIENT, Role.DOCTOR, Role.STAFF, Role.OPERATOR

POLICY: Mapping[tuple[Role, str], Relation] = {
    # Protocols: the treating doctor drafts and signs; the patient (or a parent) and the
    # centre read signed ones.
    (_P, "protocol.read"): Relation.RECORD,
    (_D, "protocol.read"): Relation.PARTY,
    (_S, "protocol.read"): Relation.RECORD,
    (_D, "protocol.sign"): Relation.PARTY,
    (_D, "protocol.preview"): Relation.PARTY,
    (_D, "actions.read"): Relation.PARTY,
    (_D, "appointment.book"): Relation.PARTY,
    # A patient's record, read by whoever may read it.
    (_P, "record.read"): Relation.RECORD,
    (_D, "record.read"): Relation.RECORD,
    (_S, "record.read"): Relation.RECORD,
    (_P, "prescriptions.read"): Relation.RECORD,
    (_D, "prescriptions.read"): Relation.RECORD,
    (_S, "prescriptions.read"): Relation.RECORD,
    (_P, "appointments.read"): Relation.RECORD,
    (_D, "appointments.read"): Relation.RECORD,
    (_S, "appointments.read"): Relation.RECORD,
    (_P, "consilium.read"): Relation.RECORD,
    (_D, "consilium.read"): Relation.RECORD,
    (_S, "consilium.read"): Relation.CENTRE,
    (_P, "checkins.read"): Relation.RECORD,
    (_D, "checkins.read"): Relation.RECORD,
    (_S, "checkins.read"): Relation.CENTRE,
    # What only the patient (or a parent) does.
    (_P, "appointment.cancel"): Relation.OWN,
    (_P, "appointment.move"): Relation.OWN,
    (_P, "checkin.write"): Relation.OWN,
    (_P, "audit.read"): Relation.OWN,
    # The oncology centre's work.
    (_D, "checkin.review"): Relation.RECORD,
    (_D, "chemotherapy.write"): Relation.CENTRE,
    (_S, "chemotherapy.write"): Relation.CENTRE,
    (_S, "consilium.write"): Relation.CENTRE,
    (_S, "centre.patients.read"): Relation.CENTRE,
    # Operators run the platform and read no medical record.
    (_O, "audit.read"): Relation.ANY,
    (_O, "outbox.read"): Relation.ANY,
    (_O, "sms.read"): Relation.ANY,
    (_O, "organisations.read"): Relation.ANY,
    (_O, "schedule.read"): Relation.ANY,
    (_O, "schedule.write"): Relation.ANY,
}


def relation(who: Principal, action: str) -> Relation | None:
    """What `who` must be to the record to do `action`; None: their role may not."""
    return POLICY.get((who.role, action))


def is_party(who: Principal, consultation: Consultation | None) -> bool:
    """True for the consultation's patient and for the doctor who took it."""
    if consultation is None:
        return False
    if who.role is Role.PATIENT:
        return consultation.patient_id == who.id
    if who.role is Role.DOCTOR:
        return consultation.doctor_id == who.id
    return False
