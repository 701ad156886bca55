"""Small ``create_*`` helpers that build test data through the real services."""

from __future__ import annotations

import itertools
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from auth import service as auth_service
from auth.models import Role, Staff
from groups import members as members_service
from groups import service as groups_service
from groups.models import Group, Line, Referral
from groups.schemas import GroupCreate, LineCreate, ReferralCreate, SlotSchema
from groups.service import Credentials

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)

# Valid numbers from phonenumbers' example ranges; tests look for these strings to detect leaks.
MEMBER_PHONES = [f"+4860{index:07d}" for index in range(1234560, 1234600)]


def unique(prefix: str) -> str:
    return f"{prefix}{next(_counter)}"


def create_staff(db: Session, role: Role = Role.moderator, username: str | None = None) -> Staff:
    return auth_service.create_staff(
        db, username=username or unique(role.value), password=PASSWORD, role=role
    )


def auth_headers(client: TestClient, staff: Staff) -> dict[str, str]:
    response = client.post(
        "/api/v1/auth/token", data={"username": staff.username, "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def create_line(db: Session, number: str | None = None, language: str = "en") -> Line:
    admin = create_staff(db, Role.admin)
    number = number or f"+1202555{next(_counter) % 10000:04d}"
    return groups_service.create_line(
        db, actor=admin, data=LineCreate(number=number, language=language)
    )


def create_group(
    db: Session,
    *,
    now: datetime,
    name: str | None = None,
    language: str = "en",
    time_zone: str = "Europe/Warsaw",
    slots: list[tuple[str, str]] | None = None,
    capacity: int = 12,
    moderator: Staff | None = None,
    line: Line | None = None,
) -> Group:
    admin = create_staff(db, Role.admin)
    line = line or create_line(db, language=language)
    data = GroupCreate(
        name=name or unique("Group "),
        topic="internet addiction",
        language=language,
        time_zone=time_zone,
        slots=[
            SlotSchema(weekday=d, start=t)
            for d, t in (slots or [("mon", "20:00"), ("thu", "20:00")])
        ],
        capacity=capacity,
        line_ids=[line.id],
    )
    group = groups_service.create_group(db, actor=admin, data=data, now=now)
    if moderator is not None:
        groups_service.assign_moderator(db, actor=admin, group=group, staff_id=moderator.id)
    return group


def create_referral(
    db: Session,
    group: Group,
    *,
    now: datetime,
    helper: Staff | None = None,
    phone: str | None = None,
    email: str | None = None,
    alias: str | None = None,
    language: str = "en",
) -> Referral:
    """A referral filed through the real service (by a new helper unless one is given)."""
    helper = helper or create_staff(db, Role.helper)
    index = next(_counter)
    return members_service.create_referral(
        db,
        actor=helper,
        data=ReferralCreate(
            group_id=group.id,
            alias=alias or f"Alias{index}",
            phone=phone or MEMBER_PHONES[index % len(MEMBER_PHONES)],
            email=email or f"member{index}@example.org",
            language=language,
            consent=True,
        ),
        now=now,
    )


def create_member(
    db: Session,
    group: Group,
    *,
    now: datetime,
    phone: str | None = None,
    email: str | None = None,
    alias: str | None = None,
    language: str = "en",
) -> Credentials:
    """A member created through the real referral → approval path."""
    helper = create_staff(db, Role.helper)
    admin = create_staff(db, Role.admin)
    referral = create_referral(
        db,
        group,
        now=now,
        helper=helper,
        phone=phone,
        email=email,
        alias=alias,
        language=language,
    )
    return members_service.approve_referral(db, actor=admin, referral=referral, now=now)
