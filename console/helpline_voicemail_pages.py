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
from console.dependencies import ConsoleCoordinatedPoint, ConsolePoint, ConsoleStaff, FormFields
from console.helpline_pages import point_path
from console.rendering import flash, redirect, reject_form, render, sentence
from core.clock import Now
from core.database import SessionDep
from core.errors import Conflict, InvalidInput
from core.schemas import PathId
from helpline import inbox, service
from helpline.models import ContactPoint
from helpline.voicemail_schemas import PassedTo, VoicemailSettings

router = APIRouter(prefix="/helpline")
TEMPLATE = "helpline_voicemail.html"


def get_inbox_point(point: ConsolePoint, session: SessionDep, staff: ConsoleStaff) -> ContactPoint:
    inbox.check_reviewer(session, staff, point)
    return point


ConsoleInboxPoint = Annotated[ContactPoint, Depends(get_inbox_point)]


def _path(point: ContactPoint) -> str:
    return f"{point_path(point.id)}/voicemail"


def _context(session: Session, point: ContactPoint, staff: Staff) -> dict[str, Any]:
    coordinator = service.is_coordinator(session, staff, point.id)
    context: dict[str, Any] = {
        "point": point,
        "voicemails": inbox.list_voicemails(session, point),
        "groups": inbox.groups_to_pass_to(session),
        "coordinator": coordinator,
    }
    if coordinator:
        reviewers = inbox.list_reviewers(session, point)
        named = {reviewer.volunteer_id for reviewer in reviewers}
        context["settings"] = inbox.settings_of(point)
        context["reviewers"] = reviewers
        context["candidates"] = [
            (volunteer.id, member.username)
            for volunteer, member in service.list_volunteers(session, point)
            if volunteer.id not in named
        ]
    return context


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


# --- the coordinators': settings and reviewers ---


@router.post("/{point_id}/voicemail/settings")
def change_settings(
    *,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    request: Request,
) -> Response:
    """Whether and when the contact point offers voicemail, and how long it keeps it."""
    data = {
        "out_of_hours": fields.get("out_of_hours") == "yes",
        "no_answer": fields.get("no_answer") == "yes",
        **forms.pick(fields, "max_seconds", "review_at", "retention_days"),
    }
    settings, errors = forms.validate(VoicemailSettings, data)
    if settings is None:
        reason = sentence(next(iter(errors.values()), "Check the settings."))
        context = _context(session, point, staff)
        raise reject_form(request, TEMPLATE, context, {"form": reason}, staff=staff)
    inbox.change_settings(session, point, actor=staff, data=settings)
    flash(request, "The voicemail settings are saved.")
    return redirect(_path(point))


@router.post("/{point_id}/voicemail/reviewers")
def name_reviewer(
    *,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    fields: FormFields,
    session: SessionDep,
    request: Request,
) -> Response:
    """Name a volunteer of the contact point a voicemail reviewer."""
    chosen = fields.get("volunteer_id", "")
    if not chosen.isdigit():
        context = _context(session, point, staff)
        errors = {"form": "Choose a volunteer."}
        raise reject_form(request, TEMPLATE, context, errors, staff=staff)
    inbox.name_reviewer(session, point, int(chosen), actor=staff)
    flash(request, "The reviewer is named.")
    return redirect(_path(point))


@router.post("/{point_id}/voicemail/reviewers/{volunteer_id}/remove")
def remove_reviewer(
    *,
    volunteer_id: PathId,
    point: ConsoleCoordinatedPoint,
    staff: ConsoleStaff,
    session: SessionDep,
    request: Request,
) -> Response:
    """The volunteer no longer reviews the voicemail."""
    inbox.remove_reviewer(session, point, volunteer_id, actor=staff)
    flash(request, "The reviewer is removed.")
    return redirect(_path(point))
