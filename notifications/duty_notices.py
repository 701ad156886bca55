"""The helpline's notices to its staff, offered to the other domains by ``notifications.notices``:
duty notices and reminders about a shift, the check-in's messages, cover requests and swaps to a
volunteer, the daily count of new voicemails, and the rota's, candidacies' and terms' notices.
Each only queues messages in the caller's unit of work; the texts are built when they go
(``notifications.duty``, ``notifications.checkin``, ``notifications.helpline_notices``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from core.logs import get_logger
from helpline.models import NotifyBy, Volunteer
from notifications import outbox
from notifications.models import Channel, Kind

log = get_logger("notifications")

VOICEMAILS = "voicemails_waiting"  # the daily voicemail reminder, a duty notice without a shift


def staff_channel(staff: Staff | None) -> Channel | None:
    """How a staff account is reached: e-mail if it has an address, else SMS (None: neither)."""
    if staff is None or not staff.is_active:
        return None
    if staff.email:
        return Channel.email
    return Channel.sms if staff.phone else None


def _to_each(
    session: Session,
    staff_ids: Sequence[int],
    channel_of: Callable[[Staff | None], Channel | None],
    *,
    missing: str,
    **message: Any,
) -> int:
    """One duty notice to each of ``staff_ids`` (once each) by the channel ``channel_of`` gives;
    an account that cannot be reached is logged as ``missing`` and left out."""
    count = 0
    for staff_id in dict.fromkeys(staff_ids):
        channel = channel_of(session.get(Staff, staff_id))
        if channel is None:
            log.warning(missing, extra={"staff_id": staff_id})
            continue
        count += outbox.enqueue(
            session,
            kind=Kind.duty_notice,
            channel=channel,
            group_id=None,
            membership_ids=(),
            staff_ids=[staff_id],
            **message,
        )
    return count


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

    def channel_of(staff: Staff | None) -> Channel | None:
        channel = staff_channel(staff)
        if urgent and staff is not None and staff.phone and channel is not None:
            return Channel.sms
        return channel

    return _to_each(
        session,
        staff_ids,
        channel_of,
        missing="duty.no_contact",
        version=shift_id if version is None else version,
        payload={"event": event, "contact_point_id": contact_point_id, "shift_id": shift_id},
        tag=event,
        expires_at=expires_at,
        now=now,
    )


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
        channel = staff_channel(session.get(Staff, staff_id))
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

    def channel_of(staff: Staff | None) -> Channel | None:
        if staff is None:
            return None
        channel = Channel.sms if event == "duty_start" else staff_channel(staff)
        if channel is None and staff.is_active and _volunteers(session, staff):
            channel = Channel.sms  # to the phone the volunteer's seats ring
        return channel

    return _to_each(
        session,
        staff_ids,
        channel_of,
        missing="checkin.no_contact",
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
    return _to_each(
        session,
        staff_ids,
        staff_channel,
        missing="voicemails.no_contact",
        version=int(day.strftime("%Y%m%d")),
        payload={"event": VOICEMAILS, "contact_point_id": contact_point_id, "count": count},
        tag=f"{VOICEMAILS}:cp{contact_point_id}",
        now=now,
    )


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
    reply: str = "",
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
            "reply": reply,  # the word the SMS asks for (NO to a reminder, YES to a cover request)
        },
        tag=event,
        expires_at=expires_at,
        now=now,
    )
