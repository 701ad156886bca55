"""Two volunteers pressing 1 at the same moment, each on a connection of its own: exactly one
takes the call, the other hears that someone else has it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from helpline import calls
from helpline.models import CallOutcome, ContactPoint, HelplineCall, Leg, LegOutcome
from helpline.replies import HangUp, PutThrough, Reply

NOW = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)


@pytest.mark.postgres_only
def test_two_volunteers_pressing_1_at_once_only_one_takes_the_call(own_engine: Engine) -> None:
    with Session(own_engine) as session, session.begin():
        point = ContactPoint(name="Warszawa", language="pl", time_zone="Europe/Warsaw")
        session.add(point)
        session.flush()
        call = HelplineCall(
            call_sid="CA" + "6" * 32, language="pl", contact_point_id=point.id, started_at=NOW
        )
        call.legs.extend(Leg(step=0, rung_at=NOW) for _ in range(2))
        session.add(call)
        session.flush()
        call_id, legs = call.id, [leg.id for leg in call.legs]
    start = threading.Barrier(2)
    replies: dict[int, Reply] = {}
    errors: list[BaseException] = []

    def press_1(leg_id: int) -> None:
        try:
            with Session(own_engine) as session, session.begin():
                start.wait(timeout=10)
                replies[leg_id] = calls.accept(session, leg_id=leg_id, digits="1", now=NOW)
        except BaseException as exc:  # reported on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=press_1, args=(leg,)) for leg in legs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(type(reply).__name__ for reply in replies.values()) == ["HangUp", "PutThrough"]
    winner = next(leg for leg, reply in replies.items() if isinstance(reply, PutThrough))
    loser = next(leg for leg, reply in replies.items() if isinstance(reply, HangUp))
    with Session(own_engine) as session:
        stored = session.get_one(HelplineCall, call_id)
        assert stored.taken_by_leg_id == winner and stored.outcome is CallOutcome.answered
        outcomes = {leg.id: leg.outcome for leg in stored.legs}
    assert outcomes == {winner: LegOutcome.taken, loser: LegOutcome.too_late}
