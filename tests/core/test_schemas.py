"""The shared constrained types: clear messages that never quote the value."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from core.schemas import DigitsPin, E164Phone, Email, LocalTime
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
