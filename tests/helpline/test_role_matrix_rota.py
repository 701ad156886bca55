"""The rota, candidacy and term endpoints × every kind of caller, with the exact status each gets.

The callers of the helpline's matrix (tests/helpline/test_role_matrix.py) and one more: the
representative of the group covering March's shifts, who has no other place on the helpline. They
read the month and fill their group's seats; every other rota page is the coordinators'.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from helpline import mentoring, rota
from helpline.models import Candidacy, ServingGroup, Volunteer
from helpline.rota_schemas import ServingGroupCreate
from tests.clock import Clock
from tests.factories import create_staff
from tests.helpline.test_role_matrix import (
    NOW,
    P,
    World,
    _volunteer,
    answer_as,
    build_world,
)

CALLERS = (
    "admin",
    "coordinator",
    "other_coordinator",
    "volunteer",
    "helper",
    "representative",
    "anonymous",
)
MONTH = "2026-03"


@dataclass
class RotaWorld:
    base: World
    representative: Staff
    group: ServingGroup
    candidacy: Candidacy
    novice: Volunteer  # a volunteer who is not a candidate yet

    def caller(self, name: str) -> Staff | None:
        return self.representative if name == "representative" else self.base.caller(name)


def build_rota_world(db: Session) -> RotaWorld:
    base = build_world(db)
    representative = create_staff(db, Role.helper)
    group = rota.add_group(
        db,
        base.point,
        actor=base.admin,
        data=ServingGroupCreate(name="Grupa A", representative_id=representative.id),
    )
    rota.generate(db, base.point, month=NOW.date().replace(day=1), actor=base.admin, now=NOW)
    candidate = _volunteer(db, base.admin, base.point, "+48600111005")
    candidacy = mentoring.add_candidate(
        db,
        base.point,
        actor=base.admin,
        volunteer=candidate,
        mentor=base.seated,
        starts_on=None,
        months=12,
        now=NOW,
    )
    novice = _volunteer(db, base.admin, base.point, "+48600111006")
    return RotaWorld(base, representative, group, candidacy, novice)


Request = dict[str, Any]
RotaBuild = Callable[["RotaWorld"], Request]


def call(method: str, path: str, body: dict[str, Any] | None = None) -> RotaBuild:
    """``path`` after the contact point, with ``{shift}``, ``{group}``, ``{candidacy}``,
    ``{spare}``, ``{seated}``, ``{novice}``, ``{phone}`` filled in from the world."""

    def build(w: RotaWorld) -> Request:
        ids = {
            "shift": w.base.open_shift.id,
            "group": w.group.id,
            "candidacy": w.candidacy.id,
            "spare": w.base.spare.id,
            "seated": w.base.seated.id,
            "novice": w.novice.id,
            "phone": w.base.phone.id,
        }
        url = P.format(w.base.point.id) + path.format(**ids)
        json = {key: ids.get(value, value) for key, value in (body or {}).items()}
        return {"method": method, "url": url, "json": json or None}

    return build


def expect(*codes: int) -> dict[str, int]:
    """The statuses of the callers in ``CALLERS``' order, anonymous (always 401) left out."""
    assert len(codes) == len(CALLERS) - 1
    return {**dict(zip(CALLERS, codes, strict=False)), "anonymous": 401}


def coordinators(ok: int) -> dict[str, int]:
    return expect(ok, ok, 404, 403, 404, 404)


R = "/api/v1/helpline/contact-points/{point_id}"
MATRIX: dict[tuple[str, str], tuple[RotaBuild, dict[str, int]]] = {
    ("GET", R + "/rota-settings"): (call("GET", "/rota-settings"), coordinators(200)),
    ("PATCH", R + "/rota-settings"): (
        call("PATCH", "/rota-settings", {"rota_groups_per_month": 6}),
        coordinators(200),
    ),
    ("GET", R + "/serving-groups"): (call("GET", "/serving-groups"), coordinators(200)),
    ("POST", R + "/serving-groups"): (
        call(
            "POST",
            "/serving-groups",
            {"name": "Grupa B", "contact_name": "Ewa", "contact_phone": "+48600111077"},
        ),
        coordinators(201),
    ),
    ("PATCH", R + "/serving-groups/{group_id}"): (
        call("PATCH", "/serving-groups/{group}", {"paused": True}),
        coordinators(200),
    ),
    ("GET", R + "/rota/{month}"): (
        call("GET", f"/rota/{MONTH}"),
        expect(200, 200, 404, 200, 404, 200),
    ),
    ("POST", R + "/rota/{month}/generate"): (
        call("POST", f"/rota/{MONTH}/generate"),
        coordinators(200),
    ),
    ("PUT", R + "/rota/shifts/{shift_id}"): (
        call("PUT", "/rota/shifts/{shift}", {"serving_group_id": None}),
        coordinators(200),
    ),
    ("POST", R + "/rota/shifts/{shift_id}/seats"): (
        call("POST", "/rota/shifts/{shift}/seats", {"volunteer_id": "spare"}),
        expect(200, 200, 404, 403, 404, 200),
    ),
    ("POST", R + "/rota/shifts/{shift_id}/whole-group"): (
        call("POST", "/rota/shifts/{shift}/whole-group", {"duty_phone_id": "phone"}),
        expect(200, 200, 404, 403, 404, 200),
    ),
    ("GET", R + "/candidates"): (call("GET", "/candidates"), coordinators(200)),
    ("POST", R + "/candidates"): (
        call("POST", "/candidates", {"volunteer_id": "novice", "mentor_id": "seated"}),
        coordinators(201),
    ),
    ("POST", R + "/candidates/{candidacy_id}/confirm"): (
        call("POST", "/candidates/{candidacy}/confirm"),
        coordinators(200),
    ),
    ("POST", R + "/candidates/{candidacy_id}/extend"): (
        call("POST", "/candidates/{candidacy}/extend", {"months": 3}),
        coordinators(200),
    ),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_rota_role_matrix(
    client: TestClient, db: Session, clock: Clock, endpoint: tuple[str, str], caller: str
) -> None:
    clock.set(NOW)
    world = build_rota_world(db)
    build, expected = MATRIX[endpoint]
    answer_as(client, world.caller(caller), build(world), expected[caller])
