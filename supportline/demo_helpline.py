"""The demo organisation's helpline, modelled on the seed's contact points: Warszawa on the
national line with two seats on weekday evenings and duty mobiles at weekends; London ringing its
seats in turn on duty mobiles; Bielsko-Biała with a desk phone that rings first at weekends.

Seeded idempotently through the helpline's services; the coming three weeks' seats are partly
filled so the schedule looks lived-in. ``on_duty_now`` (``supportline demo --meeting-now``)
seats Warszawa's first two volunteers on the shift running now — a one-off shift on their own
phones when no weekly one runs — and cancels a London shift running now, so one contact point
answers and another is out of hours whenever the demo is started; there the caller may leave a
voicemail (``supportline.demo_voicemail``). Bielsko-Biała's groups take turns at its shifts and
Warszawa has a candidate with a mentor (``supportline.demo_rota``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from groups import service as groups_service
from groups.schemas import LineCreate
from helpline import checkin, duty, records, seats, service, shifts
from helpline.models import (
    CheckInBy,
    ContactPoint,
    DutyPhoneKind,
    RingsAt,
    RingStrategy,
    Shift,
    ShiftStatus,
    Volunteer,
)
from helpline.schemas import ContactPointCreate, DutyPhoneCreate, TemplateCreate, VolunteerCreate
from supportline import demo_cover, demo_helpline_calls, demo_rota, demo_voicemail
from supportline.demo_secrets import demo_staff

# Numbers from the 555-0100..0199 range, reserved for fiction in North America.
NATIONAL_LINE = "+12025550140"
HELPLINE_CALLER = "+12025550190"  # someone calling the helpline, for the terminal phone
FILL_DAYS = 21  # the coming weeks whose seats the demo fills, some of them
NOW_SHIFT = timedelta(hours=2)  # the longest one-off shift ``on_duty_now`` adds
WEEKDAYS, WEEKEND = ("mon", "tue", "wed", "thu", "fri"), ("sat", "sun")


@dataclass(frozen=True)
class Duty:
    """Weekly shifts on ``days``, local time."""

    days: tuple[str, ...]
    start: str
    end: str
    seats: int
    rings_at: RingsAt


@dataclass(frozen=True)
class PointSpec:
    key: str  # in the usernames: demo-<key>-coordinator, demo-<key>-1 …
    name: str
    language: str
    time_zone: str
    line: str
    strategy: RingStrategy
    national_order: int | None
    volunteers: tuple[str, ...]  # their own phones
    mobiles: tuple[str, ...]  # duty mobiles; seat n carries the n-th where seats ring one
    desk: str | None
    duties: tuple[Duty, ...]


POINTS = (
    PointSpec(
        "warszawa",
        "Warszawa",
        "pl",
        "Europe/Warsaw",
        "+12025550141",
        RingStrategy.ring_all,
        1,
        ("+12025550160", "+12025550161", "+12025550162", "+12025550163"),
        ("+12025550150", "+12025550151"),
        None,
        (
            Duty(WEEKDAYS, "16:00", "21:00", 2, RingsAt.own_phone),
            Duty(WEEKEND, "16:00", "21:00", 2, RingsAt.duty_mobile),
        ),
    ),
    PointSpec(
        "london",
        "London",
        "en",
        "Europe/London",
        "+12025550142",
        RingStrategy.in_turn,
        None,
        ("+12025550170", "+12025550171", "+12025550172", "+12025550173"),
        ("+12025550152", "+12025550153", "+12025550154", "+12025550155"),
        None,
        (
            Duty(WEEKDAYS, "16:00", "21:00", 2, RingsAt.duty_mobile),
            Duty(WEEKEND, "16:00", "21:00", 1, RingsAt.duty_mobile),
        ),
    ),
    PointSpec(
        "bielsko",
        "Bielsko-Biała",
        "pl",
        "Europe/Warsaw",
        "+12025550143",
        RingStrategy.ring_all,
        2,
        ("+12025550180", "+12025550181", "+12025550182"),
        ("+12025550157",),
        "+12025550156",
        (
            # "A mobile duty every day 16-20" and "the desk phone first at weekends 16-18":
            # one contact point's weekly shifts may not overlap, so the weekend evening splits.
            Duty(WEEKDAYS, "16:00", "20:00", 1, RingsAt.own_phone),
            Duty(WEEKEND, "16:00", "18:00", 2, RingsAt.desk_first),
            Duty(WEEKEND, "18:00", "20:00", 1, RingsAt.own_phone),
        ),
    ),
)


@dataclass
class DemoPoint:
    point: ContactPoint
    line: str
    coordinators: list[str] = field(default_factory=list)  # usernames
    volunteers: list[tuple[str, str]] = field(default_factory=list)  # username, own phone
    on_duty_now: list[str] = field(default_factory=list)  # usernames
    # Whom a call rings now, and on which number (own phone or duty mobile), seat by seat.
    ringing_now: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class DemoHelpline:
    national_line: str
    points: list[DemoPoint]
    on_duty: DemoPoint | None = None  # the contact point ``on_duty_now`` staffed


def seed(session: Session, admin: Staff, *, now: datetime, on_duty_now: bool) -> DemoHelpline:
    """Create what is missing of the demo helpline; with ``on_duty_now``, Warszawa on duty and
    London out of hours at ``now``."""
    national = _line(session, admin, NATIONAL_LINE, "pl", "demo helpline (national)")
    if not service.point_lines(session, None):
        service.attach_line(session, actor=admin, point=None, line_id=national)
    built = [_point(session, admin, spec, now) for spec in POINTS]
    demo_helpline_calls.seed(session, admin, [seeded.point for seeded, _ in built], now=now)
    demo_voicemail.seed(session, admin, [(seeded.point, v) for seeded, v in built], now)
    demo = DemoHelpline(NATIONAL_LINE, [seeded for seeded, _ in built])
    (warszawa_point, warszawa_team), (bielsko, bielsko_team) = built[0], built[2]
    bielsko_rep = session.get(Staff, bielsko_team[0].staff_id)
    assert bielsko_rep is not None  # a volunteer's account
    demo_rota.seed_rota(session, admin, bielsko.point, bielsko_rep, now)
    demo_rota.seed_mentoring(session, admin, warszawa_point.point, warszawa_team, now)
    demo_cover.seed(session, built[0][0].point, now=now)  # a seat waiting for cover
    if on_duty_now:
        (warszawa, volunteers), (london, _) = built[0], built[1]
        _staff_now(
            session,
            admin,
            warszawa.point,
            volunteers=volunteers[:2],
            mobiles=POINTS[0].mobiles,
            now=now,
        )
        for shift in shifts.running(session, london.point, now):
            seats.cancel_shift(session, shift, actor=admin, now=now)
        _first_checked_in(session, warszawa.point, now)
        demo.on_duty = warszawa
    for seeded, volunteers in built:
        seeded.on_duty_now = records.on_duty_now(session, seeded.point, now=now).on_duty
        names = {
            volunteer.id: username
            for volunteer, (username, _phone) in zip(volunteers, seeded.volunteers, strict=True)
        }
        seeded.ringing_now = [  # the demo's volunteers (a coordinator may have seated others)
            (names[target.volunteer_id], target.number)
            for target in duty.on_duty(session, seeded.point.id, now)
            if not target.desk_first and target.volunteer_id in names
        ]
    return demo


def _line(session: Session, admin: Staff, number: str, language: str, label: str) -> int:
    existing = groups_service.get_line_by_number(session, number)
    if existing is not None:
        return existing.id
    data = LineCreate(number=number, language=language, label=label)
    return groups_service.create_line(session, actor=admin, data=data).id


def _point(
    session: Session, admin: Staff, spec: PointSpec, now: datetime
) -> tuple[DemoPoint, list[Volunteer]]:
    point = session.scalar(select(ContactPoint).where(ContactPoint.name == spec.name))
    if point is None:
        data = ContactPointCreate(
            name=spec.name,
            language=spec.language,
            time_zone=spec.time_zone,
            ring_strategy=spec.strategy,
            national_order=spec.national_order,
        )
        point = service.create_point(session, actor=admin, data=data)
    if spec.line not in service.point_lines(session, point.id):
        line_id = _line(session, admin, spec.line, spec.language, f"demo helpline ({spec.name})")
        service.attach_line(session, actor=admin, point=point, line_id=line_id)
    seeded = DemoPoint(point, spec.line)
    coordinator = demo_staff(session, f"demo-{spec.key}-coordinator", Role.helper)
    if coordinator.id not in {c.id for c in service.list_coordinators(session, point)}:
        service.add_coordinator(session, point, actor=admin, staff_id=coordinator.id)
    seeded.coordinators.append(coordinator.username)
    volunteers = []
    for index, phone in enumerate(spec.volunteers, start=1):
        staff = demo_staff(session, f"demo-{spec.key}-{index}", Role.helper)
        volunteers.append(_volunteer(session, admin, point, staff, phone))
        seeded.volunteers.append((staff.username, phone))
    _phones(session, admin, point, spec)
    _schedule(session, admin, point, spec=spec, volunteers=volunteers, now=now)
    return seeded, volunteers


def _volunteer(
    session: Session, admin: Staff, point: ContactPoint, staff: Staff, phone: str
) -> Volunteer:
    volunteer = service.volunteer_of(session, staff)
    if volunteer is not None and service.serves_at(session, volunteer.id, point.id):
        return volunteer
    data = VolunteerCreate(staff_id=staff.id, phone=phone)
    return service.add_volunteer(session, point, actor=admin, data=data)


def _phones(session: Session, admin: Staff, point: ContactPoint, spec: PointSpec) -> None:
    have = {phone.number for phone in service.list_duty_phones(session, point)}
    wanted = [(DutyPhoneKind.desk, "desk phone", spec.desk)] if spec.desk else []
    wanted += [
        (DutyPhoneKind.mobile, f"duty mobile {n}", number)
        for n, number in enumerate(spec.mobiles, start=1)
    ]
    for kind, label, number in wanted:
        if number not in have:
            data = DutyPhoneCreate(kind=kind, label=label, number=number)
            service.add_duty_phone(session, point, actor=admin, data=data)


def _schedule(
    session: Session,
    admin: Staff,
    point: ContactPoint,
    *,
    spec: PointSpec,
    volunteers: list[Volunteer],
    now: datetime,
) -> None:
    """The weekly shifts once, the coming weeks planned, and some of their seats filled: a
    shift nobody has a seat on yet gets volunteers in turn, one seat in four left open."""
    if not shifts.templates(session, point):
        for week in spec.duties:
            for day in week.days:
                data = TemplateCreate(
                    weekday=day,
                    start=week.start,
                    end=week.end,
                    seats=week.seats,
                    rings_at=week.rings_at,
                )
                shifts.add_template(session, point, actor=admin, data=data, now=now)
    shifts.plan(session, point, now=now)
    first = now.astimezone(ZoneInfo(point.time_zone)).date()
    for shift in shifts.shifts_between(session, point, first, first + timedelta(days=FILL_DAYS)):
        if shift.status is not ShiftStatus.scheduled or shift.ends_at <= now:
            continue
        if any(seat.volunteer_id is not None for seat in shift.seats):
            continue  # seen to already, by the demo or by a person
        turn = shift.local_date.toordinal()
        for seat in list(shift.seats):
            if (turn + seat.position) % 4 == 0:
                continue
            volunteer = volunteers[(turn + seat.position) % len(volunteers)]
            _seat(session, admin, point, shift, volunteer=volunteer, mobiles=spec.mobiles, now=now)


def _seat(
    session: Session,
    admin: Staff,
    point: ContactPoint,
    shift: Shift,
    *,
    volunteer: Volunteer,
    mobiles: tuple[str, ...],
    now: datetime,
) -> None:
    """Seat the volunteer in the first open seat, with that seat's duty mobile where the
    shift rings one (seat n carries the n-th mobile)."""
    position = min(seat.position for seat in shift.seats if seat.volunteer_id is None)
    mobile = None
    if shift.rings_at in (RingsAt.duty_mobile, RingsAt.desk_first) and position <= len(mobiles):
        mobile = next(
            phone
            for phone in service.list_duty_phones(session, point)
            if phone.number == mobiles[position - 1]
        )
    seats.assign(session, point, shift, volunteer, actor=admin, duty_phone=mobile, now=now)


def _staff_now(
    session: Session,
    admin: Staff,
    point: ContactPoint,
    *,
    volunteers: list[Volunteer],
    mobiles: tuple[str, ...],
    now: datetime,
) -> None:
    """``volunteers`` on duty at ``now``, the n-th in seat n (with the n-th duty mobile where
    the seats ring one), so the demo prints the same phone to ring every time: on the shift
    running now, whose other volunteers make room, or on a one-off shift on their own phones
    until the next shift starts."""
    running = shifts.running(session, point, now)
    shift = running[0] if running else _one_off(session, admin, point, now)
    wanted = {position: volunteer.id for position, volunteer in enumerate(volunteers, start=1)}
    if all(
        wanted.get(seat.position, seat.volunteer_id) == seat.volunteer_id for seat in shift.seats
    ):
        return
    for seat in shift.seats:
        if seat.volunteer_id is not None:
            seated = session.get_one(Volunteer, seat.volunteer_id)
            seats.unassign(session, shift, seated, actor=admin, now=now)
    for volunteer in volunteers:
        _seat(session, admin, point, shift, volunteer=volunteer, mobiles=mobiles, now=now)


def _one_off(session: Session, admin: Staff, point: ContactPoint, now: datetime) -> Shift:
    starts_at = now.replace(second=0, microsecond=0) - timedelta(minutes=5)
    ends_at = starts_at + NOW_SHIFT
    upcoming = session.scalar(
        select(Shift.starts_at)
        .where(
            Shift.contact_point_id == point.id,
            Shift.status == ShiftStatus.scheduled,
            Shift.starts_at > now,
        )
        .order_by(Shift.starts_at)
        .limit(1)
    )
    if upcoming is not None:
        ends_at = min(ends_at, upcoming)  # the regular shift takes over
    return shifts.add_one_off(
        session,
        point,
        actor=admin,
        starts_at=starts_at,
        ends_at=ends_at,
        seats=2,
        rings_at=RingsAt.own_phone,
        now=now,
    )


def _first_checked_in(session: Session, point: ContactPoint, now: datetime) -> None:
    """The first seat on duty has checked in, the second not yet: the check-in page shows both."""
    for shift in shifts.running(session, point, now):
        first = next((seat for seat in shift.seats if seat.volunteer_id is not None), None)
        if first is not None:
            checkin.check_in(session, first, by=CheckInBy.console, now=now)
