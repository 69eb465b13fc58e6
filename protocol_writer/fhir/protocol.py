"""A signed protocol as one FHIR R4 transaction Bundle, field by field.

Every resource's identifier derives from the protocol version (`entries.py`), so pushing
the same Bundle twice creates nothing the second time.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import Any

from clinic.time import aware
from protocol_writer.fhir.entries import (
    ID_SYSTEM,
    Write,
    entry,
    identifier_system,
    transaction,
)
from protocol_writer.protocol import Protocol
from protocol_writer.render import labels
from protocol_writer.vital_signs import vital_pairs, vital_signs

ICD10 = "http://hl7.org/fhir/sid/icd-10"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
PROVENANCE_AGENT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
PROTOCOL_BUNDLE = f"{ID_SYSTEM}bundle"

CONSULT_NOTE = ("11488-4", "Consult note")
SECTION_COMPLAINTS = ("10154-3", "Chief complaint Narrative")
SECTION_HISTORY = ("10164-2", "History of Present illness Narrative")
SECTION_VITALS = ("8716-3", "Vital signs")
SECTION_ASSESSMENT = ("51848-0", "Evaluation note")
SECTION_PLAN = ("18776-5", "Plan of care note")
SECTION_MEDICATIONS = ("10160-0", "History of Medication use Narrative")


SINGLE_IDENTIFIER = {"Composition"}
NO_IDENTIFIER = {"Provenance"}


@dataclass(frozen=True)
class SignedContext:
    protocol_id: str  # the signed version's id: identifiers derive from it
    patient_id: str
    patient_name: str
    doctor_id: str
    doctor_name: str
    signed_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    # Renewed medicines by name: (the new prescription's id, the renewed one's id).
    renewals: Mapping[str, tuple[str, str]] = field(default_factory=dict)


class _Builder:
    def __init__(self, protocol: Protocol, ctx: SignedContext) -> None:
        self.protocol, self.ctx = protocol, ctx
        self.entries: list[dict[str, Any]] = []
        self._namespace = uuid.UUID(int=uuid.uuid5(uuid.NAMESPACE_URL, ctx.protocol_id).int)

    def add(
        self, resource: dict[str, Any], kind: str, key: str, identifier_value: str | None = None
    ) -> str:
        """Adds a conditional create; returns the entry's fullUrl for references."""
        added = entry(
            self._namespace,
            kind,
            identifier_value or f"{self.ctx.protocol_id}-{key}",
            resource,
            Write.PUT if kind in NO_IDENTIFIER else Write.CREATE,
            single_identifier=kind in SINGLE_IDENTIFIER,
        )
        self.entries.append(added)
        return str(added["fullUrl"])


def _when(value: datetime | None) -> str | None:
    # FHIR dateTimes with a time need a zone; stored times are UTC (SQLite drops the zone).
    return aware(value).isoformat() if value is not None else None


def _div(lines: list[str]) -> dict[str, str]:
    body = "".join(f"<p>{escape(line)}</p>" for line in lines) or "<p>-</p>"
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{body}</div>'}


def _coding(code: tuple[str, str], system: str = LOINC) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code[0], "display": code[1]}]}


