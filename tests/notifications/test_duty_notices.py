"""Helpline duty notices: a volunteer whose shift is cancelled or whose seat is taken away is
told, and the coordinators are told when a volunteer gives a seat up — through the outbox, once,
in the contact point's language, from its own line, naming no person and no number."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from auth.models import Role
from helpline import seats, shifts
from notifications.models import Kind, Status
from tests.clock import Clock
from tests.factories import create_staff
from tests.helpline.world import contact_point, weekly
from tests.notifications.conftest import Dispatch, rows
from tests.notifications.fakes import FakeMailer, FakeSms

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # Monday morning in Warsaw


def test_a_cancelled_shift_is_told_to_its_volunteers_by_sms_and_e_mail(
    db: Session,
    clock: Clock,
    run_dispatch: Dispatch,
    fake_sms: FakeSms,
    fake_mailer: FakeMailer,
) -> None:
    clock.set(NOW)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Warszawa", volunteers=2)
    by_sms, by_mail = point.staff
    by_sms.phone, by_mail.email = "+48600777001", "anna@example.org"
    weekly(db, point, admin, NOW, days="wed", start="16:00", end="21:00", seats=2)
    [shift] = shifts.shifts_between(
        db, point.point, NOW.date().replace(day=4), NOW.date().replace(day=4)
    )
    for volunteer in point.volunteers:
        seats.assign(db, point.point, shift, volunteer, actor=admin, duty_phone=None, now=NOW)

    seats.cancel_shift(db, shift, actor=point.coordinator, now=NOW)
    seats.cancel_shift(db, shift, actor=point.coordinator, now=NOW)  # twice: told once
    run_dispatch()

    notices = rows(db, Kind.duty_notice)
    assert [row.status for row in notices] == [Status.sent, Status.sent]
    [sms] = fake_sms.sent
    assert sms.to == "+48600777001" and sms.from_ == point.line
    assert sms.body == "Telefon zaufania Warszawa: dyżur (środa 4 marca, 16:00) jest odwołany."
    [mail] = fake_mailer.sent
    assert mail["To"] == "anna@example.org"
    assert "Warszawa" in str(mail["Subject"])
    for volunteer_phone in point.phones:
        assert volunteer_phone.lstrip("+") not in sms.body


def test_a_seat_given_up_is_told_to_the_coordinators(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    clock.set(NOW)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Kraków", volunteers=1)
    point.coordinator.phone = "+48600777002"
    weekly(db, point, admin, NOW, days="fri", start="16:00", end="21:00")
    [shift] = shifts.shifts_between(
        db, point.point, NOW.date().replace(day=6), NOW.date().replace(day=6)
    )
    seats.sign_up(db, point.point, shift, point.volunteers[0], now=NOW)

    seats.withdraw(db, point.point, shift, point.volunteers[0], now=NOW)
    run_dispatch()

    [sms] = fake_sms.sent
    assert sms.to == "+48600777002"
    assert "zwolniło się miejsce" in sms.body


def test_a_volunteer_without_contact_is_logged_not_queued(db: Session, clock: Clock) -> None:
    clock.set(NOW)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Płock", volunteers=1)
    weekly(db, point, admin, NOW, days="wed", start="18:00", end="20:00")
    [shift] = shifts.shifts_between(
        db, point.point, NOW.date().replace(day=4), NOW.date().replace(day=4)
    )
    seats.assign(db, point.point, shift, point.volunteers[0], actor=admin, duty_phone=None, now=NOW)

    seats.unassign(db, shift, point.volunteers[0], actor=admin, now=NOW)

    assert rows(db, Kind.duty_notice) == []
