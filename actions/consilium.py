"""Tumour board decisions: centre staff enter or import one; the patient is told by SMS with
a link that signs them in to read it and queues them for an oncologist to explain it."""

from __future__ import annotations

import re
from datetime import date

from clinic.domain import Principal, Reason
from clinic.records import Records
from clinic.settings import Settings
from clinic.sms import SmsTemplate, render_sms
from clinic.store.people import new_invitation
from clinic.store.sms import SmsNotice
from clinic.tables import ConsiliumDecision, Patient

MAX_DECISION_CHARS = 10_000


class BadDecision(ValueError):
    pass


def parse_decision(body: dict[str, object]) -> tuple[str, str, str | None]:
    """(decided_on, decision, external_id) from a request body; raises BadDecision."""
    decided_on, decision = body.get("decided_on"), body.get("decision")
    external_id = body.get("external_id")
    if not isinstance(decided_on, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", decided_on):
        raise BadDecision("decided_on must be a date, YYYY-MM-DD")
    try:
        date.fromisoformat(decided_on)
    except ValueError as exc:
        raise BadDecision(f"decided_on: {exc}") from exc
    if not isinstance(decision, str) or not decision.strip() or len(decision) > MAX_DECISION_CHARS:
        raise BadDecision(f"decision must be text of 1 to {MAX_DECISION_CHARS} characters")
    if external_id is not None and (
        not isinstance(external_id, str) or not 0 < len(external_id) <= 100
    ):
        raise BadDecision("external_id must be text of up to 100 characters")
    return decided_on, decision.strip(), external_id


async def record_decision(
    records: Records,
    settings: Settings,
    staff: Principal,
    organisation_id: str,
    patient: Patient,
    decided_on: str,
    decision: str,
    external_id: str | None,
) -> tuple[ConsiliumDecision, bool]:
    """Stores the decision, its invitation (reason: consilium) and its SMS at once."""
    invitation, token = new_invitation(patient.id, Reason.CONSILIUM, settings.invitation_ttl_s)
    text = render_sms(
        SmsTemplate.CONSILIUM_DECISION,
        patient.language,
        decided_on=decided_on,
        link=f"{settings.public_base_url}/join/{token}",
    )
    notice = SmsNotice(
        patient.phone, text, "consilium_decision", patient.id, f"consilium:{invitation.id}"
    )
    return await records.add_consilium_decision(
        patient_id=patient.id,
        organisation_id=organisation_id,
        decided_on=decided_on,
        decision=decision,
        entered_by=staff.id,
        external_id=external_id,
        invitation=invitation,
        notice=notice,
    )


def decision_body(row: ConsiliumDecision) -> dict[str, object]:
    return {
        "id": row.id,
        "decided_on": row.decided_on,
        "decision": row.decision,
        "created_at": row.created_at.isoformat(),
    }
