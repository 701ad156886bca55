"""Voicemails under the retention job: destroyed the contact point's retention days after they
arrived, at the same local time across a DST change (Warsaw in spring, London in autumn), handled
or not; one whose copy is still at Twilio waits until the job has deleted it there."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role
from helpline import voicemail
from helpline.models import FetchState, Voicemail
from supportline import retention
from tests.factories import create_staff
from tests.helpline.world import contact_point


@pytest.fixture
def sessions(db: Session) -> sessionmaker[Session]:
    return sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def left(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(Voicemail.recording_sid).order_by(Voicemail.id)))


@pytest.mark.parametrize(
    ("zone", "received", "goes"),
    [
        # 10:00 in Warsaw on 10 March (CET); 30 days on is 9 April 10:00 CEST = 08:00 UTC.
        (
            "Europe/Warsaw",
            datetime(2026, 3, 10, 9, 0, tzinfo=UTC),
            datetime(2026, 4, 9, 8, 0, tzinfo=UTC),
        ),
        # 10:00 in London on 10 October (BST); 30 days on is 9 November 10:00 GMT = 10:00 UTC.
        (
            "Europe/London",
            datetime(2026, 10, 10, 9, 0, tzinfo=UTC),
            datetime(2026, 11, 9, 10, 0, tzinfo=UTC),
        ),
    ],
)
def test_destroyed_after_the_retention_days_at_the_same_local_time_handled_or_not(
    db: Session,
    sessions: sessionmaker[Session],
    zone: str,
    received: datetime,
    goes: datetime,
) -> None:
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Punkt", zone=zone, volunteers=0)
    kept_at_twilio = "RE" + "1" * 32
    for sid, handled, at_twilio in (
        ("RE" + "0" * 32, received, False),
        ("RE" + "2" * 32, None, False),
        (kept_at_twilio, None, True),
    ):
        db.add(
            Voicemail(
                contact_point_id=point.point.id,
                recording_sid=sid,
                received_at=received,
                audio=b"audio" if not at_twilio else None,
                fetch_state=FetchState.pending if at_twilio else FetchState.fetched,
                deleted_at_twilio=None if at_twilio else received,
                handled_at=handled,
                deletes_at=voicemail.deletes_at(point.point, received),
            )
        )
    db.flush()

    retention.run(sessions, goes - timedelta(minutes=1))
    assert len(left(db)) == 3

    retention.run(sessions, goes)
    assert left(db) == [kept_at_twilio]  # until the fetch job has deleted Twilio's copy
