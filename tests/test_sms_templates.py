"""The SMS templates' registry: every name the code sends has its words in every language,
and the languages ask for the same values."""

from __future__ import annotations

from string import Formatter

from clinic.sms import TEMPLATES, SmsTemplate, render_sms


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(text) if field is not None}


def test_every_language_has_every_template_and_nothing_else() -> None:
    assert set(TEMPLATES) == {"ru", "en"}
    for language, templates in TEMPLATES.items():
        assert set(templates) == set(SmsTemplate), language


def test_russian_and_english_ask_for_the_same_values() -> None:
    for name in SmsTemplate:
        assert placeholders(TEMPLATES["ru"][name]) == placeholders(TEMPLATES["en"][name]), name


def test_each_template_renders_with_its_values() -> None:
    for language in TEMPLATES:
        for name in SmsTemplate:
            values = {field: f"<{field}>" for field in placeholders(TEMPLATES[language][name])}
            text = render_sms(name, language, **values)
            assert all(value in text for value in values.values()), (language, name)
            assert "{" not in text, (language, name)
