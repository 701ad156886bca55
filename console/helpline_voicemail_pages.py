"""A contact point's voicemail inbox in the console: each message's time, length and state, a
player (the audio is decrypted for each listen, and each listen audited), handled, passed to a
group, deleted. For the coordinators and the reviewers they name; the rules are
``helpline.inbox``'s, and a refusal is shown on the page in its words."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from auth.models import Staff
from console import forms
from console.dependencies import ConsolePoint, ConsoleStaff, FormFields
from console.helpline_pages import point_path
from console.rendering import flash, redirect, reject_form, render, sentence
from core.clock import Now
from core.database import SessionDep
from core.errors import Conflict, InvalidInput
from core.schemas import PathId
from helpline import inbox, service
from helpline.models import ContactPoint
from helpline.voicemail_schemas import PassedTo

router = APIRouter(prefix="/helpline")
TEMPLATE = "helpline_voicemail.html"


def get_inbox_point(point: ConsolePoint, session: SessionDep, staff: ConsoleStaff) -> ContactPoint:
    inbox.check_reviewer(session, staff, point)
    return point


ConsoleInboxPoint = Annotated[ContactPoint, Depends(get_inbox_point)]


def _path(point: ContactPoint) -> str:
    return f"{point_path(point.id)}/voicemail"


def _context(session: Session, point: ContactPoint, staff: Staff) -> dict[str, Any]:
    return {
        "point": point,
        "voicemails": inbox.list_voicemails(session, point),
        "groups": inbox.groups_to_pass_to(session),
        "coordinator": service.is_coordinator(session, staff, point.id),
    }


@router.get("/{point_id}/voicemail")
def voicemail_page(
    request: Request, *, point: ConsoleInboxPoint, staff: ConsoleStaff, session: SessionDep
) -> Response:
    """The voicemails, newest first, with a player for each one that has been fetched."""
    return render(request, TEMPLATE, _context(session, point, staff), staff=staff)


@router.get("/{point_id}/voicemail/{voicemail_id}/audio")
def voicemail_audio(
    *, voicemail_id: PathId, point: ConsoleInboxPoint, staff: ConsoleStaff, session: SessionDep
) -> Response:
    """The audio, decrypted for this listen (audited); never cached."""
    audio, media_type = inbox.play(session, point, voicemail_id, actor=staff)
    headers = {"Cache-Control": "no-store", "Content-Disposition": "inline"}
    return Response(audio, media_type=media_type, headers=headers)


def _refused(
    request: Request,
    session: Session,
    point: ContactPoint,
    staff: Staff,
    *,
    voicemail_id: int,
    reason: str,
) -> Exception:
    errors = {"form": reason, f"voicemail-{voicemail_id}": reason}
    context = _context(session, point, staff)
    return reject_form(request, TEMPLATE, context, errors, staff=staff)


@router.post("/{point_id}/voicemail/{voicemail_id}/handled")
def mark_handled(
    *,
    voicemail_id: PathId,
    point: ConsoleInboxPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    now: Now,
    request: Request,
) -> Response:
    """Mark it handled."""
    inbox.mark_handled(session, point, voicemail_id, actor=staff, now=now)
    flash(request, "Marked as handled.")
    return redirect(_path(point))


@router.post("/{point_id}/voicemail/{voicemail_id}/passed")
def mark_passed(
    *,
    voicemail_id: PathId,
    point: ConsoleInboxPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    now: Now,
    request: Request,
) -> Response:
    """Note the group it was passed to."""
    data, errors = forms.validate(PassedTo, forms.pick(fields, "group_id"))
    reason = sentence(errors.get("group_id", "")) if data is None else ""
    if data is not None:
        try:
            voicemail = inbox.pass_to_group(
                session, point, voicemail_id, group_id=data.group_id, actor=staff, now=now
            )
        except (Conflict, InvalidInput) as exc:
            reason = sentence(exc.detail)
    if data is None or reason:
        reason = reason or "Choose a group."
        raise _refused(request, session, point, staff, voicemail_id=voicemail_id, reason=reason)
    group = inbox.read(session, point, voicemail).passed_to_group
    flash(request, f"Noted as passed to {group}.")
    return redirect(_path(point))


@router.post("/{point_id}/voicemail/{voicemail_id}/delete")
def delete_voicemail(
    *,
    voicemail_id: PathId,
    point: ConsoleInboxPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    request: Request,
) -> Response:
    """Delete it for good."""
    try:
        inbox.delete_voicemail(session, point, voicemail_id, actor=staff)
    except Conflict as exc:
        reason = sentence(exc.detail)
        raise _refused(
            request, session, point, staff, voicemail_id=voicemail_id, reason=reason
        ) from exc
    flash(request, "The voicemail is deleted.")
    return redirect(_path(point))
