"""What the other domains tell notifications: the one module they call.

A member was approved, a PIN was issued, a schedule changed, a meeting was cancelled or moved,
a referral is waiting, something needs the moderators; and the helpline's notices to its staff,
written in ``notifications.duty_notices`` and offered here. Each function only queues messages in
the caller's unit of work (``notifications.outbox``); the dispatcher (``notifications.tasks``)
sends them. Recipients are read from ``groups.models`` here, never through another domain's
service.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from auth.models import Staff
from core.logs import get_logger
from core.settings import get_settings
from groups.models import Group, Meeting, Membership, MembershipRole, MembershipStatus, Referral
from notifications import optout, outbox
from notifications.duty_notices import notify_checkin as notify_checkin  # noqa: PLC0414
from notifications.duty_notices import notify_duty as notify_duty  # noqa: PLC0414
from notifications.duty_notices import notify_helpline as notify_helpline  # noqa: PLC0414
from notifications.duty_notices import notify_voicemails as notify_voicemails  # noqa: PLC0414
from notifications.duty_notices import notify_volunteer as notify_volunteer  # noqa: PLC0414
from notifications.duty_notices import staff_channel
from notifications.exceptions import NoContact
from notifications.models import Channel, Kind, OutboxMessage, SmsOptOut

# Re-exported: how another domain's route shows a message it queued (groups' resend-PIN).
from notifications.schemas import DeliveryRead as DeliveryRead  # noqa: PLC0414

log = get_logger("notifications")

MEMBER_KINDS = frozenset(Kind) - {Kind.moderator_notice, Kind.duty_notice, Kind.helpline_notice}


# --- members: invitation and PIN ---


def send_invitation(
    session: Session, *, membership: Membership, now: datetime, kind: Kind = Kind.invitation
) -> OutboxMessage:
    """Queue the invitation e-mail again (a new version); returns its message."""
    if membership.email is None:
        raise NoContact("this member has no e-mail address for the invitation")
    version = outbox.next_version(session, kind, membership.id)
    return outbox.get_by_key(
        session, _queue(session, membership, kind=kind, version=version, now=now)
    )


def sms_opted_out(session: Session, membership: Membership) -> bool:
    """Whether the member's number replied STOP (Twilio then refuses every SMS to it)."""
    return optout.is_opted_out(session, membership.phone_index)


def why_no_sms(session: Session, membership: Membership) -> str | None:
    """Why an SMS to the member would not reach them now, in words for the staff (None when it
    would): no SMS service set up (it would wait in the outbox), no number, or a STOP."""
    if not get_settings().twilio_configured:
        return "no SMS service is set up on this server yet"
    if membership.phone is None:
        return "this member has no phone number"
    if sms_opted_out(session, membership):
        return "this member replied STOP, so no SMS reaches them"
    return None


def send_pin(session: Session, *, membership: Membership, pin: str, now: datetime) -> OutboxMessage:
    """Queue the temporary PIN by SMS; an older PIN not yet sent is dropped (it no longer works).
    Returns its message."""
    if membership.phone is None:
        raise NoContact("this member has no phone number for the PIN")
    outbox.supersede_pins(session, membership_id=membership.id)
    version = outbox.next_version(session, Kind.pin, membership.id)
    return outbox.get_by_key(
        session, _queue(session, membership, kind=Kind.pin, version=version, now=now, secret=pin)
    )


def on_member_approved(
    session: Session, *, membership: Membership, pin: str, now: datetime
) -> None:
    """The invitation and the first PIN of a new member: the first version of each, as nothing
    was queued for them before (no version to look up, no PIN to replace, nothing to read)."""
    if membership.email is not None:
        _queue(session, membership, kind=Kind.invitation, version=1, now=now)
    if membership.phone is not None:
        _queue(session, membership, kind=Kind.pin, version=1, now=now, secret=pin)


def _queue(
    session: Session,
    membership: Membership,
    *,
    kind: Kind,
    version: int,
    now: datetime,
    secret: str | None = None,
) -> str:
    """Queue a member's invitation e-mail or PIN SMS; its idempotency key."""
    outbox.enqueue(
        session,
        kind=kind,
        channel=Channel.sms if kind is Kind.pin else Channel.email,
        group_id=membership.group_id,
        membership_ids=[membership.id],
        version=version,
        secret=secret,
        now=now,
    )
    return outbox.idempotency_key(kind, membership_id=membership.id, version=version)


def on_schedule_changed(session: Session, *, group: Group, now: datetime) -> int:
    """Every active member with an e-mail gets the updated invitation (SEQUENCE = version)."""
    members = session.scalars(_members_query(group.id, (MembershipStatus.active,)))
    return outbox.enqueue(
        session,
        kind=Kind.invitation_update,
        channel=Channel.email,
        group_id=group.id,
        membership_ids=[member.id for member in members if member.email is not None],
        version=group.schedule_version,
        now=now,
    )


def _members_query(
    group_id: int,
    statuses: Sequence[MembershipStatus],
    role: MembershipRole = MembershipRole.member,
) -> Select[Membership]:
    return (
        select(Membership)
        .where(
            Membership.group_id == group_id,
            Membership.role == role,
            Membership.status.in_(statuses),
        )
        .order_by(Membership.id)
    )


# --- meetings: reminders and notices by SMS ---


def reminder_version(meeting: Meeting) -> int:
    """A moved meeting is a new time: its reminder is a new message (the old one is cancelled)."""
    return int(meeting.starts_at.timestamp())


def reachable_member_ids(session: Session, group_id: int) -> list[int]:
    """Ids of the active members with a phone whose number has not opted out of SMS.

    Ids only: loading the memberships would decrypt every member's contact fields for nothing.
    """
    opted_out = select(SmsOptOut.phone_index)
    query = (
        _members_query(group_id, (MembershipStatus.active,))
        .where(
            Membership.phone_index.is_not(None),
            Membership.phone_index.not_in(opted_out),
        )
        .with_only_columns(Membership.id)
    )
    return list(session.scalars(query))


def queue_reminders(session: Session, *, meeting: Meeting, now: datetime) -> int:
    """The meeting's reminder to each reachable member, valid until it starts; how many were new.

    From the first one queued, members may have been reminded: ``reminders_queued_at`` says so.
    """
    queued = outbox.enqueue(
        session,
        kind=Kind.reminder,
        channel=Channel.sms,
        group_id=meeting.group_id,
        membership_ids=reachable_member_ids(session, meeting.group_id),
        meeting_id=meeting.id,
        version=reminder_version(meeting),
        expires_at=meeting.starts_at,
        now=now,
    )
    if queued and meeting.reminders_queued_at is None:
        meeting.reminders_queued_at = now
    return queued


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
    moderators = _members_query(group_id, (MembershipStatus.active,), MembershipRole.moderator)
    for moderator in session.scalars(moderators):
        staff = session.get(Staff, moderator.staff_id) if moderator.staff_id else None
        channel = staff_channel(staff)
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


def on_referral_created(session: Session, *, referral: Referral, now: datetime) -> None:
    notify_moderators(
        session,
        group_id=referral.group_id,
        event="referral_waiting",
        now=now,
        subject_id=referral.id,
    )


def notify_failure(session: Session, row: OutboxMessage, now: datetime) -> None:
    """A member's message failed for good: the group's moderators are told (once per message)."""
    if row.kind in MEMBER_KINDS and row.group_id is not None:
        notify_moderators(
            session, group_id=row.group_id, event="delivery_failed", now=now, subject_id=row.id
        )
