"""The helpline's check-in messages: the shift-start SMS a volunteer replies to, and what the
coordinators and the others on the shift are told about who checked in and who did not.

An SMS names the contact point and the shift's local times, never a person: a coordinator's SMS
gives counts and points to the console. A coordinator's e-mail names the volunteers (staff
accounts: their usernames) — never a caller. Nothing carries a phone number.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from core.clock import local_time
from core.speech import local_day
from helpline.models import ContactPoint, Shift, Volunteer
from notifications import duty, optout, render
from notifications.models import Channel, OutboxMessage
from notifications.outbox import Moot, Skip
from notifications.providers import Sms

EVENTS = frozenset(
    {
        "duty_start",
        "checkin_summary",
        "no_show",
        "no_show_partner",
        "late_checkin",
        "signup_pending",
        "signup_approved",
        "signup_refused",
    }
)


def message(session: Session, row: OutboxMessage, now: datetime) -> Sms | EmailMessage | Skip:
    staff = session.get(Staff, row.staff_id) if row.staff_id else None
    if staff is None or not staff.is_active:
        return Skip(Moot.unwanted, "the account is no longer active")
    point = session.get(ContactPoint, row.payload.get("contact_point_id", 0))
    shift = session.get(Shift, row.payload.get("shift_id", 0))
    if point is None or shift is None:
        return Skip(Moot.unwanted, "the contact point or its shift no longer exists")
    values = _values(session, row.payload, point, shift)
    if row.channel is Channel.email and staff.email:
        return render.staff_email(
            to=staff.email,
            message_id=f"outbox-{row.id}",
            subject=render.text(point.language, "checkin_sms", **values),
            body=render.text(point.language, "checkin_body", **values),
            language=point.language,
            now=now,
        )
    if row.channel is Channel.sms:
        return _sms(session, row, staff, point, values)
    return Skip(Moot.unwanted, "the account has no contact for this channel")


def _sms(
    session: Session, row: OutboxMessage, staff: Staff, point: ContactPoint, values: dict[str, Any]
) -> Sms | Skip:
    """To a volunteer at the start of duty: the phone their seats ring, which their reply comes
    from; to anyone else the account's phone, or their seats' phone when it has none."""
    to, index = staff.phone, None
    if values["event"] == "duty_start" or to is None:
        volunteer = session.scalar(select(Volunteer).where(Volunteer.staff_id == staff.id))
        to, index = (volunteer.phone, volunteer.phone_index) if volunteer else (None, None)
    if to is None:
        return Skip(Moot.unwanted, "the account has no phone for this message")
    if index is not None and optout.is_opted_out(session, index):
        return Skip(Moot.unwanted, "the volunteer's phone replied STOP")
    sender = duty.sender_of(session, point.id)
    if sender is None:
        return Skip(Moot.impossible, "the contact point has no phone line to send from")
    body = render.text(point.language, "checkin_sms", **values)
    return Sms(to=to, from_=sender, body=body, status_callback=render.status_callback_url(row.id))


def _values(
    session: Session, payload: dict[str, Any], point: ContactPoint, shift: Shift
) -> dict[str, Any]:
    checked_in = _names(session, payload.get("checked_in", []))
    missing = _names(session, payload.get("missing", []))
    subject = _names(session, [payload.get("subject", 0)])
    return {
        "event": str(payload.get("event", "")),
        "point": point.name,
        "day": local_day(shift.starts_at, point.time_zone, point.language),
        "start": local_time(shift.starts_at, point.time_zone),
        "end": local_time(shift.ends_at, point.time_zone),
        "word": str(payload.get("word", "OK")),
        "count": len(checked_in),
        "total": len(checked_in) + len(missing),
        "checked_in": ", ".join(checked_in),
        "missing": ", ".join(missing),
        "volunteer": subject[0] if subject else "",
    }


def _names(session: Session, staff_ids: list[int]) -> list[str]:
    """Usernames, for a coordinator's e-mail only."""
    if not staff_ids:
        return []
    rows = session.scalars(select(Staff.username).where(Staff.id.in_(staff_ids)))
    return sorted(rows, key=str.lower)
