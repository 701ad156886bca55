"""Every spoken prompt is translated, spoken by a voice that speaks the language."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from conference import prompts
from conference.prompts import Prompt
from core.clock import local_time
from core.schemas import LANGUAGES
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock
from tests.fixtures.calls import make_world

PLACEHOLDER = re.compile(r"\{\w+\}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_prompt_is_in_the_catalog(language: str) -> None:
    catalog = prompts.catalog(language)
    missing = [p.name for p in Prompt if not catalog.get(p.value)]
    assert missing == [], f"{language} catalog misses {missing}"
    for prompt in Prompt:
        translated = catalog[prompt.value]
        assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(prompt.value))
        if language != "en":
            assert translated != prompt.value, f"{language}: {prompt.name} is not translated"


def test_a_catalog_without_a_message_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    full = prompts.catalog("pl")
    monkeypatch.setattr(
        prompts, "catalog", lambda language: {k: v for k, v in full.items() if k != Prompt.wait}
    )
    with pytest.raises(AssertionError, match="wait"):
        test_every_prompt_is_in_the_catalog("pl")


@pytest.mark.parametrize(
    "case",
    [
        ("pl", "Polly.Ewa", "pl-PL", "Dzień dobry. Proszę wpisać numer uczestnika"),
        ("he", "Google.he-IL-Standard-A", "he-IL", "שלום. נא להקיש את מספר המשתתף"),
        ("en", "Polly.Joanna", "en-US", "Welcome. Please enter your participant number"),
    ],
)
def test_the_line_speaks_its_language_with_a_voice_for_it(
    sim: LocalTwilio, db: Session, clock: Clock, case: tuple[str, str, str, str]
) -> None:
    language, voice, code, welcome = case
    world = make_world(db, clock, language=language)
    call = sim.dial(world.line_number, "+48601000321")
    call.press("123").press("456")
    assert call.spoken[0].startswith(welcome)
    says = [say for twiml in sim.twiml for say in ET.fromstring(twiml).iter("Say")]
    assert {say.text for say in says} <= set(prompts.catalog(language).values())
    assert {(say.get("voice"), say.get("language")) for say in says} == {(voice, code)}


def test_dates_and_times_are_said_the_local_way() -> None:
    at = datetime(2026, 3, 5, 19, 0, tzinfo=UTC)
    assert prompts.local_day(at, "Europe/Warsaw", "pl") == "czwartek 5 marca"
    assert local_time(at, "Asia/Jerusalem") == "21:00"
    assert prompts.text("pl", Prompt.next_meeting, day="czwartek 5 marca", time="20:00") == (
        "Następne spotkanie: czwartek 5 marca o 20:00."
    )
