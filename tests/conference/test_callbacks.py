"""Conference status callbacks as Twilio sends them: separate requests, in no promised order,
possibly late (https://www.twilio.com/docs/voice/api/call-resource, status callbacks)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.models import Room
from supportline.emulator.hooks import ACCOUNT_SID
from supportline.emulator.local import Handset, LocalTwilio
from tests.conference.test_call_flow import roster
from tests.fixtures.calls import World, login

STATUS_URL = "https://line.example.org/twilio/conference/status"
EARLIER = "CF" + "0" * 32  # a conference of this room that is over


def late(call: Handset, event: str, conference_sid: str = EARLIER) -> dict[str, str]:
    """A callback of ``call``'s room that Twilio fired for an earlier conference."""
    assert call.room is not None
    return {
        "AccountSid": ACCOUNT_SID,
        "ConferenceSid": conference_sid,
        "FriendlyName": call.room,
        "StatusCallbackEvent": event,
        "SequenceNumber": "7",
        "Timestamp": "Mon, 02 Mar 2026 18:50:00 +0000",
        "CallSid": call.sid,
        "ParticipantLabel": call.label or "",
        "Muted": "false",
        "Hold": "false",
        "Coaching": "false",
        "EndConferenceOnExit": "false",
        "StartConferenceOnEnter": "false",
    }


def test_a_late_callback_of_an_earlier_conference_changes_nothing(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    current = sim.room_of(member).sid
    for event in ("participant-leave", "participant-mute", "conference-end"):
        sim.post(STATUS_URL, late(member, event))
    room = db.scalars(select(Room).where(Room.meeting_id == world.meeting.id)).one()
    db.refresh(room)
    assert room.conference_sid == current  # not pointed back at the earlier conference
    assert room.ended_at is None
    participants = roster(client, world)["participants"]
    assert [(p["alias"], p["muted"]) for p in participants] == [
        (world.moderator_staff.username, False),
        (world.aliases[0], False),  # still in the call, not muted
    ]


def callback(call: Handset, conference_sid: str, event: str, sequence: int) -> dict[str, str]:
    return late(call, event, conference_sid) | {"SequenceNumber": str(sequence)}


def test_callbacks_of_one_conference_count_in_the_order_twilio_fired_them(
    sim: LocalTwilio, world: World, client: TestClient
) -> None:
    login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    sid = sim.room_of(member).sid
    # Muted, then unmuted — but the unmute arrives first, and the mute a moment later.
    sim.post(STATUS_URL, callback(member, sid, "participant-unmute", 21))
    sim.post(STATUS_URL, callback(member, sid, "participant-mute", 20))
    sim.post(STATUS_URL, callback(member, sid, "participant-mute", 20))  # and once more
    muted = {p["alias"]: p["muted"] for p in roster(client, world)["participants"]}
    assert muted[world.aliases[0]] is False
    # Left for good; the join that came before it arrives late: still gone.
    sim.post(STATUS_URL, callback(member, sid, "participant-leave", 30))
    sim.post(STATUS_URL, callback(member, sid, "participant-join", 25))
    aliases = [p["alias"] for p in roster(client, world)["participants"]]
    assert world.aliases[0] not in aliases
