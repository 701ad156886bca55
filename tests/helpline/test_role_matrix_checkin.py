"""The check-in's endpoints × every kind of caller (the rule and the helpers of
``test_role_matrix``): a volunteer checks in for their own seat, a coordinator for a volunteer's,
and only coordinators see and decide on sign-ups waiting for approval."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from helpline import seats, shifts
from helpline.models import Seat, Shift
from helpline.schemas import TemplateCreate
from tests.clock import Clock
from tests.factories import auth_headers
from tests.helpline.test_role_matrix import (
    CALLERS,
    NOW,
    P,
    World,
    answer_as,
    at,
    build_world,
    call,
    coordinators,
    expect,
)


@dataclass
class CheckInWorld:
    world: World
    running: Shift  # Monday 10:00–15:00 in Warsaw, under way at NOW, `seated` on it
    waiting: Seat  # `seated`'s sign-up on Thursday, waiting for approval


def build(db: Session) -> CheckInWorld:
    world = build_world(db)
    data = TemplateCreate(weekday="mon", start="10:00", end="15:00", seats=1)
    shifts.add_template(db, world.point, actor=world.admin, data=data, now=NOW)
    [running] = shifts.running(db, world.point, NOW)
    seats.assign(
        db, world.point, running, world.seated, actor=world.admin, duty_phone=None, now=NOW
    )
    [waiting] = [seat for seat in world.mine.seats if seat.volunteer_id == world.seated.id]
    waiting.pending_approval = True
    db.flush()
    return CheckInWorld(world, running, waiting)


MATRIX = {
    ("POST", "/api/v1/helpline/contact-points/{point_id}/shifts/{shift_id}/check-in"): (
        call("POST", lambda w: P.format(w.point.id) + "/shifts/{running}/check-in"),
        expect(403, 403, 404, 200, 404),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/sign-ups/pending"): (
        call("GET", at("/sign-ups/pending")),
        coordinators(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/sign-ups/{seat_id}/approve"): (
        call("POST", lambda w: P.format(w.point.id) + "/sign-ups/{waiting}/approve"),
        coordinators(204),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/sign-ups/{seat_id}/refuse"): (
        call("POST", lambda w: P.format(w.point.id) + "/sign-ups/{waiting}/refuse"),
        coordinators(204),
    ),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_checkin_role_matrix(
    client: TestClient, db: Session, clock: Clock, endpoint: tuple[str, str], caller: str
) -> None:
    clock.set(NOW)
    built = build(db)
    make, expected = MATRIX[endpoint]
    request = make(built.world)
    request["url"] = request["url"].format(running=built.running.id, waiting=built.waiting.id)
    answer_as(client, built.world.caller(caller), request, expected[caller])


NAMED = [
    ("admin", "seated", 200),
    ("coordinator", "seated", 200),
    ("other_coordinator", "seated", 404),
    ("helper", "seated", 404),
    ("volunteer", "spare", 403),  # a volunteer checks in no one but themself
]


@pytest.mark.parametrize("case", NAMED, ids=lambda case: f"{case[0]}-{case[1]}")
def test_a_coordinator_checks_a_volunteer_in_by_name(
    client: TestClient, db: Session, clock: Clock, case: tuple[str, str, int]
) -> None:
    caller, named, status = case
    clock.set(NOW)
    built = build(db)
    world = built.world
    staff = world.caller(caller)
    assert staff is not None
    response = client.post(
        P.format(world.point.id) + f"/shifts/{built.running.id}/check-in",
        json={"volunteer_id": getattr(world, named).id},
        headers=auth_headers(client, staff),
    )
    assert response.status_code == status, response.text
    if response.status_code == 200:
        assert response.json()["checked_in_by"] == "api"
