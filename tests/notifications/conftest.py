"""Fixtures for the notification tests: fake providers and a dispatcher inside the test's
rolled-back transaction (each dispatcher step commits to a savepoint of the test connection)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from notifications.delivery import Providers
from notifications.models import Kind, OutboxMessage
from notifications.outcomes import DispatchReport
from notifications.tasks import dispatch
from tests.clock import Clock
from tests.fixtures.settings import Change
from tests.notifications.fakes import FakeMailer, FakeSms

Dispatch = Callable[[], DispatchReport]


@pytest.fixture
def sessions(db: Session) -> sessionmaker[Session]:
    return sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def fake_sms() -> FakeSms:
    return FakeSms()


@pytest.fixture
def fake_mailer() -> FakeMailer:
    return FakeMailer()


@pytest.fixture
def providers(fake_sms: FakeSms, fake_mailer: FakeMailer) -> Providers:
    return Providers(sms=fake_sms, mailer=fake_mailer)


def dispatcher(
    db: Session, sessions: sessionmaker[Session], providers: Providers, clock: Clock
) -> Dispatch:
    """Dispatch at the clock's time, with what the test flushed, and see the outcome after."""

    def run() -> DispatchReport:
        db.flush()
        report = dispatch(sessions, clock=clock.now, providers=providers)
        db.expire_all()
        return report

    return run


@pytest.fixture
def run_dispatch(
    db: Session, sessions: sessionmaker[Session], providers: Providers, clock: Clock
) -> Dispatch:
    return dispatcher(db, sessions, providers, clock)


Setting = Callable[[str, object], None]


@pytest.fixture
def setting(settings: Change) -> Setting:
    """Change a setting for one test: ``setting("OUTBOX_BATCH_SIZE", 2)``; undone afterwards."""

    def change(name: str, value: object) -> None:
        settings(**{name.lower(): value})

    return change


def rows(db: Session, kind: Kind | None = None) -> list[OutboxMessage]:
    """The outbox's rows (of one kind), oldest first."""
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(db.scalars(query))
