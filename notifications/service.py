"""Record first, send second: the events that put messages in the outbox, and what comes back
(meeting notices: ``notifications.notices``; STOP and START: ``notifications.optout``).

Every function here only writes outbox rows in the caller's unit of work; the dispatcher
(``notifications.tasks``) sends them. Idempotency keys are ``kind:membership:meeting:version``
and unique, so replaying an event never enqueues a message twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from auth.models import Staff
from core import audit
from core.database import insert_or_nothing, paginate
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
from notifications.exceptions import NoContact
from notifications.models import Channel, Kind, OutboxMessage, Status

log = get_logger("notifications")

MEMBER_KINDS = frozenset(Kind) - {Kind.moderator_notice}
SUPERSEDABLE = (Status.pending, Status.claimed, Status.no_provider)


def idempotency_key(
    kind: Kind,
    *,
    membership_id: int | None,
    meeting_id: int | None = None,
    version: int = 0,
    tag: str = "",
) -> str:
    key = f"{kind.value}:m{membership_id or '-'}:mt{meeting_id or '-'}:v{version}"
    return f"{key}:{tag}" if tag else key


def enqueue(
    session: Session,
    *,
    kind: Kind,
    channel: Channel,
    group_id: int | None,
    membership_id: int | None,
    now: datetime,
    meeting_id: int | None = None,
    version: int = 0,
    expires_at: datetime | None = None,
    payload: dict[str, Any] | None = None,
    secret: str | None = None,
    tag: str = "",
) -> bool:
    """Insert one outbox row unless its idempotency key exists; True when it was inserted."""
    inserted = enqueue_for_members(
        session,
        kind=kind,
        channel=channel,
        group_id=group_id,
        membership_ids=[membership_id],
        meeting_id=meeting_id,
        version=version,
        expires_at=expires_at,
        payload=payload,
        secret=secret,
        tag=tag,
        now=now,
    )
    return inserted == 1


def enqueue_for_members(
    session: Session,
    *,
    kind: Kind,
    channel: Channel,
    group_id: int | None,
    membership_ids: Sequence[int | None],
    now: datetime,
    meeting_id: int | None = None,
    version: int = 0,
    expires_at: datetime | None = None,
    payload: dict[str, Any] | None = None,
    secret: str | None = None,
    tag: str = "",
) -> int:
    """The same message to each of these members, in multi-row inserts; how many were new.

    A key already queued is left alone (``ON CONFLICT DO NOTHING``), so an event replayed, a job
    run twice or two runs at once queue each member's message once.
    """
    rows = [
        {
            "idempotency_key": idempotency_key(
                kind, membership_id=membership_id, meeting_id=meeting_id, version=version, tag=tag
            ),
            "kind": kind,
            "channel": channel,
            "status": Status.pending,
            "group_id": group_id,
            "membership_id": membership_id,
            "meeting_id": meeting_id,
            "version": version,
            "payload": payload or {},
            "secret": secret,
            "attempts": 0,
            "next_attempt_at": now,
            "expires_at": expires_at,
            "created_at": now,
        }
        for membership_id in membership_ids
    ]
    inserted = _insert_new(session, rows)
    if inserted:
        log.info(
            "outbox.enqueued",
            extra={
                "kind": kind.value,
                "group_id": group_id,
                "meeting_id": meeting_id,
                "count": inserted,
            },
        )
    return inserted


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> int:
    """``INSERT … ON CONFLICT DO NOTHING`` for many rows; how many of them were new.

    One statement for many parameter sets: SQLAlchemy sends it as multi-row ``VALUES`` pages
    ("insertmanyvalues", sized to the driver's parameter limits), and compiles it only once.
    """
    if not rows:
        return 0
    statement = insert_or_nothing(session, OutboxMessage).returning(OutboxMessage.id)
    return len(session.execute(statement, rows).all())


def _next_version(session: Session, kind: Kind, membership_id: int) -> int:
    latest = session.scalar(
        select(func.max(OutboxMessage.version)).where(
            OutboxMessage.kind == kind, OutboxMessage.membership_id == membership_id
        )
    )
    return (latest or 0) + 1


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
    enqueue(
        session,
        kind=kind,
        channel=Channel.email,
        group_id=membership.group_id,
        membership_id=membership.id,
        version=_next_version(session, kind, membership.id),
        now=now,
    )
    return _latest(session, kind, membership.id)


def send_pin(session: Session, *, membership: Membership, pin: str, now: datetime) -> OutboxMessage:
    """Queue the temporary PIN by SMS; an older PIN not yet sent is dropped (it no longer works)."""
    if membership.phone is None:
        raise NoContact("this member has no phone number for the PIN")
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == Kind.pin,
            OutboxMessage.membership_id == membership.id,
            OutboxMessage.status.in_(SUPERSEDABLE),
        )
        .values(status=Status.cancelled, secret=None, last_error="replaced by a newer PIN")
    )
    enqueue(
        session,
        kind=Kind.pin,
        channel=Channel.sms,
        group_id=membership.group_id,
        membership_id=membership.id,
        version=_next_version(session, Kind.pin, membership.id),
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
    return enqueue_for_members(
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
        count += enqueue(
            session,
            kind=Kind.moderator_notice,
            channel=channel,
            group_id=group_id,
            membership_id=moderator.id,
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
