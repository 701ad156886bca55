"""Every /api/v1/helpline endpoint × every kind of caller, with the exact status each one gets.

The rule (helpline/dependencies.py): 401 without a valid token; 403 when the caller's role can
never do it (an admin's action, a coordinator's action to a volunteer of that contact point);
404 for a contact point the caller neither coordinates nor serves at, as if it did not exist.
The endpoint list comes from the OpenAPI description, so a new endpoint needs an entry here
or in a ``test_role_matrix_<part>.py`` beside it (its own ``MATRIX``, run by its own test).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from groups import service as groups_service
from groups.schemas import LineCreate
from helpline import seats, service, shifts
from helpline.models import (
    ContactPoint,
    DutyPhone,
    DutyPhoneKind,
    HelplineCall,
    Shift,
    ShiftTemplate,
    Volunteer,
)
from helpline.schemas import ContactPointCreate, DutyPhoneCreate, TemplateCreate, VolunteerCreate
from tests.clock import Clock
from tests.factories import auth_headers, create_staff

CALLERS = ("admin", "coordinator", "other_coordinator", "volunteer", "helper", "anonymous")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday morning in Warsaw


@dataclass
class World:
    admin: Staff
    coordinator: Staff  # coordinates `point`
    other_coordinator: Staff  # coordinates `other_point` only
    volunteer: Staff  # serves at `point`
    helper: Staff  # neither
    point: ContactPoint
    other_point: ContactPoint
    seated: Volunteer  # `volunteer`'s record, seated on `mine`
    spare: Volunteer  # another volunteer of `point`, seated nowhere
    open_shift: Shift  # Wednesday: open seats
    mine: Shift  # Thursday: `volunteer` has a seat
    template: ShiftTemplate
    phone: DutyPhone
    call: HelplineCall
    line_id: int  # a registered line no one uses yet
    free_staff: Staff  # an account that is not yet a volunteer

    def caller(self, name: str) -> Staff | None:
        return None if name == "anonymous" else getattr(self, name)


def _point(db: Session, admin: Staff, name: str) -> ContactPoint:
    data = ContactPointCreate(name=name, language="pl", time_zone="Europe/Warsaw")
    return service.create_point(db, actor=admin, data=data)


def _volunteer(db: Session, admin: Staff, point: ContactPoint, phone: str) -> Volunteer:
    staff = create_staff(db, Role.helper)
    data = VolunteerCreate(staff_id=staff.id, phone=phone)
    return service.add_volunteer(db, point, actor=admin, data=data)


def build_world(db: Session) -> World:
    admin = create_staff(db, Role.admin)
    point, other_point = _point(db, admin, "Warszawa"), _point(db, admin, "Kraków")
    coordinator, other_coordinator = create_staff(db, Role.helper), create_staff(db, Role.helper)
    service.add_coordinator(db, point, actor=admin, staff_id=coordinator.id)
    service.add_coordinator(db, other_point, actor=admin, staff_id=other_coordinator.id)
    seated = _volunteer(db, admin, point, "+48600111001")
    spare = _volunteer(db, admin, point, "+48600111002")
    volunteer = db.get(Staff, seated.staff_id)
    assert volunteer is not None
    for day in ("wed", "thu"):
        data = TemplateCreate(weekday=day, start="16:00", end="21:00", seats=2)
        template = shifts.add_template(db, point, actor=admin, data=data, now=NOW)
    open_shift, mine = shifts.shifts_between(db, point, NOW.date(), NOW.date() + timedelta(days=3))
    seats.assign(db, point, mine, seated, actor=admin, duty_phone=None, now=NOW)
    phone = service.add_duty_phone(
        db,
        point,
        actor=admin,
        data=DutyPhoneCreate(kind=DutyPhoneKind.mobile, label="mobile 1", number="+48600111099"),
    )
    call = HelplineCall(
        call_sid="CA" + "7" * 32,
        language="pl",
        contact_point_id=point.id,
        caller_key="k" * 64,
        started_at=NOW - timedelta(days=1),
    )
    db.add(call)
    line = groups_service.create_line(
        db, actor=admin, data=LineCreate(number="+48221110000", language="pl")
    )
    db.flush()
    return World(
        admin=admin,
        coordinator=coordinator,
        other_coordinator=other_coordinator,
        volunteer=volunteer,
        helper=create_staff(db, Role.helper),
        point=point,
        other_point=other_point,
        seated=seated,
        spare=spare,
        open_shift=open_shift,
        mine=mine,
        template=template,
        phone=phone,
        call=call,
        line_id=line.id,
        free_staff=create_staff(db, Role.helper),
    )


Request = dict[str, Any]
Build = Callable[[World], Request]


def call(
    method: str, url: Callable[[World], str], body: Callable[[World], Any] | None = None
) -> Build:
    return lambda w: {"method": method, "url": url(w), "json": body(w) if body else None}


def expect(admin: int, coordinator: int, other: int, volunteer: int, helper: int) -> dict[str, int]:
    return {
        "admin": admin,
        "coordinator": coordinator,
        "other_coordinator": other,
        "volunteer": volunteer,
        "helper": helper,
        "anonymous": 401,
    }


P = "/api/v1/helpline/contact-points/{}"
ADMINS = expect(403, 403, 403, 403, 403)


def admins(ok: int) -> dict[str, int]:
    return {**ADMINS, "admin": ok}


def visible(ok: int) -> dict[str, int]:
    return expect(ok, ok, 404, ok, 404)


def coordinators(ok: int) -> dict[str, int]:
    return expect(ok, ok, 404, 403, 404)


def at(path: str) -> Callable[[World], str]:
    return lambda w: P.format(w.point.id) + path


MATRIX: dict[tuple[str, str], tuple[Build, dict[str, int]]] = {
    ("POST", "/api/v1/helpline/contact-points"): (
        call(
            "POST",
            lambda w: "/api/v1/helpline/contact-points",
            lambda w: {"name": "Łódź", "language": "pl", "time_zone": "Europe/Warsaw"},
        ),
        admins(201),
    ),
    ("GET", "/api/v1/helpline/contact-points"): (
        call("GET", lambda w: "/api/v1/helpline/contact-points"),
        expect(200, 200, 200, 200, 200),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}"): (call("GET", at("")), visible(200)),
    ("PATCH", "/api/v1/helpline/contact-points/{point_id}"): (
        call("PATCH", at(""), lambda w: {"ring_seconds": 40}),
        coordinators(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/lines"): (
        call("POST", at("/lines"), lambda w: {"line_id": w.line_id}),
        admins(200),
    ),
    ("POST", "/api/v1/helpline/national-lines"): (
        call("POST", lambda w: "/api/v1/helpline/national-lines", lambda w: {"line_id": w.line_id}),
        admins(204),
    ),
    ("DELETE", "/api/v1/helpline/lines/{line_id}"): (
        call("DELETE", lambda w: f"/api/v1/helpline/lines/{w.line_id}"),
        admins(204),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/duty-phones"): (
        call("GET", at("/duty-phones")),
        coordinators(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/duty-phones"): (
        call(
            "POST",
            at("/duty-phones"),
            lambda w: {"kind": "desk", "label": "desk", "number": "+48221112222"},
        ),
        coordinators(201),
    ),
    ("DELETE", "/api/v1/helpline/contact-points/{point_id}/duty-phones/{phone_id}"): (
        call("DELETE", lambda w: P.format(w.point.id) + f"/duty-phones/{w.phone.id}"),
        coordinators(204),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/volunteers"): (
        call("GET", at("/volunteers")),
        visible(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/volunteers"): (
        call(
            "POST",
            at("/volunteers"),
            lambda w: {"staff_id": w.free_staff.id, "phone": "+48600111003"},
        ),
        coordinators(201),
    ),
    ("DELETE", "/api/v1/helpline/contact-points/{point_id}/volunteers/{volunteer_id}"): (
        call("DELETE", lambda w: P.format(w.point.id) + f"/volunteers/{w.spare.id}"),
        coordinators(204),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/coordinators"): (
        call("POST", at("/coordinators"), lambda w: {"staff_id": w.free_staff.id}),
        admins(204),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/templates"): (
        call("GET", at("/templates")),
        visible(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/templates"): (
        call(
            "POST",
            at("/templates"),
            lambda w: {"weekday": "fri", "start": "16:00", "end": "21:00", "seats": 2},
        ),
        coordinators(201),
    ),
    ("PATCH", "/api/v1/helpline/contact-points/{point_id}/templates/{template_id}"): (
        call(
            "PATCH",
            lambda w: P.format(w.point.id) + f"/templates/{w.template.id}",
            lambda w: {"seats": 3},
        ),
        coordinators(200),
    ),
    ("DELETE", "/api/v1/helpline/contact-points/{point_id}/templates/{template_id}"): (
        call("DELETE", lambda w: P.format(w.point.id) + f"/templates/{w.template.id}"),
        coordinators(204),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/shifts"): (
        call("GET", at("/shifts")),
        visible(200),
    ),
    ("PATCH", "/api/v1/helpline/contact-points/{point_id}/shifts/{shift_id}"): (
        call(
            "PATCH",
            lambda w: P.format(w.point.id) + f"/shifts/{w.open_shift.id}",
            lambda w: {"seats": 3},
        ),
        coordinators(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/shifts/{shift_id}/cancel"): (
        call("POST", lambda w: P.format(w.point.id) + f"/shifts/{w.open_shift.id}/cancel"),
        coordinators(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/shifts/{shift_id}/sign-up"): (
        call("POST", lambda w: P.format(w.point.id) + f"/shifts/{w.open_shift.id}/sign-up"),
        expect(403, 403, 404, 200, 404),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/shifts/{shift_id}/withdraw"): (
        call("POST", lambda w: P.format(w.point.id) + f"/shifts/{w.mine.id}/withdraw"),
        expect(403, 403, 404, 200, 404),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/shifts/{shift_id}/seats"): (
        call(
            "POST",
            lambda w: P.format(w.point.id) + f"/shifts/{w.open_shift.id}/seats",
            lambda w: {"volunteer_id": w.spare.id, "duty_phone_id": w.phone.id},
        ),
        coordinators(200),
    ),
    (
        "DELETE",
        "/api/v1/helpline/contact-points/{point_id}/shifts/{shift_id}/seats/{volunteer_id}",
    ): (
        call("DELETE", lambda w: P.format(w.point.id) + f"/shifts/{w.mine.id}/seats/{w.seated.id}"),
        coordinators(200),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/on-duty"): (
        call("GET", at("/on-duty")),
        visible(200),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/calls"): (
        call("GET", at("/calls")),
        coordinators(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/calls/{call_id}/block"): (
        call(
            "POST",
            lambda w: P.format(w.point.id) + f"/calls/{w.call.id}/block",
            lambda w: {"days": 7},
        ),
        coordinators(201),
    ),
}


def answer_as(
    client: TestClient, staff: Staff | None, request: dict[str, Any], expected: int
) -> Response:
    """``request`` sent as ``staff`` (None: anonymous) answers ``expected``; a refusal in the
    API's one error shape."""
    headers = auth_headers(client, staff) if staff else {}
    response = client.request(headers=headers, **request)
    assert response.status_code == expected, response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error", "detail"} and body["detail"]
    return response


def every_matrix() -> dict[tuple[str, str], tuple[Build, dict[str, int]]]:
    """This matrix and those of the ``test_role_matrix_<part>.py`` modules beside it."""
    found = dict(MATRIX)
    for path in sorted(Path(__file__).parent.glob("test_role_matrix_*.py")):
        found.update(importlib.import_module(f"{__package__}.{path.stem}").MATRIX)
    return found


def test_every_helpline_endpoint_is_in_the_matrix(app: FastAPI) -> None:
    endpoints = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/v1/helpline/")
        for method in operations
    }
    matrix = every_matrix()
    assert endpoints - matrix.keys() == set(), "add these endpoints to a role matrix"
    assert matrix.keys() - endpoints == set(), "these matrix entries match no endpoint"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_helpline_role_matrix(
    client: TestClient, db: Session, clock: Clock, endpoint: tuple[str, str], caller: str
) -> None:
    clock.set(NOW)
    world = build_world(db)
    build, expected = MATRIX[endpoint]
    answer_as(client, world.caller(caller), build(world), expected[caller])
