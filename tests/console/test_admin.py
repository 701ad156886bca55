from __future__ import annotations

import ast
from base64 import b64decode
from html import unescape
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import false, select
from sqlalchemy.orm import Session

from auth import service as auth_service
from auth.exceptions import UsernameTaken
from auth.models import Role, Staff
from conference.controls import ParticipantAction
from console import admin_pages, group_pages, member_pages, referral_pages, views
from console import router as console_router
from console.rendering import PREFIX
from core import audit
from groups import service as groups_service
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.factories import create_group, create_member, create_staff

ROOT = Path(__file__).resolve().parents[2]


def session_cookie(client: TestClient) -> str:
    """The console session cookie decoded: signed, not encrypted, so anyone holding it reads it."""
    value = client.cookies.get("supportline_console") or ""
    return b64decode(value.split(".")[0] + "==").decode()


def test_two_accounts_of_one_name_created_at_once_are_one_taken_not_a_crash(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth_service.create_staff(db, username="anna.k", password="x" * 12, role=Role.helper)
    # The other request checked a moment before this one inserted: its check saw no one.
    monkeypatch.setattr(auth_service, "select", lambda *_: select(Staff.id).where(false()))
    with pytest.raises(UsernameTaken) as taken:
        auth_service.create_staff(db, username="anna.k", password="x" * 12, role=Role.helper)
    assert "anna.k" not in str(taken.value)
    monkeypatch.undo()
    assert auth_service.get_by_username(db, "anna.k") is not None  # the first one is intact


def test_admin_creates_staff_accounts_with_roles(client: TestClient, db: Session) -> None:
    sign_in(client, create_staff(db, Role.admin))
    fields = {"username": "anna.k", "password": "a long enough password", "role": "helper"}
    assert post_form(client, "/console/admin/staff", fields).status_code == 303
    created = auth_service.get_by_username(db, "anna.k")
    assert created is not None and created.role is Role.helper
    assert "anna.k" not in session_cookie(client)  # the flash says "the helper account"
    assert "The helper account is created." in client.get("/console/admin/staff").text
    assert "anna.k" in client.get("/console/admin/staff").text
    taken = post_form(client, "/console/admin/staff", fields)
    assert taken.status_code == 422
    assert 'id="username-error"' in taken.text and "already taken" in taken.text
    short = post_form(client, "/console/admin/staff", {**fields, "username": "b", "password": "x"})
    assert 'id="username-error"' in short.text and 'id="password-error"' in short.text
    assert "a long enough password" not in taken.text  # a password is never sent back


def test_admin_registers_lines(client: TestClient, db: Session) -> None:
    sign_in(client, create_staff(db, Role.admin))
    fields = {"number": "+48 22 123 45 67", "language": "pl", "label": "Warsaw"}
    assert post_form(client, "/console/admin/lines", fields).status_code == 303
    assert groups_service.get_line_by_number(db, "+48221234567") is not None
    assert "+48221234567" in client.get("/console/admin/lines").text
    bad = post_form(client, "/console/admin/lines", {**fields, "number": "123"})
    assert bad.status_code == 422 and 'id="number-error"' in bad.text


def test_audit_log_shows_who_did_what_in_words_without_personal_data(
    client: TestClient, db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now(), name="Tuesday circle")
    member = create_member(db, group, now=clock.now(), alias="Hidden Alias")
    sign_in(client, admin)
    post_form(client, f"/console/memberships/{member.membership.id}/contact")
    audit.record(db, actor_id=admin.id, action="someday.new", target_type="x", target_id=None)
    page = unescape(client.get("/console/admin/audit").text)
    [entry] = [row for row in page.split("<li") if "phone and e-mail" in row]
    assert f"<strong>{admin.username}</strong>" in entry
    assert "looked at a member's phone and e-mail" in entry
    assert f"member #{member.membership.id} · Tuesday circle" in entry
    assert "membership.view_contact" not in page
    assert "someday.new" in page  # a code without words yet is shown as it is
    assert "Hidden Alias" not in page
    assert member.membership.phone is not None and member.membership.phone not in page


def _recorded_actions() -> set[str]:
    """Every action code the application can write to the audit log, read from its source: the
    ``action=`` of each ``audit.record`` call, and the codes the domains' wrappers are given."""
    codes: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if {".cache", ".venv", "tests", "bench"} & set(path.relative_to(ROOT).parts):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            name = node.func.id if isinstance(node.func, ast.Name) else name
            values = [k.value for k in node.keywords if k.arg == "action" and name == "record"]
            # groups.members._record, helpline.seats.audited (session, actor, action, ...)
            values += node.args[2:3] if name in {"_record", "_audit", "audited"} else []
            for value in values:
                for constant in ast.walk(value):
                    if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                        codes.add(constant.value)
    # conference.controls._audit: f"conference.{action}" for the participant actions but an
    # ejection (written as membership.eject).
    codes.discard("conference.")
    codes |= {
        f"conference.{a.value}" for a in ParticipantAction if a is not ParticipantAction.eject
    }
    return codes


def test_every_action_of_the_audit_log_has_words() -> None:
    codes = _recorded_actions()
    assert {"referral.approve", "conference.kick", "membership.resend_invitation"} <= codes
    assert {"seat.assign", "seat.sign_up", "helpline.block"} <= codes
    assert codes - set(views.AUDIT_ACTIONS) == set()


@pytest.mark.parametrize("role", [Role.moderator, Role.helper])
def test_admin_pages_are_refused_to_other_roles(
    client: TestClient, db: Session, role: Role
) -> None:
    sign_in(client, create_staff(db, role))
    for path in ("/console/admin/staff", "/console/admin/lines", "/console/admin/audit"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Your role does not allow you" in response.text
    nav = client.get("/console/referrals/new").text
    assert "Audit log" not in nav


def _console_posts() -> list[str]:
    routes = [(route, "") for route in console_router.router.routes]
    for module in (admin_pages, group_pages, member_pages, referral_pages):
        routes += [(route, PREFIX) for route in module.router.routes]
    return [
        prefix + route.path
        for route, prefix in routes
        if isinstance(route, APIRoute) and "POST" in (route.methods or ())
    ]


def test_every_console_form_post_without_the_csrf_token_is_refused(
    client: TestClient, db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now(), moderator=admin)
    member = create_member(db, group, now=clock.now())
    sign_in(client, admin)
    ids: dict[str, object] = {
        "group_id": group.id,
        "meeting_id": 1,
        "membership_id": member.membership.id,
    }
    ids |= {"referral_id": 1, "change": "suspend", "staff_id": admin.id}
    paths = _console_posts()
    assert len(paths) >= 15
    for template in paths:
        path = template.format(**ids)
        missing = client.post(path, data={"staff_id": "1"}, follow_redirects=False)
        assert missing.status_code == 403, path
        assert "could not be accepted" in missing.text
        forged = client.post(path, data={"csrf_token": "forged"}, follow_redirects=False)
        assert forged.status_code == 403, path
    assert member.membership.status.value == "active"
    assert client.get("/console/").status_code == 200  # still signed in: nothing happened


def test_admin_deactivates_an_account_that_then_cannot_sign_in(
    client: TestClient, db: Session
) -> None:
    admin = create_staff(db, Role.admin)
    moderator = create_staff(db)
    sign_in(client, admin)
    path = f"/console/admin/staff/{moderator.id}/active"
    assert post_form(client, path, {"active": "no"}).status_code == 303
    assert moderator.is_active is False
    assert "The account is deactivated" in client.get("/console/admin/staff").text
    own = post_form(client, f"/console/admin/staff/{admin.id}/active", {"active": "no"})
    assert own.status_code == 422 and admin.is_active
    client.cookies.clear()
    assert sign_in(client, moderator).status_code == 401
    client.cookies.clear()
    sign_in(client, admin)
    assert post_form(client, path, {"active": "yes"}).status_code == 303
    assert moderator.is_active is True
