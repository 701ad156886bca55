"""The helpline's duty notices to its staff: a shift cancelled, a seat taken away or given up,
a reminder, a cover request, the daily count of new voicemails.

The text names the contact point and the shift's local day and time — never a caller or another
volunteer. An SMS goes from the contact point's own line, so the volunteer knows who writes. A
message to a volunteer (a reminder, a cover request: ``payload["volunteer_id"]``) goes to the
phone their seats ring, says which word to reply, and as an e-mail links to the shift in the
console instead.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from core.clock import local_time
from core.settings import get_settings
from core.speech import local_day
from groups.models import Line
from helpline.models import ContactPoint, HelplineLine, Shift, Volunteer
from notifications import render
from notifications.duty_notices import VOICEMAILS
from notifications.models import Channel, OutboxMessage
from notifications.outbox import Moot, Skip
from notifications.providers import Sms


def message(session: Session, row: OutboxMessage, now: datetime) -> Sms | EmailMessage | Skip:
    staff = session.get(Staff, row.staff_id) if row.staff_id else None
    if staff is None or not staff.is_active:
        return Skip(Moot.unwanted, "the account is no longer active")
    point = session.get(ContactPoint, row.payload.get("contact_point_id", 0))
    if point is not None and row.payload.get("event") == VOICEMAILS:
        return _voicemails(session, row, staff, point, now)
    shift = session.get(Shift, row.payload.get("shift_id", 0))
    if point is None or shift is None:
        return Skip(Moot.unwanted, "the contact point or its shift no longer exists")
    language, zone = point.language, point.time_zone
    values = {
        "event": str(row.payload.get("event", "")),
        "point": point.name,
        "day": local_day(shift.starts_at, zone, language),
        "time": local_time(shift.starts_at, zone),
    }
    to_volunteer = _to_volunteer(session, row, point, shift, values)
    if to_volunteer is not None:
        sms, subject, body, phone = to_volunteer
        texts = (subject, body, sms)
        return _deliver(session, row, staff=staff, point=point, texts=texts, phone=phone, now=now)
    notice = render.text(language, "duty_notice", **values)
    body = render.text(language, "duty_body", **values)
    texts = (notice, body, notice)
    return _deliver(session, row, staff=staff, point=point, texts=texts, phone=staff.phone, now=now)


def _to_volunteer(
    session: Session,
    row: OutboxMessage,
    point: ContactPoint,
    shift: Shift,
    values: dict[str, str],
) -> tuple[str, str, str, str | None] | None:
    """(SMS, e-mail subject, e-mail body, phone) of a message to a volunteer as such (a
    reminder, a cover request: to the phone their seats ring); None for other duty notices."""
    if "volunteer_id" not in row.payload:
        return None
    volunteer = session.get(Volunteer, row.payload["volunteer_id"])
    values = {
        **values,
        "end": local_time(shift.ends_at, point.time_zone),
        "link": console_link(point.id, shift.id),
        "reply": str(row.payload.get("reply", "")),
    }
    return (
        render.text(point.language, "volunteer_sms", **values),
        render.text(point.language, "volunteer_subject", **values),
        render.text(point.language, "volunteer_body", **values),
        volunteer.phone if volunteer is not None else None,
    )


def console_link(point_id: int, shift_id: int) -> str:
    """The shift's page in the staff console (ids only)."""
    return f"{get_settings().public_base_url}/console/helpline/{point_id}/shifts/{shift_id}"


def _voicemails(
    session: Session, row: OutboxMessage, staff: Staff, point: ContactPoint, now: datetime
) -> Sms | EmailMessage | Skip:
    """ "3 new voicemails at <contact point>" and the inbox's address: no content, no number."""
    link = f"{get_settings().public_base_url}/console/helpline/{point.id}/voicemail"
    values = {"count": int(row.payload.get("count", 0)), "point": point.name, "link": link}
    notice = render.text(point.language, "voicemail_notice", **values)
    subject = render.text(point.language, "voicemail_subject", **values)
    texts = (subject, notice, notice)
    return _deliver(session, row, staff=staff, point=point, texts=texts, phone=staff.phone, now=now)


def _deliver(
    session: Session,
    row: OutboxMessage,
    *,
    staff: Staff,
    point: ContactPoint,
    texts: tuple[str, str, str],
    phone: str | None,
    now: datetime,
) -> Sms | EmailMessage | Skip:
    """By e-mail (``texts``: subject, body) or by SMS (the third) to ``phone`` from the contact
    point's own line, so the volunteer knows who writes."""
    subject, body, sms = texts
    if row.channel is Channel.email and staff.email:
        return render.staff_email(
            to=staff.email,
            message_id=f"outbox-{row.id}",
            subject=subject,
            body=body,
            language=point.language,
            now=now,
        )
    if row.channel is Channel.sms and phone:
        sender = sender_of(session, point.id)
        if sender is None:
            return Skip(Moot.impossible, "the contact point has no phone line to send from")
        callback = render.status_callback_url(row.id)
        return Sms(to=phone, from_=sender, body=sms, status_callback=callback)
    return Skip(Moot.unwanted, "the account has no contact for this channel")


def sender_of(session: Session, contact_point_id: int) -> str | None:
    """The number a contact point's SMS go from: its first line (None: it has none)."""
    return session.scalar(
        select(Line.number)
        .join(HelplineLine, HelplineLine.line_id == Line.id)
        .where(HelplineLine.contact_point_id == contact_point_id)
        .order_by(Line.id)
    )
