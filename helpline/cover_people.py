"""Who cover concerns: the coordinators told, the volunteers who may be asked (they take cover
requests, serve at the contact point and have no seat on an overlapping shift, at any contact
point), and whether a shift is over; the volunteers' and the contact point's cover settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import audit
from helpline.models import (
    ContactPoint,
    Seat,
    Shift,
    ShiftStatus,
    Volunteer,
    contact_point_coordinators,
    contact_point_volunteers,
)
from notifications import notices


def coordinators(session: Session, point_id: int, *, but: int | None = None) -> list[int]:
    rows = session.scalars(
        select(contact_point_coordinators.c.staff_id).where(
            contact_point_coordinators.c.contact_point_id == point_id
        )
    )
    return [staff_id for staff_id in rows if staff_id != but]


def tell_coordinators(
    session: Session,
    shift: Shift,
    event: str,
    now: datetime,
    *,
    version: int | None = None,
    urgent: bool = False,
    but: int | None = None,
) -> None:
    notices.notify_duty(
        session,
        staff_ids=coordinators(session, shift.contact_point_id, but=but),
        event=event,
        contact_point_id=shift.contact_point_id,
        shift_id=shift.id,
        now=now,
        version=version,
        urgent=urgent,
        expires_at=shift.ends_at,
    )


def is_over(shift: Shift, now: datetime) -> bool:
    return shift.status is not ShiftStatus.scheduled or shift.ends_at <= now


def busy_then(session: Session, volunteer_id: int, shift: Shift) -> bool:
    """Whether the volunteer has a seat on a shift overlapping ``shift`` (itself included)."""
    return bool(session.scalar(_busy_ids(shift).where(Seat.volunteer_id == volunteer_id).limit(1)))


def _busy_ids(shift: Shift) -> Select[int | None]:
    return (
        select(Seat.volunteer_id)
        .join(Shift, Shift.id == Seat.shift_id)
        .where(
            Shift.status == ShiftStatus.scheduled,
            Shift.starts_at < shift.ends_at,
            Shift.ends_at > shift.starts_at,
            Seat.volunteer_id.is_not(None),
        )
    )


def free_cover_volunteers(
    session: Session, shift: Shift, *, but: Select[int] | None = None
) -> list[Volunteer]:
    """The contact point's volunteers who take cover requests and have no seat on a shift
    overlapping ``shift`` (``but`` those)."""
    query = (
        select(Volunteer)
        .join(
            contact_point_volunteers,
            contact_point_volunteers.c.volunteer_id == Volunteer.id,
        )
        .where(
            contact_point_volunteers.c.contact_point_id == shift.contact_point_id,
            Volunteer.cover_requests.is_(True),
            Volunteer.id.not_in(_busy_ids(shift)),
        )
        .order_by(Volunteer.id)
    )
    if but is not None:
        query = query.where(Volunteer.id.not_in(but))
    return list(session.scalars(query))


def serves(session: Session, volunteer: Volunteer, point_id: int) -> bool:
    return bool(
        session.scalar(
            select(contact_point_volunteers.c.volunteer_id).where(
                contact_point_volunteers.c.contact_point_id == point_id,
                contact_point_volunteers.c.volunteer_id == volunteer.id,
            )
        )
    )


# --- preferences and settings ---------------------------------------------------------------


def change_preferences(session: Session, volunteer: Volunteer, *, data: dict[str, Any]) -> None:
    """The volunteer's channel (``notify_by``) and whether they take cover requests."""
    for name in ("notify_by", "cover_requests"):
        if name in data:
            setattr(volunteer, name, data[name])
    session.flush()


def change_settings(
    session: Session, point: ContactPoint, *, actor: Staff, data: dict[str, Any]
) -> None:
    """The contact point's cover deadline and unfilled-shift alert (coordinators)."""
    for name in ("cover_deadline_minutes", "unfilled_alert_days"):
        if name in data:
            setattr(point, name, data[name])
    audit.record(
        session,
        actor_id=actor.id,
        action="helpline.cover_settings",
        target_type="contact_point",
        target_id=point.id,
    )
    session.flush()
