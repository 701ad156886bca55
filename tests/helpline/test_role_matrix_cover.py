"""The cover and swap endpoints × every kind of caller, with the exact status each one gets (the
rule of ``test_role_matrix``: 401 without a token, 403 for a role that can never do it, 404 for
a contact point the caller has nothing to do with). Taking a seat, offering one's own and
choosing how one is told are a volunteer's; the cover settings are the coordinators'."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from helpline import cover, seats, shifts, swaps
from helpline.models import CoverRequest, SeatOffer
from helpline.schemas import TemplateCreate
from tests.clock import Clock
from tests.helpline.test_role_matrix import (
    CALLERS,
    NOW,
    Build,
    P,
    World,
    answer_as,
    build_world,
    call,
    coordinators,
    expect,
    visible,
)


@dataclass
class CoverWorld:
    base: World
    request: CoverRequest  # the second seat of Wednesday, where `spare` sits on the first
    offer_to_all: SeatOffer  # `spare`'s Wednesday seat, which `volunteer` is free to take
    own_offer: SeatOffer  # `volunteer`'s own Friday seat


def build_cover_world(db: Session) -> CoverWorld:
    w = build_world(db)
    data = TemplateCreate(weekday="fri", start="16:00", end="21:00", seats=1)
    shifts.add_template(db, w.point, actor=w.admin, data=data, now=NOW)
    friday_date = NOW.date() + timedelta(days=4)
    [friday] = shifts.shifts_between(db, w.point, friday_date, friday_date)
    seats.assign(db, w.point, friday, w.seated, actor=w.admin, duty_phone=None, now=NOW)
    seats.assign(db, w.point, w.open_shift, w.spare, actor=w.admin, duty_phone=None, now=NOW)
    request = cover.request_cover(db, shift=w.open_shift, now=NOW, reason="unfilled")
    assert request is not None
    to_all = swaps.offer(db, w.point, w.open_shift, w.spare, to=None, now=NOW)
    own = swaps.offer(db, w.point, friday, w.seated, to=None, now=NOW)
    db.flush()
    return CoverWorld(w, request, to_all, own)


def at(path: str) -> Callable[[World], str]:
    return lambda w: P.format(w.point.id) + path


VOLUNTEER_ONLY = expect(403, 403, 404, 200, 404)
ME = expect(403, 403, 403, 200, 403)  # nobody but a volunteer has preferences

MATRIX: dict[tuple[str, str], tuple[Build, dict[str, int]]] = {
    ("GET", "/api/v1/helpline/contact-points/{point_id}/cover-requests"): (
        call("GET", at("/cover-requests")),
        visible(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/cover-requests/{request_id}/accept"): (
        call("POST", at("/cover-requests/{request}/accept")),
        VOLUNTEER_ONLY,
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/cover-settings"): (
        call("GET", at("/cover-settings")),
        coordinators(200),
    ),
    ("PATCH", "/api/v1/helpline/contact-points/{point_id}/cover-settings"): (
        call("PATCH", at("/cover-settings"), lambda w: {"unfilled_alert_days": 5}),
        coordinators(200),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/seat-offers"): (
        call("GET", at("/seat-offers")),
        visible(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/seat-offers"): (
        call("POST", at("/seat-offers"), lambda w: {"shift_id": w.mine.id}),
        {**VOLUNTEER_ONLY, "volunteer": 201},
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/seat-offers/{offer_id}/take"): (
        call("POST", at("/seat-offers/{offer_to_all}/take")),
        VOLUNTEER_ONLY,
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/seat-offers/{offer_id}/cancel"): (
        call("POST", at("/seat-offers/{own_offer}/cancel")),
        {**VOLUNTEER_ONLY, "volunteer": 204},
    ),
    ("GET", "/api/v1/helpline/me/preferences"): (
        call("GET", lambda w: "/api/v1/helpline/me/preferences"),
        ME,
    ),
    ("PATCH", "/api/v1/helpline/me/preferences"): (
        call(
            "PATCH",
            lambda w: "/api/v1/helpline/me/preferences",
            lambda w: {"notify_by": "email", "cover_requests": True},
        ),
        ME,
    ),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_cover_role_matrix(
    client: TestClient, db: Session, clock: Clock, endpoint: tuple[str, str], caller: str
) -> None:
    clock.set(NOW)
    world = build_cover_world(db)
    build, expected = MATRIX[endpoint]
    request = build(world.base)
    request["url"] = request["url"].format(
        request=world.request.id,
        offer_to_all=world.offer_to_all.id,
        own_offer=world.own_offer.id,
    )
    answer_as(client, world.base.caller(caller), request, expected[caller])
