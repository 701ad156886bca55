"""A benchmark database: a fresh SQLite file or PostgreSQL database, migrated and seeded.

Seeding goes through the services (line, groups with a meeting open now, referral → approval).
Approval hashes a temporary PIN at whatever cost the seeding process is configured with; every
member then gets the same final PIN, hashed once at the real OWASP parameters, so a dial-in
verifies at full cost while seeding thousands of members stays quick.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from passlib.hash import argon2
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

import supportline.models  # noqa: F401 - every table known before the first query
from auth import service as auth_service
from auth.models import Role, Staff
from bench.callers import Caller
from core import migrate
from core.database import make_engine
from core.schemas import WEEKDAYS
from core.settings import Settings
from groups import members as members_service
from groups import service as groups_service
from groups.models import Membership
from groups.schemas import GroupCreate, LineCreate, ReferralCreate, SlotSchema

LINE_NUMBER = "+12025550100"
PIN = "204817"
ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def owasp_hash(pin: str) -> str:
    """``pin`` hashed the way the server hashes it by default (the settings' own defaults)."""
    fields = Settings.model_fields
    hasher = argon2.using(
        type="ID",
        memory_cost=fields["argon2_memory_cost"].default,
        rounds=fields["argon2_time_cost"].default,
        parallelism=fields["argon2_parallelism"].default,
    )
    return str(hasher.hash(pin))


@contextmanager
def fresh_database(kind: str, workdir: Path) -> Iterator[str]:
    """A migrated, empty database URL; a PostgreSQL database is dropped afterwards."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
        _migrate(url)
        yield url
        return
    name = "bench_" + uuid.uuid4().hex[:12]
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        _migrate(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        migrate.upgrade(connection)
    engine.dispose()


@dataclass
class Seeder:
    """Adds groups of members to a database through the services, one transaction per group."""

    url: str
    now: datetime
    pin_hash: str

    def __post_init__(self) -> None:
        self.engine = make_engine(self.url)
        self.groups = 0
        with Session(self.engine) as session:
            admin = auth_service.create_staff(
                session, username="bench-admin", password="bench password 1", role=Role.admin
            )
            helper = auth_service.create_staff(
                session, username="bench-helper", password="bench password 2", role=Role.helper
            )
            line = groups_service.create_line(
                session, actor=admin, data=LineCreate(number=LINE_NUMBER, language="en")
            )
            session.commit()
            self.admin_id, self.helper_id, self.line_id = admin.id, helper.id, line.id

    def add_groups(self, groups: int, members: int) -> list[Caller]:
        callers = []
        for _ in range(groups):
            with Session(self.engine) as session:
                callers += self._group(session, members)
                session.commit()
        return callers

    def _group(self, session: Session, members: int) -> list[Caller]:
        admin = session.get_one(Staff, self.admin_id)
        helper = session.get_one(Staff, self.helper_id)
        self.groups += 1
        # A weekly slot that started two minutes ago, in UTC: the meeting is open now.
        start = (self.now - timedelta(minutes=2)).astimezone(UTC)
        slot = SlotSchema(weekday=WEEKDAYS[start.weekday()], start=start.strftime("%H:%M"))
        group = groups_service.create_group(
            session,
            actor=admin,
            data=GroupCreate(
                name=f"Bench group {self.groups}",
                topic="benchmark",
                language="en",
                time_zone="UTC",
                slots=[slot],
                duration_minutes=120,
                capacity=max(members, 2),
                line_ids=[self.line_id],
            ),
            now=self.now,
        )
        callers = []
        for index in range(members):
            phone = f"+4850{self.groups:03d}{index:04d}"  # unique, valid (PL mobile)
            referral = members_service.create_referral(
                session,
                actor=helper,
                data=ReferralCreate(
                    group_id=group.id,
                    alias=f"Member {index}",
                    phone=phone,
                    email=f"member{index}@example.org",
                    language="en",
                    consent=True,
                ),
                now=self.now,
            )
            credentials = members_service.approve_referral(
                session, actor=admin, referral=referral, now=self.now
            )
            membership: Membership = credentials.membership
            membership.pin_hash = self.pin_hash
            membership.pin_is_temporary = False
            caller_id = f"+1555{self.groups:03d}{index:04d}"
            callers.append(Caller(LINE_NUMBER, caller_id, credentials.participant_number, PIN))
        return callers

    def close(self) -> None:
        self.engine.dispose()
