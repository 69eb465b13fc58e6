"""Who may see what. Every check of a person against a consultation lives here."""

from __future__ import annotations

from clinic.domain import Principal, Role
from clinic.tables import Consultation


def is_party(who: Principal, consultation: Consultation | None) -> bool:
    """True for the consultation's patient and for the doctor who took it."""
    if consultation is None:
        return False
    if who.role is Role.PATIENT:
        return consultation.patient_id == who.id
    if who.role is Role.DOCTOR:
        return consultation.doctor_id == who.id
    return False
