"""``supportline demo``'s helpline: the seed's contact points, idempotent, and with
``--meeting-now`` Warszawa on duty and London out of hours whatever the time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth import service as auth_service
from auth.models import Role, Staff
from core.database import Base, get_sessionmaker
from helpline import duty, shifts
from helpline.models import ContactPoint, RingsAt, Shift, ShiftStatus
from helpline.prompts import Prompt, text
from supportline import demo, demo_helpline, demo_output
from supportline.emulator.engine import Stage
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock

MONDAY_NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)  # 13:00 in Warsaw: nobody on duty
MONDAY_EVENING = datetime(2026, 3, 2, 17, 30, tzinfo=UTC)  # 18:30 in Warsaw, 17:30 in London
SATURDAY_EVENING = datetime(2026, 3, 7, 17, 30, tzinfo=UTC)


def seed(now: datetime, meeting_now: bool = False) -> dict[str, Any]:
    with get_sessionmaker().begin() as session:
        payload = demo_output.as_json(demo.seed(session, now=now, meeting_now=meeting_now))
    helpline: dict[str, Any] = payload["helpline"]
    return helpline


def points_by_name(helpline: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {point["name"]: point for point in helpline["contact_points"]}


def test_the_helpline_json_has_the_documented_shape(own_database: Path) -> None:
    helpline = seed(MONDAY_NOON)
    assert set(helpline) == {"national_line", "contact_points"}
    assert helpline["national_line"].startswith("+1")
    points = points_by_name(helpline)
    assert list(points) == ["Warszawa", "London", "Bielsko-Biała"]
    assert [(p["language"], p["time_zone"], p["national"]) for p in points.values()] == [
        ("pl", "Europe/Warsaw", True),
        ("en", "Europe/London", False),
        ("pl", "Europe/Warsaw", True),
    ]
    lines = {p["line"] for p in points.values()} | {helpline["national_line"]}
    assert len(lines) == 4
    for point in points.values():
        assert set(point) == {
            "id",
            "name",
            "language",
            "time_zone",
            "line",
            "national",
            "coordinators",
            "volunteers",
            "on_duty_now",
        }
        assert [set(c) for c in point["coordinators"]] == [{"username", "password"}]
        assert len(point["volunteers"]) >= 3
        for volunteer in point["volunteers"]:
            assert set(volunteer) == {"username", "password", "phone"}
            assert phonenumbers.is_valid_number(phonenumbers.parse(volunteer["phone"]))
        assert point["on_duty_now"] == []  # Monday noon


def test_the_printed_helpline_accounts_sign_in_as_helpers(own_database: Path) -> None:
    warszawa = points_by_name(seed(MONDAY_NOON))["Warszawa"]
    with get_sessionmaker().begin() as session:
        for account in warszawa["coordinators"] + warszawa["volunteers"]:
            staff = auth_service.authenticate(
                session,
                username=account["username"],
                password=account["password"],
                now=MONDAY_NOON,
            )
            assert session.get_one(Staff, staff.id).role is Role.helper


def test_the_schedule_is_the_seeds_and_lived_in_with_seats_left_open(
    own_database: Path,
) -> None:
    seed(MONDAY_NOON)
    with get_sessionmaker().begin() as session:
        points = {p.name: p for p in session.scalars(select(ContactPoint))}
        bielsko = shifts.templates(session, points["Bielsko-Biała"])
        saturday = [
            (t.start_minute, t.end_minute, t.seats, t.rings_at) for t in bielsko if t.weekday == 5
        ]
        assert saturday == [
            (16 * 60, 18 * 60, 2, RingsAt.desk_first),
            (18 * 60, 20 * 60, 1, RingsAt.own_phone),
        ]
        london = shifts.templates(session, points["London"])
        assert {(t.weekday < 5, t.seats, t.rings_at) for t in london} == {
            (True, 2, RingsAt.duty_mobile),
            (False, 1, RingsAt.duty_mobile),
        }
        coming = shifts.shifts_between(
            session, points["Warszawa"], MONDAY_NOON.date(), MONDAY_NOON.date() + timedelta(days=20)
        )
        seats = [seat for shift in coming for seat in shift.seats]
        taken = [seat for seat in seats if seat.volunteer_id is not None]
        assert 0 < len(taken) < len(seats)
        weekend = [s for s in coming if s.rings_at is RingsAt.duty_mobile]
        assert all(
            seat.duty_phone_id is not None
            for shift in weekend
            for seat in shift.seats
            if seat.volunteer_id is not None
        )


def row_counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in Base.metadata.sorted_tables
    }


@pytest.mark.parametrize("now", [MONDAY_NOON, MONDAY_EVENING, SATURDAY_EVENING])
def test_meeting_now_puts_warszawa_on_duty_and_keeps_london_out_of_hours(
    own_database: Path, now: datetime
) -> None:
    seed(now)  # the seats of the shift running now are filled by turns, maybe with others
    helpline = seed(now + timedelta(minutes=1), meeting_now=True)
    points = points_by_name(helpline)
    assert points["Warszawa"]["on_duty_now"][:2] == ["demo-warszawa-1", "demo-warszawa-2"]
    assert points["London"]["on_duty_now"] == []
    with get_sessionmaker().begin() as session:
        london = session.scalars(select(ContactPoint).where(ContactPoint.name == "London")).one()
        assert duty.on_duty(session, london.id, now + timedelta(minutes=1)) == []
        counts = row_counts(session)
    again = seed(now + timedelta(minutes=3), meeting_now=True)
    assert again == helpline
    with get_sessionmaker().begin() as session:
        assert row_counts(session) == counts  # the second run adds nothing


def test_a_running_regular_shift_is_used_rather_than_a_one_off(own_database: Path) -> None:
    seed(MONDAY_EVENING, meeting_now=True)
    with get_sessionmaker().begin() as session:
        warszawa = session.scalars(
            select(ContactPoint).where(ContactPoint.name == "Warszawa")
        ).one()
        [running] = shifts.running(session, warszawa, MONDAY_EVENING)
        assert running.template_id is not None
        one_offs = select(func.count(Shift.id)).where(Shift.template_id.is_(None))
        assert session.scalar(one_offs) == 0
        london = session.scalars(select(ContactPoint).where(ContactPoint.name == "London")).one()
        cancelled = session.scalars(
            select(Shift).where(
                Shift.contact_point_id == london.id,
                Shift.status == ShiftStatus.cancelled,
                Shift.local_date >= MONDAY_EVENING.date(),  # the demo's past has its own
            )
        ).all()
        assert [(s.starts_at, s.ends_at) for s in cancelled] == [
            (datetime(2026, 3, 2, 16, tzinfo=UTC), datetime(2026, 3, 2, 21, tzinfo=UTC))
        ]


def test_at_noon_a_one_off_shift_runs_until_the_evening_shift(own_database: Path) -> None:
    with get_sessionmaker().begin() as session:
        seeded = demo.seed(session, now=MONDAY_NOON, meeting_now=True)
        notes = demo_output.helpline_notes(seeded, "supportline")
        warszawa = seeded.helpline.points[0].point
        [running] = shifts.running(session, warszawa, MONDAY_NOON)
        assert running.template_id is None and running.rings_at is RingsAt.own_phone
        assert running.ends_at == MONDAY_NOON - timedelta(minutes=5) + timedelta(hours=2)
    assert notes == [
        "On duty now: Warszawa (demo-warszawa-1, demo-warszawa-2). Call it with terminal "
        "phones, each in a terminal of its own:",
        "  volunteer:  supportline receive +12025550160   demo-warszawa-1's phone: Enter "
        "answers, then 1 takes the call",
        f"  caller:     supportline call +12025550141 --from {demo_helpline.HELPLINE_CALLER}",
    ]


def test_calling_warszawa_rings_the_volunteers_on_duty_with_its_line_on_their_screens(
    db: Session, clock: Clock, sim: LocalTwilio
) -> None:
    seeded = demo.seed(db, now=clock.now(), meeting_now=True)
    warszawa = seeded.helpline.points[0]
    first, second = (sim.phone(phone) for _username, phone in warszawa.volunteers[:2])
    others = [sim.phone(phone) for _username, phone in warszawa.volunteers[2:]]

    caller = sim.dial(warszawa.line, demo_helpline.HELPLINE_CALLER)

    assert caller.state is Stage.dialing
    assert caller.spoken == [text("pl", Prompt.greeting, name="Warszawa")]
    assert first.ringing and second.ringing
    assert first.caller_id == second.caller_id == warszawa.line
    assert not any(phone.ringing for phone in others)
    first.answer().press("1")
    assert caller.heard[-1] == "[connected]"


def test_the_national_line_reaches_warszawa_showing_warszawas_line(
    db: Session, clock: Clock, sim: LocalTwilio
) -> None:
    seeded = demo.seed(db, now=clock.now(), meeting_now=True)
    warszawa = seeded.helpline.points[0]
    sim.engine.dialing.own_numbers.update(p.line for p in seeded.helpline.points)
    volunteer = sim.phone(warszawa.volunteers[0][1])

    sim.dial(seeded.helpline.national_line, demo_helpline.HELPLINE_CALLER)

    assert volunteer.ringing and volunteer.caller_id == warszawa.line


def test_the_printed_helpline_shows_demo_accounts_and_numbers_only(own_database: Path) -> None:
    payload = demo_output.as_json(_seeded(MONDAY_NOON))
    printed = demo_output.as_text(payload)
    for point in payload["helpline"]["contact_points"]:
        assert f"{point['name']} ({point['language']}, {point['time_zone']}), {point['line']}" in (
            printed
        )
        for volunteer in point["volunteers"]:
            assert f"{volunteer['password']}  phone {volunteer['phone']}" in printed
    assert "@" not in printed  # no e-mail address, the staff's or the members'
    assert demo_helpline.HELPLINE_CALLER not in printed  # said only with how to call


def _seeded(now: datetime) -> demo.Demo:
    with get_sessionmaker().begin() as session:
        return demo.seed(session, now=now)


@pytest.mark.parametrize(
    ("now", "rings"),
    [
        (MONDAY_NOON, "+12025550160"),  # a one-off shift on own phones
        (MONDAY_EVENING, "+12025550160"),  # the weekday shift: own phones
        (SATURDAY_EVENING, "+12025550150"),  # the weekend shift: duty mobile 1
    ],
)
def test_the_printed_phone_to_receive_on_is_the_same_every_time(
    own_database: Path, now: datetime, rings: str
) -> None:
    seed(now)  # the coming seats filled by turns, the shift running now too
    with get_sessionmaker().begin() as session:
        seeded = demo.seed(session, now=now, meeting_now=True)
        notes = demo_output.helpline_notes(seeded, ".venv/bin/supportline")
        assert seeded.helpline.points[0].ringing_now == [
            ("demo-warszawa-1", rings),
            ("demo-warszawa-2", f"{rings[:-1]}{int(rings[-1]) + 1}"),
        ]
    assert f".venv/bin/supportline receive {rings}   demo-warszawa-1's phone" in notes[1]


def test_the_check_in_page_has_one_volunteer_checked_in_and_one_not(own_database: Path) -> None:
    with get_sessionmaker().begin() as session:
        seeded = demo.seed(session, now=MONDAY_NOON, meeting_now=True)
        warszawa = seeded.helpline.points[0].point
        [running] = shifts.running(session, warszawa, MONDAY_NOON)
        assert [seat.checked_in_at for seat in running.seats] == [MONDAY_NOON, None]
