"""Every /api/v1 endpoint × every kind of caller, with the exact status each one gets.

The rule (groups/dependencies.py): 401 without a valid token; 403 when the caller's role can never
do it; 404 when the record is outside the caller's groups, exactly as if it did not exist.
The endpoint list comes from the app's OpenAPI description, so a new endpoint without an entry
here makes ``test_every_endpoint_is_in_the_matrix`` fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from conference.models import Call, CallStage, Room
from groups import members as members_service
from groups import service as groups_service
from groups.models import Group, Line, Meeting, Membership, Referral
from groups.schemas import ReferralCreate
from tests.clock import Clock
from tests.factories import (
    PASSWORD,
    auth_headers,
    create_group,
    create_line,
    create_member,
    create_staff,
    unique,
)

CALLERS = ("admin", "moderator", "other_moderator", "helper", "anonymous")


@dataclass
class World:
    admin: Staff
    moderator: Staff  # moderates `group`
    other_moderator: Staff  # moderates `other_group` only
    helper: Staff
    spare: Staff  # a moderator account with no group
    line: Line
    group: Group
    other_group: Group
    member: Membership
    suspended: Membership
    referral: Referral
    meeting: Meeting
    moderator_membership: Membership
    call: Call  # the member, live in `meeting`'s conference

    def caller(self, name: str) -> Staff | None:
        return None if name == "anonymous" else getattr(self, name)


def build_world(db: Session, now: datetime) -> World:
    admin = create_staff(db, Role.admin)
    moderator = create_staff(db)
    other_moderator = create_staff(db)
    line = create_line(db)
    group = create_group(db, now=now, moderator=moderator, line=line)
    other_group = create_group(db, now=now, moderator=other_moderator)
    member = create_member(db, group, now=now).membership
    suspended = members_service.suspend(
        db, actor=admin, membership=create_member(db, group, now=now).membership, now=now
    )
    referral = members_service.create_referral(
        db,
        actor=admin,
        data=ReferralCreate(
            group_id=group.id,
            alias="Pending",
            phone="+48601999001",
            email="pending@example.org",
            language="en",
            consent=True,
        ),
        now=now,
    )
    meeting = db.scalars(
        select(Meeting).where(Meeting.group_id == group.id).order_by(Meeting.starts_at)
    ).first()
    assert meeting is not None and meeting.starts_at > now
    db.add(Room(meeting_id=meeting.id, conference_sid="CF" + "1" * 32, started_at=now))
    call = Call(
        call_sid="CA" + "2" * 32,
        caller_index="matrix",
        language="en",
        stage=CallStage.in_conference,
        membership_id=member.id,
        meeting_id=meeting.id,
        joined_at=now,
    )
    db.add(call)
    db.flush()
    return World(
        admin=admin,
        moderator=moderator,
        other_moderator=other_moderator,
        helper=create_staff(db, Role.helper),
        spare=create_staff(db),
        line=line,
        group=group,
        other_group=other_group,
        member=member,
        suspended=suspended,
        referral=referral,
        meeting=meeting,
        moderator_membership=groups_service.moderators(db, group.id)[0],
        call=call,
    )


Request = dict[str, Any]
Build = Callable[[World, Staff | None], Request]


def get(url: Callable[[World], str]) -> Build:
    return lambda w, _caller: {"method": "GET", "url": url(w)}


def post(url: Callable[[World], str], body: Callable[[World], Any] = lambda _w: None) -> Build:
    return lambda w, _caller: {"method": "POST", "url": url(w), "json": body(w)}


def login(w: World, caller: Staff | None) -> Request:
    username, password = (caller.username, PASSWORD) if caller else (w.admin.username, "wrong")
    return {
        "method": "POST",
        "url": "/api/v1/auth/token",
        "data": {"username": username, "password": password},
    }


def new_group_body(w: World) -> dict[str, Any]:
    return {
        "name": "New group",
        "topic": "grief",
        "language": "he",
        "time_zone": "Asia/Jerusalem",
        "slots": [{"weekday": "sun", "start": "20:30"}],
        "line_ids": [w.line.id],
    }


def referral_body(w: World) -> dict[str, Any]:
    return {
        "group_id": w.group.id,
        "alias": "Dana",
        "phone": "+48601999002",
        "email": "dana@example.org",
        "language": "en",
        "consent": True,
    }


def membership_action(action: str) -> Build:
    return post(lambda w: f"/api/v1/memberships/{w.member.id}/{action}")


def moved(w: World) -> dict[str, str]:
    return {"starts_at": (w.meeting.starts_at + timedelta(days=1)).isoformat()}


def expect(
    admin: int, moderator: int, other: int, helper: int, anonymous: int = 401
) -> dict[str, int]:
    return dict(zip(CALLERS, (admin, moderator, other, helper, anonymous), strict=True))


EVERYONE = expect(200, 200, 200, 200)
ADMINS = expect(200, 403, 403, 403)
ADMINS_CREATE = expect(201, 403, 403, 403)
MODERATORS = expect(200, 200, 200, 403)  # lists filtered to the caller's own groups
IN_GROUP = expect(200, 200, 404, 403)

M = "/api/v1/memberships/{}"

MATRIX: dict[tuple[str, str], tuple[Build, dict[str, int]]] = {
    ("POST", "/api/v1/auth/token"): (login, expect(200, 200, 200, 200, 401)),
    ("GET", "/api/v1/auth/me"): (get(lambda w: "/api/v1/auth/me"), EVERYONE),
    ("POST", "/api/v1/staff"): (
        post(
            lambda w: "/api/v1/staff",
            lambda w: {"username": unique("new"), "password": PASSWORD, "role": "helper"},
        ),
        ADMINS_CREATE,
    ),
    ("GET", "/api/v1/staff"): (get(lambda w: "/api/v1/staff"), ADMINS),
    ("PATCH", "/api/v1/staff/{staff_id}"): (
        lambda w, _c: {
            "method": "PATCH",
            "url": f"/api/v1/staff/{w.spare.id}",
            "json": {"is_active": True},
        },
        ADMINS,
    ),
    ("GET", "/api/v1/audit"): (get(lambda w: "/api/v1/audit"), ADMINS),
    ("GET", "/api/v1/lines"): (get(lambda w: "/api/v1/lines"), ADMINS),
    ("POST", "/api/v1/lines"): (
        post(lambda w: "/api/v1/lines", lambda w: {"number": "+12025550188", "language": "en"}),
        ADMINS_CREATE,
    ),
    ("POST", "/api/v1/groups"): (post(lambda w: "/api/v1/groups", new_group_body), ADMINS_CREATE),
    ("GET", "/api/v1/groups"): (get(lambda w: "/api/v1/groups"), MODERATORS),
    ("GET", "/api/v1/groups/directory"): (get(lambda w: "/api/v1/groups/directory"), EVERYONE),
    ("GET", "/api/v1/groups/{group_id}"): (get(lambda w: f"/api/v1/groups/{w.group.id}"), IN_GROUP),
    ("PATCH", "/api/v1/groups/{group_id}"): (
        lambda w, _c: {
            "method": "PATCH",
            "url": f"/api/v1/groups/{w.group.id}",
            "json": {"name": "Renamed"},
        },
        ADMINS,
    ),
    ("POST", "/api/v1/groups/{group_id}/moderators"): (
        post(
            lambda w: f"/api/v1/groups/{w.group.id}/moderators", lambda w: {"staff_id": w.spare.id}
        ),
        ADMINS_CREATE,
    ),
    ("DELETE", "/api/v1/groups/{group_id}/moderators/{membership_id}"): (
        lambda w, _c: {
            "method": "DELETE",
            "url": f"/api/v1/groups/{w.group.id}/moderators/{w.moderator_membership.id}",
        },
        ADMINS,
    ),
    ("GET", "/api/v1/groups/{group_id}/meetings"): (
        get(lambda w: f"/api/v1/groups/{w.group.id}/meetings"),
        IN_GROUP,
    ),
    ("POST", "/api/v1/meetings/{meeting_id}/cancel"): (
        post(lambda w: f"/api/v1/meetings/{w.meeting.id}/cancel"),
        IN_GROUP,
    ),
    ("POST", "/api/v1/meetings/{meeting_id}/move"): (
        post(lambda w: f"/api/v1/meetings/{w.meeting.id}/move", moved),
        IN_GROUP,
    ),
    ("PUT", "/api/v1/meetings/{meeting_id}/topic"): (
        lambda w, _c: {
            "method": "PUT",
            "url": f"/api/v1/meetings/{w.meeting.id}/topic",
            "json": {"topic": "gratitude"},
        },
        IN_GROUP,
    ),
    # Any staff member may refer a caller to any group (the directory lists them all).
    ("POST", "/api/v1/referrals"): (
        post(lambda w: "/api/v1/referrals", referral_body),
        expect(201, 201, 201, 201),
    ),
    ("GET", "/api/v1/referrals"): (get(lambda w: "/api/v1/referrals"), MODERATORS),
    ("GET", "/api/v1/referrals/{referral_id}"): (
        get(lambda w: f"/api/v1/referrals/{w.referral.id}"),
        IN_GROUP,
    ),
    ("POST", "/api/v1/referrals/{referral_id}/approve"): (
        post(lambda w: f"/api/v1/referrals/{w.referral.id}/approve"),
        IN_GROUP,
    ),
    ("POST", "/api/v1/referrals/{referral_id}/reject"): (
        post(lambda w: f"/api/v1/referrals/{w.referral.id}/reject", lambda w: {"reason": None}),
        IN_GROUP,
    ),
    ("GET", "/api/v1/groups/{group_id}/memberships"): (
        get(lambda w: f"/api/v1/groups/{w.group.id}/memberships"),
        IN_GROUP,
    ),
    ("GET", "/api/v1/memberships/{membership_id}"): (
        get(lambda w: M.format(w.member.id)),
        IN_GROUP,
    ),
    ("GET", "/api/v1/memberships/{membership_id}/contact"): (
        get(lambda w: M.format(w.member.id) + "/contact"),
        IN_GROUP,
    ),
    ("GET", "/api/v1/memberships/{membership_id}/export"): (
        get(lambda w: M.format(w.member.id) + "/export"),
        IN_GROUP,
    ),
}
# The live call (conference/): a moderator of this group or an admin, nobody else.
MATRIX.update(
    {
        ("GET", "/api/v1/meetings/{meeting_id}/roster"): (
            get(lambda w: f"/api/v1/meetings/{w.meeting.id}/roster"),
            IN_GROUP,
        ),
        ("POST", "/api/v1/meetings/{meeting_id}/participants/{call_id}/{action}"): (
            post(lambda w: f"/api/v1/meetings/{w.meeting.id}/participants/{w.call.id}/mute"),
            IN_GROUP,
        ),
        ("POST", "/api/v1/meetings/{meeting_id}/conference/{action}"): (
            post(lambda w: f"/api/v1/meetings/{w.meeting.id}/conference/lock"),
            IN_GROUP,
        ),
        ("GET", "/api/v1/groups/{group_id}/access-events"): (
            get(lambda w: f"/api/v1/groups/{w.group.id}/access-events"),
            IN_GROUP,
        ),
        ("GET", "/api/v1/memberships/{membership_id}/attendance"): (
            get(lambda w: M.format(w.member.id) + "/attendance"),
            IN_GROUP,
        ),
    }
)
# Deliveries (notifications/): the group's outbox and resending, for the group's moderators.
ACCEPTED_IN_GROUP = expect(202, 202, 404, 403)
MATRIX.update(
    {
        ("GET", "/api/v1/groups/{group_id}/deliveries"): (
            get(lambda w: f"/api/v1/groups/{w.group.id}/deliveries"),
            IN_GROUP,
        ),
        ("POST", "/api/v1/memberships/{membership_id}/resend-invitation"): (
            membership_action("resend-invitation"),
            ACCEPTED_IN_GROUP,
        ),
        ("POST", "/api/v1/memberships/{membership_id}/resend-pin"): (
            membership_action("resend-pin"),
            ACCEPTED_IN_GROUP,
        ),
    }
)
for _action in ("reset-pin", "unlock", "suspend", "eject", "erase"):
    MATRIX[("POST", f"/api/v1/memberships/{{membership_id}}/{_action}")] = (
        membership_action(_action),
        IN_GROUP,
    )
MATRIX[("POST", "/api/v1/memberships/{membership_id}/reinstate")] = (
    post(lambda w: M.format(w.suspended.id) + "/reinstate"),
    IN_GROUP,
)


def test_every_endpoint_is_in_the_matrix(app: FastAPI) -> None:
    endpoints = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        if path.startswith("/api/v1/")
        and not path.startswith("/api/v1/helpline/")  # tests/helpline/test_role_matrix.py
        for method in operations
    }
    assert endpoints - MATRIX.keys() == set(), "add these endpoints to the role matrix"
    assert MATRIX.keys() - endpoints == set(), "these matrix entries match no endpoint"


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("endpoint", sorted(MATRIX), ids=lambda e: f"{e[0]} {e[1]}")
def test_role_matrix(
    client: TestClient, db: Session, clock: Clock, endpoint: tuple[str, str], caller: str
) -> None:
    world = build_world(db, clock.now())
    build, expected = MATRIX[endpoint]
    staff = world.caller(caller)
    request = build(world, staff)
    headers = auth_headers(client, staff) if staff and endpoint[1] != "/api/v1/auth/token" else {}
    response = client.request(headers=headers, **request)
    assert response.status_code == expected[caller], response.text
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error", "detail"} and body["detail"]


# Filing is open to all staff; what the group knows of the phone number is not. To a helper or
# another group's moderator the flags would answer "is this number in that group?".
SEES_FLAGS = {"admin": True, "moderator": True, "other_moderator": False, "helper": False}
FLAGS = ("flag_already_member", "flag_previously_ejected")


@pytest.mark.parametrize("caller", sorted(SEES_FLAGS))
def test_only_who_decides_on_a_referral_sees_its_flags(
    client: TestClient, db: Session, clock: Clock, caller: str
) -> None:
    world = build_world(db, clock.now())
    staff = world.caller(caller)
    assert staff is not None
    headers = auth_headers(client, staff)
    body = {**referral_body(world), "phone": world.member.phone}
    filed = client.post("/api/v1/referrals", headers=headers, json=body)
    assert filed.status_code == 201, filed.text
    referral = filed.json()
    detail = client.get(f"/api/v1/referrals/{referral['id']}", headers=headers)
    listed = client.get("/api/v1/referrals", headers=headers)
    if SEES_FLAGS[caller]:
        assert [referral[flag] for flag in FLAGS] == [True, False]
        assert [detail.json()[flag] for flag in FLAGS] == [True, False]
        (same,) = [item for item in listed.json()["items"] if item["id"] == referral["id"]]
        assert [same[flag] for flag in FLAGS] == [True, False]
    else:
        assert [referral[flag] for flag in FLAGS] == [None, None]
        # Nor can the flags be read another way: the referral is out of reach.
        assert detail.status_code in (403, 404)
        assert listed.status_code == 403 or referral["id"] not in {
            item["id"] for item in listed.json()["items"]
        }
