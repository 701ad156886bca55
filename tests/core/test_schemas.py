"""The shared constrained types: clear messages that never quote the value."""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from pydantic import TypeAdapter, ValidationError

from core.schemas import Alias, DigitsPin, E164Phone, Email, LocalTime, PlainText
from supportline.app import create_app


@pytest.mark.parametrize("value", ["12a4", "12 34", "123", "1234567890123", "١٢٣٤", "-1234"])
def test_a_pin_is_keypad_digits_only(value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(DigitsPin).validate_python(value)
    (error,) = caught.value.errors()
    assert error["msg"] == (
        "Value error, a PIN is 4 to 12 digits (0-9), because it is typed on a phone keypad"
    )


def test_a_digit_pin_is_accepted() -> None:
    assert TypeAdapter(DigitsPin).validate_python("004711") == "004711"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (E164Phone, "+48 601 13"),
        (Email, "jan.kowalski@exa_mple.org"),
        (Email, "jan kowalski@example.org"),
        (LocalTime, "24:61"),
    ],
)
def test_messages_never_quote_the_value(kind: Any, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(kind).validate_python(value)
    (error,) = caught.value.errors()
    for fragment in (value, value.rsplit(" ", maxsplit=1)[-1], "exa_mple", "'_'", "SPACE"):
        assert fragment not in error["msg"]


def test_phone_and_email_are_normalised() -> None:
    assert TypeAdapter(E164Phone).validate_python("+1 (202) 555-0143") == "+12025550143"
    assert TypeAdapter(Email).validate_python("Jan.Kowalski@Example.ORG") == (
        "jan.kowalski@example.org"
    )


def test_the_api_description_offers_no_null_for_fields_a_patch_may_leave_out() -> None:
    # A client generated from it would send null, which the API refuses (core.schemas.Changes).
    components = create_app().openapi()["components"]["schemas"]
    for name in ("GroupUpdate", "StaffUpdate"):
        described = json.dumps(components[name])
        assert '"null"' not in described, name
        assert components[name]["properties"]["capacity" if name == "GroupUpdate" else "is_active"]


ONE_LINE = TypeAdapter(Alias)
LINES = TypeAdapter(Annotated[str, PlainText(multiline=True)])
HEBREW_AND_POLISH = [
    "דנה",
    "שלום, מה שלומכם? נתראה ביום ה׳ בשעה 20:00.",
    "קבוצת ערב - ״אמונה״ (עד 12 משתתפים)!",
    "Zażółć gęślą jaźń",
    "Łucja, Śląsk — spotkanie o 20:00?",
    "רחל (Rachel) z Łodzi",
    "\u200fשלום!\u200f",  # right-to-left marks placing the "!" stay: they hide nothing
]


@pytest.mark.parametrize("value", HEBREW_AND_POLISH)
def test_hebrew_and_polish_text_passes_unchanged(value: str) -> None:
    assert ONE_LINE.validate_python(value) == value
    assert LINES.validate_python(f"{value}\n{value}") == f"{value}\n{value}"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("\u202eenoD", "it holds an invisible direction control (U+202E)"),  # shows "Done" reversed
        ("Dana\u202a", "it holds an invisible direction control (U+202A)"),
        ("דנה\u2067x\u2069", "it holds an invisible direction control (U+2067)"),
        ("Da\x00na", "it holds a control character (U+0000)"),
        ("Da\x07na", "it holds a control character (U+0007)"),
        ("Da\tna", "it holds a control character (U+0009)"),
        ("Da\nna", "keep it on one line: it holds a line break (U+000A)"),
        ("Da\rna", "keep it on one line: it holds a line break (U+000D)"),
        ("Da\u2028na", "keep it on one line: it holds a line break (U+2028)"),
        ("Da\u200bna", "it holds an invisible character (U+200B)"),
        ("\u200c\u200d", "it holds an invisible character (U+200C)"),
        ("Dana\u2060", "it holds an invisible character (U+2060)"),
        ("\ufeffDana", "it holds an invisible character (U+FEFF)"),
        ("\u200f", "nothing in it can be seen"),
        ("\u3164\u3164", "nothing in it can be seen"),
    ],
)
def test_text_that_hides_itself_is_refused(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        ONE_LINE.validate_python(value)
    (error,) = caught.value.errors()
    assert message in error["msg"]
    assert "Dana" not in error["msg"] and "enoD" not in error["msg"]


def test_multiline_text_keeps_line_breaks_only() -> None:
    # A browser sends a textarea's lines with CR LF.
    assert LINES.validate_python("first line\r\nsecond\rthird") == "first line\nsecond\nthird"
    for value, message in [
        ("first\n\u202elast", "it holds an invisible direction control (U+202E)"),
        ("first\x00", "it holds a control character (U+0000)"),
        ("first\u2029second", "it holds an unusual line break (U+2029)"),
        ("\u200b\n\u200b", "it holds an invisible character (U+200B)"),
        ("\n\u200e\n", "nothing in it can be seen"),
    ]:
        with pytest.raises(ValidationError) as caught:
            LINES.validate_python(value)
        assert message in caught.value.errors()[0]["msg"], value
