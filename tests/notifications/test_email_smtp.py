"""The invitation through a real SMTP server (aiosmtpd on loopback), parsed back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import rrulestr  # type: ignore[import-untyped]
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role
from core.settings import Settings
from groups import meetings as groups_meetings
from groups import service as groups_service
from groups.models import Group, Meeting, MeetingStatus
from groups.schemas import GroupUpdate, SlotSchema
from notifications.delivery import Providers
from notifications.models import Kind, OutboxMessage, Status
from notifications.providers import SmtpMailer
from notifications.tasks import dispatch
from tests.clock import Clock
from tests.factories import create_group, create_member, create_staff
from tests.notifications.conftest import dispatcher
from tests.notifications.fakes import FakeSms
from tests.notifications.smtp_server import Inbox, decoded_text, free_port, smtp_server

pytestmark = pytest.mark.integration


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_server() as server:
        yield server


@pytest.fixture
def send(
    db: Session, sessions: sessionmaker[Session], clock: Clock, inbox: tuple[Inbox, int]
) -> Iterator[object]:
    mailer = SmtpMailer(Settings(smtp_host="127.0.0.1", smtp_port=inbox[1], smtp_starttls=False))
    yield dispatcher(db, sessions, Providers(FakeSms(), mailer), clock)


def parts(message: EmailMessage) -> tuple[str, str, Calendar]:
    plain = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert plain is not None and html is not None
    attachments = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert len(attachments) == 1
    payload = attachments[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return plain.get_content(), html.get_content(), Calendar.from_ical(payload)


def events(calendar: Calendar) -> list[Any]:
    """The VEVENTs, untyped: icalendar's property types are a union tests need not narrow."""
    return list(calendar.walk("VEVENT"))


def occurrences(calendar: Calendar, until: datetime) -> list[datetime]:
    """Every occurrence of the recurring events (minus EXDATEs, with overrides), in UTC."""
    result: list[datetime] = []
    overrides = [e for e in events(calendar) if e.get("recurrence-id")]
    for event in events(calendar):
        if event.get("recurrence-id") or event.get("status") == "CANCELLED":
            continue
        start = event.decoded("dtstart")
        rule = rrulestr(event["rrule"].to_ical().decode(), dtstart=start)
        excluded = {d.dt for exdate in _list(event.get("exdate")) for d in exdate.dts}
        for instant in rule.between(start, until, inc=True):
            if instant not in excluded:
                result.append(instant)
    for override in overrides:
        result.remove(override.decoded("recurrence-id"))
        result.append(override.decoded("dtstart"))
    return sorted(instant.astimezone(UTC) for instant in result)


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def planned(db: Session, group: Group, until: datetime) -> list[datetime]:
    return list(
        db.scalars(
            select(Meeting.starts_at)
            .where(
                Meeting.group_id == group.id,
                Meeting.status == MeetingStatus.scheduled,
                Meeting.starts_at <= until,
            )
            .order_by(Meeting.starts_at)
        )
    )


