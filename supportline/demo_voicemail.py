"""The demo's voicemail: every contact point takes messages out of hours and when nobody answers
(London's practice), each names its first volunteer a reviewer, and Warszawa and London have a
few voicemails already — short generated tones, encrypted like any caller's — so the inbox has
something to play. Seeded once: a contact point that has voicemails is left as it is."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from helpline import inbox, voicemail
from helpline.models import ContactPoint, FetchState, Voicemail, Volunteer
from supportline.emulator.recorder import tone

# How long ago each demo voicemail came, and how long it is: (hours, seconds), per contact point.
MESSAGES = {"Warszawa": ((3, 14), (20, 42)), "London": ((2, 9), (9, 31), (27, 65))}


def seed(
    session: Session,
    admin: Staff,
    points: list[tuple[ContactPoint, list[Volunteer]]],
    now: datetime,
) -> None:
    for point, volunteers in points:
        if session.scalar(select(Voicemail.id).where(Voicemail.contact_point_id == point.id)):
            continue
        point.voicemail_out_of_hours = point.voicemail_no_answer = True
        if volunteers:
            inbox.name_reviewer(session, point, volunteers[0].id, actor=admin)
        for index, (hours, seconds) in enumerate(MESSAGES.get(point.name, ())):
            sid = "RE" + hashlib.sha256(f"demo {point.name} {index}".encode()).hexdigest()[:32]
            received = now - timedelta(hours=hours)
            session.add(
                Voicemail(
                    contact_point_id=point.id,
                    recording_sid=sid,
                    duration_seconds=seconds,
                    received_at=received,
                    audio=tone(seconds, sid),
                    fetch_state=FetchState.fetched,
                    attempts=1,
                    deleted_at_twilio=received,
                    deletes_at=voicemail.deletes_at(point, received),
                )
            )
    session.flush()
