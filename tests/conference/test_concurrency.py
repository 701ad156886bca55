"""Calls that reach the server at the same moment, on real concurrent connections.

These rows are committed (each connection must see the other's commits), so the test removes
what it created instead of relying on the per-test rollback.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from conference import admission, service
from conference.models import AccessEvent, Call, CallStage, Room
from conference.prompts import Prompt
from conference.replies import Farewell, Join, Reply, line
from core import security
from groups.models import Meeting, Membership, MembershipRole, MembershipStatus
from tests.fixtures.committed import START


def test_first_two_callers_of_a_meeting_at_the_same_moment_get_one_room(
    committed_meeting: tuple[Engine, int],
) -> None:
    engine, meeting_id = committed_meeting
    first, second = Session(engine), Session(engine)
    seen: dict[str, int] = {}

    def second_caller() -> None:
        seen["room"] = admission.room_of(second, second.get_one(Meeting, meeting_id)).id
        second.commit()

    try:
        room = admission.room_of(first, first.get_one(Meeting, meeting_id))  # not committed yet
        racing = threading.Thread(target=second_caller)
        racing.start()
        racing.join(timeout=1.0)  # the second insert now waits for the first transaction
        first.commit()
        racing.join(timeout=30)
        assert seen == {"room": room.id}
    finally:
        first.close()
        second.close()


@pytest.fixture
def one_member_two_calls(
    committed_meeting: tuple[Engine, int],
) -> Iterator[tuple[Engine, int, list[str]]]:
    """A member of the meeting's group dialling in twice at once: two calls at the PIN step."""
    engine, meeting_id = committed_meeting
    sids = ["CA-race-first", "CA-race-second"]
    with Session(engine) as session:
        meeting = session.get_one(Meeting, meeting_id)
        member = Membership(
            group_id=meeting.group_id,
            role=MembershipRole.member,
            status=MembershipStatus.active,
            ref=f"race-{meeting_id}",
            language="en",
            pin_hash=security.hash_secret("482915"),
            pin_is_temporary=False,
        )
        session.add(member)
        session.flush()
        member_id = member.id
        for sid in sids:
            call = Call(call_sid=sid, caller_index=sid, language="en", stage=CallStage.pin)
            session.add(call)
            call.membership_id = member_id
        session.commit()
    try:
        yield engine, member_id, sids
    finally:
        with Session(engine) as session:
            session.execute(delete(AccessEvent).where(AccessEvent.membership_id == member_id))
            session.execute(delete(Call).where(Call.call_sid.in_(sids)))
            session.execute(delete(Membership).where(Membership.id == member_id))
            session.commit()


def race(engine: Engine, step: Callable[[Session, str], Reply], sids: list[str]) -> None:
    """``step`` for the first call, not yet committed while the second one's runs: the first
    caller is let in, the second is told the details are in use."""
    first, second = Session(engine), Session(engine)
    answers: dict[str, Reply] = {}

    def second_caller() -> None:
        answers["second"] = step(second, sids[1])
        second.commit()

    try:
        answers["first"] = step(first, sids[0])
        racing = threading.Thread(target=second_caller)
        racing.start()
        racing.join(timeout=1.0)  # the second now waits for the first one's lock
        first.commit()
        racing.join(timeout=30)
    finally:
        first.close()
        second.close()
    assert isinstance(answers["first"], Join)
    assert isinstance(answers["second"], Farewell)
    assert answers["second"].lines[-1] == line(Prompt.already_in_call)


@pytest.mark.postgres_only
@pytest.mark.parametrize("room_open", [False, True], ids=["first-callers", "room-open"])
def test_the_same_credentials_typed_in_two_calls_at_the_same_moment_admit_one(
    one_member_two_calls: tuple[Engine, int, list[str]], room_open: bool
) -> None:
    # Two web processes, two connections. Without the membership lock both got in. When the
    # two are the meeting's first callers, creating its room serialises them too; once the room
    # is open, nothing but the lock does.
    engine, member_id, sids = one_member_two_calls
    with Session(engine) as session:
        member = session.get_one(Membership, member_id)
        pin = service.PinCheck(member.pin_hash, True)
        if room_open:
            meeting = session.scalars(select(Meeting).where(Meeting.group_id == member.group_id))
            session.add(Room(meeting_id=meeting.one().id))
            session.commit()
    now = START + timedelta(minutes=1)

    def enter_pin(session: Session, sid: str) -> Reply:
        return service.enter_pin(session, call_sid=sid, pin=pin, now=now)

    race(engine, enter_pin, sids)


@pytest.mark.postgres_only
def test_the_same_first_call_credentials_confirmed_at_the_same_moment_admit_one(
    one_member_two_calls: tuple[Engine, int, list[str]],
) -> None:
    # The first call: a new PIN chosen in both calls and confirmed at the same moment.
    engine, member_id, sids = one_member_two_calls
    with Session(engine) as session:
        session.get_one(Membership, member_id).pin_is_temporary = True
        for call in session.scalars(select(Call).where(Call.call_sid.in_(sids))):
            call.stage = CallStage.confirm_pin
            call.pending_pin_hash = security.hash_secret("739164")
        session.commit()
    now = START + timedelta(minutes=1)

    def confirm_pin(session: Session, sid: str) -> Reply:
        return service.confirm_pin(session, call_sid=sid, digits="739164", now=now)

    race(engine, confirm_pin, sids)
