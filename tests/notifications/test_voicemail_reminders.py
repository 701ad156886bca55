"""The daily voicemail reminder: at the contact point's local review time, right across the DST
changes in Warsaw and London, its coordinators and named reviewers are told how many new
voicemails wait, with the inbox's link — nothing else, nothing when nothing is new, once a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from auth.models import Role
from helpline import inbox, voicemail_reminders
from helpline.models import FetchState, Voicemail
from notifications.models import Kind
from tests.clock import Clock
from tests.factories import create_staff
from tests.helpline.world import Point, contact_point
from tests.notifications.conftest import Dispatch, rows
from tests.notifications.fakes import FakeSms

LONDON_AUTUMN = datetime(2026, 10, 25, 0, 0, tzinfo=UTC)  # the clocks went back at 01:00 UTC
WARSAW_SPRING = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # forward at 01:00 UTC


def point_with_messages(
    db: Session, clock: Clock, *, name: str, zone: str, language: str, count: int
) -> Point:
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name=name, zone=zone, language=language, volunteers=2)
    point.coordinator.phone = f"+4470000{point.coordinator.id:04d}"
    reviewer = point.staff[0]
    reviewer.phone = f"+4470001{reviewer.id:04d}"
    inbox.name_reviewer(db, point.point, point.volunteers[0].id, actor=admin)
    for index in range(count):
        db.add(
            Voicemail(
                contact_point_id=point.point.id,
                recording_sid=f"RE{point.point.id:04d}{index:028d}",
                duration_seconds=20,
                received_at=clock.now() - timedelta(hours=index + 1),
                fetch_state=FetchState.fetched,
                deletes_at=clock.now() + timedelta(days=30),
            )
        )
    db.flush()
    return point


@pytest.mark.parametrize(
    ("zone", "day", "before", "at"),
    [
        # London, Sunday 25 October: 09:00 is 09:00 GMT (it was 08:00 UTC the day before).
        ("Europe/London", LONDON_AUTUMN, (8, 59), (9, 0)),
        # Warsaw, Sunday 29 March: 09:00 is 07:00 UTC in summer time (08:00 UTC the day before).
        ("Europe/Warsaw", WARSAW_SPRING, (6, 59), (7, 0)),
    ],
)
def test_at_the_local_review_time_on_the_day_the_clocks_change(
    db: Session,
    clock: Clock,
    run_dispatch: Dispatch,
    *,
    fake_sms: FakeSms,
    zone: str,
    day: datetime,
    before: tuple[int, int],
    at: tuple[int, int],
) -> None:
    clock.set(day)
    point = point_with_messages(db, clock, name="Londyn", zone=zone, language="en", count=3)
    too_early = day.replace(hour=before[0], minute=before[1])
    on_time = day.replace(hour=at[0], minute=at[1])

    assert voicemail_reminders.queue_due(db, now=too_early) == 0
    assert voicemail_reminders.queue_due(db, now=on_time) == 2  # the coordinator, the reviewer
    assert voicemail_reminders.queue_due(db, now=on_time + timedelta(minutes=5)) == 0
    clock.set(on_time)
    run_dispatch()

    link = f"https://line.example.org/console/helpline/{point.point.id}/voicemail"
    assert sorted(sms.body for sms in fake_sms.sent) == [f"3 new voicemails at Londyn: {link}"] * 2
    assert {sms.to for sms in fake_sms.sent} == {point.coordinator.phone, point.staff[0].phone}
    assert point.staff[1].phone not in {sms.to for sms in fake_sms.sent}  # not a reviewer


def test_nothing_new_nothing_sent_and_only_new_ones_the_next_day(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    clock.set(datetime(2026, 3, 10, 6, 0, tzinfo=UTC))
    point = point_with_messages(
        db, clock, name="Kraków", zone="Europe/Warsaw", language="pl", count=1
    )
    first = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)  # 09:00 in Warsaw
    assert voicemail_reminders.queue_due(db, now=first) == 2

    next_day = first + timedelta(days=1)
    assert voicemail_reminders.queue_due(db, now=next_day) == 0  # nothing new since

    db.add(
        Voicemail(
            contact_point_id=point.point.id,
            recording_sid="RE" + "9" * 32,
            duration_seconds=5,
            received_at=next_day - timedelta(hours=2),
            fetch_state=FetchState.fetched,
            deletes_at=next_day + timedelta(days=30),
        )
    )
    db.flush()
    assert voicemail_reminders.queue_due(db, now=next_day) == 2
    clock.set(next_day)
    run_dispatch()
    bodies = {sms.body for sms in fake_sms.sent}
    link = f"https://line.example.org/console/helpline/{point.point.id}/voicemail"
    assert bodies == {
        f"Nowe wiadomości głosowe (Kraków): 1. {link}",
    }
    assert len(rows(db, Kind.duty_notice)) == 4


def test_a_handled_voicemail_is_not_new(db: Session, clock: Clock) -> None:
    clock.set(datetime(2026, 3, 10, 6, 0, tzinfo=UTC))
    point = point_with_messages(
        db, clock, name="Gdańsk", zone="Europe/Warsaw", language="pl", count=1
    )
    for message in db.query(Voicemail).filter_by(contact_point_id=point.point.id):
        message.handled_at = clock.now()
    db.flush()

    assert voicemail_reminders.queue_due(db, now=datetime(2026, 3, 10, 8, 0, tzinfo=UTC)) == 0
