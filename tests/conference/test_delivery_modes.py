"""A meeting from the first call to its end, with Twilio's callbacks arriving as Twilio may send
them: in order, shuffled, each twice, or late (``supportline.emulator.delivery``). Whatever the
order, the roster tells the truth, the end ends everyone's call, and nobody is dialled back in.

The mode in which callbacks arrive while the server's own REST request still runs (``during``)
needs requests on connections of their own and is tested against a live server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conference import tasks
from conference.models import Call, CallStage, Room
from supportline.emulator.delivery import Mode
from supportline.emulator.engine import Stage
from supportline.emulator.local import Handset, LocalTwilio
from tests.clock import Clock
from tests.factories import auth_headers
from tests.fixtures.calls import MEETING_START, World, local_twilio, login

END = MEETING_START + timedelta(hours=1)
MODES = [Mode.in_order, Mode.shuffled, Mode.duplicated, Mode.delayed]


@pytest.fixture(params=MODES, ids=[mode.value for mode in MODES])
def twilio(
    request: pytest.FixtureRequest, app: FastAPI, client: TestClient, clock: Clock
) -> Iterator[LocalTwilio]:
    yield local_twilio(app, client, clock, request.param)


def roster(client: TestClient, world: World) -> dict[str, Any]:
    headers = auth_headers(client, world.moderator_staff)
    response = client.get(f"/api/v1/meetings/{world.meeting.id}/roster", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def act(client: TestClient, world: World, path: str) -> None:
    headers = auth_headers(client, world.moderator_staff)
    response = client.post(f"/api/v1/meetings/{world.meeting.id}{path}", headers=headers)
    assert response.status_code == 200, response.text


def in_call(client: TestClient, world: World) -> dict[str, dict[str, Any]]:
    """The roster's participants by reference, once every callback has arrived."""
    return {p["ref"]: p for p in roster(client, world)["participants"]}


def dials_after(twilio: LocalTwilio, mark: int) -> int:
    return sum("<Dial" in answer for answer in twilio.twiml[mark:])


def test_a_meeting_from_the_first_call_to_its_end(
    twilio: LocalTwilio, world: World, client: TestClient, db: Session, clock: Clock
) -> None:
    clock.set(MEETING_START - timedelta(minutes=2))
    member = login(twilio, world, world.member, caller="+48601000111")
    assert member.state is Stage.in_conference and "[the conference starts]" not in member.heard
    assert member.music_loops  # the waiting music goes on until the moderator comes
    moderator = login(twilio, world, world.moderator)
    assert "[the conference starts]" in member.heard
    twilio.settle()
    refs = {world.member.membership.ref, world.moderator.membership.ref}
    assert set(in_call(client, world)) == refs

    clock.set(MEETING_START + timedelta(minutes=10))
    member_id = in_call(client, world)[world.member.membership.ref]["id"]
    act(client, world, f"/participants/{member_id}/mute")
    twilio.deliver()
    assert member.heard[-1] == "[muted]"
    act(client, world, f"/participants/{member_id}/unmute")
    twilio.settle()
    assert member.heard[-2:] == ["[muted]", "[unmuted]"]
    assert in_call(client, world)[world.member.membership.ref]["muted"] is False

    other = login(twilio, world, world.other, caller="+48601000222")
    twilio.settle()
    other_id = in_call(client, world)[world.other.membership.ref]["id"]
    mark = len(twilio.twiml)
    act(client, world, f"/participants/{other_id}/kick")
    twilio.settle()
    assert other.state is Stage.ended and dials_after(twilio, mark) == 0
    assert set(in_call(client, world)) == refs

    for at in (END - timedelta(minutes=5), END - timedelta(minutes=1)):
        clock.set(at)
        assert tasks.run_due_steps(db, at, twilio) == 1
        twilio.settle()
    assert member.spoken[-2:] == [
        "The meeting ends in five minutes.",
        "The meeting ends in one minute.",
    ]

    clock.set(END)
    mark = len(twilio.twiml)
    assert tasks.run_due_steps(db, END, twilio) == 1
    twilio.settle()
    assert_everyone_is_out(twilio, db, [member, moderator], mark)
    assert roster(client, world)["participants"] == []


def test_end_now_ends_every_call_whatever_the_order_of_the_callbacks(
    twilio: LocalTwilio, world: World, client: TestClient, db: Session, clock: Clock
) -> None:
    clock.set(MEETING_START + timedelta(minutes=20))
    moderator = login(twilio, world, world.moderator)
    members = [
        login(twilio, world, world.member, caller="+48601000111"),
        login(twilio, world, world.other, caller="+48601000222"),
    ]
    twilio.settle()
    mark = len(twilio.twiml)
    act(client, world, "/conference/end")
    twilio.settle()
    assert_everyone_is_out(twilio, db, [moderator, *members], mark)
    # Dialling in again after the end: the meeting is over.
    again = login(twilio, world, world.member, caller="+48601000111")
    assert again.state is Stage.ended and "<Dial" not in twilio.twiml[-1]


def test_a_late_end_of_an_earlier_conference_leaves_the_new_one_alone(
    twilio: LocalTwilio, world: World, client: TestClient, db: Session, clock: Clock
) -> None:
    # Everyone hangs up (the room's conference ends), then dials in again a minute later: a new
    # conference of the same name. The first one's callbacks may arrive only now.
    clock.set(MEETING_START + timedelta(minutes=5))
    first = [
        login(twilio, world, world.moderator),
        login(twilio, world, world.member, "+48601000111"),
    ]
    for handset in first:
        handset.hang_up()
    clock.set(MEETING_START + timedelta(minutes=6))
    again = [
        login(twilio, world, world.moderator),
        login(twilio, world, world.member, "+48601000111"),
    ]
    twilio.settle()
    assert [h.state for h in again] == [Stage.in_conference] * 2
    refs = {world.member.membership.ref, world.moderator.membership.ref}
    assert set(in_call(client, world)) == refs
    conference = twilio.room_of(again[0])
    db.expire_all()
    (room,) = db.scalars(select(Room)).all()
    assert room.conference_sid == conference.sid and room.ended_at is None


def assert_everyone_is_out(
    twilio: LocalTwilio, db: Session, handsets: list[Handset], mark: int
) -> None:
    assert [h.state for h in handsets] == [Stage.ended] * len(handsets)
    assert all("[the conference ends]" in h.heard for h in handsets)
    assert dials_after(twilio, mark) == 0, "somebody was dialled back into the room"
    assert all(c.ended for c in twilio.engine.rooms.conferences.values())
    db.expire_all()
    (room,) = db.scalars(select(Room)).all()
    assert room.ended_at is not None
    calls = db.scalars(select(Call).where(Call.stage == CallStage.in_conference)).all()
    assert calls == []
