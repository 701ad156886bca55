"""On PostgreSQL the call's own state is committed without waiting for the disk, but a failed
PIN and a duplicate login are not: they must outlive a database crash (lockouts, the moderators'
record of access attempts)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from supportline.emulator.local import LocalTwilio
from tests.fixtures.calls import CALLER, World, login

pytestmark = pytest.mark.postgres_only


def waits_for_the_disk(db: Session) -> bool:
    return bool(db.execute(text("SHOW synchronous_commit")).scalar_one() == "on")


@pytest.fixture
def relaxed(db: Session) -> Session:
    # The test's requests share its one transaction: relax it as the relaxed engine's are.
    db.execute(text("SET LOCAL synchronous_commit TO off"))
    return db


def test_a_caller_let_in_is_not_kept_waiting_for_the_disk(
    sim: LocalTwilio, world: World, relaxed: Session
) -> None:
    assert login(sim, world, world.member).state == "in_conference"
    assert not waits_for_the_disk(relaxed)


def test_a_wrong_pin_is_committed_durably(sim: LocalTwilio, world: World, relaxed: Session) -> None:
    call = sim.dial(world.line_number, CALLER)
    call.press(world.member.participant_number)
    assert not waits_for_the_disk(relaxed)
    call.press("000000")
    assert call.spoken[-2] == "Sorry, those details were not recognised."
    assert waits_for_the_disk(relaxed)


def test_credentials_already_in_the_call_are_recorded_durably(
    sim: LocalTwilio, world: World, relaxed: Session
) -> None:
    assert login(sim, world, world.member).state == "in_conference"
    assert not waits_for_the_disk(relaxed)
    second = login(sim, world, world.member, caller="+48601000111")
    assert second.state == "ended"
    assert waits_for_the_disk(relaxed)
