"""What the other domains tell notifications: the one module they call.

A member was approved, a PIN was issued, a schedule changed, a meeting was cancelled or moved,
a referral is waiting, something needs the moderators. Each function only queues messages in
the caller's unit of work (``notifications.outbox``); the dispatcher (``notifications.tasks``)
sends them. Recipients are read from ``groups.models`` here, never through another domain's
service.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from auth.models import Staff
from core.logs import get_logger
from core.settings import get_settings
from groups.models import Group, Meeting, Membership, MembershipRole, MembershipStatus, Referral
from helpline.models import NotifyBy, Volunteer
from notifications import optout, outbox
from notifications.exceptions import NoContact
from notifications.models import Channel, Kind, OutboxMessage, SmsOptOut

# Re-exported: how another domain's route shows a message it queued (groups' resend-PIN).
from notifications.schemas import DeliveryRead as DeliveryRead  # noqa: PLC0414

log = get_logger("notifications")

MEMBER_KINDS = frozenset(Kind) - {Kind.moderator_notice, Kind.duty_notice, Kind.helpline_notice}
VOICEMAILS = "voicemails_waiting"  # the daily voicemail reminder, a duty notice without a shift


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
    """A member's message failed for good: the group's moderators are told (once per message)."""
    if row.kind in MEMBER_KINDS and row.group_id is not None:
        notify_moderators(
            session, group_id=row.group_id, event="delivery_failed", now=now, subject_id=row.id
        )


# --- helpline duty ---


def notify_duty(
    session: Session,
    *,
    staff_ids: Sequence[int],
    event: str,
    contact_point_id: int,
    shift_id: int,
    now: datetime,
    expires_at: datetime | None = None,
    urgent: bool = False,
    version: int | None = None,
) -> int:
    """Tell helpline staff about a shift: e-mail if they have one, else SMS (``urgent``: SMS if
    they have a phone, as a seat given up hours before the shift cannot wait for the e-mail).

    ``event`` is ``shift_cancelled`` or ``seat_removed`` (to the volunteer whose seat it was),
    ``seat_given_up`` (to the coordinators), or a cover event (``cover_unanswered``,
    ``shift_unfilled``, ``seat_covered``, ``seat_swapped``); one message per person, event and
    shift (or ``version``: the cover request, the swap), not sent after ``expires_at``.
    """
    count = 0
    for staff_id in dict.fromkeys(staff_ids):
        staff = session.get(Staff, staff_id)
        channel = _staff_channel(staff)
        if urgent and staff is not None and staff.phone and channel is not None:
            channel = Channel.sms
        if channel is None:
            log.warning("duty.no_contact", extra={"staff_id": staff_id})
            continue
        count += outbox.enqueue(
            session,
            kind=Kind.duty_notice,
            channel=channel,
            group_id=None,
            membership_ids=(),
            staff_ids=[staff_id],
            version=shift_id if version is None else version,
            payload={"event": event, "contact_point_id": contact_point_id, "shift_id": shift_id},
            tag=event,
            expires_at=expires_at,
            now=now,
        )
    return count


def notify_helpline(
    session: Session,
    *,
    event: str,
    contact_point_id: int,
    subject_id: int,
    about: str,
    now: datetime,
    staff_ids: Sequence[int] = (),
    serving_group_id: int | None = None,
) -> int:
    """A helpline notice about no one shift, once per recipient, event, thing and ``about``.

    ``event`` is ``rota_dates`` (to a serving group's representative: the group's dates in the
    month ``about``, "2027-01"; ``subject_id`` is the serving group), ``candidacy_ending`` (to
    the coordinators; the candidacy, ``about`` its last day) or ``term_ending`` (to the admins;
    the contact point, ``about`` the term's last day). Staff get an e-mail if they have one,
    else an SMS. A representative without a staff account (``serving_group_id`` and no
    ``staff_ids``) gets an SMS to the group's contact phone: like a member's row, this one holds
    ids only, and the number is decrypted from the serving group when the message is built.
    """
    payload = {
        "event": event,
        "contact_point_id": contact_point_id,
        "about": about,
        "serving_group_id": serving_group_id,
    }
    common: dict[str, Any] = {
        "kind": Kind.helpline_notice,
        "group_id": None,
        "version": subject_id,
        "payload": payload,
        "tag": f"{event}:{about}",
        "now": now,
    }
    if serving_group_id is not None and not staff_ids:
        return outbox.enqueue(session, channel=Channel.sms, membership_ids=[None], **common)
    count = 0
    for staff_id in dict.fromkeys(staff_ids):
        channel = _staff_channel(session.get(Staff, staff_id))
        if channel is None:
            log.warning("helpline_notice.no_contact", extra={"staff_id": staff_id})
            continue
        count += outbox.enqueue(
            session, channel=channel, membership_ids=(), staff_ids=[staff_id], **common
        )
    return count


# --- helpline check-in ---


def notify_checkin(
    session: Session,
    *,
    staff_ids: Sequence[int],
    event: str,
    contact_point_id: int,
    shift_id: int,
    now: datetime,
    subject: int = 0,
    details: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
) -> int:
    """Tell helpline staff about the check-in of a shift, one message per person, event, shift
    and ``subject`` (the volunteer it is about, or 0).

    ``duty_start`` (to a volunteer on a seat, always by SMS to the phone their seats ring, as the
    reply is the check-in; ``details["word"]`` is the word to reply), ``checkin_summary``,
    ``no_show``, ``late_checkin`` and ``signup_pending`` (to the coordinators), ``no_show_partner``
    (to the others on the shift), ``signup_approved`` and ``signup_refused`` (to the volunteer).
    ``details`` carries ids, never names: the message is built from the records when it goes.
    """
    count = 0
    for staff_id in dict.fromkeys(staff_ids):
        staff = session.get(Staff, staff_id)
        channel = Channel.sms if event == "duty_start" else _staff_channel(staff)
        if (
            channel is None
            and staff is not None
            and staff.is_active
            and _volunteers(session, staff)
        ):
            channel = Channel.sms  # to the phone the volunteer's seats ring
        if channel is None or staff is None:
            log.warning("checkin.no_contact", extra={"staff_id": staff_id})
            continue
        count += outbox.enqueue(
            session,
            kind=Kind.duty_notice,
            channel=channel,
            group_id=None,
            membership_ids=(),
            staff_ids=[staff_id],
            version=shift_id,
            payload={
                **(details or {}),
                "event": event,
                "contact_point_id": contact_point_id,
                "shift_id": shift_id,
                "subject": subject,
            },
            tag=f"{event}:{subject}",
            expires_at=expires_at,
            now=now,
        )
    return count


def _volunteers(session: Session, staff: Staff) -> bool:
    found = session.scalar(select(Volunteer.id).where(Volunteer.staff_id == staff.id))
    return found is not None


def notify_voicemails(
    session: Session,
    *,
    staff_ids: Sequence[int],
    contact_point_id: int,
    count: int,
    day: date,
    now: datetime,
) -> int:
    """Tell a contact point's voicemail reviewers how many new voicemails wait, with a link to
    the inbox — nothing else. One message per person, contact point and local ``day``."""
    count_sent = 0
    for staff_id in dict.fromkeys(staff_ids):
        channel = _staff_channel(session.get(Staff, staff_id))
        if channel is None:
            log.warning("voicemails.no_contact", extra={"staff_id": staff_id})
            continue
        count_sent += outbox.enqueue(
            session,
            kind=Kind.duty_notice,
            channel=channel,
            group_id=None,
            membership_ids=(),
            staff_ids=[staff_id],
            version=int(day.strftime("%Y%m%d")),
            payload={"event": VOICEMAILS, "contact_point_id": contact_point_id, "count": count},
            tag=f"{VOICEMAILS}:cp{contact_point_id}",
            now=now,
        )
    return count_sent


VOLUNTEER_EVENTS = frozenset(
    {"duty_tomorrow", "duty_soon", "cover_needed", "cover_filled", "seat_offered"}
    | {"seat_removed", "seat_taken"}  # a swap: the duty notice's words
)


def notify_volunteer(
    session: Session,
    *,
    volunteer: Volunteer,
    event: str,
    contact_point_id: int,
    shift_id: int,
    now: datetime,
    version: int | None = None,
    expires_at: datetime | None = None,
) -> int:
    """A reminder or a cover request to a volunteer by the channel they chose: an SMS to the
    phone their seats ring (so a reply — NO, YES — comes from the number that finds them), or
    an e-mail that points to the console (an SMS when they have no e-mail address).

    ``event`` is one of :data:`VOLUNTEER_EVENTS`; one message per volunteer, event and shift (or
    ``version``: the cover request or the offer), not sent after ``expires_at``.
    """
    staff = session.get(Staff, volunteer.staff_id)
    if staff is None or not staff.is_active:
        return 0
    wants_email = volunteer.notify_by is NotifyBy.email and bool(staff.email)
    return outbox.enqueue(
        session,
        kind=Kind.duty_notice,
        channel=Channel.email if wants_email else Channel.sms,
        group_id=None,
        membership_ids=(),
        staff_ids=[staff.id],
        version=shift_id if version is None else version,
        payload={
            "event": event,
            "contact_point_id": contact_point_id,
            "shift_id": shift_id,
            "volunteer_id": volunteer.id,
        },
        tag=event,
        expires_at=expires_at,
        now=now,
    )
