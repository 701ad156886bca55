"""Validating dependencies: the conference control, a live participant; a verified PIN."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from conference import controls, service
from conference.models import Call
from conference.providers import ConferenceControl, get_conference_control
from core.database import SessionDep
from core.schemas import PathId
from core.webhooks import Webhook
from groups.dependencies import ModeratedMeeting

Control = Annotated[ConferenceControl, Depends(get_conference_control)]


def get_live_participant(call_id: PathId, meeting: ModeratedMeeting, session: SessionDep) -> Call:
    return controls.get_live_call(session, meeting=meeting, call_id=call_id)


LiveParticipant = Annotated[Call, Depends(get_live_participant)]


async def verified_pin(hook: Webhook) -> service.PinCheck:
    """The typed PIN checked against the call's membership: one argon2 verification, always.

    The hash is read outside any transaction, before the ~20 ms of hashing: on SQLite every
    transaction holds the database's write lock (BEGIN IMMEDIATE), and hashing inside one made
    the calls of every worker wait for each other's verifications.
    """
    pin_hash = await hook.work.run(service.pin_hash_for, call_sid=hook.get("CallSid"))
    return await service.check_pin(pin_hash=pin_hash, digits=hook.get("Digits"))
