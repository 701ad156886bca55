"""The live meeting panel: the roster as the console shows it and every one-tap control, with the
voice engine playing Twilio (signed webhooks in, REST controls out)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conference.models import Call, Room
from conference.providers import FakeConferenceControl, get_conference_control
from core.audit import AuditEntry
from groups.models import MembershipStatus
from supportline.emulator.local import Handset, LocalTwilio
from tests.clock import Clock
from tests.console.helpers import csrf_from, post_form, sign_in
from tests.factories import create_group, create_staff
from tests.fixtures.calls import World, login

MEMBER_CALLER = "+48601000111"


def _live(world: World) -> str:
    return f"/console/meetings/{world.meeting.id}/live"


def _call_id(db: Session, sim_call: Handset) -> int:
    call = db.scalar(select(Call).where(Call.call_sid == sim_call.sid))
    assert call is not None
    return call.id


def _in_call(sim: LocalTwilio, world: World) -> tuple[Handset, Handset]:
    moderator = login(sim, world, world.moderator)
    member = login(sim, world, world.member, caller=MEMBER_CALLER)
    return moderator, member


def _row(html: str, call_id: int) -> str:
    """The participant's row of the panel (up to the next row)."""
    start = html.index(f'id="participant-{call_id}"')
    end = html.find('class="row participant"', start)
    return html[start : end if end > 0 else len(html)]


def _post(client: TestClient, world: World, action: str) -> str:
    response = post_form(client, f"{_live(world)}/{action}", page=_live(world))
    assert response.status_code == 303, response.text
    assert response.headers["location"] == _live(world)
    return client.get(_live(world)).text


