"""ACI-Bench train (CC BY 4.0, Yim et al. 2023) as this platform would hear it.

Each encounter's dialogue is rendered the way Vosk writes speech (lower case, no punctuation,
numbers and units as words, speaker tags kept, the data set's own swapped tags left swapped),
and the clinician's note gives what the protocol should hold:

- vital signs: the numeric readings of the note's VITALS section (°F turned into °C);
- medicines: the drugs the ASSESSMENT AND PLAN names, except those it stops or holds. Drug
  names in the note are found with `drug-named-entity-recognition` (a lexicon built from
  MeSH, DrugBank and the NHS), never with the platform's own vocabulary, so the gold does not
  lean on the rules it judges.

Only the train split is used; the valid and test splits are held out (see the data's README).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from num2words import num2words

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "aci-bench" / "train.csv"

# The note's name for a drug -> the international name the protocol writer uses.
NOTE_NAMES = {
    "acetaminophen": "paracetamol",
    "albuterol": "salbutamol",
    "amoxicillin-potassium clavulanate combination": "amoxicillin clavulanate",
    "aspirin": "acetylsalicylic acid",
    "glyburide": "glibenclamide",
    "hydroxyurea": "hydroxycarbamide",
    "cholecalciferol": "colecalciferol",
    "vitamin d": "colecalciferol",
    "thyroxine": "levothyroxine",
    "nicotine patch": "nicotine",
    "ergocalciferol": "colecalciferol",
    "torsemide": "torasemide",
    "epinephrine": "adrenaline",
}
# Named in plans as tests to order, not as medicines.
LAB_ANALYTES = {"uric acid", "alkaline phosphatase", "aldosterone"}
STOPPED = re.compile(
    r"\b(stop|stopped|discontinu\w*|hold|held|avoid|cease|off of|taper off)\b", re.IGNORECASE
)
UNITS = {
    "mg": "milligrams",
    "mcg": "micrograms",
    "ml": "milliliters",
    "%": " percent",
    "kg": "kilograms",
    "lbs": "pounds",
    "lb": "pounds",
    "bpm": "beats per minute",
}


@dataclass(frozen=True)
class Encounter:
    encounter_id: str
    transcript: str  # "doctor: ..." lines, as a recogniser would write them
    vitals: dict[str, float] | None  # None: the note has no VITALS section to judge by
    medicines: frozenset[str]


def _number_words(match: re.Match[str]) -> str:
    text = match.group(0)
    if "." in text:
        whole, fraction = text.split(".", 1)
        spoken = num2words(int(whole)) if whole else "zero"
        return f"{spoken} point " + " ".join(num2words(int(d)) for d in fraction)
    return str(num2words(int(text)))


def spoken(text: str) -> str:
    """One dialogue line as Vosk would write it."""
    text = re.sub(
        r"(\d+)(st|nd|rd|th)\b", lambda m: str(num2words(int(m.group(1)), to="ordinal")), text
    )
    text = re.sub(r"(\d)\s*/\s*(\d)", r"\1 over \2", text)
    text = re.sub(
        r"(\d)\s*(mg|mcg|ml|kg|lbs|lb|bpm|%)(?![a-z])",
        lambda m: f"{m.group(1)} {UNITS[m.group(2).lower()]}",
        text,
        flags=re.IGNORECASE,
    )
    text = re.sub(r"\d*\.\d+|\d+", _number_words, text)
    text = text.lower().replace("-", " ")
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.split())


def _dialogue(raw: str) -> str:
    lines = []
    for line in raw.splitlines():
        match = re.match(r"\s*\[(doctor|patient|patient_guest|doctor_guest)\]\s*(.*)", line)
        if match is None:
            continue
        speaker = "doctor" if match.group(1).startswith("doctor") else "patient"
        text = spoken(match.group(2))
        if text:
            lines.append(f"{speaker}: {text}")
    return "\n".join(lines)


def _section(note: str, header: str) -> str:
    """The body of the first section whose upper-case header contains `header`."""
    match = re.search(
        rf"^[A-Z ,&/]*{header}[A-Z ,&/]*$\n(.*?)(?=^[A-Z][A-Z ,&/]{{4,}}$|\Z)",
        note,
        re.MULTILINE | re.DOTALL,
    )
    return match.group(1) if match else ""


def _fahrenheit_to_celsius(value: float) -> float:
    return round((value - 32) * 5 / 9, 1)


def note_vitals(note: str) -> dict[str, float] | None:
    section = _section(note, "VITAL")
    if not section.strip():
        return None
    found: dict[str, float] = {}
    for line in section.splitlines():
        lower = line.lower()
        if (m := re.search(r"(\d{2,3})\s*/\s*(\d{2,3})", lower)) and re.search(
            r"blood pressure|\bbp\b", lower
        ):
            found["systolic_mmhg"], found["diastolic_mmhg"] = float(m[1]), float(m[2])
        elif re.search(r"heart rate|\bhr\b|pulse:", lower) and (
            m := re.search(r":\s*(\d{2,3})(?!s)\b", lower)
        ):
            found["heart_rate_bpm"] = float(m[1])
        elif re.search(r"respirat|\brr\b", lower) and (m := re.search(r"(\d{1,2})\b", lower)):
            found["respiratory_rate"] = float(m[1])
        elif re.search(r"oxygen|spo2|o2 sat", lower) and (
            m := re.search(
                r"(\d{2,3})\s*%|"
                r"(\d{2,3}) percent",
                lower,
            )
        ):
            found["spo2_percent"] = float(m[1] or m[2])
        elif "temperature" in lower and (m := re.search(r"(\d{2,3}(?:\.\d)?)", lower)):
            value = float(m[1])
            found["temperature_c"] = _fahrenheit_to_celsius(value) if value > 50 else value
    return found


@cache
def _find_drugs():  # type: ignore[no-untyped-def]
    from drug_named_entity_recognition import find_drugs

    return find_drugs


def _is_medicine(drug: dict[str, object]) -> bool:
    """A medicine, not a class of them ("NSAIDs", "statins"), a vaccine, a lab analyte, or a
    MeSH chemical no drug database knows (the lexicon reads "SITS" as one)."""
    name = str(drug["name"]).lower()
    known = drug.get("drugbank_id") or drug.get("medline_plus_id") or drug.get("nhs_url")
    return bool(known) and "vaccine" not in name and name not in LAB_ANALYTES


def note_medicines(note: str) -> frozenset[str]:
    plan = _section(note, "PLAN") or note
    names: set[str] = set()
    for sentence in re.split(r"(?<=[.;])\s+|\n", plan):
        if STOPPED.search(sentence):
            continue
        tokens = re.findall(r"[\w-]+", sentence)
        for drug, _start, _end in _find_drugs()(tokens):
            if not _is_medicine(drug):
                continue
            name = re.sub(r"\s*\(.*\)", "", drug["name"].lower())
            for part in re.split(r"/| and ", name) if "," not in name else [name]:
                names.add(NOTE_NAMES.get(part, part))
    return frozenset(names)


def encounters(path: Path = DATASET) -> Iterator[Encounter]:
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            yield Encounter(
                row["encounter_id"],
                _dialogue(row["dialogue"]),
                note_vitals(row["note"]),
                note_medicines(row["note"]),
            )
