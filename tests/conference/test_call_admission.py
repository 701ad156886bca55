"""Admission checks, signatures, and the meeting's lifecycle, on Twilio's voice engine."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from conference import tasks
from conference.models import AccessEvent
from groups import meetings as groups_meetings
from supportline.emulator.engine import Call
from supportline.emulator.local import LocalTwilio
from supportline.emulator.rooms import Leg
from tests.clock import Clock
from tests.factories import auth_headers, create_staff
from tests.fixtures.calls import CALLER, MEETING_START, World, login
from tests.fixtures.settings import Change
from tests.twilio_signing import signature_for

BASE = "https://line.example.org"


def api(client: TestClient, world: World, path: str) -> dict[str, Any]:
    headers = auth_headers(client, world.moderator_staff)
    response = client.post(f"/api/v1/meetings/{world.meeting.id}{path}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def participants(client: TestClient, world: World) -> list[dict[str, object]]:
    headers = auth_headers(client, world.moderator_staff)
    response = client.get(f"/api/v1/meetings/{world.meeting.id}/roster", headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()["participants"]
    return found


def test_too_early_says_when_the_meeting_starts(
    sim: LocalTwilio, world: World, clock: Clock
) -> None:
    clock.set(datetime(2026, 3, 2, 18, 49, tzinfo=UTC))  # 19:49 in Warsaw: one minute early
    call = login(sim, world, world.member)
    assert call.state == "ended"
    assert call.spoken[-2:] == [
        "Your meeting has not started yet. It starts at 20:00. You can call from ten minutes "
        "before.",
        "Goodbye.",
    ]
    clock.advance(minutes=1)
    assert login(sim, world, world.member, caller="+48601000666").state == "in_conference"


def test_after_the_meeting_says_when_the_next_one_is(
    sim: LocalTwilio, world: World, clock: Clock
) -> None:
    clock.set(MEETING_START + timedelta(hours=1))  # the end: Monday 21:00 in Warsaw
    call = login(sim, world, world.member)
    assert call.spoken[-3:] == [
        "There is no meeting now.",
        "The next meeting is on Thursday 5 March at 20:00.",
        "Goodbye.",
    ]


def test_cancelled_meeting_says_so_and_names_the_next(
    sim: LocalTwilio, world: World, db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    groups_meetings.cancel_meeting(
        db, actor=admin, meeting=world.meeting, now=MEETING_START - timedelta(days=1)
    )
    call = login(sim, world, world.member)
    assert call.spoken[-3:] == [
        "Today's meeting is cancelled.",
        "The next meeting is on Thursday 5 March at 20:00.",
        "Goodbye.",
    ]


def test_suspended_membership_hears_that_access_ended(
    sim: LocalTwilio, world: World, client: TestClient
) -> None:
    headers = auth_headers(client, world.moderator_staff)
    membership_id = world.member.membership.id
    assert client.post(f"/api/v1/memberships/{membership_id}/suspend", headers=headers).is_success
    call = login(sim, world, world.member)
    assert call.spoken[-2:] == [
        "Your access has ended. Please contact the person who referred you.",
        "Goodbye.",
    ]


def test_ejected_during_the_call_is_removed_and_cannot_dial_in_again(
    sim: LocalTwilio, world: World, client: TestClient
) -> None:
    login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    (participant,) = [p for p in participants(client, world) if p["role"] == "member"]
    body = api(client, world, f"/participants/{participant['id']}/eject")
    sim.deliver()
    assert ("remove", member.sid) in sim.actions
    assert member.state == "ended" and member.spoken[-1] == "Goodbye."
    assert [p["role"] for p in body["participants"]] == ["moderator"]
    again = login(sim, world, world.member, caller="+48601000222")
    assert "Your access has ended." in again.said


def test_the_eject_route_of_memberships_also_drops_the_live_call(
    sim: LocalTwilio, world: World, client: TestClient
) -> None:
    login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    headers = auth_headers(client, world.moderator_staff)
    membership_id = world.member.membership.id
    response = client.post(f"/api/v1/memberships/{membership_id}/eject", headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "ejected"
    sim.deliver()
    assert member.state == "ended"


def test_same_credentials_twice_refuses_the_second_caller_and_tells_the_moderator(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    login(sim, world, world.moderator)
    first = login(sim, world, world.member, caller="+48601000111")
    second = login(sim, world, world.member, caller="+48601000222")
    assert first.state == "in_conference"
    assert second.spoken[-2:] == [
        "These details are already in use in the call, so we cannot connect you.",
        "Goodbye.",
    ]
    headers = auth_headers(client, world.moderator_staff)
    body = client.get(f"/api/v1/meetings/{world.meeting.id}/roster", headers=headers).json()
    assert [(a["kind"], a["membership_id"]) for a in body["attempts"]] == [
        ("duplicate", world.member.membership.id)
    ]
    assert len(body["participants"]) == 2
    assert db.scalars(select(AccessEvent)).all()


def test_locked_room_refuses_members_but_not_moderators(
    sim: LocalTwilio, world: World, client: TestClient
) -> None:
    moderator = login(sim, world, world.moderator)
    assert api(client, world, "/conference/lock")["locked"] is True
    member = login(sim, world, world.member, caller="+48601000111")
    assert member.spoken[-2:] == [
        "The moderator has closed the room for now. Please try again later.",
        "Goodbye.",
    ]
    moderator.hang_up()
    assert login(sim, world, world.moderator, caller="+48601000222").state == "in_conference"
    api(client, world, "/conference/unlock")
    assert login(sim, world, world.member, caller="+48601000333").state == "in_conference"


def test_forged_or_missing_signatures_are_refused_on_every_webhook(
    sim: LocalTwilio, world: World, client: TestClient
) -> None:
    params = {"CallSid": "CA" + "1" * 32, "From": CALLER, "To": world.line_number}
    for path in (
        "/twilio/voice",
        "/twilio/voice/number",
        "/twilio/voice/pin",
        "/twilio/voice/new-pin",
        "/twilio/voice/confirm-pin",
        "/twilio/voice/dial-ended",
        "/twilio/conference/wait",
        "/twilio/conference/status",
        "/twilio/conference/announce/five_minutes",
    ):
        assert client.post(path, data=params).status_code == 403, path
        forged = {"X-Twilio-Signature": signature_for(BASE + path, {**params, "Digits": "1"})}
        assert client.post(path, data=params, headers=forged).status_code == 403, path
    assert sim.calls == []


def test_announcements_and_end_come_at_the_right_instants(
    sim: LocalTwilio, world: World, db: Session, clock: Clock
) -> None:
    clock.set(MEETING_START)
    moderator = login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    end = MEETING_START + timedelta(hours=1)
    said = []
    for at in (end - timedelta(minutes=5, seconds=1), end - timedelta(minutes=5)):
        said.append(tasks.run_due_steps(db, at, sim))
        sim.deliver()
    assert said == [0, 1]
    assert member.spoken[-1] == "The meeting ends in five minutes."
    assert tasks.run_due_steps(db, end - timedelta(minutes=4), sim) == 0  # idempotent
    assert tasks.run_due_steps(db, end - timedelta(seconds=61), sim) == 0
    assert tasks.run_due_steps(db, end - timedelta(seconds=60), sim) == 1
    sim.deliver()
    assert moderator.spoken[-1] == "The meeting ends in one minute."
    assert tasks.run_due_steps(db, end - timedelta(seconds=1), sim) == 0
    assert member.state == "in_conference"
    assert tasks.run_due_steps(db, end, sim) == 1
    sim.deliver()
    assert member.state == "ended" and moderator.state == "ended"
    assert tasks.run_due_steps(db, end + timedelta(seconds=5), sim) == 0


def test_an_extension_moves_the_end_and_the_announcements_and_drops_nobody(
    sim: LocalTwilio, world: World, client: TestClient, db: Session, clock: Clock
) -> None:
    end = MEETING_START + timedelta(hours=1)
    clock.set(end - timedelta(minutes=10))
    login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    # A Dial's limit cannot change once it runs: it leaves room for two extensions.
    assert member.time_limit == (10 + 30) * 60
    clock.set(end - timedelta(minutes=2))
    tasks.run_due_steps(db, clock.now(), sim)
    body = api(client, world, "/conference/extend")
    new_end = end + timedelta(minutes=15)
    assert datetime.fromisoformat(str(body["ends_at"])) == new_end
    limits = [a for a in sim.actions if a[0] == "time_limit"]
    assert len(limits) == 2 and (limits[-1][1], limits[-1][2]) == (member.sid, "1500")
    # The old end passes: the leg's Dial limit reaches past the new end, so Twilio does not
    # take anyone out of the room, and the lifecycle does nothing either.
    joined_at = end - timedelta(minutes=10)
    assert joined_at + timedelta(seconds=member.time_limit) > new_end
    assert tasks.run_due_steps(db, end, sim) == 0
    assert member.state == "in_conference"
    assert tasks.run_due_steps(db, new_end - timedelta(minutes=5), sim) == 1
    assert tasks.run_due_steps(db, new_end, sim) == 1
    sim.deliver()
    assert member.state == "ended"


def test_a_meeting_extended_past_its_end_is_still_listed_until_its_new_end(
    sim: LocalTwilio, world: World, client: TestClient, clock: Clock
) -> None:
    end = MEETING_START + timedelta(hours=1)
    clock.set(end - timedelta(minutes=10))
    login(sim, world, world.moderator)
    api(client, world, "/conference/extend")
    headers = auth_headers(client, world.moderator_staff)
    url = f"/api/v1/groups/{world.meeting.group_id}/meetings"

    def listed() -> bool:
        items = client.get(url, headers=headers).json()["items"]
        return world.meeting.id in [item["id"] for item in items]

    # Past the planned end the moderator still finds the running meeting and its controls.
    clock.set(end + timedelta(minutes=10))
    assert listed()
    clock.set(end + timedelta(minutes=15))
    assert not listed()


def test_beyond_the_room_left_for_extensions_a_caller_is_dialled_straight_back_in(
    sim: LocalTwilio, world: World, client: TestClient, clock: Clock
) -> None:
    end = MEETING_START + timedelta(hours=1)
    clock.set(end - timedelta(minutes=10))
    member = login(sim, world, world.member, caller="+48601000111")
    login(sim, world, world.moderator)
    for _ in range(3):  # one more than the Dial's limit leaves room for
        api(client, world, "/conference/extend")
    clock.set(end + timedelta(minutes=30))
    sim.deliver()  # the leg's Dial limit has passed: it leaves, Twilio requests the action
    assert member.state == "in_conference"
    assert member.time_limit == (15 + 30) * 60  # to the new end, with room for two more


def test_extensions_stop_before_twilio_would_cut_off_the_first_callers(
    sim: LocalTwilio, world: World, client: TestClient, clock: Clock
) -> None:
    # Twilio ends every call after 4 hours. The moderator dialled in when dial-in opened, ten
    # minutes before the start: extensions may take the meeting to 3 h 50 min, no further.
    clock.set(MEETING_START - timedelta(minutes=10))
    moderator = login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller="+48601000111")
    for _ in range(11):  # 11 × 15 minutes: the end at 3 h 45 min after the start
        api(client, world, "/conference/extend")
    headers = auth_headers(client, world.moderator_staff)
    refused = client.post(f"/api/v1/meetings/{world.meeting.id}/conference/extend", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("calls last at most 4 hours")
    end = MEETING_START + timedelta(hours=1, minutes=165)
    while clock.now() < end - timedelta(minutes=1):  # the time passes at Twilio, minute by minute
        clock.advance(seconds=60)
        sim.deliver()
    assert moderator.state == member.state == "in_conference", (
        moderator.heard[-8:],
        member.heard[-8:],
    )
    assert not any("cut off" in sound for sound in moderator.heard)


def test_with_24_hour_calls_extensions_stop_at_four_hours(
    sim: LocalTwilio, world: World, client: TestClient, clock: Clock, settings: Change
) -> None:
    settings(max_call_hours=24)
    clock.set(MEETING_START - timedelta(minutes=10))
    login(sim, world, world.moderator)
    for _ in range(16):  # 16 × 15 minutes = the four hours allowed
        api(client, world, "/conference/extend")
    headers = auth_headers(client, world.moderator_staff)
    refused = client.post(f"/api/v1/meetings/{world.meeting.id}/conference/extend", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["detail"] == "a meeting can be extended by at most 4 hours in all"


def test_a_leg_twilio_would_not_put_in_the_room_is_not_dialled_again_and_again(
    sim: LocalTwilio, world: World, clock: Clock
) -> None:
    # A label already in the conference (error 16025): Twilio does not add the leg and goes on
    # to the Dial's action at once. Dialled back in, it would be refused again, forever.
    moderator = login(sim, world, world.moderator)
    conference = sim.room_of(moderator)
    stale = Leg.of(
        ET.fromstring(
            f'<Conference participantLabel="{world.member.membership.ref}">'
            f"{conference.name}</Conference>"
        ),
        "CA" + "5" * 32,
        {},
        clock.now(),
        3600,
    )
    sim.engine.rooms.join(stale, Call("CA" + "5" * 32, "", "", clock.now()))
    member = login(sim, world, world.member, caller="+48601000111")
    assert "16025 participantLabel already in use in this conference" in sim.engine.errors
    assert member.state == "ended" and member.spoken[-1] == "Goodbye."
    assert sum("<Dial" in answer for answer in sim.twiml) == 2  # the moderator's, the member's
