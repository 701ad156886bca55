"""The helpline's coordinator pages in the console (call log, team, weekly shifts), and what no
helpline page may ever show: another volunteer's phone, or a caller's number."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from helpline import calls, seats, shifts
from helpline.models import CallerBlock, DutyPhone, DutyPhoneKind, HelplineCall, ShiftTemplate
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.factories import create_staff
from tests.helpline.world import (
    CALLER,
    Point,
    contact_point,
    duty_phone,
    seat_now,
    weekly,
)


@pytest.fixture
def admin(db: Session) -> Staff:
    return create_staff(db, Role.admin)


@pytest.fixture
def point(db: Session, admin: Staff, clock: Clock) -> Point:
    """Warszawa on duty now (Mondays 12:00–15:00 local, two seats, both taken), with Wednesday
    evenings to come, a duty mobile, and two calls from ``CALLER``: one answered by the first
    volunteer while the second's phone rang, one ringing now."""
    built = contact_point(db, admin, name="Warszawa")
    now = clock.now()
    weekly(db, built, admin, now, days="mon", start="12:00", end="15:00", seats=2)
    weekly(db, built, admin, now, days="wed", start="16:00", end="21:00", seats=2)
    duty_phone(db, built, admin, DutyPhoneKind.mobile, "Mobile 1")
    seat_now(db, built, admin, now, *built.volunteers)
    calls.incoming(db, call_sid="CA" + "1" * 32, caller=CALLER, to=built.line, now=now)
    first = db.scalar(select(HelplineCall).where(HelplineCall.call_sid == "CA" + "1" * 32))
    assert first is not None
    taker = next(leg for leg in first.legs if leg.volunteer_id == built.volunteers[0].id)
    calls.accept(db, leg_id=taker.id, digits="1", now=now + timedelta(seconds=12))
    calls.dialled(
        db,
        call_sid="CA" + "1" * 32,
        call_status="completed",
        talk_seconds="200",
        now=now + timedelta(minutes=4),
    )
    clock.advance(minutes=5)
    calls.incoming(db, call_sid="CA" + "2" * 32, caller=CALLER, to=built.line, now=clock.now())
    db.flush()
    return built


def base(point: Point) -> str:
    return f"/console/helpline/{point.point.id}"


def test_the_call_log_shows_times_people_and_repeats_and_blocks_a_caller(
    client: TestClient, db: Session, point: Point
) -> None:
    sign_in(client, point.coordinator)
    page = client.get(f"{base(point)}/calls").text
    assert page.index("Mon 02 Mar, 13:05") < page.index("Mon 02 Mar, 13:00")  # newest first
    assert "Waited 12 seconds · talked 3 minutes 20 seconds" in page
    assert f"taken by {point.staff[0].username}" in page
    assert f"{point.staff[1].username}: did not answer" in page
    assert "1 earlier call from the same number in 90 days" in page
    assert "in progress" in page
    answered = client.get(f"{base(point)}/calls?outcome=answered").text
    assert "13:00" in answered and "13:05" not in answered

    [latest, _first] = db.scalars(
        select(HelplineCall).order_by(HelplineCall.started_at.desc())
    ).all()
    path = f"{base(point)}/calls/{latest.id}/block"
    bad = post_form(client, path, {"days": "0"})
    assert bad.status_code == 422 and "greater than or equal to 1" in bad.text
    blocked = post_form(client, path, {"days": "14"})
    assert blocked.status_code == 303
    assert "is blocked until Mon 16 Mar 2026" in client.get(f"{base(point)}/calls").text
    assert db.scalar(select(CallerBlock.caller_key)) == latest.caller_key


def test_volunteers_cannot_open_the_call_log_and_other_points_are_missing(
    client: TestClient, db: Session, point: Point, admin: Staff
) -> None:
    other = contact_point(db, admin, name="Kraków", volunteers=1)
    sign_in(client, point.staff[0])
    assert client.get(f"{base(point)}/calls").status_code == 403
    for page in ("", "/calls", "/team", "/weekly"):
        assert client.get(f"{base(other)}{page}").status_code == 404, page
    assert post_form(client, f"{base(point)}/duty-phones/1/remove").status_code == 403


def test_the_team_page_shows_phones_to_coordinators_and_only_ones_own_to_a_volunteer(
    client: TestClient, db: Session, point: Point
) -> None:
    sign_in(client, point.coordinator)
    page = client.get(f"{base(point)}/team").text
    assert point.phones[0] in page and point.phones[1] in page
    assert "Mobile 1" in page and point.duty["Mobile 1"].number in page
    client.cookies.clear()
    sign_in(client, point.staff[0])
    page = client.get(f"{base(point)}/team").text
    assert point.staff[1].username in page
    assert point.phones[0] in page  # one's own
    assert point.phones[1] not in page
    assert "Mobile 1" not in page and "Add a volunteer" not in page


