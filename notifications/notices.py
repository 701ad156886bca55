"""What members hear about a meeting by SMS: the reminder's version, and the notices sent when a
meeting they may have been reminded of is cancelled or moved."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from groups.models import Meeting, Membership, MembershipStatus
from notifications import outbox
from notifications import service as notifications_service
from notifications.models import Channel, Kind, OutboxMessage, SmsOptOut


def reminder_version(meeting: Meeting) -> int:
    """A moved meeting is a new time: its reminder is a new message (the old one is cancelled)."""
    return int(meeting.starts_at.timestamp())


def reachable_member_ids(session: Session, group_id: int) -> list[int]:
    """Ids of the active members with a phone whose number has not opted out of SMS.

    Ids only: loading the memberships would decrypt every member's contact fields for nothing.
    """
    opted_out = select(SmsOptOut.phone_index)
    query = (
        notifications_service.members_query(group_id, (MembershipStatus.active,))
        .where(
            Membership.phone_index.is_not(None),
            Membership.phone_index.not_in(opted_out),
        )
        .with_only_columns(Membership.id)
    )
    return list(session.scalars(query))


def was_reminded(session: Session, meeting_id: int) -> bool:
    """Whether reminders of the meeting have been queued (and so may have reached members)."""
    query = select(OutboxMessage.id).where(
        OutboxMessage.kind == Kind.reminder, OutboxMessage.meeting_id == meeting_id
    )
    return session.scalar(query.limit(1)) is not None


def _notice(
    session: Session, *, meeting: Meeting, kind: Kind, payload: dict[str, Any], now: datetime
) -> int:
    """A notice to every member who was or would have been reminded, valid until the old start."""
    return outbox.enqueue(
        session,
        kind=kind,
        channel=Channel.sms,
        group_id=meeting.group_id,
        membership_ids=reachable_member_ids(session, meeting.group_id),
        meeting_id=meeting.id,
        version=reminder_version(meeting),
        payload=payload,
        expires_at=datetime.fromisoformat(payload["previous_starts_at"]),
        now=now,
    )


def on_meeting_cancelled(session: Session, *, meeting: Meeting, now: datetime) -> int:
    outbox.supersede_reminders(session, meeting_id=meeting.id, reason="meeting cancelled")
    payload = {"previous_starts_at": meeting.starts_at.isoformat()}
    return _notice(session, meeting=meeting, kind=Kind.meeting_cancelled, payload=payload, now=now)


def on_meeting_moved(
    session: Session, *, meeting: Meeting, previous_starts_at: datetime, now: datetime
) -> int:
    outbox.supersede_reminders(session, meeting_id=meeting.id, reason="meeting moved")
    payload = {"previous_starts_at": previous_starts_at.isoformat()}
    return _notice(session, meeting=meeting, kind=Kind.meeting_moved, payload=payload, now=now)
