"""The helpline's notices that are about no one shift: a serving group's dates for the month (to
its representative), a candidacy ending (to the coordinators), a coordinator's term ending (to the
admins).

Texts name the contact point, days and times — never a caller, a volunteer or a group (an SMS to a
representative's own phone may be read by others). A representative without a staff account gets
an SMS to the serving group's contact phone, decrypted here, when the message is built; a number
that replied STOP is not written to (Twilio would refuse it).
"""

from __future__ import annotations

from datetime import date, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from core.clock import local_time
from core.schemas import language_or_default
from groups.models import Line
from helpline.models import (
    ContactPoint,
    HelplineLine,
    RotaAssignment,
    ServingGroup,
    Shift,
    ShiftStatus,
)
from notifications import optout, render
from notifications.models import Channel, OutboxMessage
from notifications.outbox import Moot, Skip
from notifications.providers import Sms


def message(session: Session, row: OutboxMessage, now: datetime) -> Sms | EmailMessage | Skip:
    point = session.get(ContactPoint, row.payload.get("contact_point_id", 0))
    if point is None:
        return Skip(Moot.unwanted, "the contact point no longer exists")
    event = str(row.payload.get("event", ""))
    values = {"event": event, "point": point.name, "day": "", "dates": ""}
    if event == "rota_dates":
        dates = _rota_dates(session, point, row)
        if not dates:
            return Skip(Moot.superseded, "the group has no shifts in that month any more")
        values["dates"] = dates
    else:
        ends_on = date.fromisoformat(str(row.payload.get("about", "")))
        values["day"] = _day(ends_on, point.language)
    if row.staff_id is not None:
        return _to_staff(session, row, point, values, now)
    return _to_representative(session, row, point, values)


def _to_staff(
    session: Session, row: OutboxMessage, point: ContactPoint, values: dict[str, str], now: datetime
) -> Sms | EmailMessage | Skip:
    staff = session.get(Staff, row.staff_id)
    if staff is None or not staff.is_active:
        return Skip(Moot.unwanted, "the account is no longer active")
    notice = render.text(point.language, "helpline_notice", console=True, **values)
    if row.channel is Channel.email and staff.email:
        return render.staff_email(
            to=staff.email,
            message_id=f"outbox-{row.id}",
            subject=notice,
            body=render.text(point.language, "helpline_body", **values),
            language=point.language,
            now=now,
        )
    if row.channel is Channel.sms and staff.phone:
        return _sms(session, row, point, staff.phone, notice)
    return Skip(Moot.unwanted, "the account has no contact for this channel")


def _to_representative(
    session: Session, row: OutboxMessage, point: ContactPoint, values: dict[str, str]
) -> Sms | Skip:
    group = session.get(ServingGroup, row.payload.get("serving_group_id") or 0)
    if group is None or group.contact_phone is None:
        return Skip(Moot.unwanted, "the serving group has no contact phone any more")
    if optout.is_opted_out(session, group.contact_phone_index):
        return Skip(Moot.unwanted, "opted out of SMS (STOP)")
    notice = render.text(point.language, "helpline_notice", console=False, **values)
    return _sms(session, row, point, group.contact_phone, notice)


def _sms(
    session: Session, row: OutboxMessage, point: ContactPoint, to: str, body: str
) -> Sms | Skip:
    """From the contact point's own line, so the recipient knows who writes."""
    sender = session.scalar(
        select(Line.number)
        .join(HelplineLine, HelplineLine.line_id == Line.id)
        .where(HelplineLine.contact_point_id == point.id)
        .order_by(Line.id)
    )
    if sender is None:
        return Skip(Moot.impossible, "the contact point has no phone line to send from")
    return Sms(to=to, from_=sender, body=body, status_callback=render.status_callback_url(row.id))


def _day(day: date, language: str) -> str:
    return str(format_date(day, format="d MMMM y", locale=language_or_default(language)))


def _rota_dates(session: Session, point: ContactPoint, row: OutboxMessage) -> str:
    """The group's coming shifts in the month, as the representative reads them: "Fri 8 Jan
    16:00, …" in the contact point's language and local time."""
    month = date.fromisoformat(f"{row.payload.get('about', '')}-01")
    starts = session.scalars(
        select(Shift.starts_at)
        .join(RotaAssignment, RotaAssignment.shift_id == Shift.id)
        .where(
            RotaAssignment.contact_point_id == point.id,
            RotaAssignment.month == month,
            RotaAssignment.serving_group_id == row.payload.get("serving_group_id"),
            Shift.status == ShiftStatus.scheduled,
        )
        .order_by(Shift.starts_at)
    ).all()
    locale, zone = language_or_default(point.language), point.time_zone
    days = (start.astimezone(ZoneInfo(zone)).date() for start in starts)
    return ", ".join(
        f"{format_date(day, format='EEE d MMM', locale=locale)} {local_time(start, zone)}"
        for day, start in zip(days, starts, strict=True)
    )
