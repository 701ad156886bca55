"""The voicemail inbox's JSON API under ``/api/v1/helpline/contact-points/{id}`` (rules live in
``helpline.inbox``). The settings and the reviewers are the coordinators'; the voicemails are
also open to the reviewers they name. Anyone else at the contact point gets 403; a contact
point that is not theirs, 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from auth.dependencies import CurrentStaff
from core.clock import Now
from core.database import SessionDep
from core.errors import API_ERRORS
from core.schemas import PathId
from helpline import inbox
from helpline.dependencies import CoordinatedPoint, VisiblePoint
from helpline.models import ContactPoint
from helpline.voicemail_schemas import (
    GroupChoice,
    PassedTo,
    ReviewerRead,
    VoicemailRead,
    VoicemailSettings,
)

router = APIRouter(prefix="/api/v1/helpline", tags=["helpline voicemail"], responses=API_ERRORS)
POINT = "/contact-points/{point_id}"


def get_inbox_point(point: VisiblePoint, session: SessionDep, staff: CurrentStaff) -> ContactPoint:
    inbox.check_reviewer(session, staff, point)
    return point


InboxPoint = Annotated[ContactPoint, Depends(get_inbox_point)]


@router.get(POINT + "/voicemail-settings", response_model=VoicemailSettings)
def get_settings(point: CoordinatedPoint) -> object:
    """Whether and when the contact point offers voicemail, and how long it keeps it."""
    return inbox.settings_of(point)


@router.put(POINT + "/voicemail-settings", response_model=VoicemailSettings)
def put_settings(
    data: VoicemailSettings, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff
) -> object:
    """Change the voicemail settings (coordinators)."""
    return inbox.change_settings(session, point, actor=staff, data=data)


@router.get(POINT + "/voicemail-reviewers", response_model=list[ReviewerRead])
def list_reviewers(point: CoordinatedPoint, session: SessionDep) -> object:
    """The volunteers named to review the voicemail."""
    return inbox.list_reviewers(session, point)


@router.put(POINT + "/voicemail-reviewers/{volunteer_id}", status_code=status.HTTP_204_NO_CONTENT)
def name_reviewer(
    volunteer_id: PathId, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff
) -> None:
    """Name a volunteer of this contact point a voicemail reviewer (coordinators)."""
    inbox.name_reviewer(session, point, volunteer_id, actor=staff)


@router.delete(
    POINT + "/voicemail-reviewers/{volunteer_id}", status_code=status.HTTP_204_NO_CONTENT
)
def remove_reviewer(
    volunteer_id: PathId, point: CoordinatedPoint, session: SessionDep, staff: CurrentStaff
) -> None:
    """The volunteer no longer reviews the voicemail (coordinators)."""
    inbox.remove_reviewer(session, point, volunteer_id, actor=staff)


@router.get(POINT + "/voicemails", response_model=list[VoicemailRead])
def list_voicemails(point: InboxPoint, session: SessionDep) -> object:
    """The voicemails, newest first: when, how long, their state and when each is destroyed."""
    return inbox.list_voicemails(session, point)


@router.get(POINT + "/voicemail-groups", response_model=list[GroupChoice])
def list_groups(point: InboxPoint, session: SessionDep) -> object:
    """The groups a voicemail can be passed to."""
    return inbox.groups_to_pass_to(session)


@router.get(
    POINT + "/voicemails/{voicemail_id}/audio",
    response_class=Response,
    responses={200: {"content": {"audio/wav": {}}}},
)
def play(
    voicemail_id: PathId, point: InboxPoint, session: SessionDep, staff: CurrentStaff
) -> Response:
    """The voicemail's audio, decrypted for this listen (which is audited); never cached."""
    audio, media_type = inbox.play(session, point, voicemail_id, actor=staff)
    headers = {"Cache-Control": "no-store", "Content-Disposition": "inline"}
    return Response(audio, media_type=media_type, headers=headers)


@router.post(POINT + "/voicemails/{voicemail_id}/handled", response_model=VoicemailRead)
def mark_handled(
    voicemail_id: PathId, point: InboxPoint, session: SessionDep, staff: CurrentStaff, now: Now
) -> object:
    """Mark the voicemail handled."""
    voicemail = inbox.mark_handled(session, point, voicemail_id, actor=staff, now=now)
    return inbox.read(session, point, voicemail)


@router.post(POINT + "/voicemails/{voicemail_id}/passed", response_model=VoicemailRead)
def mark_passed(
    voicemail_id: PathId,
    *,
    data: PassedTo,
    point: InboxPoint,
    session: SessionDep,
    staff: CurrentStaff,
    now: Now,
) -> object:
    """Note that the voicemail was passed to a group (it is then handled too)."""
    voicemail = inbox.pass_to_group(
        session, point, voicemail_id, group_id=data.group_id, actor=staff, now=now
    )
    return inbox.read(session, point, voicemail)


@router.delete(POINT + "/voicemails/{voicemail_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_voicemail(
    voicemail_id: PathId, point: InboxPoint, session: SessionDep, staff: CurrentStaff
) -> None:
    """Delete the voicemail for good."""
    inbox.delete_voicemail(session, point, voicemail_id, actor=staff)
