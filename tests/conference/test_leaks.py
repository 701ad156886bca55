"""Anonymity: through every kind of call, no phone number, e-mail or alias leaks anywhere.

Looked at: every TwiML document the app returned, every URL it told Twilio to use, conference
names and labels, every log record (message and structured fields), the errors of the moderators'
API, and every row of the database (caller numbers must not be stored in plain text).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conference import tasks
from core.database import Base
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock
from tests.factories import auth_headers
from tests.fixtures.calls import MEETING_START, World, login
from tests.fixtures.phones import dial, emulator_for

CALLERS = ["+48601000901", "+48601000902", "+48601000903", "+48601000904", "+48601000905"]


def play_every_kind_of_call(
    sim: LocalTwilio, world: World, client: TestClient, db: Session, clock: Clock
) -> dict[str, list[str]]:
    """Returns the moderators' API errors and the terminal phone's output seen on the way."""
    answers = []
    headers = auth_headers(client, world.moderator_staff)
    base = f"/api/v1/meetings/{world.meeting.id}"
    clock.set(MEETING_START - timedelta(hours=1))
    early = login(sim, world, world.member, caller=CALLERS[0])  # before the window
    assert early.state == "ended"
    clock.set(MEETING_START)
    for _ in range(2):  # wrong PINs, an unknown number, then a lockout
        call = sim.dial(world.line_number, CALLERS[1])
        for pin in ("111111", "222222", "333333"):
            call.press(world.other.participant_number).press(pin)
    sim.dial(world.line_number, CALLERS[2]).press("987654321").press("123456")
    answers.append(
        client.get(f"/api/v1/groups/{world.group.id}/access-events", headers=headers).text
    )
    world.member.membership.pin_is_temporary = True
    member = login(sim, world, world.member, caller=CALLERS[0])
    member.press("111111").press("123456").press("590317").press("590317")
    assert member.state == "in_conference"
    moderator = login(sim, world, world.moderator, caller=CALLERS[3])
    duplicate = login(sim, world, world.moderator, caller=CALLERS[4])
    assert duplicate.state == "ended"
    answers.append(client.post(f"{base}/conference/lock", headers=headers).text)
    answers.append(client.get(f"{base}/roster", headers=headers).text)
    moderator.hang_up()
    tasks.run_due_steps(db, clock.advance(seconds=30), sim)
    sim.deliver()
    login(sim, world, world.moderator, caller=CALLERS[3])
    tasks.run_due_steps(db, MEETING_START + timedelta(minutes=55), sim)
    sim.deliver()
    (participant,) = [
        p
        for p in client.get(f"{base}/roster", headers=headers).json()["participants"]
        if p["role"] == "member"
    ]
    member.hang_up(heard_by_server=False)  # Twilio answers 20404: hung up a moment ago
    answers.append(
        client.post(f"{base}/participants/{participant['id']}/mute", headers=headers).text
    )
    answers.append(
        client.post(f"{base}/participants/{participant['id']}/eject", headers=headers).text
    )
    answers.append(client.post(f"{base}/conference/extend", headers=headers).text)
    tasks.run_due_steps(db, MEETING_START + timedelta(minutes=75), sim)
    sim.deliver()
    # The terminal phone, through the Twilio emulator: the member dials again, typing the
    # participant number and the PIN; neither they nor the caller's number may be printed.
    with emulator_for(client) as emulator:
        phone = dial(emulator.url, world.line_number, CALLERS[2])
        printed = phone.type(world.member.participant_number, "590317", "").ended()
        assert emulator.board.wait_idle(10)
        journal = list(emulator.board.journal)
    return {
        "api errors": [a for a in answers if '"error"' in a],
        "terminal phone": printed,
        "emulator journal": journal,
    }


def secrets_of(world: World) -> list[str]:
    """Everything that must never show up, in the forms it could take."""
    values = [*world.phones, *world.emails, *world.aliases, *CALLERS]
    values += [world.member.pin, world.other.participant_number, world.member.participant_number]
    return values + [v.lstrip("+") for v in values if v.startswith("+")]


def test_nothing_personal_leaks_through_any_kind_of_call(
    sim: LocalTwilio,
    world: World,
    *,
    client: TestClient,
    db: Session,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    seen = play_every_kind_of_call(sim, world, client, db, clock)
    outputs = {
        "twiml": sim.twiml,
        "urls": [hook.url for hook in sim.sent],
        "rooms and labels": [
            hook.params.get(name, "")
            for hook in sim.sent
            for name in ("FriendlyName", "ParticipantLabel")
        ],
        "logs": [f"{r.getMessage()} {r.__dict__}" for r in caplog.records],
        **seen,
    }
    assert len(sim.twiml) > 30 and len(caplog.records) > 30
    assert seen["api errors"] and len(seen["terminal phone"]) > 3 and seen["emulator journal"]
    for what, texts in outputs.items():
        for value in secrets_of(world):
            leaked = [text for text in texts if value in text]
            assert not leaked, f"{value!r} leaked into {what}: {leaked[:1]}"


def test_caller_numbers_are_not_stored_in_plain_text(
    sim: LocalTwilio, world: World, client: TestClient, db: Session, clock: Clock
) -> None:
    play_every_kind_of_call(sim, world, client, db, clock)
    db.flush()
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)):
            text = repr(tuple(row))
            for caller in CALLERS:
                assert caller.lstrip("+") not in text, f"caller number stored in {table.name}"