def test_a_coordinator_adds_and_removes_volunteers_and_duty_phones(
    client: TestClient, db: Session, point: Point
) -> None:
    newcomer = create_staff(db, Role.helper)
    team = f"{base(point)}/team"
    sign_in(client, point.coordinator)
    taken = post_form(
        client,
        f"{base(point)}/volunteers",
        {"staff_id": str(newcomer.id), "phone": point.phones[0]},
    )
    assert taken.status_code == 422
    assert "This phone number is already used by another volunteer" in taken.text
    bad = post_form(client, f"{base(point)}/volunteers", {"staff_id": str(newcomer.id)})
    assert bad.status_code == 422 and "this field is required" in bad.text
    added = post_form(
        client, f"{base(point)}/volunteers", {"staff_id": str(newcomer.id), "phone": "+48600999111"}
    )
    assert added.status_code == 303
    page = client.get(team).text
    assert "The volunteer is on the team now" in page and newcomer.username in page

    removed = post_form(client, f"{base(point)}/volunteers/{point.volunteers[0].id}/remove")
    assert removed.status_code == 303
    # Their seat on the shift under way too: they are no longer rung.
    assert "1 seat was freed" in client.get(team).text

    phone = {"kind": "desk", "label": "Desk", "number": "+48221234999"}
    assert post_form(client, f"{base(point)}/duty-phones", phone).status_code == 303
    desk = db.scalar(select(DutyPhone).where(DutyPhone.label == "Desk"))
    assert desk is not None and desk.kind is DutyPhoneKind.desk
    again = post_form(client, f"{base(point)}/duty-phones", {**phone, "label": "Desk 2"})
    assert again.status_code == 422 and "already used" in again.text
    assert post_form(client, f"{base(point)}/duty-phones/{desk.id}/remove").status_code == 303
    assert "Desk is removed." in client.get(team).text


def test_weekly_shifts_are_added_resized_and_removed_with_the_services_words(
    client: TestClient, db: Session, point: Point, clock: Clock
) -> None:
    weekly_path = f"{base(point)}/weekly"
    sign_in(client, point.staff[0])
    page = client.get(weekly_path).text
    assert "Wednesday 16:00–21:00" in page and "Add a weekly shift" not in page
    client.cookies.clear()
    sign_in(client, point.coordinator)
    overlap = {"weekday": "wed", "start": "20:00", "end": "22:00", "seats": "1"}
    refused = post_form(client, weekly_path, {**overlap, "rings_at": "own_phone"})
    assert refused.status_code == 422
    assert "This weekly shift overlaps another at this contact point (Wednesday" in refused.text
    friday = {"weekday": "fri", "start": "18:00", "end": "21:00", "seats": "1"}
    assert post_form(client, weekly_path, {**friday, "rings_at": "desk_first"}).status_code == 303
    page = client.get(weekly_path).text
    assert "Friday 18:00–21:00" in page and "the desk phone first, then the mobiles" in page

    wednesday = db.scalar(select(ShiftTemplate).where(ShiftTemplate.weekday == 2))
    assert wednesday is not None
    [coming, *_] = shifts.shifts_between(
        db, point.point, clock.now().date(), clock.now().date() + timedelta(days=7)
    )[1:]
    for volunteer in point.volunteers:
        seats.assign(
            db,
            point.point,
            coming,
            volunteer,
            actor=point.coordinator,
            duty_phone=None,
            now=clock.now(),
        )
    fewer = post_form(client, f"{weekly_path}/{wednesday.id}/seats", {"seats": "1"})
    assert fewer.status_code == 422
    assert "2 volunteers are already signed up for a coming shift of this kind" in fewer.text
    more = post_form(client, f"{weekly_path}/{wednesday.id}/seats", {"seats": "3"})
    assert more.status_code == 303
    assert "have 3 seats now" in client.get(weekly_path).text
    assert post_form(client, f"{weekly_path}/{wednesday.id}/remove").status_code == 303
    assert "1 coming shift with volunteers is kept as cancelled" in client.get(weekly_path).text


def _pages(db: Session, point: Point) -> list[str]:
    """Every helpline page of the contact point, each shift of March and April too."""
    found = shifts.shifts_between(db, point.point, date(2026, 3, 1), date(2026, 4, 30))
    suffixes = ("", "?month=2026-04", "/calls", "/calls?outcome=answered", "/team", "/weekly")
    paths = ["/console/helpline", *(f"{base(point)}{suffix}" for suffix in suffixes)]
    return paths + [f"{base(point)}/shifts/{shift.id}" for shift in found]


def test_no_page_shows_a_callers_number_or_another_volunteers_phone(
    client: TestClient, db: Session, point: Point, admin: Staff
) -> None:
    pages = _pages(db, point)
    caller_digits = CALLER.removeprefix("+")
    for person in (point.coordinator, admin, *point.staff):
        client.cookies.clear()
        sign_in(client, person)
        for path in pages:
            html = client.get(path).text
            assert caller_digits not in html, (person.username, path)
            for staff, phone in zip(point.staff, point.phones, strict=True):
                if person in point.staff and staff is not person:
                    assert phone not in html, (person.username, path)
                    assert phone.removeprefix("+") not in html, (person.username, path)
    assert len(pages) > 10
