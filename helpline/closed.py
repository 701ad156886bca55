"""What a caller hears when nobody can take the call: out of duty, when the line is next
staffed (and the national line's number, if the contact point says so); all busy or nobody
answering, until when volunteers are on duty; on the national line, when it is next staffed and
the own numbers of the contact points that ask for it. Only the organisation's numbers, local
days and times: nothing about the caller or a volunteer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import local_time
from core.speech import local_day
from groups.models import Line as PhoneLine
from helpline import duty
from helpline.models import ContactPoint, HelplineLine
from helpline.prompts import Prompt, digits
from helpline.replies import Lines, line


def hours(session: Session, point: ContactPoint, now: datetime) -> Lines:
    """Out of duty: when the line is next staffed, and the national line if configured."""
    language = point.language
    upcoming = duty.next_staffed(session, point.id, now)
    said: Lines = (
        (line(Prompt.no_hours),)
        if upcoming is None
        else (
            line(
                Prompt.out_of_hours,
                day=local_day(upcoming, point.time_zone, language),
                time=local_time(upcoming, point.time_zone),
            ),
        )
    )
    national = _national_number(session) if point.announce_national else None
    if national is not None:
        said = (*said, line(Prompt.national_number, number=digits(national)))
    return said


def busy(session: Session, point: ContactPoint, now: datetime) -> Lines:
    return (line(Prompt.all_busy), *_until(session, point, now))


def nobody(session: Session, point: ContactPoint, now: datetime) -> Lines:
    return (line(Prompt.no_answer), *_until(session, point, now))


def _until(session: Session, point: ContactPoint, now: datetime) -> Lines:
    until = duty.staffed_until(session, point.id, now)
    if until is None:
        return ()
    return (line(Prompt.on_duty_until, time=local_time(until, point.time_zone)),)


def _national_number(session: Session) -> str | None:
    return session.scalar(
        select(PhoneLine.number)
        .join(HelplineLine, HelplineLine.line_id == PhoneLine.id)
        .where(HelplineLine.contact_point_id.is_(None))
        .order_by(PhoneLine.id)
    )


def national_hours(
    session: Session, points: Sequence[ContactPoint], language: str, now: datetime
) -> Lines:
    """When the national line is next staffed: the soonest shift with a volunteer among
    ``points`` (the connected contact points that take this caller), in its local time."""
    upcoming = [
        (start, point)
        for point in points
        if (start := duty.next_staffed(session, point.id, now)) is not None
    ]
    if not upcoming:
        return (line(Prompt.national_closed),)
    start, point = min(upcoming, key=lambda pair: pair[0])
    day = local_day(start, point.time_zone, language)
    return (line(Prompt.national_next, day=day, time=local_time(start, point.time_zone)),)


# The national line reads out at most this many contact points' numbers: a caller can keep
# no more in mind.
MAX_NUMBERS_READ = 3


def own_numbers(session: Session) -> Lines:
    """The own numbers of the contact points that asked the national line to read them out."""
    found = session.execute(
        select(ContactPoint.name, func.min(PhoneLine.number))
        .join(HelplineLine, HelplineLine.contact_point_id == ContactPoint.id)
        .join(PhoneLine, PhoneLine.id == HelplineLine.line_id)
        .where(ContactPoint.number_on_national.is_(True))
        .group_by(ContactPoint.id, ContactPoint.name, ContactPoint.national_order)
        .order_by(ContactPoint.national_order.nulls_last(), ContactPoint.name)
        .limit(MAX_NUMBERS_READ)
    ).all()
    return tuple(line(Prompt.point_number, name=name, number=digits(num)) for name, num in found)
