"""The audit log API: admins read who did what, when — without personal data."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth.models import Role
from groups import members
from tests.clock import Clock
from tests.factories import auth_headers, create_group, create_member, create_staff


def test_admin_reads_staff_actions_without_personal_data(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    other = create_group(db, now=clock.now())
    membership = create_member(
        db, group, now=clock.now(), phone="+48601666001", email="ukryta@example.org", alias="Ukryta"
    ).membership
    create_member(db, other, now=clock.now())
    headers = auth_headers(client, moderator)
    client.get(f"/api/v1/memberships/{membership.id}/contact", headers=headers)
    client.post(f"/api/v1/memberships/{membership.id}/eject", headers=headers)
    members.erase(db, actor=moderator, membership=membership, now=clock.now())

    admin = auth_headers(client, create_staff(db, Role.admin))
    response = client.get("/api/v1/audit", headers=admin, params={"group_id": group.id})
    assert response.status_code == 200
    entries = response.json()["items"]
    actions = [entry["action"] for entry in entries]
    assert actions[:3] == ["membership.erase", "membership.eject", "membership.view_contact"]
    assert {"group.create", "moderator.assign", "referral.create", "referral.approve"} <= set(
        actions
    )
    assert all(entry["group_id"] == group.id for entry in entries)
    eject = entries[1]
    assert (eject["actor_id"], eject["target_type"], eject["target_id"]) == (
        moderator.id,
        "membership",
        membership.id,
    )
    for secret in ("+48601666001", "ukryta@example.org", "Ukryta"):
        assert secret not in response.text

    only_ejections = client.get(
        "/api/v1/audit", headers=admin, params={"action": "membership.eject"}
    ).json()
    assert only_ejections["total"] == 1
    assert client.get("/api/v1/audit", headers=headers).status_code == 403
