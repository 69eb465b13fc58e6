"""Domain types shared by the components: plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Speaker(StrEnum):
    DOCTOR = "doctor"
    PATIENT = "patient"


class Reason(StrEnum):
    """Why a patient waits: the seeds' service has these three lines."""

    RESPIRATORY = "respiratory"  # acute respiratory infection or COVID-19, treated at home
    ONCOLOGY_RENEWAL = "oncology_renewal"  # renewal of an oncology/haematology prescription
    CONSILIUM = "consilium"  # explaining a tumour board's decision
    CHEMO_CHECKIN = "chemo_checkin"  # a high-risk answer to a chemotherapy check-in


class CallMode(StrEnum):
    AUDIO = "audio"
    VIDEO = "video"


class ConsultationStatus(StrEnum):
    WAITING = "waiting"
    ACTIVE = "active"
    ENDED = "ended"
    CANCELLED = "cancelled"


class Role(StrEnum):
    PATIENT = "patient"
    DOCTOR = "doctor"
    STAFF = "staff"  # oncology-centre staff: their centre's patients, consilium decisions
    OPERATOR = "operator"


@dataclass(frozen=True)
class Word:
    word: str
    start: float
    end: float
    conf: float


@dataclass(frozen=True)
class Segment:
    """One finalised phrase of one side, with times in seconds from the consultation start."""

    consultation_id: str
    speaker: Speaker
    start: float
    end: float
    text: str
    confidence: float
    words: tuple[Word, ...] = field(default=())
    kind: str = "speech"


@dataclass(frozen=True)
class Principal:
    """Who is on the other end of a connection or request."""

    role: Role
    id: str  # patient id or doctor id
    display_name: str
