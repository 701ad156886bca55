"""A helpline volunteer's SMS reply: its first word checks them in (``HELPLINE_CHECKIN_WORDS``),
gives a seat up (``HELPLINE_DECLINE_WORDS``) or takes a cover request
(``HELPLINE_ACCEPT_WORDS``); any other word is answered with the words.

The sender is found by the blind index of their number: a number that is not a volunteer's is
not answered here (None), so the notifications' keywords may answer it. The reply goes back as
the webhook's answer, in the volunteer's language, and names nobody and no number.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import pii
from core.clock import local_time
from core.logs import get_logger
from core.schemas import language_or_default
from core.speech import translate
from helpline import checkin, cover, prompts
from helpline.models import (
    CheckInBy,
    ContactPoint,
    Seat,
    Shift,
    Volunteer,
    contact_point_volunteers,
)
from helpline.words import Reply, classify, suggested

log = get_logger("helpline.texts")


class Text(StrEnum):
    checked_in = "Thank you, you are checked in for the duty {start}–{end}."
    already = "You are already checked in for the duty {start}–{end}."
    not_on_duty = "You are not on duty now, so there is nothing to check in for."
    words = (
        "Reply {check_in} when your duty starts, {decline} if you cannot come, "
        "{accept} to take a duty offered to you."
    )


def text(language: str, message: Text, **values: str) -> str:
    return translate(prompts.catalog(language_or_default(language)), message.value, **values)


def language_of(session: Session, volunteer: Volunteer, now: datetime) -> str:
    """The language of the contact point of the volunteer's current or next shift, else of the
    first contact point they serve."""
    coming = session.scalar(
        select(ContactPoint.language)
        .join(Shift, Shift.contact_point_id == ContactPoint.id)
        .join(Seat, Seat.shift_id == Shift.id)
        .where(Seat.volunteer_id == volunteer.id, Shift.ends_at > now)
        .order_by(Shift.starts_at)
        .limit(1)
    )
    if coming is not None:
        return coming
    served = session.scalar(
        select(ContactPoint.language)
        .join(
            contact_point_volunteers, contact_point_volunteers.c.contact_point_id == ContactPoint.id
        )
        .where(contact_point_volunteers.c.volunteer_id == volunteer.id)
        .order_by(ContactPoint.id)
        .limit(1)
    )
    return served or "en"


def handle_text(session: Session, *, from_number: str, body: str, now: datetime) -> str | None:
    """A volunteer's reply, answered; None when the sender is not a volunteer."""
    if not from_number:
        return None
    volunteer = session.scalar(
        select(Volunteer).where(Volunteer.phone_index == pii.phone_index(from_number))
    )
    if volunteer is None:
        return None
    language = language_of(session, volunteer, now)
    reply = classify(body)
    log.info("helpline.text", extra={"volunteer_id": volunteer.id, "reply": reply})
    match reply:
        case Reply.check_in:
            return _check_in(session, volunteer, language, now)
        case Reply.decline:
            return cover.reply_decline(session, volunteer=volunteer, now=now)
        case Reply.accept:
            return cover.reply_accept(session, volunteer=volunteer, now=now)
    return text(language, Text.words, **{r.value: suggested(r, language) for r in Reply})


def _check_in(session: Session, volunteer: Volunteer, language: str, now: datetime) -> str:
    seat = checkin.seat_to_check_in(session, volunteer, now)
    if seat is None:
        return text(language, Text.not_on_duty)
    shift = seat.shift
    zone = session.get_one(ContactPoint, shift.contact_point_id).time_zone
    times = {"start": local_time(shift.starts_at, zone), "end": local_time(shift.ends_at, zone)}
    if not checkin.check_in(session, seat, by=CheckInBy.sms, now=now):
        return text(language, Text.already, **times)
    return text(language, Text.checked_in, **times)