def test_the_panel_shows_who_is_in_the_call_and_the_fragment_follows_callbacks(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    sign_in(client, world.moderator_staff)
    fragment_path = f"{_live(world)}/panel"
    empty = client.get(fragment_path)
    assert empty.status_code == 200
    assert "Nobody is in the call right now." in empty.text
    assert "<html" not in empty.text and empty.headers["cache-control"] == "no-store"
    moderator, member = _in_call(sim, world)
    page = client.get(_live(world))
    assert page.status_code == 200
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<script src="/console/static/live.js" defer></script>' in page.text
    assert "2 in the call" in page.text
    moderator_row = _row(page.text, _call_id(db, moderator))
    assert world.moderator_staff.username in moderator_row and ">moderator<" in moderator_row
    member_row = _row(page.text, _call_id(db, member))
    assert world.aliases[0] in member_row and ">member<" in member_row
    assert "joined 19:55" in member_row  # 18:55 UTC in Warsaw
    assert "speaking" not in member_row and "muted" not in member_row
    # Twilio reports that the member speaks: the next fetch of the fragment shows it.
    member.speak()
    assert ">speaking<" in _row(client.get(fragment_path).text, _call_id(db, member))
    for phone in world.phones:
        assert phone not in page.text


def test_mute_unmute_hold_resume_go_through_the_conference_control(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    _moderator, member = _in_call(sim, world)
    call_id = _call_id(db, member)
    sign_in(client, world.moderator_staff)
    participant = f"participants/{call_id}"
    page = _post(client, world, f"{participant}/mute")
    assert sim.actions[-1] == ("mute", member.sid)
    assert "Muted." in page and ">muted<" in _row(page, call_id)
    assert f'aria-label="Unmute {world.aliases[0]}"' in page
    _post(client, world, f"{participant}/unmute")
    assert sim.actions[-1] == ("unmute", member.sid)
    page = _post(client, world, f"{participant}/hold")
    assert sim.actions[-1] == ("hold", member.sid)
    assert ">on hold<" in _row(page, call_id)
    page = _post(client, world, f"{participant}/resume")
    assert sim.actions[-1] == ("resume", member.sid)
    assert "on hold" not in _row(page, call_id) and "muted<" not in _row(page, call_id)
    audited = db.scalars(
        select(AuditEntry.action).where(AuditEntry.actor_id == world.moderator_staff.id)
    )
    assert {"conference.mute", "conference.unmute", "conference.hold", "conference.resume"} <= set(
        audited
    )


def test_kick_removes_the_call_and_eject_is_confirmed_as_permanent(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    _moderator, member = _in_call(sim, world)
    other = login(sim, world, world.other, caller="+48601000222")
    sign_in(client, world.moderator_staff)
    page = _post(client, world, f"participants/{_call_id(db, member)}/kick")
    assert sim.actions[-1] == ("remove", member.sid)
    assert "Removed from this call." in page
    assert f'id="participant-{_call_id(db, member)}"' not in page
    assert world.member.membership.status is MembershipStatus.active

    other_id = _call_id(db, other)
    confirm = client.get(f"{_live(world)}/participants/{other_id}/eject")
    assert confirm.status_code == 200
    assert f"Eject {world.aliases[1]} for good?" in confirm.text
    assert "This is permanent." in confirm.text
    assert sim.actions[-1] == ("remove", member.sid)  # nothing happens before the confirmation
    page = _post(client, world, f"participants/{other_id}/eject")
    assert sim.actions[-1] == ("remove", other.sid)
    assert "Ejected for good" in page
    assert world.other.membership.status is MembershipStatus.ejected


def test_room_controls_mute_all_lock_extend_and_end(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    moderator, member = _in_call(sim, world)
    sign_in(client, world.moderator_staff)
    page = _post(client, world, "mute-all")
    assert ("mute", member.sid) in sim.actions and ("mute", moderator.sid) not in sim.actions
    assert ">muted<" in _row(page, _call_id(db, member))
    page = _post(client, world, "lock")
    assert ">Locked<" in page and "Unlock the room" in page
    room = db.scalar(select(Room).where(Room.meeting_id == world.meeting.id))
    assert room is not None and room.locked
    page = _post(client, world, "unlock")
    assert not room.locked and "Lock the room" in page
    assert "Ends at 21:00" in page  # 20:00 in Warsaw, 60 minutes
    page = _post(client, world, "extend")
    assert "Ends at 21:15 (extended by 15 minutes)" in page
    assert world.meeting.extended_minutes == 15
    confirm = client.get(f"{_live(world)}/end")
    assert "End the meeting for everyone?" in confirm.text
    page = _post(client, world, "end")
    assert sim.actions[-1] == ("end", room.conference_sid)
    assert "The call ended at" in page and 'data-finished="true"' in page


def test_a_participant_who_already_left_is_a_clear_message_and_the_roster_is_corrected(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    _moderator, member = _in_call(sim, world)
    call_id = _call_id(db, member)
    member.hang_up(heard_by_server=False)  # Twilio answers 20404: hung up a moment ago
    sign_in(client, world.moderator_staff)
    response = post_form(client, f"{_live(world)}/participants/{call_id}/mute", page=_live(world))
    assert response.status_code == 409
    assert "That did not work" in response.text
    assert "This participant has already left the call; the roster is updated." in response.text
    assert f'id="participant-{call_id}"' not in response.text
    call = db.get(Call, call_id)
    assert call is not None and call.left_at is not None  # kept despite the error
    again = post_form(client, f"{_live(world)}/participants/{call_id}/kick", page=_live(world))
    assert again.status_code == 404
    assert "No such participant in this meeting&#39;s call." in again.text


def test_a_twilio_failure_changes_nothing_and_says_to_try_again(
    sim: LocalTwilio, world: World, client: TestClient, app: FastAPI, db: Session
) -> None:
    _moderator, member = _in_call(sim, world)
    call_id = _call_id(db, member)
    app.dependency_overrides[get_conference_control] = lambda: FakeConferenceControl(
        unavailable=True
    )
    sign_in(client, world.moderator_staff)
    response = post_form(client, f"{_live(world)}/participants/{call_id}/mute", page=_live(world))
    assert response.status_code == 502
    assert "Twilio did not confirm the mute; please try again in a moment." in response.text
    assert ">muted<" not in _row(response.text, call_id)
    call = db.get(Call, call_id)
    assert call is not None and not call.muted
    ended = post_form(client, f"{_live(world)}/end", page=_live(world))
    assert ended.status_code == 502 and "end of the meeting" in ended.text
    room = db.scalar(select(Room).where(Room.meeting_id == world.meeting.id))
    assert room is not None and room.ended_at is None


def test_failed_logins_and_lockouts_of_the_meeting_are_shown(
    sim: LocalTwilio, world: World, client: TestClient
) -> None:
    # Three wrong PINs end a call; two more in a second call make five: the number is locked.
    for tries in (3, 2):
        call = sim.dial(world.line_number, "+48601000333")
        for _try in range(tries):
            call.press(world.member.participant_number).press("000000")
        assert call.state == ("ended" if tries == 3 else "gathering")
    sign_in(client, world.moderator_staff)
    page = client.get(_live(world)).text
    assert "5 wrong PINs typed on this group's dial-in line" in page
    assert ">locked out<" in page and world.aliases[0] in page
    assert f'href="/console/memberships/{world.member.membership.id}"' in page


def test_the_group_page_links_the_panel_of_the_meeting_in_progress_only(
    world: World, client: TestClient
) -> None:
    sign_in(client, world.moderator_staff)
    for path in (f"/console/groups/{world.group.id}", "/console/"):
        page = client.get(path).text
        links = re.findall(r'href="/console/meetings/(\d+)/live"', page)
        assert links == [str(world.meeting.id)], path


def test_the_meeting_in_progress_is_marked_now_with_its_panel_beside_it(
    world: World, client: TestClient, clock: Clock
) -> None:
    sign_in(client, world.moderator_staff)
    assert "now — in progress" not in client.get("/console/").text  # 19:55: it opens soon
    clock.advance(minutes=15)  # 20:10 in Warsaw: the meeting of 20:00 is on
    live_link = f'href="/console/meetings/{world.meeting.id}/live"'
    for path in (f"/console/groups/{world.group.id}", "/console/"):
        rows = client.get(path).text.split("<li")
        [running] = [row for row in rows if "now — in progress" in row]
        assert "20:00" in running and live_link in running, path


def test_a_moderator_of_another_group_gets_404_everywhere(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    _moderator, member = _in_call(sim, world)
    call_id = _call_id(db, member)
    stranger = create_staff(db)
    create_group(db, now=world.meeting.starts_at, moderator=stranger)
    sign_in(client, stranger)
    live = _live(world)
    for path in (live, f"{live}/panel", f"{live}/end", f"{live}/participants/{call_id}/eject"):
        assert client.get(path).status_code == 404, path
    token = csrf_from(client.get("/console/").text)
    for path in (f"{live}/participants/{call_id}/mute", f"{live}/mute-all", f"{live}/end"):
        response = client.post(path, data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 404, path
        assert world.aliases[0] not in response.text
    assert ("mute", member.sid) not in sim.actions and sim.actions == []


def test_a_post_without_the_csrf_token_is_refused(
    sim: LocalTwilio, world: World, client: TestClient, db: Session
) -> None:
    _moderator, member = _in_call(sim, world)
    call_id = _call_id(db, member)
    sign_in(client, world.moderator_staff)
    for path in (f"participants/{call_id}/mute", "lock", "end"):
        response = client.post(f"{_live(world)}/{path}", data={}, follow_redirects=False)
        assert response.status_code == 403
        assert "could not be accepted" in response.text
    assert sim.actions == []
    room = db.scalar(select(Room).where(Room.meeting_id == world.meeting.id))
    assert room is not None and not room.locked


def test_signed_out_the_panel_and_its_fragment_send_to_the_sign_in_page(
    world: World, client: TestClient
) -> None:
    for path in (_live(world), f"{_live(world)}/panel"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/console/login"
