"""Protocols to HTML and plain text with Jinja2; labels in the protocol's language."""

from __future__ import annotations

from functools import cache

from jinja2 import Environment, PackageLoader, select_autoescape

from protocol_writer.draft import Protocol

LABELS = {
    "ru": {
        "title": "Протокол телемедицинской консультации", "patient": "Пациент",
        "doctor": "Врач", "reason": "Повод", "started": "Начало", "ended": "Окончание",
        "complaints": "Жалобы", "dictation": "Аудиопротокол врача", "transcript": "Расшифровка",
        "doctor_speaker": "Врач", "patient_speaker": "Пациент", "none": "не названы",
        "draft": "Черновик: требует проверки и подписи врача", "gap": "фрагмент утерян",
        "reasons": {"respiratory": "ОРВИ / COVID-19, лечение на дому",
                    "oncology_renewal": "Продление рецепта (онкология, гематология)",
                    "consilium": "Решение онкологического консилиума"},
    },
    "en": {
        "title": "Telemedicine consultation protocol", "patient": "Patient",
        "doctor": "Doctor", "reason": "Reason", "started": "Started", "ended": "Ended",
        "complaints": "Complaints", "dictation": "Doctor's audio protocol",
        "transcript": "Transcript", "doctor_speaker": "Doctor", "patient_speaker": "Patient",
        "none": "none stated", "draft": "Draft: to be checked and signed by the doctor",
        "gap": "audio lost",
        "reasons": {"respiratory": "Respiratory infection / COVID-19, treated at home",
                    "oncology_renewal": "Prescription renewal (oncology, haematology)",
                    "consilium": "Tumour board decision"},
    },
}


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("protocol_writer", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(protocol: Protocol) -> str:
    labels = LABELS.get(protocol.language, LABELS["en"])
    return _environment().get_template("protocol.html.j2").render(p=protocol, t=labels)
