"""The voicemail endpoints × every kind of caller, with the exact status each one gets.

The settings and the reviewers are the coordinators' (and admins'); the inbox is open to them and
to the volunteers they named reviewers. Another volunteer of the contact point gets 403 — a
volunteer never lists voicemails unless named a reviewer — and anyone not at the contact point
404, as the rest of the helpline's matrix (tests/helpline/test_role_matrix.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Staff
from groups.models import Group
from helpline import inbox
from helpline.models import FetchState, Voicemail
from tests.clock import Clock
from tests.helpline.test_role_matrix import NOW, P, World, answer_as, build_world

CALLERS = (
    "admin",
    "coordinator",
    "other_coordinator",
    "reviewer",
    "volunteer",
    "helper",
    "anonymous",
)


@dataclass
class Inbox:
    world: World
    reviewer: Staff  # `spare`, named a reviewer of `point`
    voicemail: Voicemail
    group: Group

    def caller(self, name: str) -> Staff | None:
        return self.reviewer if name == "reviewer" else self.world.caller(name)


def build_inbox(db: Session) -> Inbox:
    world = build_world(db)
    inbox.name_reviewer(db, world.point, world.spare.id, actor=world.admin)
    reviewer = db.get(Staff, world.spare.staff_id)
    assert reviewer is not None
    voicemail = Voicemail(
        contact_point_id=world.point.id,
        call_id=world.call.id,
        recording_sid="RE" + "3" * 32,
        duration_seconds=14,
        received_at=NOW - timedelta(hours=3),
        audio=b"RIFF....WAVE",
        fetch_state=FetchState.fetched,
        deleted_at_twilio=NOW - timedelta(hours=3),
        deletes_at=NOW + timedelta(days=27),
    )
    group = Group(name="Grupa Wtorkowa", topic="t", language="pl", time_zone="Europe/Warsaw")
    db.add_all([voicemail, group])
    db.flush()
    return Inbox(world, reviewer, voicemail, group)


def coordinators(ok: int) -> dict[str, int]:
    """Admins and the coordinators; the reviewer and the other volunteer 403; outsiders 404."""
    row = dict(zip(CALLERS, (ok, ok, 404, 403, 403, 404, 401), strict=True))
    return row


def reviewers(ok: int) -> dict[str, int]:
    """As for the coordinators, and the named reviewer too."""
    return {**coordinators(ok), "reviewer": ok}


V = P + "/voicemails/{}"
SETTINGS = {
    "out_of_hours": True,
    "no_answer": False,
    "max_seconds": 120,
    "review_at": "08:30",
    "retention_days": 14,
}
Build = Callable[[Inbox], dict[str, Any]]
MATRIX: dict[tuple[str, str], tuple[Build, dict[str, int]]] = {
    ("GET", "/api/v1/helpline/contact-points/{point_id}/voicemail-settings"): (
        lambda i: {"method": "GET", "url": P.format(i.world.point.id) + "/voicemail-settings"},
        coordinators(200),
    ),
    ("PUT", "/api/v1/helpline/contact-points/{point_id}/voicemail-settings"): (
        lambda i: {
            "method": "PUT",
            "url": P.format(i.world.point.id) + "/voicemail-settings",
            "json": SETTINGS,
        },
        coordinators(200),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/voicemail-reviewers"): (
        lambda i: {"method": "GET", "url": P.format(i.world.point.id) + "/voicemail-reviewers"},
        coordinators(200),
    ),
    ("PUT", "/api/v1/helpline/contact-points/{point_id}/voicemail-reviewers/{volunteer_id}"): (
        lambda i: {
            "method": "PUT",
            "url": P.format(i.world.point.id) + f"/voicemail-reviewers/{i.world.seated.id}",
        },
        coordinators(204),
    ),
    ("DELETE", "/api/v1/helpline/contact-points/{point_id}/voicemail-reviewers/{volunteer_id}"): (
        lambda i: {
            "method": "DELETE",
            "url": P.format(i.world.point.id) + f"/voicemail-reviewers/{i.world.spare.id}",
        },
        coordinators(204),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/voicemails"): (
        lambda i: {"method": "GET", "url": P.format(i.world.point.id) + "/voicemails"},
        reviewers(200),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/voicemail-groups"): (
        lambda i: {"method": "GET", "url": P.format(i.world.point.id) + "/voicemail-groups"},
        reviewers(200),
    ),
    ("GET", "/api/v1/helpline/contact-points/{point_id}/voicemails/{voicemail_id}/audio"): (
        lambda i: {"method": "GET", "url": V.format(i.world.point.id, i.voicemail.id) + "/audio"},
        reviewers(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/voicemails/{voicemail_id}/handled"): (
        lambda i: {
            "method": "POST",
            "url": V.format(i.world.point.id, i.voicemail.id) + "/handled",
        },
        reviewers(200),
    ),
    ("POST", "/api/v1/helpline/contact-points/{point_id}/voicemails/{voicemail_id}/passed"): (
        lambda i: {
            "method": "POST",
            "url": V.format(i.world.point.id, i.voicemail.id) + "/passed",
            "json": {"group_id": i.group.id},
        },
        reviewers(200),
    ),
    ("DELETE", "/api/v1/helpline/contact-points/{point_id}/voicemails/{voicemail_id}"): (
        lambda i: {"method": "DELETE", "url": V.format(i.world.point.id, i.voicemail.id)},
        reviewers(204),
    ),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_voicemail_role_matrix(
    client: TestClient, db: Session, clock: Clock, endpoint: tuple[str, str], caller: str
) -> None:
    clock.set(NOW)
    built = build_inbox(db)
    build, expected = MATRIX[endpoint]
    answer_as(client, built.caller(caller), build(built), expected[caller])
