"""Record first, send second: the events that put messages in the outbox, and what comes back
(meeting notices: ``notifications.notices``; STOP and START: ``notifications.optout``).

Every function here only writes outbox rows in the caller's unit of work; the dispatcher
(``notifications.tasks``) sends them. Idempotency keys are ``kind:membership:meeting:version``
and unique, so replaying an event never enqueues a message twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import audit
from core.database import paginate
from core.logs import get_logger
from groups import members as members_service
from groups import service as groups_service
from groups.models import (
    Group,
    Membership,
    MembershipRole,
    MembershipStatus,
    Referral,
)
from notifications import outbox
from notifications.exceptions import NoContact
from notifications.models import Channel, Kind, OutboxMessage, Status

log = get_logger("notifications")

MEMBER_KINDS = frozenset(Kind) - {Kind.moderator_notice}


def _latest(session: Session, kind: Kind, membership_id: int) -> OutboxMessage:
    return session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == kind, OutboxMessage.membership_id == membership_id)
        .order_by(OutboxMessage.version.desc())
        .limit(1)
    ).one()


# --- members: invitation and PIN ---


def send_invitation(
    session: Session, *, membership: Membership, now: datetime, kind: Kind = Kind.invitation
) -> OutboxMessage:
    """Queue the invitation e-mail (on approval and on request)."""
    if membership.email is None:
        raise NoContact("this member has no e-mail address for the invitation")
    outbox.enqueue(
        session,
        kind=kind,
        channel=Channel.email,
        group_id=membership.group_id,
        membership_ids=[membership.id],
        version=outbox.next_version(session, kind, membership.id),
        now=now,
    )
    return _latest(session, kind, membership.id)


def send_pin(session: Session, *, membership: Membership, pin: str, now: datetime) -> OutboxMessage:
    """Queue the temporary PIN by SMS; an older PIN not yet sent is dropped (it no longer works)."""
    if membership.phone is None:
        raise NoContact("this member has no phone number for the PIN")
    outbox.supersede_pins(session, membership_id=membership.id)
    outbox.enqueue(
        session,
        kind=Kind.pin,
        channel=Channel.sms,
        group_id=membership.group_id,
        membership_ids=[membership.id],
        version=outbox.next_version(session, Kind.pin, membership.id),
        secret=pin,
        now=now,
    )
    return _latest(session, Kind.pin, membership.id)


def on_member_approved(
    session: Session, *, membership: Membership, pin: str, now: datetime
) -> None:
    if membership.email is not None:
        send_invitation(session, membership=membership, now=now)
    if membership.phone is not None:
        send_pin(session, membership=membership, pin=pin, now=now)


def on_schedule_changed(session: Session, *, group: Group, now: datetime) -> int:
    """Every active member with an e-mail gets the updated invitation (SEQUENCE = version)."""
    members = session.scalars(members_query(group.id, (MembershipStatus.active,)))
    return outbox.enqueue(
        session,
        kind=Kind.invitation_update,
        channel=Channel.email,
        group_id=group.id,
        membership_ids=[member.id for member in members if member.email is not None],
        version=group.schedule_version,
        now=now,
    )


def members_query(group_id: int, statuses: Sequence[MembershipStatus]) -> Select[Membership]:
    return (
        select(Membership)
        .where(
            Membership.group_id == group_id,
            Membership.role == MembershipRole.member,
            Membership.status.in_(statuses),
        )
        .order_by(Membership.id)
    )


# --- moderators ---


def notify_moderators(
    session: Session,
    *,
    group_id: int,
    event: str,
    now: datetime,
    subject_id: int | None = None,
) -> int:
    """Tell the group's moderators something needs them: e-mail if they have one, else SMS.

    ``event`` is ``referral_waiting``, ``participant_locked`` or ``delivery_failed``;
    ``subject_id`` (referral, membership or outbox id) keeps one notice per moderator per thing.
    """
    count = 0
    version = subject_id if subject_id is not None else int(now.timestamp())
    for moderator in groups_service.moderators(session, group_id):
        staff = session.get(Staff, moderator.staff_id) if moderator.staff_id else None
        channel = _staff_channel(staff)
        if channel is None:
            log.warning("moderator.no_contact", extra={"membership_id": moderator.id})
            continue
        count += outbox.enqueue(
            session,
            kind=Kind.moderator_notice,
            channel=channel,
            group_id=group_id,
            membership_ids=[moderator.id],
            meeting_id=None,
            version=version,
            payload={"event": event},
            tag=event,
            now=now,
        )
    return count


def _staff_channel(staff: Staff | None) -> Channel | None:
    if staff is None or not staff.is_active:
        return None
    if staff.email:
        return Channel.email
    return Channel.sms if staff.phone else None


def on_referral_created(session: Session, *, referral: Referral, now: datetime) -> None:
    notify_moderators(
        session,
        group_id=referral.group_id,
        event="referral_waiting",
        now=now,
        subject_id=referral.id,
    )


def notify_failure(session: Session, row: OutboxMessage, now: datetime) -> None:
    if row.kind in MEMBER_KINDS and row.group_id is not None:
        notify_moderators(
            session, group_id=row.group_id, event="delivery_failed", now=now, subject_id=row.id
        )


# --- listing ---


def list_deliveries(
    session: Session,
    *,
    group_id: int | None,
    status: Status | None,
    limit: int,
    offset: int = 0,
) -> tuple[list[OutboxMessage], int]:
    query = select(OutboxMessage)
    if group_id is not None:
        query = query.where(OutboxMessage.group_id == group_id)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return paginate(session, query, OutboxMessage.id.desc(), limit=limit, offset=offset)


# --- staff actions ---


def resend_invitation(
    session: Session, *, actor: Staff, membership: Membership, now: datetime
) -> OutboxMessage:
    if membership.status not in (MembershipStatus.active, MembershipStatus.suspended):
        raise NoContact(f"this membership is {membership.status.value}")
    row = send_invitation(session, membership=membership, now=now)
    audit.record(
        session,
        actor_id=actor.id,
        action="membership.resend_invitation",
        target_type="membership",
        target_id=membership.id,
        group_id=membership.group_id,
    )
    return row


def resend_pin(
    session: Session, *, actor: Staff, membership: Membership, now: datetime
) -> OutboxMessage:
    """A new temporary PIN, by SMS only: the moderator never sees it."""
    if membership.phone is None:
        raise NoContact("this member has no phone number to send a PIN to")
    members_service.reset_pin(session, actor=actor, membership=membership, now=now)
    return _latest(session, Kind.pin, membership.id)
