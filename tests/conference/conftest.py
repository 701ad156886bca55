from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from conference.providers import get_conference_control
from groups.models import Group, Meeting
from groups.service import Credentials
from tests.clock import Clock
from tests.conference.simulator import SimCall, TwilioSimulator
from tests.factories import MEMBER_PHONES, create_group, create_line, create_member, create_staff

# Monday 2 March 2026, 20:00 in Warsaw is 19:00 UTC: the group's first meeting.
MEETING_START = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
CALLER = "+48601999888"  # the phone members call from in these tests


@dataclass
class World:
    """A group on one line with a moderator and two members, their PINs already chosen."""

    line_number: str
    group: Group
    meeting: Meeting
    moderator_staff: Staff
    moderator: Credentials
    member: Credentials
    other: Credentials
    aliases: list[str]
    phones: list[str]
    emails: list[str]


@pytest.fixture
def sim(app: FastAPI, client: TestClient) -> TwilioSimulator:
    simulator = TwilioSimulator(client)
    app.dependency_overrides[get_conference_control] = lambda: simulator
    return simulator


def make_world(db: Session, clock: Clock, language: str = "en") -> World:
    staff = create_staff(db, Role.moderator)
    line = create_line(db, language=language)
    group = create_group(db, now=clock.now(), moderator=staff, line=line, language=language)
    from groups import service as groups_service

    (moderator_membership,) = groups_service.moderators(db, group.id)
    from groups.service import issue_credentials

    moderator = issue_credentials(db, moderator_membership)
    index = len(group.name)
    aliases = [f"Basia{index}", f"Kasia{index}"]
    phones = [MEMBER_PHONES[index % 40], MEMBER_PHONES[(index + 1) % 40]]
    emails = [f"basia{index}@example.org", f"kasia{index}@example.org"]
    member, other = (
        create_member(db, group, now=clock.now(), alias=a, phone=p, email=e)
        for a, p, e in zip(aliases, phones, emails, strict=True)
    )
    for credentials in (moderator, member, other):
        credentials.membership.pin_is_temporary = False
    db.flush()
    meeting = db.scalars(select(Meeting).where(Meeting.group_id == group.id)).first()
    assert meeting is not None and meeting.starts_at == MEETING_START
    return World(
        line.number, group, meeting, staff, moderator, member, other, aliases, phones, emails
    )


@pytest.fixture
def world(db: Session, clock: Clock) -> World:
    clock.set(MEETING_START.replace(minute=0, hour=18))  # 19:00 in Warsaw: before the window
    built = make_world(db, clock)
    clock.set(datetime(2026, 3, 2, 18, 55, tzinfo=UTC))  # 19:55 in Warsaw: the window is open
    return built


def login(
    sim: TwilioSimulator, world: World, credentials: Credentials, caller: str = CALLER
) -> SimCall:
    call = sim.dial(world.line_number, caller)
    call.press(credentials.participant_number)
    return call.press(credentials.pin)
