"""The dial-in call end to end on Twilio's voice engine (every request signed)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conference import tasks
from conference.prompts import Prompt, text
from notifications.models import Channel, Kind, OutboxMessage
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock
from tests.factories import auth_headers
from tests.fixtures.calls import CALLER, MEETING_START, World, login


def roster(client: TestClient, world: World) -> dict[str, Any]:
    headers = auth_headers(client, world.moderator_staff)
    response = client.get(f"/api/v1/meetings/{world.meeting.id}/roster", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def labels(client: TestClient, world: World) -> list[str]:
    participants = roster(client, world)["participants"]
    assert isinstance(participants, list)
    return [p["ref"] for p in participants]


def test_moderator_then_member_join_the_room(
    sim: LocalTwilio, world: World, client: TestClient
) -> None:
    moderator = login(sim, world, world.moderator)
    assert moderator.state == "in_conference"
    assert moderator.moderator and moderator.room == world.meeting.room
    assert moderator.label == world.moderator.membership.ref
    # Twilio's limits (https://www.twilio.com/docs/voice/twiml/conference, participantLabel;
    # error 13237): a label of at most 128 characters, no "/", not shaped like a Call SID; a
    # conference name of 1 to 128 characters.
    assert moderator.label is not None and moderator.room is not None
    assert len(moderator.label) <= 128 and "/" not in moderator.label
    assert not re.fullmatch(r"CA[0-9a-f]{32}", moderator.label)
    assert 1 <= len(moderator.room) <= 128
    # timeLimit: from 18:55 to the 20:00 local (19:00 UTC) end of a 60-minute meeting, plus
    # room for two 15-minute extensions (the API ends the conference at the end itself).
    assert moderator.time_limit == (65 + 30) * 60
    member = login(sim, world, world.member, caller="+48601000111")
    assert member.state == "in_conference" and not member.moderator
    assert "You are joining your group now." in member.said
    assert sim.room_of(member).started
    body = roster(client, world)
    assert body["moderator_present"] is True
    participants = body["participants"]
    assert isinstance(participants, list)
    assert [(p["alias"], p["role"]) for p in participants] == [
        (world.moderator_staff.username, "moderator"),
        (world.aliases[0], "member"),
    ]


def test_members_wait_with_music_until_the_moderator_arrives(
    sim: LocalTwilio, world: World, client: TestClient
) -> None:
    member = login(sim, world, world.member)
    assert member.state == "in_conference"
    assert not sim.room_of(member).started
    assert "Your meeting starts at 20:00. Please wait for the moderator." in member.said
    assert member.music_loops  # not once and then silence, however long the wait
    assert roster(client, world)["moderator_present"] is False
    login(sim, world, world.moderator)
    assert sim.room_of(member).started
    assert roster(client, world)["moderator_present"] is True


def test_a_moderator_who_dials_in_first_waits_for_members_not_for_a_moderator(
    sim: LocalTwilio, world: World
) -> None:
    moderator = login(sim, world, world.moderator)
    assert moderator.state == "in_conference"
    assert not sim.room_of(moderator).started  # alone: a conference needs two
    assert "Please wait for the moderator." not in moderator.said
    assert "You are the first one here. The members will join you." in moderator.said
    assert moderator.music_loops
    member = login(sim, world, world.member, caller="+48601000111")
    assert sim.room_of(member).started
    assert "Please wait for the moderator." not in member.said


def test_moderator_who_returns_within_the_grace_period_keeps_the_meeting(
    sim: LocalTwilio, world: World, client: TestClient, db: Session, clock: Clock
) -> None:
    clock.set(MEETING_START + timedelta(minutes=5))
    moderator = login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    moderator.hang_up()
    assert member.state == "in_conference"
    tasks.run_due_steps(db, clock.advance(seconds=10), sim)
    sim.deliver()
    assert "The moderator is reconnecting. Please stay on the line." in member.said
    clock.advance(minutes=3)
    login(sim, world, world.moderator)
    tasks.run_due_steps(db, clock.advance(minutes=3), sim)
    sim.deliver()
    assert member.state == "in_conference"
    assert ("end", sim.room_of(member).sid) not in sim.actions


def test_meeting_ends_when_no_moderator_is_back_after_the_grace_period(
    sim: LocalTwilio, world: World, client: TestClient, db: Session, clock: Clock
) -> None:
    clock.set(MEETING_START + timedelta(minutes=5))
    moderator = login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    moderator.hang_up()
    assert tasks.run_due_steps(db, clock.advance(minutes=4, seconds=59), sim) == 1  # announce
    sim.deliver()
    assert member.state == "in_conference"
    assert tasks.run_due_steps(db, clock.advance(seconds=1), sim) == 1  # grace over: end
    sim.deliver()
    assert member.state == "ended" and member.said.endswith("Goodbye.")
    assert roster(client, world)["participants"] == []
    # The room is closed for the rest of this meeting.
    late = login(sim, world, world.other, caller="+48601000222")
    assert "There is no meeting now." in late.said and late.state == "ended"


def test_three_wrong_pins_end_the_call_politely(sim: LocalTwilio, world: World) -> None:
    call = sim.dial(world.line_number, CALLER)
    for _ in range(2):
        call.press(world.member.participant_number).press("000000")
        assert call.spoken[-2:] == [
            "Sorry, those details were not recognised.",
            "Please enter your participant number again, then press the hash key.",
        ]
        assert call.state == "gathering"
    call.press(world.member.participant_number).press("000000")
    assert call.state == "ended"
    assert call.spoken[-2:] == [
        "Sorry, we could not let you in. If this keeps happening, please contact your moderator.",
        "Goodbye.",
    ]


def test_lockout_across_calls_is_shown_to_moderators_and_can_be_unlocked(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    world.moderator_staff.email = "moderator@example.org"
    db.flush()
    for pins in (["111111", "222222", "333333"], ["444444", "555555"]):
        call = sim.dial(world.line_number, CALLER)
        for pin in pins:
            call.press(world.member.participant_number).press(pin)
    membership = world.member.membership
    db.refresh(membership)
    assert membership.locked_until is not None
    # Even the right PIN is refused while locked, and it sounds like any wrong PIN.
    locked = login(sim, world, world.member)
    assert locked.state == "gathering" and "not recognised" in locked.said
    headers = auth_headers(client, world.moderator_staff)
    events = client.get(f"/api/v1/groups/{world.group.id}/access-events", headers=headers).json()
    assert [(e["kind"], e["membership_id"]) for e in events] == [("locked_out", membership.id)]
    attempts = roster(client, world)["attempts"]
    assert [a["kind"] for a in attempts] == ["locked_out"]
    # ...and the moderator is told by e-mail (a row in the outbox, nothing personal in it).
    notices = db.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == Kind.moderator_notice, OutboxMessage.group_id == world.group.id
        )
    ).all()
    assert [(n.channel, n.payload.get("event")) for n in notices] == [
        (Channel.email, "participant_locked")
    ]
    unlocked = client.post(f"/api/v1/memberships/{membership.id}/unlock", headers=headers)
    assert unlocked.status_code == 200
    assert login(sim, world, world.member, caller="+48601000333").state == "in_conference"


def test_an_unlock_starts_the_count_of_wrong_pins_afresh(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    for pins in (["111111", "222222", "333333"], ["444444", "555555"]):
        call = sim.dial(world.line_number, CALLER)
        for pin in pins:
            call.press(world.member.participant_number).press(pin)
    # Locked; the member keeps trying while locked, then a moderator unlocks.
    for pins in (["666666", "777777", "123890"], ["234901"]):
        during = sim.dial(world.line_number, CALLER)
        for pin in pins:
            during.press(world.member.participant_number).press(pin)
    membership = world.member.membership
    headers = auth_headers(client, world.moderator_staff)
    unlocked = client.post(f"/api/v1/memberships/{membership.id}/unlock", headers=headers)
    assert unlocked.status_code == 200
    # One typo after the unlock does not lock the member again.
    typo = sim.dial(world.line_number, "+48601000666")
    typo.press(world.member.participant_number).press("888888")
    db.refresh(membership)
    assert membership.locked_until is None
    assert login(sim, world, world.member, caller="+48601000777").state == "in_conference"


def test_unknown_number_sounds_exactly_like_a_wrong_pin(sim: LocalTwilio, world: World) -> None:
    wrong_pin = sim.dial(world.line_number, CALLER)
    wrong_pin.press(world.member.participant_number).press("909090")
    unknown = sim.dial(world.line_number, "+48601000444")
    unknown.press("123456789").press(world.member.pin)
    assert wrong_pin.spoken == unknown.spoken
    assert sim.twiml[-3:] == sim.twiml[-6:-3]  # the same TwiML, byte for byte


def test_first_call_chooses_a_pin_and_trivial_ones_are_refused(
    sim: LocalTwilio, world: World, db: Session
) -> None:
    membership = world.member.membership
    membership.pin_is_temporary = True
    db.flush()
    call = login(sim, world, world.member)
    assert "This is your first call." in call.said
    for pin, reason in (
        ("777777", "repeats one digit"),
        ("345678", "simple sequence"),
        ("876543", "simple sequence"),
        ("123", "It needs 6 to 12 digits."),
        (world.member.pin, "temporary PIN"),
    ):
        call.press(pin)
        refusal, ask = call.spoken[-2:]
        assert reason in refusal, pin
        # Asked again without being told once more that this is the first call.
        assert ask == "Please choose a new PIN of 6 to 12 digits, then press the hash key."
    assert call.said.count("This is your first call.") == 1
    call.press("358164").press("358199")
    assert "The two PINs were different." in call.said
    call.press("358164").press("358164")
    assert "Your new PIN is saved." in call.said
    assert call.state == "in_conference"
    db.refresh(membership)
    assert membership.pin_is_temporary is False
    call.hang_up()
    again = login(sim, world, replace(world.member, pin="358164"), caller="+48601000555")
    assert again.state == "in_conference"


def test_when_everyone_hung_up_early_the_room_opens_again(
    sim: LocalTwilio, world: World, client: TestClient
) -> None:
    moderator = login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    first_room = sim.room_of(member)
    member.hang_up()
    moderator.hang_up()
    assert first_room.ended  # Twilio ended the empty conference by itself
    back = login(sim, world, world.member, caller="+48601000111")
    assert back.state == "in_conference"
    login(sim, world, world.moderator)
    assert sim.room_of(back) is not first_room and sim.room_of(back).started
    assert len(labels(client, world)) == 2


def test_attendance_records_joined_and_left_times(
    sim: LocalTwilio, world: World, client: TestClient, clock: Clock
) -> None:
    clock.set(MEETING_START)
    login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    clock.advance(minutes=42)
    member.hang_up()
    headers = auth_headers(client, world.moderator_staff)
    url = f"/api/v1/memberships/{world.member.membership.id}/attendance"
    (record,) = client.get(url, headers=headers).json()
    assert record["meeting_id"] == world.meeting.id
    assert record["duration_seconds"] == 42 * 60
    assert set(record) == {"meeting_id", "joined_at", "left_at", "duration_seconds"}


def test_the_call_speaks_the_members_language_once_they_are_identified(
    sim: LocalTwilio, world: World, db: Session
) -> None:
    world.member.membership.language = "he"  # a Hebrew speaker on the group's English line
    db.flush()
    call = sim.dial(world.line_number, CALLER)
    assert call.spoken[-1] == text("en", Prompt.welcome)
    call.press(world.member.participant_number)
    assert call.spoken[-1] == text("en", Prompt.enter_pin)  # not yet identified
    call.press(world.member.pin)
    assert text("he", Prompt.joining) in call.spoken
    assert text("he", Prompt.wait, time="20:00") in call.spoken  # the wait URL too
    assert text("en", Prompt.joining) not in call.spoken
