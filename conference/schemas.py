from __future__ import annotations

from datetime import datetime

from conference.controls import Roster
from conference.models import AccessEventKind, Call
from core.schemas import Schema
from groups.models import MembershipRole


class ParticipantRead(Schema):
    """One person in the live call, as their moderator sees them."""

    id: int  # the call's id: what the controls act on
    membership_id: int
    ref: str
    alias: str | None
    role: MembershipRole
    joined_at: datetime
    muted: bool
    on_hold: bool
    speaking: bool


class AccessEventRead(Schema):
    id: int
    kind: AccessEventKind
    membership_id: int
    meeting_id: int | None
    at: datetime
    locked_until: datetime | None


class RosterRead(Schema):
    meeting_id: int
    conference_running: bool
    locked: bool
    moderator_present: bool
    ends_at: datetime
    participants: list[ParticipantRead]
    attempts: list[AccessEventRead]


def roster_read(roster: Roster) -> RosterRead:
    participants = [
        ParticipantRead(
            id=call.id,
            membership_id=membership.id,
            ref=membership.ref,
            alias=membership.alias,
            role=membership.role,
            joined_at=call.joined_at or roster.room.started_at or roster.meeting.starts_at,
            muted=call.muted,
            on_hold=call.on_hold,
            speaking=call.speaking,
        )
        for call, membership in roster.participants
    ]
    running = roster.room.conference_sid is not None and roster.room.ended_at is None
    return RosterRead(
        meeting_id=roster.meeting.id,
        conference_running=running,
        locked=roster.room.locked,
        moderator_present=any(call.is_moderator for call, _ in roster.participants),
        ends_at=roster.ends_at,
        participants=participants,
        attempts=[AccessEventRead.model_validate(event) for event in roster.attempts],
    )


class AttendanceRead(Schema):
    """One call of a membership that reached its meeting's room."""

    meeting_id: int | None
    joined_at: datetime
    left_at: datetime | None
    duration_seconds: int | None

    @classmethod
    def of(cls, call: Call) -> AttendanceRead:
        assert call.joined_at is not None
        duration = None
        if call.left_at is not None:
            duration = int((call.left_at - call.joined_at).total_seconds())
        return cls(
            meeting_id=call.meeting_id,
            joined_at=call.joined_at,
            left_at=call.left_at,
            duration_seconds=duration,
        )
