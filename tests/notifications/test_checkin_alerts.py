"""The scheduled steps of a shift's start, in the contact point's local time across the clock
changes of Warsaw and London: the shift-start SMS, the no-show alert to the coordinator and the
other volunteer, the coordinator's summary — each once — and a late check-in clearing the alert.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from helpline import checkin, seats, shifts
from helpline.models import CheckInBy, CoverRequest, NoShow, Shift
from notifications.models import Kind
from tests.clock import Clock
from tests.factories import create_staff
from tests.helpline.world import Point, add_volunteer, contact_point, weekly
from tests.notifications.conftest import Dispatch, rows
from tests.notifications.fakes import FakeMailer, FakeSms


@dataclass(frozen=True)
class Change:
    zone: str
    language: str
    day: date  # a Sunday the clocks change in the night before
    starts_at: datetime  # 16:00 local on it, in UTC


CHANGES = [
    Change("Europe/Warsaw", "pl", date(2026, 3, 29), datetime(2026, 3, 29, 14, 0, tzinfo=UTC)),
    Change("Europe/Warsaw", "pl", date(2026, 10, 25), datetime(2026, 10, 25, 15, 0, tzinfo=UTC)),
    Change("Europe/London", "en", date(2026, 3, 29), datetime(2026, 3, 29, 15, 0, tzinfo=UTC)),
    Change("Europe/London", "en", date(2026, 10, 25), datetime(2026, 10, 25, 16, 0, tzinfo=UTC)),
]
IDS = ["warsaw-spring", "warsaw-autumn", "london-spring", "london-autumn"]


def sunday_duty(db: Session, clock: Clock, change: Change) -> tuple[Point, Shift]:
    """Two volunteers on the Sunday 16:00–21:00 shift; the coordinator reads e-mail, the
    volunteers have phones."""
    clock.set(datetime.combine(change.day - timedelta(days=2), datetime.min.time(), UTC))
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Centrum", language=change.language, zone=change.zone)
    point.coordinator.email = "coordinator@example.org"
    for staff in point.staff:
        staff.phone = f"+4860077{staff.id:04d}"
    weekly(db, point, admin, clock.now(), days="sun", start="16:00", end="21:00", seats=2)
    [shift] = shifts.shifts_between(db, point.point, change.day, change.day)
    for volunteer in point.volunteers:
        seats.assign(
            db, point.point, shift, volunteer, actor=admin, duty_phone=None, now=clock.now()
        )
    assert shift.starts_at == change.starts_at
    return point, shift


def events(db: Session, staff_id: int) -> list[str]:
    return [
        str(row.payload["event"]) for row in rows(db, Kind.duty_notice) if row.staff_id == staff_id
    ]


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.mark.parametrize("change", CHANGES, ids=IDS)
def test_the_shift_start_sms_goes_at_the_local_start_once(
    db: Session, clock: Clock, change: Change
) -> None:
    point, _ = sunday_duty(db, clock, change)
    start = change.starts_at

    assert checkin.send_duty_start(db, now=start - timedelta(minutes=1)) == 0
    assert checkin.send_duty_start(db, now=start) == 2
    assert checkin.send_duty_start(db, now=start + timedelta(minutes=1)) == 0
    # A scheduler down for the first ten minutes sends none: the no-show alert follows.
    assert checkin.send_duty_start(db, now=start + timedelta(minutes=11)) == 0
    assert [events(db, staff.id) for staff in point.staff] == [["duty_start"], ["duty_start"]]


@pytest.mark.parametrize("change", CHANGES, ids=IDS)
def test_a_no_show_is_told_at_once_and_once_and_the_summary_follows(  # noqa: PLR0917
    db: Session,
    clock: Clock,
    change: Change,
    run_dispatch: Dispatch,
    fake_sms: FakeSms,
    fake_mailer: FakeMailer,
) -> None:
    point, shift = sunday_duty(db, clock, change)
    start = change.starts_at
    here, missing = point.staff
    [seat, other] = shift.seats
    checkin.check_in(db, seat, by=CheckInBy.sms, now=start + timedelta(minutes=2))

    assert checkin.watch_no_shows(db, now=start + timedelta(minutes=14)) == 0
    assert events(db, point.coordinator.id) == []
    assert checkin.watch_no_shows(db, now=start + timedelta(minutes=15)) == 1
    assert checkin.watch_no_shows(db, now=start + timedelta(minutes=16)) == 0
    assert sorted(events(db, point.coordinator.id)) == ["checkin_summary", "no_show"]
    assert events(db, here.id) == ["no_show_partner"]
    assert events(db, missing.id) == []
    # And cover is asked for: a seat is added beside the missing volunteer's.
    [request] = db.scalars(select(CoverRequest).where(CoverRequest.shift_id == shift.id)).all()
    assert request.reason == "no_show" and request.filled_at is None

    clock.set(start + timedelta(minutes=16))
    run_dispatch()
    # By e-mail the coordinator reads names: who is missing, and in the summary who is here.
    [alert, summary] = sorted(
        (body(mail) for mail in fake_mailer.sent), key=lambda text: here.username in text
    )
    assert missing.username in alert and here.username not in alert
    assert here.username in summary and missing.username in summary
    assert ("1 of 2" if change.language == "en" else "obecnych 1 z 2") in summary
    [partner] = fake_sms.sent
    assert partner.to == here.phone
    assert "16:00" in partner.body and missing.username not in partner.body

    # Late: the alert is cleared, the coordinator is told, and it no longer counts.
    checkin.check_in(db, other, by=CheckInBy.console, now=start + timedelta(minutes=25))
    [late] = db.scalars(select(NoShow)).all()
    assert late.cleared_at == start + timedelta(minutes=25)
    assert "late_checkin" in events(db, point.coordinator.id)
    assert checkin.watch_no_shows(db, now=start + timedelta(minutes=30)) == 0


def test_a_no_show_only_counts_seats_still_unchecked_when_the_minutes_are_up(
    db: Session, clock: Clock
) -> None:
    change = CHANGES[0]
    point, shift = sunday_duty(db, clock, change)
    point.point.no_show_minutes = 5
    for seat in shift.seats:
        checkin.check_in(db, seat, by=CheckInBy.api, now=change.starts_at)

    assert checkin.watch_no_shows(db, now=change.starts_at + timedelta(minutes=5)) == 0
    assert events(db, point.coordinator.id) == ["checkin_summary"]


def test_a_seat_filled_an_hour_into_the_shift_is_no_no_show_of_its_start(
    db: Session, clock: Clock
) -> None:
    change = CHANGES[2]
    point, shift = sunday_duty(db, clock, change)
    for seat in shift.seats:
        checkin.check_in(db, seat, by=CheckInBy.sms, now=change.starts_at)
    assert checkin.watch_no_shows(db, now=change.starts_at + timedelta(minutes=15)) == 0
    late = change.starts_at + timedelta(minutes=75)
    seats.change_seats(db, shift, actor=point.coordinator, seats=3, now=late)
    cover = add_volunteer(db, point, create_staff(db, Role.admin))
    seats.assign(db, point.point, shift, cover, actor=point.coordinator, duty_phone=None, now=late)

    assert checkin.watch_no_shows(db, now=late + timedelta(minutes=1)) == 0
    assert checkin.watch_no_shows(db, now=late + timedelta(hours=2)) == 0


def test_the_coordinators_sms_gives_counts_and_no_names(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    change = CHANGES[2]
    point, _ = sunday_duty(db, clock, change)
    point.coordinator.email, point.coordinator.phone = None, "+447700900555"
    checkin.watch_no_shows(db, now=change.starts_at + timedelta(minutes=15))
    clock.set(change.starts_at + timedelta(minutes=15))
    run_dispatch()

    to_coordinator = sorted(sms.body for sms in fake_sms.sent if sms.to == "+447700900555")
    assert to_coordinator == [
        *["Helpline Centrum: a volunteer on duty 16:00–21:00 has not checked in. See the console."]
        * 2,
        "Helpline Centrum: duty 16:00–21:00: 0 of 2 checked in. See the console.",
    ]


def test_the_check_in_logs_and_records_no_number_and_no_name(
    db: Session, clock: Clock, run_dispatch: Dispatch, caplog: pytest.LogCaptureFixture
) -> None:
    change = CHANGES[0]
    point, shift = sunday_duty(db, clock, change)
    caplog.set_level(logging.DEBUG)
    checkin.send_duty_start(db, now=change.starts_at)
    checkin.check_in(db, shift.seats[0], by=CheckInBy.sms, now=change.starts_at)
    checkin.watch_no_shows(db, now=change.starts_at + timedelta(minutes=15))
    checkin.check_in(
        db, shift.seats[1], by=CheckInBy.call, now=change.starts_at + timedelta(minutes=20)
    )
    clock.set(change.starts_at + timedelta(minutes=20))
    run_dispatch()

    payloads = " ".join(str(row.payload) for row in rows(db, Kind.duty_notice))
    secrets = [*point.phones, *(staff.phone or "" for staff in point.staff)]
    secrets += [staff.username for staff in (*point.staff, point.coordinator)]
    logged = " ".join(str(record.__dict__) for record in caplog.records)  # with the extra fields
    for secret in secrets:
        assert secret not in logged and secret not in payloads


@pytest.mark.parametrize("change", CHANGES, ids=IDS)
def test_the_check_in_window_opens_half_an_hour_before_the_local_start(
    db: Session, clock: Clock, change: Change
) -> None:
    point, shift = sunday_duty(db, clock, change)
    volunteer = point.volunteers[0]

    assert checkin.seat_to_check_in(db, volunteer, change.starts_at - timedelta(minutes=31)) is None
    opens = checkin.seat_to_check_in(db, volunteer, change.starts_at - timedelta(minutes=30))
    assert opens is not None and opens.shift_id == shift.id
    assert checkin.seat_to_check_in(db, volunteer, shift.ends_at) is None
