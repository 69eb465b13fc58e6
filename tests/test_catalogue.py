"""The pages' catalogues: every language has the same sections, keys and placeholders."""

from __future__ import annotations

import re
from pathlib import Path

from web.pages import CATALOGUE

PLACEHOLDER = re.compile(r"\{[a-z_]*\}")


def test_every_language_has_the_same_keys_and_placeholders() -> None:
    reference = CATALOGUE["ru"]
    for language, sections in CATALOGUE.items():
        assert sections.keys() == reference.keys(), language
        for section, texts in sections.items():
            assert texts.keys() == reference[section].keys(), (language, section)
            for key, text in texts.items():
                assert text.strip(), (language, section, key)
                assert sorted(PLACEHOLDER.findall(text)) == sorted(
                    PLACEHOLDER.findall(reference[section][key])
                ), (language, section, key)


# Every refusal the server can send, by the code the pages translate: socket.io's BadMessage,
# sign-in's SignInRefused, the HTTP routes' json_error and their {"error": ...} bodies.
REFUSAL = re.compile(
    r"(?:BadMessage|SignInRefused|json_error|_json_error)\(\s*(?:[\w.]+,\s*)?\"([a-z_]+)\""
    r"|\"error\": \"([a-z_]+)\""
)


def test_every_refusal_the_server_sends_has_words_on_the_patients_page() -> None:
    root = Path(__file__).parent.parent
    codes = {
        code
        for package in ("web", "signaling", "clinic", "actions")
        for source in (root / package).rglob("*.py")
        for match in REFUSAL.findall(source.read_text(encoding="utf-8"))
        for code in match
        if code
    }
    assert {"invalid_link", "wrong_code", "busy", "sms_failed"} <= codes  # the scan works
    for language, sections in CATALOGUE.items():
        missing = sorted(codes - sections["patient"].keys())
        assert missing == [], language
