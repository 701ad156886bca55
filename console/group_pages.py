"""The group page: schedule, upcoming meetings and members, and what a moderator does with them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from auth import service as auth_service
from auth.models import Role
from console import forms, views
from console.dependencies import (
    ConsoleAdmin,
    ConsoleGroup,
    ConsoleMeeting,
    ConsoleModerator,
    FormFields,
)
from console.rendering import PREFIX, flash, local_date_time, redirect, reject_form, render
from core.clock import Now
from core.database import SessionDep
from core.errors import Conflict, InvalidInput
from core.schemas import WEEKDAYS
from groups import meetings as groups_meetings
from groups import service as groups_service
from groups.models import Group, Meeting
from groups.schemas import (
    GroupCreate,
    GroupUpdate,
    MeetingTopic,
    ModeratorAssign,
    SlotSchema,
)
from groups.views import credentials_read

router = APIRouter()


def _group_path(group_id: int) -> str:
    return f"{PREFIX}/groups/{group_id}"


def _when(meeting: Meeting) -> str:
    return local_date_time(meeting.starts_at, meeting.group.time_zone)


# --- group ----------------------------------------------------------------------------------


def _new_group_context(session: Session, fields: dict[str, str]) -> dict[str, Any]:
    values = fields or {"time_zone": "Europe/Warsaw", "duration_minutes": "60", "capacity": "12"}
    values = {"reminder_minutes_before": "180", **values}
    return {
        "values": values,
        "rows": forms.slot_rows(fields),
        "weekdays": WEEKDAYS,
        "lines": groups_service.list_lines(session),
    }


@router.get("/groups/new")
def new_group_page(request: Request, admin: ConsoleAdmin, session: SessionDep) -> Response:
    """The form for a new group (admins)."""
    return render(request, "group_form.html", _new_group_context(session, {}), staff=admin)


@router.post("/groups")
def create_group(
    request: Request, admin: ConsoleAdmin, fields: FormFields, session: SessionDep, now: Now
) -> Response:
    """Create a group with its weekly schedule; its meetings are planned at once."""
    data, errors = forms.validate(GroupCreate, forms.group_data(fields))
    if data is None:
        context = _new_group_context(session, fields)
        raise reject_form(request, "group_form.html", context, errors, staff=admin)
    group = groups_service.create_group(session, actor=admin, data=data, now=now)
    flash(request, "The group is created and its meetings are planned. Now add its moderators.")
    return redirect(_group_path(group.id))


@router.get("/groups/{group_id}")
def group_page(
    request: Request, group: ConsoleGroup, staff: ConsoleModerator, session: SessionDep, now: Now
) -> Response:
    """One group: schedule, upcoming meetings, members."""
    page = views.group_page(session, group=group, now=now)
    context: dict[str, Any] = {"page": page, "weekdays": WEEKDAYS, "now": now}
    if staff.role is Role.admin:
        context["staff_choices"] = auth_service.list_staff(session, limit=1000, offset=0)[0]
    return render(request, "group.html", context, staff=staff)


def _schedule_context(group: Group) -> dict[str, Any]:
    slots = [SlotSchema.from_slot(s.weekday, s.start_minute) for s in group.slots]
    rows = [{"weekday": s.weekday, "start": s.start} for s in slots]
    rows += [{"weekday": "mon", "start": ""}] * (forms.SLOT_ROWS - len(rows))
    values = {
        "time_zone": group.time_zone,
        "duration_minutes": group.duration_minutes,
        "capacity": group.capacity,
        "reminder_minutes_before": group.reminder_minutes_before,
    }
    return {"group": group, "rows": rows, "values": values, "weekdays": WEEKDAYS}


@router.get("/groups/{group_id}/schedule")
def schedule_page(request: Request, group: ConsoleGroup, admin: ConsoleAdmin) -> Response:
    """The weekly schedule form (admins)."""
    return render(request, "schedule.html", _schedule_context(group), staff=admin)


@router.post("/groups/{group_id}/schedule")
def edit_schedule(
    request: Request,
    *,
    group: ConsoleGroup,
    admin: ConsoleAdmin,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Change the weekly schedule; future meetings are planned again."""
    context = {**_schedule_context(group), "values": fields, "rows": forms.slot_rows(fields)}
    data, errors = forms.validate(GroupUpdate, forms.schedule_data(fields))
    if data is None:
        raise reject_form(request, "schedule.html", context, errors, staff=admin)
    try:
        groups_service.update_group(session, actor=admin, group=group, data=data, now=now)
    except (InvalidInput, Conflict) as exc:
        raise reject_form(
            request, "schedule.html", context, {"form": exc.detail}, staff=admin
        ) from exc
    flash(request, "Schedule saved. Future meetings were planned again from the new times.")
    return redirect(_group_path(group.id))


