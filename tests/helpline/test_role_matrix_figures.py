"""The month in figures × every kind of caller: its coordinators and admins read it, as JSON
and as CSV; a volunteer of the contact point gets 403, anyone else a 404 (``test_role_matrix``'s
rule and world)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.clock import Clock
from tests.helpline.test_role_matrix import (
    CALLERS,
    NOW,
    Build,
    answer_as,
    at,
    build_world,
    call,
    coordinators,
)

P = "/api/v1/helpline/contact-points/{point_id}"
MATRIX: dict[tuple[str, str], tuple[Build, dict[str, int]]] = {
    ("GET", P + "/figures"): (call("GET", at("/figures?month=2026-03")), coordinators(200)),
    ("GET", P + "/figures.csv"): (call("GET", at("/figures.csv?month=2026-03")), coordinators(200)),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_figures_role_matrix(
    client: TestClient, db: Session, clock: Clock, endpoint: tuple[str, str], caller: str
) -> None:
    clock.set(NOW)
    world = build_world(db)
    build, expected = MATRIX[endpoint]
    response = answer_as(client, world.caller(caller), build(world), expected[caller])
    if response.status_code >= 400:
        return
    if endpoint[1].endswith(".csv"):
        assert response.headers["content-type"].startswith("text/csv")
    else:
        assert response.json()["calls"] == 1  # the world's call, on 1 March
