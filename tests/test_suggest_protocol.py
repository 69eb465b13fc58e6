"""The protocol's suggestions come from the fitted suggester over the patient's words; the
safety overrides still win, and signing records whether a suggestion was taken."""

from __future__ import annotations

from dataclasses import replace

from decision_support import Suggester
from protocol_writer.diagnosis import suggestion_taken
from protocol_writer.extract import extract_protocol
from protocol_writer.protocol import Diagnosis, Protocol
from protocol_writer.render import render_html
from protocol_writer.transcripts import parse_transcript

BACK_PAIN = (
    "doctor: что вас беспокоит\n"
    "patient: боли в поясничном отделе позвоночника уже неделю\n"
    "doctor: отдает в ногу\n"
    "patient: да отдает в правую ногу при наклоне\n"
)


def test_the_patients_words_drive_the_suggestions() -> None:
    protocol = extract_protocol(parse_transcript(BACK_PAIN), consultation_id="c", language="ru")
    assert protocol.diagnosis is None
    patient_text = (
        "боли в поясничном отделе позвоночника уже неделю да отдает в правую ногу при наклоне"
    )
    expected = Suggester().suggest(patient_text)
    assert not expected.abstained
    got = protocol.diagnosis_suggestions
    assert [d.code for d in got] == [s.code for s in expected.suggestions]
    assert [d.score for d in got] == [round(s.score, 4) for s in expected.suggestions]
    first = got[0]
    assert first.evidence == expected.suggestions[0].evidence and first.evidence
    # The segments named are the patient's (1 and 3), never the doctor's questions.
    assert first.segments and set(first.segments) <= {1, 3}
    assert Protocol.from_dict(protocol.to_dict()) == protocol


def test_safety_overrides_come_first() -> None:
    transcript = BACK_PAIN + "patient: и не чувствую запахов\ndoctor: сатурация девяносто два\n"
    protocol = extract_protocol(parse_transcript(transcript), consultation_id="c", language="ru")
    codes = [d.code for d in protocol.diagnosis_suggestions]
    assert codes[0] in ("U07.1", "U07.2") and codes[1] == "J18.9"
    assert protocol.diagnosis_suggestions[0].score is None
    assert len(codes) == 3 and protocol.diagnosis_suggestions[2].score is not None


def test_whether_the_signed_diagnosis_was_a_suggestion() -> None:
    protocol = extract_protocol(parse_transcript(BACK_PAIN), consultation_id="c", language="ru")
    first = protocol.diagnosis_suggestions[0]
    assert suggestion_taken(protocol) is False  # nothing signed yet
    signed = replace(protocol, diagnosis=Diagnosis(first.code + ".5", "", (), True))
    assert suggestion_taken(signed) is True
    other = replace(protocol, diagnosis=Diagnosis("Z99", "", (), True))
    assert suggestion_taken(other) is False
    rules_only = replace(protocol, diagnosis_suggestions=(Diagnosis("J06.9", "", (), False),))
    assert suggestion_taken(rules_only) is None


def test_the_suggestions_are_shown_only_while_no_diagnosis_is_named() -> None:
    protocol = extract_protocol(parse_transcript(BACK_PAIN), consultation_id="c", language="ru")
    first = protocol.diagnosis_suggestions[0]
    assert "врач не назвал диагноз" in render_html(protocol)
    # The doctor named one (typed, or took a suggestion): the draft, its preview and the
    # signed protocol no longer say nobody did, nor list the machine's guesses beside it.
    named = replace(protocol, diagnosis=Diagnosis("M54.5", "Боль внизу спины", (), True))
    html = render_html(named)
    assert "врач не назвал диагноз" not in html and "M54.5" in html
    assert first.code not in html.replace("M54.5", "")
