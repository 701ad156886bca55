"""Duty reminders: the evening before and two hours before, in the contact point's local time
right across the clock change, each once, and only the later one for a volunteer seated late;
by SMS to the phone the volunteer's seats ring (saying which word to reply) or by e-mail, as
the volunteer chose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from auth.models import Role
from helpline import reminders, seats, shifts
from helpline.models import NotifyBy, Shift
from notifications.models import Kind, Status
from tests.clock import Clock
from tests.factories import create_staff
from tests.helpline.world import Point, contact_point, weekly
from tests.notifications.conftest import Dispatch, rows
from tests.notifications.fakes import FakeMailer, FakeSms

# Warsaw's clocks go forward in the night to Sunday 29 March 2026.
SATURDAY = datetime(2026, 3, 28, 10, 0, tzinfo=UTC)


def point_with_sunday_shift(db: Session, clock: Clock) -> Point:
    clock.set(SATURDAY)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Warszawa", volunteers=2)
    for staff in point.staff:
        staff.phone = f"+4860077{staff.id:04d}"
    weekly(db, point, admin, clock.now(), days="sun", start="16:00", end="21:00", seats=2)
    return point


def sunday_shift(db: Session, point: Point) -> Shift:
    sunday = SATURDAY.date() + timedelta(days=1)
    [shift] = shifts.shifts_between(db, point.point, sunday, sunday)
    return shift


def test_the_evening_before_and_two_hours_before_across_the_spring_change(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    point = point_with_sunday_shift(db, clock)
    shift = sunday_shift(db, point)
    volunteer = point.volunteers[0]
    seats.sign_up(db, point.point, shift, volunteer, now=clock.now())
    assert shift.starts_at == datetime(2026, 3, 29, 14, 0, tzinfo=UTC)  # 16:00 summer time

    assert reminders.queue_due(db, now=datetime(2026, 3, 28, 16, 59, tzinfo=UTC)) == 0
    evening = datetime(2026, 3, 28, 17, 0, tzinfo=UTC)  # 18:00 in Warsaw, still winter time
    assert reminders.queue_due(db, now=evening) == 1
    assert reminders.queue_due(db, now=evening + timedelta(minutes=1)) == 0  # once
    assert reminders.queue_due(db, now=datetime(2026, 3, 29, 11, 59, tzinfo=UTC)) == 0
    assert reminders.queue_due(db, now=datetime(2026, 3, 29, 12, 0, tzinfo=UTC)) == 1
    clock.set(datetime(2026, 3, 29, 12, 0, tzinfo=UTC))
    run_dispatch()

    bodies = [sms.body for sms in fake_sms.sent]
    assert bodies == [
        "Dyżur jutro 16:00–21:00, Warszawa. Odpisz NIE, jeśli nie możesz przyjść.",
        "Dyżur dziś 16:00–21:00, Warszawa. Odpisz NIE, jeśli nie możesz przyjść.",
    ]
    # To the number the seat rings, which a reply NO comes from — not the account's number.
    assert {sms.to for sms in fake_sms.sent} == {point.phones[0]}


def test_a_volunteer_seated_within_the_last_hours_gets_the_later_reminder_only(
    db: Session, clock: Clock
) -> None:
    point = point_with_sunday_shift(db, clock)
    shift = sunday_shift(db, point)
    late = datetime(2026, 3, 29, 13, 0, tzinfo=UTC)  # an hour before the start
    seats.assign(
        db,
        point.point,
        shift,
        point.volunteers[1],
        actor=point.coordinator,
        duty_phone=None,
        now=late,
    )

    assert reminders.queue_due(db, now=late) == 1
    [row] = rows(db, Kind.duty_notice)
    assert row.payload["event"] == reminders.SOON
    assert row.expires_at == shift.starts_at


def test_a_reminder_not_sent_by_the_start_is_never_sent(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    point = point_with_sunday_shift(db, clock)
    shift = sunday_shift(db, point)
    seats.sign_up(db, point.point, shift, point.volunteers[0], now=clock.now())
    reminders.queue_due(db, now=datetime(2026, 3, 29, 12, 0, tzinfo=UTC))

    clock.set(shift.starts_at + timedelta(minutes=1))  # the dispatcher was down until now
    run_dispatch()

    assert fake_sms.sent == []
    [row] = rows(db, Kind.duty_notice)
    assert row.status is Status.expired


def test_a_volunteer_who_chose_e_mail_gets_a_link_to_withdraw_in_the_console(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_mailer: FakeMailer, fake_sms: FakeSms
) -> None:
    point = point_with_sunday_shift(db, clock)
    shift = sunday_shift(db, point)
    volunteer = point.volunteers[0]
    volunteer.notify_by = NotifyBy.email
    point.staff[0].email = "volunteer@example.org"
    seats.sign_up(db, point.point, shift, volunteer, now=clock.now())

    evening = datetime(2026, 3, 28, 17, 0, tzinfo=UTC)
    assert reminders.queue_due(db, now=evening) == 1
    clock.set(evening)
    run_dispatch()

    assert fake_sms.sent == []
    [mail] = fake_mailer.sent
    assert mail["Subject"] == "Dyżur jutro 16:00–21:00, Warszawa."
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "NIE" not in text  # nobody reads a reply to an e-mail
    assert f"/console/helpline/{point.point.id}/shifts/{shift.id}" in text
