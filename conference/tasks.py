"""Meeting lifecycle steps, run every few seconds by the scheduler: ``run_due_steps``.

For each running room: announce 5 minutes and 1 minute before the end, end the conference at the
end (the scheduled end plus any extension), tell the room when its last moderator dropped, and
end it when no moderator is back within the grace period. Each step is recorded when Twilio
confirmed it, so running again is harmless (idempotent); a provider failure is recorded on the
room and the step is retried on the next run.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conference import events
from conference import twiml as t
from conference.admission import meeting_end
from conference.models import Room
from conference.providers import (
    ConferenceControl,
    ControlError,
    ParticipantGone,
    get_conference_control,
)
from core.logs import get_logger
from core.settings import get_settings
from groups.models import Meeting

log = get_logger(__name__)


def announce_url(kind: str) -> str:
    return t.url(f"/twilio/conference/announce/{kind}")


def lifecycle_job(sessions: sessionmaker[Session], now: datetime) -> None:
    """The scheduler's entry: one unit of work with the process's conference control."""
    with sessions.begin() as session:
        run_due_steps(session, now, get_conference_control())


def run_due_steps(session: Session, now: datetime, control: ConferenceControl) -> int:
    """Do every lifecycle step that is due at ``now``; returns how many were done."""
    rooms = session.scalars(
        select(Room)
        .where(Room.ended_at.is_(None), Room.conference_sid.is_not(None))
        .order_by(Room.id)
        .with_for_update(skip_locked=True)
    )
    done = 0
    for room in list(rooms):
        meeting = session.get_one(Meeting, room.meeting_id)
        try:
            done += _step(session, room, meeting, now, control)
        except ParticipantGone:
            # Twilio no longer knows the conference: it is over.
            events.end_room(session, room, now)
            done += 1
        except ControlError as exc:
            room.last_error = str(exc)[:200]
            log.warning("conference.step_failed", extra={"meeting_id": meeting.id})
    session.flush()
    return done


def _step(
    session: Session, room: Room, meeting: Meeting, now: datetime, control: ConferenceControl
) -> int:
    assert room.conference_sid is not None
    sid = room.conference_sid
    end = meeting_end(meeting)
    grace = timedelta(minutes=get_settings().moderator_grace_minutes)
    absent = room.moderator_absent_since
    if now >= end or (absent is not None and now >= absent + grace):
        control.end(sid)
        events.end_room(session, room, now)
        log.info("conference.ended", extra={"meeting_id": meeting.id})
        return 1
    done = 0
    if absent is not None and room.reconnect_announced_at is None:
        control.announce(sid, announce_url("reconnecting"))
        room.reconnect_announced_at = now
        done += 1
    if now >= end - timedelta(minutes=1) and room.warned_one_at is None:
        control.announce(sid, announce_url("one_minute"))
        room.warned_one_at = now
        room.warned_five_at = room.warned_five_at or now  # never a late "five minutes"
        done += 1
    elif now >= end - timedelta(minutes=5) and room.warned_five_at is None:
        control.announce(sid, announce_url("five_minutes"))
        room.warned_five_at = now
        done += 1
    if done:
        room.last_error = None
    return done
