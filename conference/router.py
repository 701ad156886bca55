"""The dial-in call's Twilio webhooks and the moderators' live-call API (rules live in services)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from conference import admission, controls, events, service
from conference import twiml as t
from conference.dependencies import Control, LiveParticipant, verified_pin
from conference.prompts import Prompt
from conference.replies import Empty, Farewell, line
from conference.schemas import AccessEventRead, AttendanceRead, RosterRead, roster_read
from core.clock import Now
from core.database import SessionDep
from core.errors import API_ERRORS, error_responses
from core.schemas import PageParams
from core.webhooks import TwilioRouter, Webhook
from groups.dependencies import (
    ModeratedGroup,
    ModeratedMeeting,
    ModeratedMembership,
    ModeratingStaff,
)

twilio_router = TwilioRouter("/twilio")  # served by core.webhooks.TwilioWebhooks
api_router = APIRouter(prefix="/api/v1", tags=["conference"], responses=API_ERRORS)
# The controls act on the live call through Twilio, which can fail.
CONTROL_ERRORS = error_responses(502)
Paging = Annotated[PageParams, Depends()]


# --- Twilio webhooks (every one signature-checked before it runs) -----------------------------
# Each service runs in the unit of work declared beside it (``core.work.runs``), on one worker
# thread (``hook.work.run``); the PIN's hash runs on the hashing threads. The reply is rendered
# here, once the unit of work is over.


async def answer_call(hook: Webhook) -> str | None:
    """A call to a group's line (the lines' Voice URL, ``supportline.voice``): greet and ask for
    the participant number. None: the number dialled is no group's line."""
    reply = await hook.work.run(
        service.start_call,
        call_sid=hook.get("CallSid"),
        caller=hook.get("From"),
        to=hook.get("To"),
        now=hook.now,
    )
    return None if reply is None else t.render(reply)


def not_in_service() -> str:
    """The answer to a call to a number that is none of our lines."""
    return t.render(Farewell("en", (line(Prompt.not_in_service),)))


@twilio_router.post("/voice/number", unavailable=t.unavailable)
async def voice_number(hook: Webhook) -> str:
    """The participant number was typed: ask for the PIN (the same for unknown numbers)."""
    reply = await hook.work.run(
        service.enter_number, call_sid=hook.get("CallSid"), digits=hook.get("Digits"), now=hook.now
    )
    return t.render(reply)


@twilio_router.post("/voice/pin", unavailable=t.unavailable)
async def voice_pin(hook: Webhook) -> str:
    """The PIN was typed: admit, ask for a new PIN on the first call, or try again."""
    pin = await verified_pin(hook)
    reply = await hook.work.run(
        service.enter_pin, call_sid=hook.get("CallSid"), pin=pin, now=hook.now
    )
    return t.render(reply)


@twilio_router.post("/voice/new-pin", unavailable=t.unavailable)
async def voice_new_pin(hook: Webhook) -> str:
    """First call: the chosen PIN, refused with a reason when trivial."""
    reply = await hook.work.run(
        service.choose_pin, call_sid=hook.get("CallSid"), digits=hook.get("Digits")
    )
    return t.render(reply)


@twilio_router.post("/voice/confirm-pin", unavailable=t.unavailable)
async def voice_confirm_pin(hook: Webhook) -> str:
    """First call: the chosen PIN once more; saved when both match."""
    reply = await hook.work.run(
        service.confirm_pin, call_sid=hook.get("CallSid"), digits=hook.get("Digits"), now=hook.now
    )
    return t.render(reply)


@twilio_router.post("/voice/dial-ended", unavailable=t.unavailable)
async def voice_dial_ended(hook: Webhook) -> str:
    """The conference leg ended: goodbye, or back into the room after an extension."""
    reply = await hook.work.run(
        admission.dial_ended,
        call_sid=hook.get("CallSid"),
        call_status=hook.get("CallStatus"),
        now=hook.now,
    )
    return t.render(reply)


@twilio_router.post("/conference/wait", unavailable=t.unavailable_wait)
async def conference_wait(hook: Webhook) -> str:
    """While members wait for the moderator: when the meeting starts, then music."""
    return t.render(await hook.work.run(admission.wait_prompt, call_sid=hook.get("CallSid")))


@twilio_router.post("/conference/status")
async def conference_status(hook: Webhook) -> str:
    """Conference status callbacks: the live roster and the attendance record."""
    if not await hook.work.run(events.participant_joined, params=hook.form, now=hook.now):
        await hook.work.run(events.conference_event, params=hook.form, now=hook.now)
    return t.render(Empty())


@twilio_router.post("/conference/announce/{kind}")
async def conference_announce(hook: Webhook) -> str:
    """What an announcement into the room says."""
    reply = await hook.work.run(
        events.announcement, kind=hook.param, conference_sid=hook.get("ConferenceSid")
    )
    return t.render(reply)


# --- moderators' live-call API ----------------------------------------------------------------


@api_router.get("/meetings/{meeting_id}/roster", response_model=RosterRead)
def get_roster(meeting: ModeratedMeeting, session: SessionDep) -> object:
    """Who is in the live call now, and refused or locked-out attempts of this meeting."""
    return roster_read(controls.roster(session, meeting=meeting))


@api_router.post(
    "/meetings/{meeting_id}/participants/{call_id}/{action}",
    response_model=RosterRead,
    responses=CONTROL_ERRORS,
)
def act_on_participant(
    *,
    action: controls.ParticipantAction,
    meeting: ModeratedMeeting,
    call: LiveParticipant,
    session: SessionDep,
    staff: ModeratingStaff,
    control: Control,
    now: Now,
) -> object:
    """Mute, unmute, hold, resume, kick (this call only) or eject (for good) one participant."""
    return roster_read(
        controls.act_on_participant(
            session,
            actor=staff,
            meeting=meeting,
            call=call,
            action=action,
            control=control,
            now=now,
        )
    )


@api_router.post(
    "/meetings/{meeting_id}/conference/{action}",
    response_model=RosterRead,
    responses=CONTROL_ERRORS,
)
def act_on_room(
    *,
    action: controls.RoomAction,
    meeting: ModeratedMeeting,
    session: SessionDep,
    staff: ModeratingStaff,
    control: Control,
    now: Now,
) -> object:
    """Mute all members, lock or unlock the room, end the meeting now, or extend it."""
    return roster_read(
        controls.act_on_room(
            session, actor=staff, meeting=meeting, action=action, control=control, now=now
        )
    )


@api_router.get("/groups/{group_id}/access-events", response_model=list[AccessEventRead])
def list_access_events(group: ModeratedGroup, session: SessionDep, paging: Paging) -> object:
    """Lockouts and duplicate logins in the group, newest first."""
    return controls.access_events(
        session, group_id=group.id, limit=paging.limit, offset=paging.offset
    )


@api_router.get("/memberships/{membership_id}/attendance", response_model=list[AttendanceRead])
def list_attendance(membership: ModeratedMembership, session: SessionDep) -> object:
    """When the member was in their meetings' calls (joined, left, duration), newest first."""
    return [AttendanceRead.of(c) for c in events.attendance(session, membership_id=membership.id)]