@router.post("/groups/{group_id}/moderators")
def assign_moderator(
    request: Request,
    group: ConsoleGroup,
    admin: ConsoleAdmin,
    fields: FormFields,
    session: SessionDep,
) -> Response:
    """Make a staff member moderator of the group; their dial-in credentials are shown once."""
    data, errors = forms.validate(ModeratorAssign, forms.pick(fields, "staff_id"))
    if data is None:
        raise reject_form(
            request,
            "error.html",
            {"title": "Choose a staff member", "detail": ""},
            errors,
            staff=admin,
        )
    credentials = groups_service.assign_moderator(
        session, actor=admin, group=group, staff_id=data.staff_id
    )
    context = {"credentials": credentials_read(credentials, group), "group": group}
    return render(request, "credentials.html", {**context, "kind": "moderator"}, staff=admin)


# --- meetings ---------------------------------------------------------------------------------


@router.get("/meetings/{meeting_id}")
def meeting_page(request: Request, meeting: ConsoleMeeting, staff: ConsoleModerator) -> Response:
    """One meeting: set its topic, move it or cancel it."""
    return render(request, "meeting.html", {"meeting": meeting}, staff=staff)


@router.get("/meetings/{meeting_id}/cancel")
def cancel_page(request: Request, meeting: ConsoleMeeting, staff: ConsoleModerator) -> Response:
    """Confirm a cancellation."""
    return render(request, "cancel.html", {"meeting": meeting}, staff=staff)


@router.post("/meetings/{meeting_id}/cancel")
def cancel_meeting(
    request: Request,
    meeting: ConsoleMeeting,
    staff: ConsoleModerator,
    session: SessionDep,
    now: Now,
) -> Response:
    """Cancel one future meeting; members get a notice instead of the reminder."""
    groups_meetings.cancel_meeting(session, actor=staff, meeting=meeting, now=now)
    flash(
        request,
        f"The meeting of {_when(meeting)} is cancelled. Members get a cancellation notice "
        "instead of the reminder.",
    )
    return redirect(_group_path(meeting.group_id))


@router.post("/meetings/{meeting_id}/move")
def move_meeting(
    request: Request,
    *,
    meeting: ConsoleMeeting,
    staff: ConsoleModerator,
    fields: FormFields,
    session: SessionDep,
    now: Now,
) -> Response:
    """Move one future meeting to another time (in the group's time zone)."""
    context = {"meeting": meeting, "move_value": fields.get("starts_at", "")}
    starts_at, errors = forms.local_start(fields.get("starts_at", ""), meeting.group.time_zone)
    if starts_at is None:
        raise reject_form(request, "meeting.html", context, errors, staff=staff)
    try:
        groups_meetings.move_meeting(
            session, actor=staff, meeting=meeting, starts_at=starts_at, now=now
        )
    except (InvalidInput, Conflict) as exc:
        raise reject_form(
            request, "meeting.html", context, {"starts_at": exc.detail}, staff=staff
        ) from exc
    flash(
        request, f"The meeting is moved to {_when(meeting)}. Members get a notice of the new time."
    )
    return redirect(_group_path(meeting.group_id))


@router.post("/meetings/{meeting_id}/topic")
def set_topic(
    request: Request,
    meeting: ConsoleMeeting,
    staff: ConsoleModerator,
    fields: FormFields,
    session: SessionDep,
) -> Response:
    """Set or clear the topic of one meeting."""
    data, errors = forms.validate(MeetingTopic, {"topic": fields.get("topic", "").strip() or None})
    if data is None:
        context = {"meeting": meeting, "topic_value": fields.get("topic", "")}
        raise reject_form(request, "meeting.html", context, errors, staff=staff)
    groups_meetings.set_topic(session, actor=staff, meeting=meeting, topic=data.topic)
    flash(request, "The topic is saved." if data.topic else "The topic is cleared.")
    return redirect(f"{PREFIX}/meetings/{meeting.id}")
