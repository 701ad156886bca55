"""Bad input: a clear 4xx ``{"error", "detail"}``, nothing half-written, no echo of contact data."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from auth.models import Role
from groups.models import Group, GroupSlot, Meeting, Referral, ReferralStatus
from tests.clock import Clock
from tests.factories import auth_headers, create_group, create_line, create_member, create_staff


def count(db: Session, model: type[Any]) -> int:
    return db.scalar(select(func.count()).select_from(model)) or 0


def referral(group_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "group_id": group_id,
        "alias": "Olek",
        "phone": "+48601444001",
        "email": "olek@example.org",
        "language": "pl",
        "consent": True,
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"phone": "+48 601 44"}, "this phone number does not exist"),
        ({"phone": "call me maybe"}, "not a phone number"),
        ({"phone": "0601444001"}, "international form"),
        ({"phone": "+48 601 444 001 ext. 99"}, "leave out the extension"),
        ({"email": "olek.kowal@@example.org"}, "not a valid e-mail address"),
        ({"email": "olek kowal@example.org"}, "not a valid e-mail address"),
        ({"email": "olek.kowal@exa_mple.org"}, "not a valid e-mail address"),
        ({"email": "olek.kowal@reserved.test"}, "not a valid e-mail address"),
        ({"consent": False}, "consent is required"),
        ({"language": "de"}, "'en', 'pl' or 'he'"),
        ({"alias": ""}, "at least 1 character"),
    ],
)
def test_bad_referrals_are_refused_without_echoing_contact_data(
    client: TestClient, db: Session, clock: Clock, changes: dict[str, Any], message: str
) -> None:
    (field,) = changes
    group = create_group(db, now=clock.now())
    before = count(db, Referral)
    headers = auth_headers(client, create_staff(db, Role.helper))
    response = client.post("/api/v1/referrals", headers=headers, json=referral(group.id, **changes))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_input"
    assert body["detail"].startswith(f"{field}: ") and message in body["detail"]
    submitted = str(changes[field])
    if field in ("phone", "email"):
        for fragment in (submitted, submitted.partition("@")[0], "601 44", "'_'", "SPACE"):
            assert fragment not in body["detail"]
    if field == "email":  # one fixed sentence: no part of the address is quoted back
        assert body["detail"] == (
            "email: not a valid e-mail address; check it for typos (it looks like name@example.org)"
        )
    assert count(db, Referral) == before


def test_referral_to_an_unknown_group(client: TestClient, db: Session) -> None:
    headers = auth_headers(client, create_staff(db, Role.helper))
    response = client.post("/api/v1/referrals", headers=headers, json=referral(987654))
    assert response.status_code == 404
    assert response.json()["detail"] == "no such group, or it is not one of yours"


def group_body(line_id: int, **changes: Any) -> dict[str, Any]:
    return {
        "name": "Evening",
        "topic": "faith",
        "language": "he",
        "time_zone": "Asia/Jerusalem",
        "slots": [{"weekday": "sun", "start": "20:30"}, {"weekday": "wed", "start": "20:30"}],
        "line_ids": [line_id],
        **changes,
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone: unknown time zone; use an IANA name"),
        ({"time_zone": "CET; DROP"}, "time_zone: unknown time zone"),
        (
            {"slots": [{"weekday": "funday", "start": "20:00"}]},
            "slots.0.weekday: a weekday is one of mon, tue",
        ),
        (
            {"slots": [{"weekday": "mon", "start": "25:00"}]},
            "slots.0.start: give the time as HH:MM",
        ),
        ({"slots": [{"weekday": "mon", "start": "8pm"}]}, "slots.0.start: give the time as HH:MM"),
        ({"slots": []}, "slots: List should have at least 1 item"),
        ({"duration_minutes": 5}, "duration_minutes: Input should be greater than or equal to 15"),
        ({"duration_minutes": 600}, "duration_minutes: Input should be less than or equal to 240"),
        (
            {"slots": [{"weekday": "mon", "start": "20:00"}, {"weekday": "mon", "start": "20:30"}]},
            "weekly slots overlap: each meeting lasts 60 minutes",
        ),
        (
            {"slots": [{"weekday": "mon", "start": "20:00"}, {"weekday": "MON", "start": "20:00"}]},
            "the same weekly slot is listed twice",
        ),
        ({"capacity": 1}, "capacity: Input should be greater than or equal to 2"),
        ({"language": "fr"}, "language: Input should be 'en', 'pl' or 'he'"),
    ],
)
def test_bad_groups_are_refused(
    client: TestClient, db: Session, changes: dict[str, Any], message: str
) -> None:
    headers = auth_headers(client, create_staff(db, Role.admin))
    line = create_line(db)
    before = (count(db, Group), count(db, Meeting))
    response = client.post("/api/v1/groups", headers=headers, json=group_body(line.id, **changes))
    assert response.status_code == 422, response.text
    assert message in response.json()["detail"]
    assert (count(db, Group), count(db, Meeting)) == before


def test_group_with_an_unknown_line_is_not_created(client: TestClient, db: Session) -> None:
    headers = auth_headers(client, create_staff(db, Role.admin))
    before = count(db, Group)
    response = client.post("/api/v1/groups", headers=headers, json=group_body(424242))
    assert response.status_code == 404
    assert response.json()["detail"] == "no such phone line"
    assert count(db, Group) == before


def test_bad_group_updates_change_nothing(client: TestClient, db: Session, clock: Clock) -> None:
    headers = auth_headers(client, create_staff(db, Role.admin))
    group = create_group(db, now=clock.now(), capacity=3, name="Before")
    for _ in range(3):
        create_member(db, group, now=clock.now())
    meetings_before = count(db, Meeting)
    url = f"/api/v1/groups/{group.id}"
    cases = [
        ({"name": "After", "capacity": 2}, 409, "already has 3 members; capacity cannot be lower"),
        ({"name": "After", "duration_minutes": 240 * 2}, 422, "less than or equal to 240"),
        # The stored slots are Mon and Thu 20:00: four hours would not overlap, but 20:00 and
        # 21:00 on Monday with 90 minutes do.
        (
            {
                "name": "After",
                "duration_minutes": 90,
                "slots": [
                    {"weekday": "mon", "start": "20:00"},
                    {"weekday": "mon", "start": "21:00"},
                ],
            },
            422,
            "weekly slots overlap: each meeting lasts 90 minutes",
        ),
        ({"name": "After", "line_ids": [424242]}, 404, "no such phone line"),
        ({"name": "After", "time_zone": "Europe/Atlantis"}, 422, "unknown time zone"),
        (
            {"name": None, "capacity": None, "language": None},
            422,
            "capacity, language, name cannot be null: leave a field out to keep its value",
        ),
    ]
    for body, status, message in cases:
        response = client.patch(url, headers=headers, json=body)
        assert response.status_code == status, (body, response.text)
        assert message in response.json()["detail"]
    db.expire_all()
    assert (group.name, group.capacity, group.duration_minutes) == ("Before", 3, 60)
    assert count(db, GroupSlot) and [(s.weekday, s.start_minute) for s in group.slots] == [
        (0, 1200),
        (3, 1200),
    ]
    assert count(db, Meeting) == meetings_before


def test_stored_duration_counts_when_only_slots_change(
    client: TestClient, db: Session, clock: Clock
) -> None:
    headers = auth_headers(client, create_staff(db, Role.admin))
    group = create_group(db, now=clock.now())
    response = client.patch(
        f"/api/v1/groups/{group.id}",
        headers=headers,
        json={
            "slots": [{"weekday": "tue", "start": "18:00"}, {"weekday": "tue", "start": "18:30"}]
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"] == "weekly slots overlap: each meeting lasts 60 minutes"


def test_unknown_ids_are_404_for_an_admin(client: TestClient, db: Session) -> None:
    headers = auth_headers(client, create_staff(db, Role.admin))
    for method, url, message in (
        ("GET", "/api/v1/groups/999999", "no such group"),
        ("GET", "/api/v1/groups/999999/memberships", "no such group"),
        ("POST", "/api/v1/meetings/999999/cancel", "no such meeting"),
        ("GET", "/api/v1/referrals/999999", "no such referral"),
        ("POST", "/api/v1/referrals/999999/approve", "no such referral"),
        ("GET", "/api/v1/memberships/999999", "no such member"),
        ("POST", "/api/v1/memberships/999999/eject", "no such member"),
        ("PATCH", "/api/v1/staff/999999", "no such staff account"),
    ):
        response = client.request(method, url, headers=headers, json={})
        assert response.status_code == 404, url
        assert response.json()["error"] == "not_found" and message in response.json()["detail"]
    huge = client.get("/api/v1/groups/99999999999999999999", headers=headers)
    assert huge.status_code == 422
    assert huge.json()["detail"] == "group_id: Input should be less than or equal to 2147483647"
    far = client.get("/api/v1/audit", headers=headers, params={"offset": 2**63})
    assert far.status_code == 422 and far.json()["detail"].startswith("offset: ")
    malformed = client.get("/api/v1/groups/abc", headers=headers)
    assert malformed.status_code == 422
    assert malformed.json()["detail"].startswith("group_id: ")


def test_a_helper_cannot_approve_and_the_referral_stays_pending(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group = create_group(db, now=clock.now(), moderator=create_staff(db))
    helper = auth_headers(client, create_staff(db, Role.helper))
    filed = client.post("/api/v1/referrals", headers=helper, json=referral(group.id)).json()
    response = client.post(f"/api/v1/referrals/{filed['id']}/approve", headers=helper)
    assert response.status_code == 403
    assert response.json() == {
        "error": "forbidden",
        "detail": "your role does not allow you to see groups, meetings or members "
        "(helpers can file referrals)",
    }
    assert db.get_one(Referral, filed["id"]).status is ReferralStatus.pending


def test_a_moderator_of_another_group_cannot_approve(
    client: TestClient, db: Session, clock: Clock
) -> None:
    group = create_group(db, now=clock.now(), moderator=create_staff(db))
    outsider = create_staff(db)
    create_group(db, now=clock.now(), moderator=outsider)
    headers = auth_headers(client, outsider)
    filed = client.post("/api/v1/referrals", headers=headers, json=referral(group.id)).json()
    response = client.post(f"/api/v1/referrals/{filed['id']}/approve", headers=headers)
    assert response.status_code == 404
    assert response.json()["detail"] == "no such referral, or it is not for one of your groups"
    assert db.get_one(Referral, filed["id"]).status is ReferralStatus.pending


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"number": "+1 202 555"}, "number: this phone number does not exist"),
        ({"number": "+12025550177", "language": "xx"}, "language: Input should be"),
    ],
)
def test_bad_lines(client: TestClient, db: Session, body: dict[str, str], message: str) -> None:
    headers = auth_headers(client, create_staff(db, Role.admin))
    response = client.post("/api/v1/lines", headers=headers, json={"language": "en", **body})
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_a_line_is_registered_once(client: TestClient, db: Session) -> None:
    headers = auth_headers(client, create_staff(db, Role.admin))
    body = {"number": "+1 (202) 555-0177", "language": "en"}
    assert client.post("/api/v1/lines", headers=headers, json=body).json()["number"] == (
        "+12025550177"
    )
    again = client.post("/api/v1/lines", headers=headers, json=body)
    assert again.status_code == 409
    assert again.json()["detail"] == "this phone line is already registered"


def test_bad_staff_accounts(client: TestClient, db: Session) -> None:
    admin = create_staff(db, Role.admin)
    headers = auth_headers(client, admin)
    for body, status, message in (
        ({"username": "ok_name", "password": "short", "role": "helper"}, 422, "password: "),
        ({"username": "no spaces", "password": "x" * 12, "role": "helper"}, 422, "username: "),
        ({"username": "ok_name", "password": "x" * 12, "role": "boss"}, 422, "role: "),
        ({"username": admin.username, "password": "x" * 12, "role": "helper"}, 409, "taken"),
        (
            {"username": "ok_name", "password": "x" * 12, "role": "helper", "email": "a@@b.org"},
            422,
            "email: not a valid e-mail address",
        ),
    ):
        response = client.post("/api/v1/staff", headers=headers, json=body)
        assert response.status_code == status, body
        assert message in response.json()["detail"]
        assert "a@@b.org" not in response.json()["detail"]


@pytest.mark.parametrize(
    "case",
    [
        ('{"name": "After",', "application/json", "the body is not valid JSON (near character 18)"),
        (
            "",
            "application/json",
            "send a JSON object in the body, with Content-Type: application/json",
        ),
        (
            "name=After",
            "application/x-www-form-urlencoded",
            "send a JSON object in the body, with Content-Type: application/json",
        ),
        (
            '["After"]',
            "application/json",
            "send a JSON object in the body, with Content-Type: application/json",
        ),
    ],
)
def test_a_body_that_is_no_json_object_says_so(
    client: TestClient, db: Session, clock: Clock, case: tuple[str, str, str]
) -> None:
    content, content_type, message = case
    headers = auth_headers(client, create_staff(db, Role.admin))
    group = create_group(db, now=clock.now(), name="Before")
    response = client.patch(
        f"/api/v1/groups/{group.id}",
        headers={**headers, "Content-Type": content_type},
        content=content,
    )
    assert response.status_code == 422, response.text
    assert response.json() == {"error": "invalid_input", "detail": message}


# Free text staff type is shown to other staff: what would be invisible or misleading there is
# refused, naming the field and the character (core.schemas.PlainText).
Build = Callable[[Group, Meeting, int], tuple[str, str, dict[str, Any]]]
TEXT_FIELDS: list[tuple[Build, str]] = [
    (
        lambda g, _m, _r: ("POST", "/api/v1/referrals", referral(g.id, alias="\u202eenoD")),
        "alias: it holds an invisible direction control (U+202E)",
    ),
    (
        lambda g, _m, _r: ("POST", "/api/v1/referrals", referral(g.id, note="late\x00")),
        "note: it holds a control character (U+0000)",
    ),
    (
        lambda g, _m, _r: ("POST", "/api/v1/groups", group_body(g.lines[0].id, name="\u200b")),
        "name: it holds an invisible character (U+200B)",
    ),
    (
        lambda g, _m, _r: ("POST", "/api/v1/groups", group_body(g.lines[0].id, topic="a\nb")),
        "topic: keep it on one line: it holds a line break (U+000A)",
    ),
    (
        lambda g, _m, _r: ("PATCH", f"/api/v1/groups/{g.id}", {"name": "\u3164"}),
        "name: nothing in it can be seen",
    ),
    (
        lambda _g, m, _r: ("PUT", f"/api/v1/meetings/{m.id}/topic", {"topic": "\u2067x\u2069"}),
        "topic: it holds an invisible direction control (U+2067)",
    ),
    (
        lambda _g, _m, r: ("POST", f"/api/v1/referrals/{r}/reject", {"reason": "spam\rmore"}),
        "reason: keep it on one line: it holds a line break (U+000D)",
    ),
    (
        lambda _g, _m, _r: (
            "POST",
            "/api/v1/lines",
            {"number": "+12025550177", "language": "en", "label": "desk\ufeff"},
        ),
        "label: it holds an invisible character (U+FEFF)",
    ),
]


@pytest.mark.parametrize(("build", "message"), TEXT_FIELDS)
def test_text_that_hides_itself_is_refused(
    client: TestClient, db: Session, clock: Clock, build: Build, message: str
) -> None:
    headers = auth_headers(client, create_staff(db, Role.admin))
    group = create_group(db, now=clock.now(), name="Before")
    meeting = db.scalars(select(Meeting).where(Meeting.group_id == group.id)).first()
    assert meeting is not None
    filed = client.post("/api/v1/referrals", headers=headers, json=referral(group.id)).json()
    method, url, body = build(group, meeting, filed["id"])
    response = client.request(method, url, headers=headers, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_input"
    assert response.json()["detail"].startswith(message), response.text


def test_hebrew_and_polish_text_is_kept_as_typed(
    client: TestClient, db: Session, clock: Clock
) -> None:
    headers = auth_headers(client, create_staff(db, Role.admin))
    line = create_line(db)
    name, topic = "ערב ״אמונה״ - קבוצה א׳", "אמונה, ספק ותקווה (שיחה פתוחה)?"
    group = client.post(
        "/api/v1/groups", headers=headers, json=group_body(line.id, name=name, topic=topic)
    ).json()
    assert (group["name"], group["topic"]) == (name, topic)
    alias, note = "Zażółć Gęślą", "מכירה אותו מהקו.\nDzwoni wieczorem, po 19:00!"
    filed = client.post(
        "/api/v1/referrals", headers=headers, json=referral(group["id"], alias=alias, note=note)
    )
    assert filed.status_code == 201, filed.text
    assert (filed.json()["alias"], filed.json()["note"]) == (alias, note)
