"""Validating dependencies: the conference control in use, and a live participant of a meeting."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from conference import controls
from conference.models import Call
from conference.providers import ConferenceControl, get_conference_control
from core.database import SessionDep
from groups.dependencies import ModeratedMeeting

Control = Annotated[ConferenceControl, Depends(get_conference_control)]


def get_live_participant(call_id: int, meeting: ModeratedMeeting, session: SessionDep) -> Call:
    return controls.get_live_call(session, meeting=meeting, call_id=call_id)


LiveParticipant = Annotated[Call, Depends(get_live_participant)]
