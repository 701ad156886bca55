"""The live meeting panel: who is in the call now, and the moderator's one-tap controls.

Every control goes through ``conference.controls`` (and so through the ``ConferenceControl`` in
use: Twilio's REST API, or the in-memory one without an account). The page fetches its panel
again every second (``static/live.js``), so Twilio's status callbacks show within two seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from auth.models import Staff
from conference import controls
from conference.dependencies import Control
from conference.providers import ConferenceControl
from console import views
from console.dependencies import ConsoleMeeting, ConsoleModerator
from console.exceptions import action_refused
from console.rendering import PREFIX, flash, fragment, redirect, render
from core.clock import Now
from core.database import SessionDep
from core.errors import AppError
from core.schemas import PathId
from core.settings import get_settings
from groups.models import Meeting

router = APIRouter()

PARTICIPANT_DONE = {
    controls.ParticipantAction.mute: "Muted.",
    controls.ParticipantAction.unmute: "Unmuted.",
    controls.ParticipantAction.hold: "Put on hold: they hear music until you resume them.",
    controls.ParticipantAction.resume: "Back in the conversation.",
    controls.ParticipantAction.kick: "Removed from this call. They can dial in again.",
    controls.ParticipantAction.eject: (
        "Ejected for good: removed from the call, and the credentials no longer work."
    ),
}
ROOM_DONE = {
    controls.RoomAction.mute_all: "Every member is muted; moderators can still speak.",
    controls.RoomAction.lock: "The room is locked: only moderators can join now.",
    controls.RoomAction.unlock: "The room is open again to the group's members.",
    controls.RoomAction.end: "The meeting is ended for everyone.",
    controls.RoomAction.extend: "The meeting is extended: the new end time is shown below.",
}


def live_path(meeting_id: int) -> str:
    return f"{PREFIX}/meetings/{meeting_id}/live"


def _panel_context(session: Session, meeting: Meeting, now: datetime) -> dict[str, Any]:
    panel = views.live_panel(session, meeting=meeting)
    return {
        "meeting": meeting,
        "panel": panel,
        "now": now,
        "extension_minutes": get_settings().extension_minutes,
    }


@dataclass(frozen=True)
class LiveControl:
    """What every control of the panel needs: the meeting (checked), who acts, and how."""

    request: Request
    meeting: Meeting
    staff: Staff
    session: Session
    control: ConferenceControl
    now: datetime

    def attempt(self, action: Callable[[], object], done: str) -> Response:
        """Run one control; a refusal or a Twilio failure shows the panel again with the reason."""
        try:
            action()
        except AppError as exc:
            context = {**_panel_context(self.session, self.meeting, self.now), "error": exc.detail}
            page = render(
                self.request, "live.html", context, staff=self.staff, status_code=exc.status_code
            )
            raise action_refused(page, exc) from exc
        flash(self.request, done)
        return redirect(live_path(self.meeting.id))


def get_live_control(
    request: Request,
    *,
    meeting: ConsoleMeeting,
    staff: ConsoleModerator,
    session: SessionDep,
    control: Control,
    now: Now,
) -> LiveControl:
    return LiveControl(request, meeting, staff, session, control, now)


LiveDep = Annotated[LiveControl, Depends(get_live_control)]


@router.get("/meetings/{meeting_id}/live")
def live_page(live: LiveDep) -> Response:
    """The live meeting panel: who is in the call, failed logins, and the controls."""
    context = _panel_context(live.session, live.meeting, live.now)
    return render(live.request, "live.html", context, staff=live.staff)


@router.get("/meetings/{meeting_id}/live/panel")
def live_fragment(live: LiveDep) -> Response:
    """The panel alone, fetched by the page every second."""
    context = _panel_context(live.session, live.meeting, live.now)
    return fragment(live.request, "_live_panel.html", context)


@router.get("/meetings/{meeting_id}/live/participants/{call_id}/eject")
def confirm_eject(call_id: PathId, live: LiveDep) -> Response:
    """Confirm ejecting a participant for good, saying that it is permanent."""
    call = controls.get_live_call(live.session, meeting=live.meeting, call_id=call_id)
    membership = views.membership_of(live.session, call)
    context = {"meeting": live.meeting, "call": call, "membership": membership, "action": "eject"}
    return render(live.request, "live_confirm.html", context, staff=live.staff)


@router.get("/meetings/{meeting_id}/live/end")
def confirm_end(request: Request, meeting: ConsoleMeeting, staff: ConsoleModerator) -> Response:
    """Confirm ending the meeting for everyone."""
    return render(request, "live_confirm.html", {"meeting": meeting, "action": "end"}, staff=staff)


@router.post("/meetings/{meeting_id}/live/participants/{call_id}/{action}")
def act_on_participant(
    call_id: PathId, action: controls.ParticipantAction, live: LiveDep
) -> Response:
    """Mute, unmute, hold, resume, kick or eject (for good) one participant."""

    def act() -> controls.Roster:
        call = controls.get_live_call(live.session, meeting=live.meeting, call_id=call_id)
        return controls.act_on_participant(
            live.session,
            actor=live.staff,
            meeting=live.meeting,
            call=call,
            action=action,
            control=live.control,
            now=live.now,
        )

    return live.attempt(act, PARTICIPANT_DONE[action])


@router.post("/meetings/{meeting_id}/live/{action}")
def act_on_room(action: controls.RoomAction, live: LiveDep) -> Response:
    """Mute all members, lock or unlock the room, extend the meeting, or end it."""

    def act() -> controls.Roster:
        return controls.act_on_room(
            live.session,
            actor=live.staff,
            meeting=live.meeting,
            action=action,
            control=live.control,
            now=live.now,
        )

    return live.attempt(act, ROOM_DONE[action])
