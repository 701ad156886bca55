"""Ejecting a member asks Twilio to remove their live call; the audit log's chain lock (taken
when an entry is written, held to the commit) must not be held while Twilio answers, or every
other staff action would wait behind the provider."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from auth.models import Role
from conference import controls
from conference.models import Call, CallStage, Room
from core import audit
from groups.models import Meeting
from tests.factories import create_group, create_member, create_staff

NOW = datetime(2026, 3, 2, 19, 10, tzinfo=UTC)


class SlowTwilio:
    """Removes a participant only once another staff action has written to the audit log."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.other_wrote = threading.Event()

    def remove(self, conference_sid: str, call_sid: str) -> None:
        def other_staff_action() -> None:
            with Session(self.engine) as session, session.begin():
                audit.record(
                    session, actor_id=None, action="test.other", target_type="test", target_id=None
                )
            self.other_wrote.set()

        thread = threading.Thread(target=other_staff_action)
        thread.start()
        thread.join(timeout=5)


@pytest.mark.postgres_only
def test_an_ejection_does_not_keep_the_audit_log_waiting_for_twilio(own_engine: Engine) -> None:
    with Session(own_engine) as session, session.begin():
        admin = create_staff(session, Role.admin)
        group = create_group(session, now=NOW.replace(hour=10))
        member = create_member(session, group, now=NOW.replace(hour=10)).membership
        meeting = session.query(Meeting).filter_by(group_id=group.id).first()
        assert meeting is not None
        session.add(Room(meeting_id=meeting.id, conference_sid="CF" + "3" * 32, started_at=NOW))
        session.add(
            Call(
                call_sid="CA" + "4" * 32,
                caller_index="eject",
                language="en",
                stage=CallStage.in_conference,
                membership_id=member.id,
                meeting_id=meeting.id,
                joined_at=NOW,
            )
        )
        admin_id, member_id = admin.id, member.id
    twilio = SlowTwilio(own_engine)

    with Session(own_engine) as session, session.begin():
        membership = session.get_one(type(member), member_id)
        actor = session.get_one(type(admin), admin_id)
        controls.eject_membership(
            session,
            actor=actor,
            membership=membership,
            control=twilio,  # type: ignore[arg-type]
            now=NOW,
        )

    assert twilio.other_wrote.is_set(), "the audit log waited for Twilio's answer"
