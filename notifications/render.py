"""Message texts from the Jinja2 templates, in the recipient's language (en, pl, he).

SMS bodies carry a time or a code and nothing else; e-mails are text + HTML (right-to-left for
Hebrew) with the calendar attached. Times are shown in the group's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, get_day_names
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session, defer, selectinload

from auth.models import Staff
from core.clock import local_time
from core.schemas import language_or_default
from core.settings import get_settings
from groups.models import SEATED, Group, Meeting, MeetingStatus, Membership, MembershipStatus
from notifications import checkin, duty, helpline_notices, ics, notices, optout
from notifications.models import Channel, Kind, OutboxMessage
from notifications.outbox import Moot, Skip
from notifications.providers import Sms

RTL = frozenset({"he"})
NO_LINE = Skip(Moot.impossible, "the group has no phone line to send from")


@lru_cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("notifications", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
        # The templates ship with the code: checking their files' times cost two stat calls per
        # message built, each giving the interpreter lock away to the dispatcher's sending threads.
        auto_reload=False,
    )


def text(language: str, name: str, **params: Any) -> str:
    """One macro of ``templates/<language>/messages.txt``, e.g. ``text("pl", "pin", code=...)``."""
    module = environment().get_template(f"{language_or_default(language)}/messages.txt").module
    return str(getattr(module, name)(**params)).strip()


def local_day(instant: datetime, time_zone: str, language: str) -> str:
    day = instant.astimezone(ZoneInfo(time_zone)).date()
    return str(format_date(day, format="EEEE d MMMM", locale=language_or_default(language)))


def mail_host() -> str:
    return urlsplit(get_settings().public_base_url).hostname or "localhost"


def schedule_lines(group: Group, language: str) -> list[str]:
    days = get_day_names("wide", locale=language_or_default(language))
    return [
        text(
            language,
            "weekly",
            day=str(days[slot.weekday]),
            time=f"{slot.start_minute // 60:02d}:{slot.start_minute % 60:02d}",
        )
        for slot in group.slots
    ]


def _message(*, to: str, subject: str, message_id: str, now: datetime) -> EmailMessage:
    settings = get_settings()
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.mail_from
    message["To"] = to
    message["Date"] = format_datetime(now)
    # Stable per outbox row: a message sent again after a crash carries the same Message-ID,
    # which mail systems use to drop duplicates.
    message["Message-ID"] = f"<{message_id}@{mail_host()}>"
    return message


def invitation_email(
    *,
    to: str,
    message_id: str,
    group: Group,
    alias: str,
    participant_number: str,
    language: str,
    meetings: list[Meeting],
    is_update: bool,
    now: datetime,
) -> EmailMessage:
    language = language_or_default(language)
    subject = text(language, "invitation_subject", is_update=is_update)
    lines = [line.number for line in group.lines]
    context = {
        "lang": language,
        "direction": "rtl" if language in RTL else "ltr",
        "subject": subject,
        "org": get_settings().organisation_name,
        "alias": alias,
        "group_name": group.name,
        "lines": lines,
        "participant_number": participant_number,
        "schedule": schedule_lines(group, language),
        "time_zone": group.time_zone,
        "duration": group.duration_minutes,
        "is_update": is_update,
    }
    message = _message(to=to, subject=subject, message_id=message_id, now=now)
    env = environment()
    message.set_content(env.get_template(f"{language}/invitation.txt").render(context))
    message.add_alternative(
        env.get_template(f"{language}/invitation.html").render(context), subtype="html"
    )
    calendar = ics.invitation_calendar(
        group=group,
        meetings=meetings,
        title=text(language, "event_title"),
        description=", ".join(lines),
        host=mail_host(),
        now=now,
    )
    message.add_attachment(calendar, maintype="text", subtype="calendar", filename="invitation.ics")
    message["Content-Language"] = language  # after the parts: set_content drops Content-*
    return message


def moderator_email(
    *, to: str, message_id: str, group: Group, event: str, language: str, now: datetime
) -> EmailMessage:
    language = language_or_default(language)
    body = text(language, "moderator_body", event=event, group_name=group.name)
    subject = text(language, "moderator_event", event=event)
    return staff_email(
        to=to, message_id=message_id, subject=subject, body=body, language=language, now=now
    )


def staff_email(
    *, to: str, message_id: str, subject: str, body: str, language: str, now: datetime
) -> EmailMessage:
    """A short plain notice to a staff member, with its HTML twin."""
    message = _message(to=to, subject=subject, message_id=message_id, now=now)
    message.set_content(body)
    html = environment().get_template("moderator.html")
    message.add_alternative(
        html.render(
            lang=language,
            direction="rtl" if language in RTL else "ltr",
            subject=subject,
            org=get_settings().organisation_name,
            body=body,
        ),
        subtype="html",
    )
    message["Content-Language"] = language
    return message


# --- building the message at send time ---


@dataclass
class Recipients:
    """A batch's records, read in a few queries and looked up by id while its messages are built
    (a ``Session.get`` per record and message cost more than the reads themselves)."""

    memberships: dict[int, Membership]
    groups: dict[int, Group]
    meetings: dict[int, Meeting]
    opted_out: frozenset[str]  # blind indexes of the recipients' numbers that replied STOP


def read_recipients(session: Session, rows: list[OutboxMessage]) -> Recipients:
    membership_ids = {row.membership_id for row in rows if row.membership_id is not None}
    # An SMS needs the number alone: decrypting the other contact fields of each member would
    # cost more than building the message (e-mails need them; batches with one load them all).
    sms_only = all(row.channel is Channel.sms for row in rows)
    unused = [
        defer(Membership.alias),
        defer(Membership.email),
        defer(Membership.participant_number),
    ]
    memberships = session.scalars(
        select(Membership)
        .where(Membership.id.in_(membership_ids))
        .options(*(unused if sms_only else []))
    ).all()
    group_ids = {membership.group_id for membership in memberships}
    groups = session.scalars(
        select(Group).where(Group.id.in_(group_ids)).options(selectinload(Group.lines))
    ).all()
    meeting_ids = {row.meeting_id for row in rows if row.meeting_id is not None}
    meetings = session.scalars(select(Meeting).where(Meeting.id.in_(meeting_ids))).all()
    phones = {member.phone_index for member in memberships if member.phone_index is not None}
    return Recipients(
        memberships={membership.id: membership for membership in memberships},
        groups={group.id: group for group in groups},
        meetings={meeting.id: meeting for meeting in meetings},
        opted_out=optout.opted_out_among(session, phones),
    )


def build(
    session: Session, row: OutboxMessage, *, now: datetime, recipients: Recipients
) -> Sms | EmailMessage | Skip:
    """The message for a row, from the current records, or why it is not sent (a :class:`Skip`).

    ``recipients`` holds the records of the row's batch (:func:`read_recipients`).
    """
    if row.expires_at is not None and row.expires_at <= now:
        return Skip(Moot.late, "too late: the meeting started")
    if row.kind is Kind.duty_notice and row.payload.get("event") in checkin.EVENTS:
        return checkin.message(session, row, now)
    if row.kind is Kind.duty_notice:
        return duty.message(session, row, now)
    if row.kind is Kind.helpline_notice:
        return helpline_notices.message(session, row, now)
    return _to_member(session, row, now=now, recipients=recipients)


def _to_member(
    session: Session, row: OutboxMessage, *, now: datetime, recipients: Recipients
) -> Sms | EmailMessage | Skip:
    membership = recipients.memberships.get(row.membership_id) if row.membership_id else None
    if membership is None:
        return Skip(Moot.unwanted, "recipient no longer exists")
    group = recipients.groups[membership.group_id]
    if row.kind is Kind.moderator_notice:
        return _moderator_message(session, row, membership, group, now)
    allowed = SEATED if row.kind in (Kind.pin, Kind.invitation) else (MembershipStatus.active,)
    if membership.status not in allowed:
        return Skip(Moot.unwanted, f"membership is {membership.status.value}")
    if row.channel is Channel.email:
        return _invitation(session, row, membership, group, now)
    return _member_sms(row, membership, group, recipients)


def _invitation(
    session: Session, row: OutboxMessage, membership: Membership, group: Group, now: datetime
) -> EmailMessage | Skip:
    if membership.email is None or membership.participant_number is None:
        return Skip(Moot.unwanted, "no e-mail address or credentials")
    meetings = list(
        session.scalars(select(Meeting).where(Meeting.group_id == group.id, Meeting.ends_at > now))
    )
    return invitation_email(
        to=membership.email,
        message_id=f"outbox-{row.id}",
        group=group,
        alias=membership.alias or "",
        participant_number=membership.participant_number,
        language=membership.language,
        meetings=meetings,
        is_update=row.kind is Kind.invitation_update,
        now=now,
    )


def _member_sms(
    row: OutboxMessage, membership: Membership, group: Group, recipients: Recipients
) -> Sms | Skip:
    if membership.phone is None:
        return Skip(Moot.unwanted, "no phone number")
    stopped = membership.phone_index is None or membership.phone_index in recipients.opted_out
    if stopped:
        # Twilio would refuse it (error 21610, docs/twilio.md). A PIN then goes by hand: Reset
        # PIN shows it to the moderator, who passes it on; this reason is what they see.
        reason = "opted out of SMS (STOP)"
        if row.kind is Kind.pin:
            reason += ": pass the PIN on yourself (Reset PIN shows it)"
        return Skip(Moot.unwanted, reason)
    if not group.lines:
        return NO_LINE
    body = _sms_body(row, membership, group, recipients)
    if isinstance(body, Skip):
        return body
    return Sms(
        to=membership.phone,
        from_=group.lines[0].number,
        body=body,
        status_callback=status_callback_url(row.id),
    )


def _sms_body(
    row: OutboxMessage, membership: Membership, group: Group, recipients: Recipients
) -> str | Skip:
    if row.kind is Kind.pin:
        if row.secret is None:
            return Skip(Moot.superseded, "the PIN is no longer stored")
        return text(membership.language, "pin", code=row.secret)
    meeting = recipients.meetings.get(row.meeting_id) if row.meeting_id else None
    if meeting is None:
        return Skip(Moot.superseded, "the meeting is no longer planned")
    return _meeting_body(row, meeting, membership.language, group.time_zone)


def _meeting_body(row: OutboxMessage, meeting: Meeting, language: str, zone: str) -> str | Skip:
    """A reminder, or the notice that a meeting was cancelled or moved."""
    if row.kind is Kind.reminder:
        if meeting.status is MeetingStatus.cancelled:
            return Skip(Moot.superseded, "meeting cancelled")
        if notices.reminder_version(meeting) != row.version:
            return Skip(Moot.superseded, "meeting moved")
        return text(language, "reminder", time=local_time(meeting.starts_at, zone))
    previous = datetime.fromisoformat(row.payload["previous_starts_at"])
    day = local_day(previous, zone, language)
    time = local_time(previous, zone)
    if row.kind is Kind.meeting_cancelled:
        return text(language, "cancelled", day=day, time=time)
    return text(
        language,
        "moved",
        day=day,
        time=time,
        new_day=local_day(meeting.starts_at, zone, language),
        new_time=local_time(meeting.starts_at, zone),
    )


def _moderator_message(
    session: Session, row: OutboxMessage, moderator: Membership, group: Group, now: datetime
) -> Sms | EmailMessage | Skip:
    staff = session.get(Staff, moderator.staff_id) if moderator.staff_id else None
    if staff is None or not staff.is_active or moderator.status is not MembershipStatus.active:
        return Skip(Moot.unwanted, "no longer a moderator")
    event = str(row.payload.get("event", ""))
    if row.channel is Channel.email and staff.email:
        return moderator_email(
            to=staff.email,
            message_id=f"outbox-{row.id}",
            group=group,
            event=event,
            language=moderator.language,
            now=now,
        )
    if row.channel is Channel.sms and staff.phone:
        if not group.lines:
            return NO_LINE
        return Sms(
            to=staff.phone,
            from_=group.lines[0].number,
            body=text(moderator.language, "moderator_sms", event=event),
            status_callback=status_callback_url(row.id),
        )
    return Skip(Moot.unwanted, "the moderator has no contact for this channel")


def status_callback_url(outbox_id: int) -> str:
    return f"{get_settings().public_base_url}/twilio/sms/status?outbox={outbox_id}"
