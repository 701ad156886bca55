"""A member's own copy (GDPR Art. 15): everything held about the person behind one membership.

Produced for a moderator of the group or an admin, who passes it on; so it leaves out what
could harm in their hands or names others: no PIN or participant number, no message text, no
free-text note or decision reason (they may name other people), nothing about other members,
and the person's other memberships only in groups the requester moderates. Producing it is
audited, without details.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from conference.models import Call
from core import audit
from groups import service as groups_service
from groups.models import Group, Meeting, Membership, Referral
from groups.schemas import (
    CopyAttendance,
    CopyEvent,
    CopyMembership,
    CopyMessage,
    CopyReferral,
    MemberCopyRead,
)
from notifications import notices
from notifications.models import OutboxMessage

EXPORT_ACTION = "membership.export"


def download_headers(membership: Membership) -> dict[str, str]:
    """A file named by the membership's id only, never a name; kept by no cache."""
    return {
        "Content-Disposition": f'attachment; filename="member-{membership.id}.json"',
        "Cache-Control": "no-store",
    }


def member_copy(
    session: Session, *, actor: Staff, membership: Membership, now: datetime
) -> MemberCopyRead:
    audit.record(
        session,
        actor_id=actor.id,
        action=EXPORT_ACTION,
        target_type="membership",
        target_id=membership.id,
        group_id=membership.group_id,
    )
    referral = session.get(Referral, membership.referral_id) if membership.referral_id else None
    return MemberCopyRead(
        produced_at=now,
        alias=membership.alias,
        phone=membership.phone,
        email=membership.email,
        language=membership.language,
        membership=_membership(session, membership),
        other_memberships=_others(session, actor, membership),
        sms_reminders_stopped=membership.phone_index is not None
        and notices.sms_opted_out(session, membership),
        referral=CopyReferral.model_validate(referral) if referral is not None else None,
        history=_history(session, membership),
        attendance=_attendance(session, membership),
        messages=_messages(session, membership),
    )


def _membership(session: Session, membership: Membership) -> CopyMembership:
    group = session.get_one(Group, membership.group_id)
    return CopyMembership(
        membership_id=membership.id,
        group_id=group.id,
        group_name=group.name,
        group_language=group.language,
        role=membership.role,
        status=membership.status,
        created_at=membership.created_at,
        status_changed_at=membership.status_changed_at,
    )


def _others(session: Session, actor: Staff, membership: Membership) -> list[CopyMembership]:
    """The same phone's memberships in the groups the requester moderates (admins: all)."""
    if membership.phone_index is None:
        return []
    query = select(Membership).where(
        Membership.phone_index == membership.phone_index, Membership.id != membership.id
    )
    return [
        _membership(session, other)
        for other in session.scalars(query.order_by(Membership.id))
        if groups_service.can_moderate(session, staff=actor, group_id=other.group_id)
    ]


def _history(session: Session, membership: Membership) -> list[CopyEvent]:
    """What staff did to the membership, from the audit log: the action and when, not who."""
    query = select(audit.AuditEntry.at, audit.AuditEntry.action).where(
        audit.AuditEntry.target_type == "membership",
        audit.AuditEntry.target_id == membership.id,
        audit.AuditEntry.action != EXPORT_ACTION,
    )
    rows = session.execute(query.order_by(audit.AuditEntry.id))
    return [CopyEvent(at=at, action=action) for at, action in rows]


def _attendance(session: Session, membership: Membership) -> list[CopyAttendance]:
    query = (
        select(Meeting.starts_at, Call.joined_at, Call.left_at)
        .join(Meeting, Meeting.id == Call.meeting_id, isouter=True)
        .where(Call.membership_id == membership.id, Call.joined_at.is_not(None))
        .order_by(Call.joined_at)
    )
    return [
        CopyAttendance(meeting_starts_at=starts, joined_at=joined, left_at=left)
        for starts, joined, left in session.execute(query)
    ]


def _messages(session: Session, membership: Membership) -> list[CopyMessage]:
    query = select(OutboxMessage).where(OutboxMessage.membership_id == membership.id)
    return [
        CopyMessage.model_validate(row) for row in session.scalars(query.order_by(OutboxMessage.id))
    ]
