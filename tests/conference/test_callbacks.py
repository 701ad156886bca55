"""Conference status callbacks as Twilio sends them: separate requests, in no promised order,
possibly late (https://www.twilio.com/docs/voice/api/call-resource, status callbacks)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.models import Room
from tests.conference.simulator import ACCOUNT_SID, SimCall, TwilioSimulator
from tests.conference.test_call_flow import roster
from tests.fixtures.calls import World, login

STATUS_URL = "https://line.example.org/twilio/conference/status"
EARLIER = "CF" + "0" * 32  # a conference of this room that is over


def late(call: SimCall, event: str, conference_sid: str = EARLIER) -> dict[str, str]:
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
    sim: TwilioSimulator, world: World, client: TestClient, db: Session
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