def build_bundle(protocol: Protocol, ctx: SignedContext) -> dict[str, Any]:
    b = _Builder(protocol, ctx)
    t = labels(protocol.language)
    patient = b.add(_named(ctx.patient_name), "Patient", "patient", identifier_value=ctx.patient_id)
    doctor = b.add(
        _named(ctx.doctor_name), "Practitioner", "doctor", identifier_value=ctx.doctor_id
    )
    period = {
        k: v for k, v in (("start", _when(ctx.started_at)), ("end", _when(ctx.ended_at))) if v
    }
    encounter = b.add(
        {
            "status": "finished",
            "class": {"system": ACT_CODE, "code": "VR", "display": "virtual"},
            "subject": {"reference": patient},
            "participant": [{"individual": {"reference": doctor}}],
            **({"period": period} if period else {}),
        },
        "Encounter",
        "encounter",
        identifier_value=protocol.consultation_id,
    )
    context = {"subject": {"reference": patient}, "encounter": {"reference": encounter}}

    observations = []
    when = _when(ctx.ended_at or ctx.signed_at)
    vitals = dict(protocol.vitals)
    for pair in vital_pairs().values():
        if all(part in vitals for part in pair.parts):
            parts = [(vital_signs()[part], vitals.pop(part)) for part in pair.parts]
            observations.append(
                b.add(
                    {
                        "status": "final",
                        "category": [_vital_category()],
                        "code": _coding(pair.loinc),
                        **context,
                        "effectiveDateTime": when,
                        "component": [
                            {
                                "code": _coding(sign.loinc),
                                "valueQuantity": _quantity(vital.value, sign.unit),
                            }
                            for sign, vital in parts
                        ],
                    },
                    "Observation",
                    pair.name,
                )
            )
    for name, vital in vitals.items():
        sign = vital_signs().get(name)
        # A sign the registry does not know is still the doctor's finding: kept, coded by text.
        code = _coding(sign.loinc) if sign else {"text": name}
        observations.append(
            b.add(
                {
                    "status": "final",
                    "category": [_vital_category()],
                    "code": code,
                    **context,
                    "effectiveDateTime": when,
                    "valueQuantity": _quantity(vital.value, sign.unit if sign else vital.unit),
                },
                "Observation",
                name,
            )
        )

    conditions = []
    if protocol.diagnosis is not None:
        d = protocol.diagnosis
        conditions.append(
            b.add(
                {
                    "clinicalStatus": {
                        "coding": [{"system": CONDITION_CLINICAL, "code": "active"}]
                    },
                    "verificationStatus": {
                        "coding": [
                            {
                                "system": CONDITION_VERIFICATION,
                                "code": "confirmed" if d.stated else "provisional",
                            }
                        ]
                    },
                    "code": {
                        "coding": [{"system": ICD10, "code": d.code, "display": d.text}],
                        "text": d.text,
                    },
                    **context,
                    "recordedDate": _when(ctx.signed_at),
                    "recorder": {"reference": doctor},
                },
                "Condition",
                "diagnosis",
            )
        )

    requests = []
    for index, m in enumerate(protocol.medications):
        dosage = ", ".join(x for x in (m.dose, m.frequency) if x)
        resource: dict[str, Any] = {
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"text": m.name},
            **context,
            "authoredOn": _when(ctx.signed_at),
            "requester": {"reference": doctor},
            "dosageInstruction": [{"text": dosage or m.name}],
        }
        if m.duration_days:
            resource["dispenseRequest"] = {
                "expectedSupplyDuration": {
                    "value": m.duration_days,
                    "unit": "d",
                    "system": UCUM,
                    "code": "d",
                }
            }
        renewal = ctx.renewals.get(m.name) if m.renewal else None
        if renewal is not None:
            # The prescription records share identifiers with their MedicationRequests, so
            # the renewal points at the very request it continues.
            resource["priorPrescription"] = {
                "identifier": {
                    "system": identifier_system("MedicationRequest"),
                    "value": renewal[1],
                },
                "display": f"earlier prescription of {m.name}",
            }
            resource["courseOfTherapyType"] = {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy",
                        "code": "continuous",
                    }
                ]
            }
        requests.append(
            b.add(
                resource,
                "MedicationRequest",
                f"medication-{index}",
                identifier_value=renewal[0] if renewal else None,
            )
        )

    plan_refs = []
    if protocol.follow_up.kind == "in_person":
        visit_day = ctx.signed_at + timedelta(days=protocol.follow_up.in_days or 0)
        plan_refs.append(
            b.add(
                {
                    "status": "active",
                    "intent": "order",
                    "priority": "urgent" if protocol.triage.level == "red" else "routine",
                    "code": {"text": "In-person visit at the polyclinic"},
                    **context,
                    "occurrenceDateTime": visit_day.date().isoformat(),
                    "requester": {"reference": doctor},
                    "reasonCode": [{"text": r} for r in protocol.triage.reasons] or None,
                },
                "ServiceRequest",
                "follow-up",
            )
        )
        if not protocol.triage.reasons:
            b.entries[-1]["resource"].pop("reasonCode")

    def section(code: tuple[str, str], lines: list[str], refs: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"title": code[1], "code": _coding(code), "text": _div(lines)}
        if refs:
            out["entry"] = [{"reference": r} for r in refs]
        return out

    p = protocol
    sections = [
        section(
            SECTION_COMPLAINTS, [t["complaint_names"].get(c.name, c.name) for c in p.complaints], []
        ),
        section(SECTION_HISTORY, [f"{a.kind}: {a.text}" for a in p.anamnesis], []),
        section(SECTION_VITALS, [f"{k}: {v.value:g}" for k, v in p.vitals.items()], observations),
        section(
            SECTION_ASSESSMENT,
            ([f"{p.diagnosis.code} {p.diagnosis.text}"] if p.diagnosis else [])
            + [f"triage: {p.triage.level}"]
            + list(p.triage.reasons),
            conditions,
        ),
        section(
            SECTION_PLAN,
            [r.text for r in p.recommendations]
            + [f"follow-up: {p.follow_up.kind} {p.follow_up.in_days or ''}".strip()],
            plan_refs,
        ),
        section(SECTION_MEDICATIONS, [m.name for m in p.medications], requests),
    ]
    composition = b.add(
        {
            "status": "final",
            "type": _coding(CONSULT_NOTE),
            **context,
            "date": _when(ctx.signed_at),
            "author": [{"reference": doctor}],
            "title": t["title"],
            "attester": [
                {"mode": "legal", "time": _when(ctx.signed_at), "party": {"reference": doctor}}
            ],
            "section": sections,
        },
        "Composition",
        "composition",
    )
    targets = [composition, *observations, *conditions, *requests, *plan_refs]
    b.add(
        {
            "target": [{"reference": r} for r in targets],
            "recorded": _when(ctx.signed_at),
            "agent": [
                {
                    "type": {"coding": [{"system": PROVENANCE_AGENT, "code": "assembler"}]},
                    "who": {"display": "telemed protocol writer (drafted from the transcript)"},
                },
                {
                    "type": {"coding": [{"system": PROVENANCE_AGENT, "code": "verifier"}]},
                    "who": {"reference": doctor},
                },
            ],
        },
        "Provenance",
        "provenance",
    )
    return transaction(PROTOCOL_BUNDLE, ctx.protocol_id, b.entries)


def _named(name: str) -> dict[str, Any]:
    return {"name": [{"text": name}]} if name.strip() else {}


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _vital_category() -> dict[str, Any]:
    return {"coding": [{"system": OBSERVATION_CATEGORY, "code": "vital-signs"}]}
