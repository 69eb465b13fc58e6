"""The pages' catalogues: every language has the same sections, keys and placeholders."""

from __future__ import annotations

import re

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
