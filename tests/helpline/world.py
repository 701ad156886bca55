"""Contact points modelled on the seed's, built through the services, and Twilio's voice engine
to call them with: a caller dials a line, the volunteers' phones ring in the engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from auth.models import Role, Staff
from core.schemas import WEEKDAYS
from groups import service as groups_service
from groups.schemas import LineCreate
from helpline import seats, service, shifts
from helpline.models import ContactPoint, DutyPhone, DutyPhoneKind, RingsAt, RingStrategy, Volunteer
from helpline.schemas import (
    ContactPointCreate,
    DutyPhoneCreate,
    TemplateCreate,
    VolunteerCreate,
)
from supportline.emulator.local import LocalTwilio
from tests.factories import create_staff

CALLER = "+48501234567"  # someone calling the helpline
OTHER_CALLER = "+48502345678"


@dataclass
class Point:
    point: ContactPoint
    line: str
    coordinator: Staff
    volunteers: list[Volunteer] = field(default_factory=list)
    staff: list[Staff] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)  # the volunteers' own numbers, in order
    duty: dict[str, DutyPhone] = field(default_factory=dict)  # by label


_numbers = iter(range(100, 10_000))


def number(prefix: str = "+4860000") -> str:
    return f"{prefix}{next(_numbers):04d}"


def make_line(db: Session, admin: Staff, language: str) -> str:
    line = groups_service.create_line(
        db, actor=admin, data=LineCreate(number=number("+4822000"), language=language)
    )
    return line.number


def contact_point(
    db: Session,
    admin: Staff,
    *,
    name: str,
    language: str = "pl",
    zone: str = "Europe/Warsaw",
    strategy: RingStrategy = RingStrategy.ring_all,
    volunteers: int = 2,
    national_order: int | None = None,
) -> Point:
    point = service.create_point(
        db,
        actor=admin,
        data=ContactPointCreate(
            name=name,
            language=language,
            time_zone=zone,
            ring_strategy=strategy,
            national_order=national_order,
        ),
    )
    line = make_line(db, admin, language)
    service.attach_line(db, actor=admin, point=point, line_id=_line_id(db, line))
    coordinator = create_staff(db, Role.helper)
    service.add_coordinator(db, point, actor=admin, staff_id=coordinator.id)
    built = Point(point, line, coordinator)
    for _ in range(volunteers):
        add_volunteer(db, built, admin)
    return built


def add_volunteer(db: Session, point: Point, admin: Staff) -> Volunteer:
    staff = create_staff(db, Role.helper)
    phone = number()
    volunteer = service.add_volunteer(
        db, point.point, actor=admin, data=VolunteerCreate(staff_id=staff.id, phone=phone)
    )
    point.volunteers.append(volunteer)
    point.staff.append(staff)
    point.phones.append(phone)
    return volunteer


def duty_phone(db: Session, point: Point, admin: Staff, kind: DutyPhoneKind, label: str) -> str:
    phone = service.add_duty_phone(
        db, point.point, actor=admin, data=DutyPhoneCreate(kind=kind, label=label, number=number())
    )
    point.duty[label] = phone
    return phone.number


def _line_id(db: Session, line: str) -> int:
    found = groups_service.get_line_by_number(db, line)
    assert found is not None
    return found.id


def weekly(
    db: Session,
    point: Point,
    admin: Staff,
    now: datetime,
    *,
    days: str,
    start: str,
    end: str,
    seats: int = 1,
    rings_at: RingsAt = RingsAt.own_phone,
) -> None:
    """One template per day in ``days`` ("mon tue" …), planned at once."""
    for day in days.split():
        assert day in WEEKDAYS
        data = TemplateCreate(weekday=day, start=start, end=end, seats=seats, rings_at=rings_at)
        shifts.add_template(db, point.point, actor=admin, data=data, now=now)


def seat_now(
    db: Session,
    point: Point,
    admin: Staff,
    now: datetime,
    *volunteers: Volunteer,
    mobile: str | None = None,
) -> None:
    """Seat ``volunteers`` on the shift running at ``now``."""
    [shift] = shifts.running(db, point.point, now)
    for volunteer in volunteers:
        phone = point.duty[mobile] if mobile else None
        seats.assign(db, point.point, shift, volunteer, actor=admin, duty_phone=phone, now=now)
    db.flush()


def own_numbers(sim: LocalTwilio, *numbers: str) -> None:
    """The account's numbers, which a ``<Dial callerId>`` may show."""
    sim.engine.dialing.own_numbers.update(numbers)