@pytest.mark.parametrize(
    ("time_zone", "dst_day"),
    [("Europe/Warsaw", date(2026, 3, 29)), ("Asia/Jerusalem", date(2026, 3, 27))],
)
def test_invitation_calendar_matches_the_meetings_across_the_dst_change(  # noqa: PLR0917
    db: Session,
    clock: Clock,
    inbox: tuple[Inbox, int],
    send: object,
    time_zone: str,
    dst_day: date,
) -> None:
    group = create_group(db, now=clock.now(), time_zone=time_zone)
    credentials = create_member(db, group, now=clock.now(), email="member@example.org")
    admin = create_staff(db, Role.admin)
    march_12 = db.scalars(
        select(Meeting).where(Meeting.group_id == group.id, Meeting.local_date == date(2026, 3, 12))
    ).one()
    groups_meetings.cancel_meeting(db, actor=admin, meeting=march_12, now=clock.now())
    march_16 = db.scalars(
        select(Meeting).where(Meeting.group_id == group.id, Meeting.local_date == date(2026, 3, 16))
    ).one()
    groups_meetings.move_meeting(
        db,
        actor=admin,
        meeting=march_16,
        starts_at=march_16.starts_at + timedelta(days=1),
        now=clock.now(),
    )
    send()  # type: ignore[operator]

    messages, _ = inbox
    assert len(messages.messages) == 1
    message = messages.messages[0]
    assert message["To"] == "member@example.org"
    plain, html, calendar = parts(message)
    assert credentials.pin not in decoded_text(message)
    assert credentials.participant_number in plain and credentials.participant_number in html

    until = datetime(2026, 4, 20, tzinfo=UTC)
    expected = planned(db, group, until)
    got = occurrences(calendar, until)
    assert got == expected
    # Across the change the local time stays 20:00 while the UTC instant moves by an hour.
    offsets = {(i.date() > dst_day, i.hour) for i in got}
    assert len({hour for _after, hour in offsets}) >= 2
    assert all(
        i.astimezone(ZoneInfo(time_zone)).strftime("%H:%M") == "20:00"
        for i in got
        if i != march_16.starts_at
    )
    timezones = [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")]
    assert timezones == [time_zone]
    masters = [e for e in events(calendar) if not e.get("recurrence-id")]
    assert {int(e["sequence"]) for e in masters} == {1}
    assert all(e.decoded("dtend") - e.decoded("dtstart") == timedelta(minutes=60) for e in masters)
    assert all(str(e["summary"]) == "Group call" for e in masters)


def test_invitation_in_hebrew_is_right_to_left_and_has_the_rules(
    db: Session, clock: Clock, inbox: tuple[Inbox, int], send: object
) -> None:
    group = create_group(db, now=clock.now(), time_zone="Asia/Jerusalem", language="he")
    credentials = create_member(db, group, now=clock.now(), language="he")
    send()  # type: ignore[operator]
    message = inbox[0].messages[0]
    plain, html, _calendar = parts(message)
    assert message["Content-Language"] == "he"
    assert message["Subject"] == "הזמנה לשיחות הקבוצה"
    assert '<html lang="he" dir="rtl">' in html
    assert "מדברים בכבוד" in plain and "לעולם לא משתפים מספרי טלפון" in plain
    assert "להוצאה לצמיתות" in plain
    assert "STOP" in plain
    assert "יום שני בשעה 20:00" in plain and "Asia/Jerusalem" in plain
    assert group.lines[0].number in plain
    assert credentials.pin not in decoded_text(message)


def test_invitation_in_english_and_polish(
    db: Session, clock: Clock, inbox: tuple[Inbox, int], send: object
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now(), language="en", email="en@example.org")
    create_member(db, group, now=clock.now(), language="pl", email="pl@example.org")
    send()  # type: ignore[operator]
    by_to = {str(m["To"]): m for m in inbox[0].messages}
    en_plain, en_html, _ = parts(by_to["en@example.org"])
    pl_plain, pl_html, _ = parts(by_to["pl@example.org"])
    assert '<html lang="en" dir="ltr">' in en_html
    assert "Monday at 20:00" in en_plain and "Thursday at 20:00" in en_plain
    assert "Never share phone numbers" in en_plain
    assert "Misconduct means permanent removal" in en_plain
    assert "reply STOP" in en_plain
    assert '<html lang="pl" dir="ltr">' in pl_html
    assert "poniedziałek, 20:00" in pl_plain
    assert "Nigdy nie udostępniamy numerów telefonów" in pl_plain


def test_schedule_change_sends_an_update_with_a_higher_sequence(
    db: Session, clock: Clock, inbox: tuple[Inbox, int], send: object
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    send()  # type: ignore[operator]
    admin = create_staff(db, Role.admin)
    groups_service.update_group(
        db,
        actor=admin,
        group=group,
        now=clock.now(),
        data=GroupUpdate(slots=[SlotSchema(weekday="tue", start="19:00")]),
    )
    send()  # type: ignore[operator]

    first, update = inbox[0].messages
    _, _, old_calendar = parts(first)
    plain, _, calendar = parts(update)
    assert update["Subject"] == "New meeting times for your group calls"
    assert "Tuesday at 19:00" in plain
    old_uids = {str(e["uid"]) for e in events(old_calendar)}
    by_uid = {str(e["uid"]): e for e in events(calendar)}
    assert old_uids <= set(by_uid)  # same UIDs: calendars replace, not duplicate
    live = [e for e in by_uid.values() if e.get("status") != "CANCELLED"]
    assert [(int(e["sequence"]), e["rrule"]["BYDAY"]) for e in live] == [(2, ["TU"])]
    cancelled = [uid for uid, e in by_uid.items() if e.get("status") == "CANCELLED"]
    assert set(old_uids) - {str(live[0]["uid"])} <= set(cancelled)


def test_smtp_5xx_is_a_permanent_failure_and_4xx_is_retried(
    db: Session, clock: Clock, inbox: tuple[Inbox, int], send: object
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now(), email="gone@example.org")
    create_member(db, group, now=clock.now(), email="busy@example.org")
    inbox[0].refuse_rcpt.update(
        {
            "gone@example.org": "550 5.1.1 <gone@example.org>: user unknown",
            "busy@example.org": "451 4.7.1 <busy@example.org>: later",
        }
    )
    send()  # type: ignore[operator]

    rows = db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.kind == Kind.invitation)
        .order_by(OutboxMessage.id)
    ).all()
    assert [(r.status, r.last_error) for r in rows] == [
        (Status.failed, "smtp 550: recipient refused"),
        (Status.pending, "smtp 451: recipient refused"),
    ]
    clock.advance(hours=1)
    send()  # type: ignore[operator]
    assert [m["To"] for m in inbox[0].messages] == ["busy@example.org"]


def test_smtp_server_down_is_retried(
    db: Session, clock: Clock, sessions: sessionmaker[Session]
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    db.flush()
    mailer = SmtpMailer(Settings(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_starttls=False))
    dispatch(sessions, clock=clock.now, providers=Providers(FakeSms(), mailer))
    db.expire_all()
    row = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.invitation)).one()
    assert (row.status, row.last_error) == (Status.pending, "smtp: ConnectionRefusedError")


@pytest.mark.parametrize(
    ("password", "status"), [("right", Status.sent), ("wrong", Status.pending)]
)
def test_smtp_login_from_the_settings(
    db: Session, clock: Clock, sessions: sessionmaker[Session], password: str, status: Status
) -> None:
    from pydantic import SecretStr

    from tests.notifications.smtp_server import password_checker

    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    with smtp_server(authenticator=password_checker("mailer", "right")) as (inbox, port):
        settings = Settings(
            smtp_host="127.0.0.1",
            smtp_port=port,
            smtp_starttls=False,
            smtp_username="mailer",
            smtp_password=SecretStr(password),
        )
        dispatcher(db, sessions, Providers(FakeSms(), SmtpMailer(settings)), clock)()
    row = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == Kind.invitation)).one()
    assert row.status is status
    assert inbox.authenticated == ([True] if status is Status.sent else [])
    if status is Status.pending:
        assert row.last_error == "smtp: authentication failed"
