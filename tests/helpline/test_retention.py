"""The helpline's records under the retention job: a call's caller HMAC and Twilio id go after
the repeat-caller window, the call log after a year, a block once it has ended."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role
from helpline import records
from helpline.models import CallerBlock, CallOutcome, HelplineCall, Leg, LegOutcome
from supportline import retention
from tests.factories import create_staff
from tests.helpline.world import contact_point

START = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)


@pytest.fixture
def sessions(db: Session) -> Iterator[sessionmaker[Session]]:
    yield sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def test_caller_ids_then_the_call_log_then_ended_blocks_are_destroyed_on_time(
    db: Session, sessions: sessionmaker[Session]
) -> None:
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Warszawa", volunteers=1)
    call = HelplineCall(
        call_sid="CA" + "5" * 32,
        language="pl",
        contact_point_id=point.point.id,
        caller_key="c" * 64,
        started_at=START,
        outcome=CallOutcome.answered,
    )
    call.legs.append(
        Leg(step=0, volunteer_id=point.volunteers[0].id, rung_at=START, outcome=LegOutcome.taken)
    )
    db.add(call)
    db.flush()
    records.block_caller(db, point.point, call, actor=admin, days=30, now=START)

    def run(at: datetime) -> None:
        db.flush()
        retention.run(sessions, at)
        db.expire_all()

    run(START + timedelta(days=29))
    assert db.scalar(select(CallerBlock)) is not None
    run(START + timedelta(days=31))
    assert db.scalar(select(CallerBlock)) is None  # the block ended a day ago
    run(START + timedelta(days=89))
    assert (call.caller_key, call.call_sid) == ("c" * 64, "CA" + "5" * 32)
    run(START + timedelta(days=91))
    assert (call.caller_key, call.call_sid) == (None, None)
    assert call.outcome is CallOutcome.answered and len(call.legs) == 1  # the log stays
    run(START + timedelta(days=366))
    assert db.scalar(select(HelplineCall)) is None and db.scalar(select(Leg)) is None
    run(START + timedelta(days=30))  # a clock set back changes nothing
    assert db.scalar(select(HelplineCall)) is None
