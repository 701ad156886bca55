"""The SMS replies to a volunteer's NO and YES, in the contact point's language, from the
helpline's Babel catalogs. Placeholders are a day and times: never a name or a number."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.clock import local_time
from core.schemas import language_or_default
from core.speech import local_day, translate
from helpline import prompts
from helpline.models import ContactPoint, Shift, Volunteer, contact_point_volunteers


class CoverReply(StrEnum):
    declined = (
        "Thank you for letting us know. You are no longer on duty on {day} at {time}; "
        "we are asking others to cover it."
    )
    nothing_to_decline = (
        "We found no coming duty you were reminded of. To change your duties, open the "
        "console or call your coordinator."
    )
    accepted = "Thank you: you are on duty on {day} at {time}–{end}."
    already_taken = "This duty has already been taken. Thank you all the same."
    no_request = "There is no open request to cover a duty just now. Thank you all the same."
    over = "This duty is over or was cancelled. Thank you all the same."
    clashes = "You are on another duty at that time, so this one stays open for others. Thank you."


def text(language: str, reply: CoverReply, **values: str) -> str:
    """The reply in ``language`` (English when a translation is missing), placeholders filled."""
    return translate(prompts.catalog(language_or_default(language)), reply.value, **values)


def language_of(session: Session, volunteer: Volunteer) -> str:
    language = session.scalar(
        select(ContactPoint.language)
        .join(
            contact_point_volunteers,
            contact_point_volunteers.c.contact_point_id == ContactPoint.id,
        )
        .where(contact_point_volunteers.c.volunteer_id == volunteer.id)
        .order_by(ContactPoint.id)
        .limit(1)
    )
    return language or "en"


def when(point: ContactPoint, shift: Shift) -> dict[str, str]:
    zone = point.time_zone
    return {
        "day": local_day(shift.starts_at, zone, point.language),
        "time": local_time(shift.starts_at, zone),
        "end": local_time(shift.ends_at, zone),
    }
