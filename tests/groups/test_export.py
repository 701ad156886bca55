"""A member's own copy (GDPR Art. 15): exactly one person's data, for the group's moderators
and admins only, audited without personal data."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from conference.models import Call
from core.audit import AuditEntry
from groups import members
from groups.models import Meeting
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.factories import auth_headers, create_group, create_member, create_staff, unique

ALEX = {"phone": "+48601555001", "email": "alex.copy@example.org", "alias": "AlexCopy"}
BEA = {"phone": "+48601555002", "email": "bea.copy@example.org", "alias": "BeaCopy"}


def test_the_copy_holds_one_members_data_and_nothing_of_anyone_else(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    alex = create_member(db, group, now=clock.now(), **ALEX)
    bea = create_member(db, group, now=clock.now(), **BEA)
    members.suspend(db, actor=moderator, membership=alex.membership, now=clock.now())
    meeting = db.scalars(select(Meeting).where(Meeting.group_id == group.id)).first()
    assert meeting is not None
    for credentials in (alex, bea):  # both were in the same meeting
        db.add(
            Call(
                call_sid=unique("CA"),
                caller_index="f" * 64,
                language="en",
                membership_id=credentials.membership.id,
                meeting_id=meeting.id,
                joined_at=meeting.starts_at,
                left_at=meeting.starts_at + timedelta(minutes=50),
            )
        )
    db.flush()

    response = client.get(
        f"/api/v1/memberships/{alex.membership.id}/export", headers=auth_headers(client, moderator)
    )
    assert response.status_code == 200, response.text
    disposition = response.headers["content-disposition"]
    assert disposition == f'attachment; filename="member-{alex.membership.id}.json"'
    assert response.headers["cache-control"] == "no-store"
    copy = response.json()
    assert (copy["alias"], copy["phone"], copy["email"]) == (
        ALEX["alias"],
        ALEX["phone"],
        ALEX["email"],
    )
    assert copy["membership"]["group_id"] == group.id
    assert [event["action"] for event in copy["history"]] == ["membership.suspend"]
    assert len(copy["attendance"]) == 1
    assert copy["attendance"][0]["left_at"] is not None
    assert {message["kind"] for message in copy["messages"]} == {"invitation", "pin"}
    assert copy["referral"]["consent_at"] is not None
    for other in (*BEA.values(), bea.participant_number):
        assert other not in response.text
    assert copy["other_memberships"] == []  # Bea's membership is not Alex's
    for secret in (alex.pin, alex.participant_number):
        assert secret not in response.text


def test_other_groups_of_the_same_person_only_for_who_moderates_them(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    elsewhere = create_group(db, now=clock.now())
    membership = create_member(db, group, now=clock.now(), **ALEX).membership
    create_member(db, elsewhere, now=clock.now(), **ALEX)
    path = f"/api/v1/memberships/{membership.id}/export"

    as_moderator = client.get(path, headers=auth_headers(client, moderator)).json()
    assert as_moderator["other_memberships"] == []
    admin = create_staff(db, Role.admin)
    as_admin = client.get(path, headers=auth_headers(client, admin)).json()
    assert [other["group_id"] for other in as_admin["other_memberships"]] == [elsewhere.id]


def test_producing_the_copy_is_audited_without_personal_data(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    membership = create_member(db, group, now=clock.now(), **ALEX).membership
    headers = auth_headers(client, moderator)
    assert client.get(f"/api/v1/memberships/{membership.id}/export", headers=headers).is_success

    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "membership.export")).one()
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.group_id) == (
        moderator.id,
        "membership",
        membership.id,
        group.id,
    )
    assert entry.details == {}
    stored = json.dumps(
        [entry.action, entry.target_type, entry.details, entry.prev_hash, entry.row_hash]
    )
    for personal in ALEX.values():
        assert personal not in stored


def test_another_groups_moderator_gets_404_and_a_helper_403(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group = create_group(db, now=clock.now(), moderator=create_staff(db))
    other = create_staff(db)
    create_group(db, now=clock.now(), moderator=other)
    membership = create_member(db, group, now=clock.now(), **ALEX).membership
    path = f"/api/v1/memberships/{membership.id}/export"
    refused = client.get(path, headers=auth_headers(client, other))
    assert refused.status_code == 404
    assert ALEX["alias"] not in refused.text
    helper = create_staff(db, Role.helper)
    assert client.get(path, headers=auth_headers(client, helper)).status_code == 403
    assert not db.scalars(select(AuditEntry).where(AuditEntry.action == "membership.export")).all()


def test_the_console_member_page_downloads_the_copy(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    membership = create_member(db, group, now=clock.now(), **ALEX).membership
    sign_in(client, moderator)
    page = f"/console/memberships/{membership.id}"
    assert "Download the member&#39;s data" in client.get(page).text
    response = post_form(client, f"{page}/export", page=page)
    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.json()["alias"] == ALEX["alias"]
