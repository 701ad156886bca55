"""Ending a meeting while Twilio posts every leg's Dial action at once.

Completing a conference ends each participant's ``<Dial>``, and Twilio requests the Dial's
action URL for every leg, with no order promised against the REST answer that ended it
(https://www.twilio.com/docs/voice/api/conference-resource#update-a-conference-resource,
https://www.twilio.com/docs/voice/twiml/dial#action). Here the actions arrive *while* the end
is still being committed, on connections of their own; nobody may be dialled back in.

The rows are committed (tests.fixtures.committed) and removed afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from auth.models import Role, Staff
from conference import admission, controls, tasks
from conference.models import Call, CallStage, Room
from conference.replies import Farewell, Reply
from core.audit import AuditEntry
from groups.models import Meeting, Membership, MembershipRole, MembershipStatus
from tests.factories import create_staff
from tests.fixtures.committed import START

CONFERENCE = "CF" + "e" * 32
LEGS = ["CA-end-race-moderator", "CA-end-race-member"]


@dataclass
class Running:
    engine: Engine
    meeting_id: int
    staff_id: int


@pytest.fixture
def running_meeting(committed_meeting: tuple[Engine, int]) -> Iterator[Running]:
    """The meeting in progress: its room, a moderator and a member in the conference."""
    engine, meeting_id = committed_meeting
    with Session(engine) as session:
        meeting = session.get_one(Meeting, meeting_id)
        staff = create_staff(session, Role.admin)
        session.add(Room(meeting_id=meeting_id, conference_sid=CONFERENCE, started_at=START))
        for sid, role in zip(LEGS, (MembershipRole.moderator, MembershipRole.member), strict=True):
            member = Membership(
                group_id=meeting.group_id,
                role=role,
                status=MembershipStatus.active,
                ref=f"end-race-{role.value[:3]}-{meeting_id}",
                language="en",
                pin_is_temporary=False,
            )
            session.add(member)
            session.flush()
            session.add(
                Call(
                    call_sid=sid,
                    caller_index=sid,
                    language="en",
                    stage=CallStage.in_conference,
                    membership_id=member.id,
                    meeting_id=meeting_id,
                    is_moderator=role is MembershipRole.moderator,
                    admitted_at=START,
                    joined_at=START,
                )
            )
        session.commit()
        running = Running(engine, meeting_id, staff.id)
        group_id = meeting.group_id
    try:
        yield running
    finally:
        with Session(engine) as session:
            session.execute(delete(Call).where(Call.call_sid.in_(LEGS)))
            session.execute(delete(Room).where(Room.meeting_id == meeting_id))
            session.execute(delete(AuditEntry).where(AuditEntry.actor_id == running.staff_id))
            session.execute(delete(Membership).where(Membership.group_id == group_id))
            session.execute(delete(Staff).where(Staff.id == running.staff_id))
            session.commit()


@dataclass
class TwilioEndingNow:
    """A conference control whose end makes Twilio post every leg's Dial action at once, each
    on its own connection, before the REST answer comes back to the caller of ``end``."""

    engine: Engine
    now: datetime
    answers: dict[str, Reply] = field(default_factory=dict)
    legs: list[threading.Thread] = field(default_factory=list)

    def end(self, conference_sid: str) -> None:
        assert conference_sid == CONFERENCE
        self.legs = [threading.Thread(target=self.dial_action, args=(sid,)) for sid in LEGS]
        for leg in self.legs:
            leg.start()
        for leg in self.legs:
            leg.join(timeout=1.0)  # they may finish first, or wait for the end's commit

    def dial_action(self, call_sid: str) -> None:
        with Session(self.engine) as session:
            self.answers[call_sid] = admission.dial_ended(
                session, call_sid=call_sid, call_status="in-progress", now=self.now
            )
            session.commit()

    def finish(self) -> dict[str, Reply]:
        for leg in self.legs:
            leg.join(timeout=30)
        return self.answers

    def announce(self, conference_sid: str, url: str) -> None:  # not used by an end
        raise AssertionError(url)


def assert_nobody_dialled_back_in(answers: dict[str, Reply]) -> None:
    assert set(answers) == set(LEGS)
    for sid, reply in answers.items():
        assert isinstance(reply, Farewell), sid  # goodbye and hang up, not a Dial


def test_end_now_while_the_dial_actions_arrive_dials_nobody_back_in(
    running_meeting: Running,
) -> None:
    now = START + timedelta(minutes=30)
    twilio = TwilioEndingNow(running_meeting.engine, now)
    with Session(running_meeting.engine) as session:
        meeting = session.get_one(Meeting, running_meeting.meeting_id)
        actor = session.get_one(Staff, running_meeting.staff_id)
        controls.end_now(session, actor=actor, meeting=meeting, control=twilio, now=now)  # type: ignore[arg-type]
        session.commit()
    assert_nobody_dialled_back_in(twilio.finish())


def test_the_end_after_the_moderators_grace_while_the_dial_actions_arrive_dials_nobody_back_in(
    running_meeting: Running,
) -> None:
    # The moderator left at 19:20 and did not come back within the grace: the lifecycle ends
    # the room mid-meeting, when a leg's Dial action would otherwise be let back in.
    now = START + timedelta(minutes=30)
    with Session(running_meeting.engine) as session:
        room = session.scalars(
            select(Room).where(Room.meeting_id == running_meeting.meeting_id)
        ).one()
        room.moderator_absent_since = START + timedelta(minutes=20)
        session.commit()
    twilio = TwilioEndingNow(running_meeting.engine, now)
    with Session(running_meeting.engine) as session:
        assert tasks.run_due_steps(session, now, twilio) == 1  # type: ignore[arg-type]
        session.commit()
    assert_nobody_dialled_back_in(twilio.finish())
