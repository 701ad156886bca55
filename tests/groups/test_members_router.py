"""Referral → approval and membership actions through the JSON API."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from core.audit import AuditEntry
from groups import members
from groups.models import Group
from tests.clock import Clock
from tests.factories import auth_headers, create_group, create_member, create_staff

REFERRAL = {
    "alias": "Ewa",
    "phone": "+48 601 555 010",
    "email": "Ewa.Nowak@Example.org",
    "language": "pl",
    "consent": True,
    "note": "works late on Thursdays",
}


def moderated_group(
    client: TestClient, db: Session, clock: Clock, **kwargs: Any
) -> tuple[Group, dict[str, str]]:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator, **kwargs)
    return group, auth_headers(client, moderator)


def file_referral(client: TestClient, db: Session, group: Group, **changes: Any) -> dict[str, Any]:
    helper = auth_headers(client, create_staff(db, Role.helper))
    response = client.post(
        "/api/v1/referrals", headers=helper, json={**REFERRAL, "group_id": group.id, **changes}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_helper_refers_and_moderator_approves(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group, headers = moderated_group(client, db, clock)
    referral = file_referral(client, db, group)
    assert referral["status"] == "pending"
    assert "phone" not in referral and "email" not in referral  # the queue shows no contact data
    queue = client.get("/api/v1/referrals", headers=headers).json()
    assert [item["id"] for item in queue["items"]] == [referral["id"]]
    response = client.post(f"/api/v1/referrals/{referral['id']}/approve", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["referral"]["status"] == "approved"
    credentials = body["credentials"]
    assert credentials["pin"].isdigit() and len(credentials["pin"]) == 6
    assert credentials["pin_is_temporary"] is True
    assert credentials["dial_in_numbers"] == [line.number for line in group.lines]
    membership = members.get_membership(db, credentials["membership_id"])
    assert membership.phone == "+48601555010"  # stored as E.164
    assert membership.email == "ewa.nowak@example.org"
    # Shown once: nothing else ever returns the PIN or participant number.
    for url in (
        f"/api/v1/memberships/{membership.id}",
        f"/api/v1/groups/{group.id}/memberships",
        f"/api/v1/referrals/{referral['id']}",
    ):
        text = client.get(url, headers=headers).text
        assert credentials["pin"] not in text and credentials["participant_number"] not in text
    assert client.get("/api/v1/referrals", headers=headers).json()["total"] == 0


def test_flags_are_shown_to_the_moderator(client: TestClient, db: Session, clock: Clock) -> None:
    group, headers = moderated_group(client, db, clock)
    member = create_member(db, group, now=clock.now(), phone="+48601555010")
    again = file_referral(client, db, group)
    assert again["flag_already_member"] is None  # the helper who filed it is not told
    seen = client.get(f"/api/v1/referrals/{again['id']}", headers=headers).json()
    assert seen["flag_already_member"] is True
    client.post(f"/api/v1/memberships/{member.membership.id}/eject", headers=headers)
    after = file_referral(client, db, group)
    seen = client.get(f"/api/v1/referrals/{after['id']}", headers=headers).json()
    assert seen["flag_previously_ejected"] is True and seen["flag_already_member"] is False


def test_reject_with_a_reason(client: TestClient, db: Session, clock: Clock) -> None:
    group, headers = moderated_group(client, db, clock)
    referral = file_referral(client, db, group)
    url = f"/api/v1/referrals/{referral['id']}/reject"
    response = client.post(url, headers=headers, json={"reason": "a better group exists"})
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    second = client.post(f"/api/v1/referrals/{referral['id']}/approve", headers=headers)
    assert second.status_code == 409
    assert second.json() == {"error": "conflict", "detail": "this referral was already rejected"}


def test_approval_when_full_is_refused_and_nothing_is_written(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group, headers = moderated_group(client, db, clock, capacity=2)
    create_member(db, group, now=clock.now())
    create_member(db, group, now=clock.now())
    referral = file_referral(client, db, group)
    response = client.post(f"/api/v1/referrals/{referral['id']}/approve", headers=headers)
    assert response.status_code == 409
    assert response.json()["detail"] == ("the group is full (2 places); raise its capacity first")
    assert client.get(f"/api/v1/referrals/{referral['id']}", headers=headers).json()["status"] == (
        "pending"
    )
    listing = client.get(f"/api/v1/groups/{group.id}/memberships", headers=headers).json()
    assert listing["total"] == 3  # two members and the moderator


def test_membership_actions(client: TestClient, db: Session, clock: Clock) -> None:
    group, headers = moderated_group(client, db, clock)
    credentials = create_member(db, group, now=clock.now())
    url = f"/api/v1/memberships/{credentials.membership.id}"
    reset = client.post(url + "/reset-pin", headers=headers).json()
    assert reset["participant_number"] == credentials.participant_number
    assert reset["pin"].isdigit() and reset["pin_is_temporary"] is True
    assert client.post(url + "/unlock", headers=headers).json()["locked_until"] is None
    assert client.post(url + "/suspend", headers=headers).json()["status"] == "suspended"
    assert client.post(url + "/suspend", headers=headers).status_code == 409
    assert client.post(url + "/reinstate", headers=headers).json()["status"] == "active"
    assert client.post(url + "/eject", headers=headers).json()["status"] == "ejected"
    refused = client.post(url + "/reset-pin", headers=headers)
    assert refused.status_code == 409
    assert refused.json()["detail"] == "cannot reset the PIN of a membership that is ejected"
    erased = client.post(url + "/erase", headers=headers).json()
    assert erased["status"] == "erased" and erased["alias"] is None
    assert client.get(url + "/contact", headers=headers).status_code == 409


def test_contact_reveal_is_audited(client: TestClient, db: Session, clock: Clock) -> None:
    group, headers = moderated_group(client, db, clock)
    membership = create_member(db, group, now=clock.now(), phone="+48601555011").membership
    response = client.get(f"/api/v1/memberships/{membership.id}/contact", headers=headers)
    assert response.json() == {
        "membership_id": membership.id,
        "alias": membership.alias,
        "phone": "+48601555011",
        "email": membership.email,
    }
    entry = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "membership.view_contact")
    ).one()
    assert (entry.target_id, entry.group_id) == (membership.id, group.id)
    assert "+48601555011" not in str(entry.details)


def test_moderator_removal_must_name_the_right_group(
    client: TestClient, db: Session, clock: Clock
) -> None:
    admin = auth_headers(client, create_staff(db, Role.admin))
    group = create_group(db, now=clock.now(), moderator=create_staff(db))
    other = create_group(db, now=clock.now())
    membership_id = client.get(f"/api/v1/groups/{group.id}", headers=admin).json()["moderators"][0][
        "membership_id"
    ]
    wrong = client.delete(f"/api/v1/groups/{other.id}/moderators/{membership_id}", headers=admin)
    assert wrong.status_code == 404
    right = client.delete(f"/api/v1/groups/{group.id}/moderators/{membership_id}", headers=admin)
    assert right.status_code == 200 and right.json()["status"] == "removed"


def test_assigned_moderator_gets_dial_in_credentials_and_sees_the_group(
    client: TestClient, db: Session, clock: Clock
) -> None:
    admin = auth_headers(client, create_staff(db, Role.admin))
    group = create_group(db, now=clock.now())
    moderator = create_staff(db)
    response = client.post(
        f"/api/v1/groups/{group.id}/moderators", headers=admin, json={"staff_id": moderator.id}
    )
    assert response.status_code == 201
    number = response.json()["participant_number"]
    found = members.find_by_participant_number(db, number)
    assert found is not None and found.role.value == "moderator"
    mine = client.get("/api/v1/groups", headers=auth_headers(client, moderator)).json()
    assert [g["id"] for g in mine["items"]] == [group.id]
    twice = client.post(
        f"/api/v1/groups/{group.id}/moderators", headers=admin, json={"staff_id": moderator.id}
    )
    assert twice.status_code == 409
    helper = create_staff(db, Role.helper)
    refused = client.post(
        f"/api/v1/groups/{group.id}/moderators", headers=admin, json={"staff_id": helper.id}
    )
    assert refused.status_code == 409 and "helper cannot moderate" in refused.json()["detail"]


def test_lists_are_paginated(client: TestClient, db: Session, clock: Clock) -> None:
    group, headers = moderated_group(client, db, clock)
    for index in range(5):
        file_referral(client, db, group, phone=f"+4860155502{index}")
        create_member(db, group, now=clock.now())
    for _ in range(3):
        create_group(db, now=clock.now())
    admin = auth_headers(client, create_staff(db, Role.admin))
    for url, caller, total in (
        ("/api/v1/referrals", headers, 5),
        (f"/api/v1/groups/{group.id}/memberships", headers, 6),
        ("/api/v1/groups", admin, 4),
        ("/api/v1/staff", admin, None),
        ("/api/v1/audit", admin, None),
    ):
        first = client.get(url, headers=caller, params={"limit": 2}).json()
        second = client.get(url, headers=caller, params={"limit": 2, "offset": 2}).json()
        assert len(first["items"]) == 2 and first["limit"] == 2, url
        assert second["offset"] == 2, url
        assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
        if total is not None:
            assert first["total"] == total, url
        bad = client.get(url, headers=caller, params={"offset": -1})
        assert bad.status_code == 422 and bad.json()["error"] == "invalid_input"
