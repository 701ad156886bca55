"""Turning ORM objects into the read schemas that need more than their own columns."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from auth.models import Staff
from core.clock import local_time
from groups import meetings, service
from groups import members as members_service
from groups.models import Group, Meeting, Referral
from groups.schemas import (
    CredentialsRead,
    GroupRead,
    LineRef,
    MeetingRead,
    ModeratorRef,
    ReferralRead,
    SlotSchema,
)
from groups.service import Credentials


def group_read(session: Session, group: Group, now: datetime) -> GroupRead:
    next_meeting = meetings.next_meeting(session, group.id, now)
    moderator_refs = []
    for membership in service.moderators(session, group.id):
        staff = session.get(Staff, membership.staff_id) if membership.staff_id else None
        moderator_refs.append(
            ModeratorRef(
                membership_id=membership.id,
                staff_id=membership.staff_id,
                username=staff.username if staff else None,
            )
        )
    return GroupRead(
        id=group.id,
        name=group.name,
        topic=group.topic,
        language=group.language,
        time_zone=group.time_zone,
        slots=[SlotSchema.from_slot(s.weekday, s.start_minute) for s in group.slots],
        duration_minutes=group.duration_minutes,
        capacity=group.capacity,
        reminder_minutes_before=group.reminder_minutes_before,
        lines=[LineRef.model_validate(line) for line in group.lines],
        moderators=moderator_refs,
        member_count=service.count_members(session, group.id),
        pending_referrals=service.count_pending_referrals(session, group.id),
        next_meeting_at=next_meeting.starts_at if next_meeting else None,
    )


def meeting_read(meeting: Meeting, group: Group) -> MeetingRead:
    return MeetingRead(
        id=meeting.id,
        group_id=meeting.group_id,
        local_date=meeting.local_date,
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        local_start=local_time(meeting.starts_at, group.time_zone),
        original_starts_at=meeting.original_starts_at,
        status=meeting.status,
        topic=meeting.topic,
        extended_minutes=meeting.extended_minutes,
    )


def credentials_read(credentials: Credentials, group: Group) -> CredentialsRead:
    return CredentialsRead(
        membership_id=credentials.membership.id,
        participant_number=credentials.participant_number,
        pin=credentials.pin,
        pin_is_temporary=credentials.membership.pin_is_temporary,
        dial_in_numbers=[line.number for line in group.lines],
    )


def referral_read(session: Session, referral: Referral, *, viewer: Staff) -> ReferralRead:
    """The referral as ``viewer`` may see it: the flags for those who decide on it only."""
    read = ReferralRead.model_validate(referral)
    if members_service.decides_on(session, staff=viewer, referral=referral):
        return read
    return read.model_copy(update={"flag_already_member": None, "flag_previously_ejected": None})
