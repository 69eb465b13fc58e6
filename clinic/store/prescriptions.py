"""Electronic prescriptions: the history a renewal is checked against, and renewals."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from clinic.store.base import Store
from clinic.tables import Prescription
from clinic.time import now


def medicine_key(name: str) -> str:
    """Folds a medicine's name for matching: case, spacing and 'ё' do not make a new drug."""
    return " ".join(name.lower().replace("ё", "е").split())


@dataclass(frozen=True)
class NewPrescription:
    """A renewal decided before signing, written in the signing transaction."""

    id: str
    patient_id: str
    medicine: str
    dose: str | None
    oncology: bool
    prescriber_id: str
    organisation_id: str | None
    valid_from: datetime
    valid_until: datetime
    prior_id: str
    consultation_id: str

    def row(self) -> Prescription:
        return Prescription(
            id=self.id,
            patient_id=self.patient_id,
            medicine=self.medicine,
            medicine_key=medicine_key(self.medicine),
            dose=self.dose,
            oncology=self.oncology,
            prescriber_id=self.prescriber_id,
            organisation_id=self.organisation_id,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            prior_id=self.prior_id,
            consultation_id=self.consultation_id,
            created_at=now(),
        )


class PrescriptionStore(Store):
    async def add_prescription(
        self,
        patient_id: str,
        medicine: str,
        *,
        dose: str | None,
        valid_from: datetime,
        valid_until: datetime,
        oncology: bool = False,
        prescriber_id: str | None = None,
        organisation_id: str | None = None,
    ) -> Prescription:
        """A prescription made outside a consultation (an import from the centre's system)."""
        row = Prescription(
            id=str(uuid.uuid4()),
            patient_id=patient_id,
            medicine=medicine,
            medicine_key=medicine_key(medicine),
            dose=dose,
            oncology=oncology,
            prescriber_id=prescriber_id,
            organisation_id=organisation_id,
            valid_from=valid_from,
            valid_until=valid_until,
            prior_id=None,
            consultation_id=None,
            created_at=now(),
        )
        async with self._session() as s, s.begin():
            s.add(row)
        return row

    async def latest_prescription(self, patient_id: str, medicine: str) -> Prescription | None:
        """The patient's most recent prescription of this medicine, if any."""
        async with self._session() as s:
            return await s.scalar(
                select(Prescription)
                .where(Prescription.patient_id == patient_id)
                .where(Prescription.medicine_key == medicine_key(medicine))
                .order_by(Prescription.valid_until.desc(), Prescription.created_at.desc())
                .limit(1)
            )

    async def renewal_from(self, consultation_id: str, medicine: str) -> Prescription | None:
        """The prescription this consultation already renewed for the medicine."""
        async with self._session() as s:
            return await s.scalar(
                select(Prescription)
                .where(Prescription.consultation_id == consultation_id)
                .where(Prescription.medicine_key == medicine_key(medicine))
            )

    async def prescriptions_of(self, patient_id: str) -> list[Prescription]:
        async with self._session() as s:
            return list(
                await s.scalars(
                    select(Prescription)
                    .where(Prescription.patient_id == patient_id)
                    .order_by(Prescription.valid_from.desc())
                )
            )
