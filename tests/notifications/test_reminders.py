"""Reminders and notices, with time passed in: DST, catch-up before the start, never after."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from groups import meetings as groups_meetings
from groups import members as members_service
from groups import service as groups_service
from groups.models import Group, Meeting, MeetingStatus
from groups.schemas import GroupUpdate, SlotSchema
from notifications import tasks
from notifications.models import Kind, OutboxMessage, Status
from notifications.tasks import enqueue_due_reminders
from tests.clock import Clock
from tests.factories import create_group, create_member, create_staff
from tests.notifications.conftest import Dispatch
from tests.notifications.fakes import FakeSms


def meeting_on(db: Session, group: Group, day: date) -> Meeting:
    return db.scalars(
        select(Meeting).where(Meeting.group_id == group.id, Meeting.local_date == day)
    ).one()


def reminders(db: Session) -> list[OutboxMessage]:
    return list(
        db.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == Kind.reminder)
            .order_by(OutboxMessage.id)
        )
    )


def reminder_bodies(fake_sms: FakeSms) -> list[str]:
    """SMS other than the temporary PINs (the texts a member sees about meetings)."""
    return [sms.body for sms in fake_sms.sent if not re.search(r"\d{6}$", sms.body)]


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_reminder_instant_is_local_wall_clock_across_dst(db: Session, clock: Clock) -> None:
    group = create_group(db, now=clock.now(), slots=[("mon", "20:00"), ("sun", "04:00")])
    before = meeting_on(db, group, date(2026, 3, 23))  # 20:00 CET = 19:00 UTC
    after = meeting_on(db, group, date(2026, 3, 30))  # 20:00 CEST = 18:00 UTC
    change_day = meeting_on(db, group, date(2026, 3, 29))  # 04:00 CEST = 02:00 UTC

    assert tasks.reminder_at(before, group) == at(2026, 3, 23, 16)
    assert tasks.reminder_at(after, group) == at(2026, 3, 30, 15)
    # 04:00 on the night the clocks go forward, minus three hours on the wall clock: 01:00 CET.
    assert change_day.starts_at == at(2026, 3, 29, 2)
    assert tasks.reminder_at(change_day, group) == at(2026, 3, 29, 0)


def test_reminder_goes_out_at_its_time_once_discreetly(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now(), name="Secret Anonymous Group")
    create_member(db, group, now=clock.now())
    run_dispatch()  # the PIN
    clock.set(at(2026, 3, 30, 14, 59))
    assert enqueue_due_reminders(db, now=clock.now()) == 0

    clock.set(at(2026, 3, 30, 15, 0))
    assert enqueue_due_reminders(db, now=clock.now()) == 1
    assert enqueue_due_reminders(db, now=clock.now()) == 0  # already queued
    run_dispatch()
    clock.advance(minutes=30)
    enqueue_due_reminders(db, now=clock.now())
    run_dispatch()

    assert reminder_bodies(fake_sms) == [
        "Reminder: your call today at 20:00. Reply STOP to stop reminders."
    ]


def test_a_meetings_reminders_are_queued_once_per_member_however_often_the_job_runs(
    db: Session, clock: Clock
) -> None:
    group = create_group(db, now=clock.now())
    first = [create_member(db, group, now=clock.now()).membership for _ in range(3)]
    clock.set(at(2026, 3, 5, 16, 0))
    assert enqueue_due_reminders(db, now=clock.now()) == 3
    assert enqueue_due_reminders(db, now=clock.now()) == 0  # the same multi-row insert again

    late = create_member(db, group, now=clock.now()).membership  # joins after the first run
    clock.advance(minutes=1)
    assert enqueue_due_reminders(db, now=clock.now()) == 1  # only the new member's row is new

    queued = reminders(db)
    assert [row.membership_id for row in queued] == [m.id for m in [*first, late]]
    assert {row.status for row in queued} == {Status.pending}
    assert len({row.idempotency_key for row in queued}) == 4


def test_reminders_in_polish_and_hebrew(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now(), time_zone="Asia/Jerusalem")
    create_member(db, group, now=clock.now(), language="pl")
    create_member(db, group, now=clock.now(), language="he")
    clock.set(at(2026, 3, 2, 16, 0))  # Monday 18:00 in Jerusalem; the meeting is at 20:00
    enqueue_due_reminders(db, now=clock.now())
    run_dispatch()
    assert sorted(reminder_bodies(fake_sms)) == sorted(
        [
            "Przypomnienie: Twoja rozmowa dziś o 20:00. Odpisz STOP, aby wyłączyć przypomnienia.",
            "תזכורת: השיחה שלך היום בשעה 20:00. להפסקת התזכורות השב/י STOP.",
        ]
    )


def test_no_reminder_for_a_cancelled_meeting(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    meeting = meeting_on(db, group, date(2026, 3, 5))
    admin = create_staff(db, Role.admin)
    groups_meetings.cancel_meeting(db, actor=admin, meeting=meeting, now=clock.now())

    clock.set(at(2026, 3, 5, 17, 0))
    assert enqueue_due_reminders(db, now=clock.now()) == 0
    run_dispatch()
    assert reminder_bodies(fake_sms) == [
        "Your call on Thursday 5 March at 20:00 is cancelled. Reply STOP to stop reminders."
    ]


def test_catch_up_after_downtime_before_the_start(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    clock.set(at(2026, 3, 5, 18, 59))  # down from before 16:00 UTC; the meeting starts at 19:00
    assert enqueue_due_reminders(db, now=clock.now()) == 1
    run_dispatch()
    assert reminder_bodies(fake_sms) == [
        "Reminder: your call today at 20:00. Reply STOP to stop reminders."
    ]


def test_no_reminder_once_the_meeting_started(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    clock.set(at(2026, 3, 5, 19, 0))
    assert enqueue_due_reminders(db, now=clock.now()) == 0

    # Queued in time, but the dispatcher only came back after the start: it expires unsent.
    clock.set(at(2026, 3, 9, 18, 0))
    assert enqueue_due_reminders(db, now=clock.now()) == 1
    clock.set(at(2026, 3, 9, 19, 0))
    run_dispatch()
    assert reminder_bodies(fake_sms) == []
    assert [row.status for row in reminders(db)] == [Status.expired]


def test_suspended_members_get_no_reminder(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    credentials = create_member(db, group, now=clock.now())
    clock.set(at(2026, 3, 5, 16, 0))
    enqueue_due_reminders(db, now=clock.now())
    admin = create_staff(db, Role.admin)
    members_service.suspend(db, actor=admin, membership=credentials.membership, now=clock.now())
    run_dispatch()
    assert reminder_bodies(fake_sms) == []
    assert [row.status for row in reminders(db)] == [Status.skipped]


def test_cancel_after_the_reminder_sends_a_notice_to_those_reminded(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    create_member(db, group, now=clock.now())
    clock.set(at(2026, 3, 5, 16, 0))
    enqueue_due_reminders(db, now=clock.now())
    run_dispatch()
    admin = create_staff(db, Role.admin)
    meeting = meeting_on(db, group, date(2026, 3, 5))
    groups_meetings.cancel_meeting(db, actor=admin, meeting=meeting, now=clock.now())
    run_dispatch()

    notice = "Your call on Thursday 5 March at 20:00 is cancelled. Reply STOP to stop reminders."
    assert reminder_bodies(fake_sms).count(notice) == 2
    assert len(reminder_bodies(fake_sms)) == 4


def test_move_sends_a_notice_and_the_reminder_follows_the_new_time(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    clock.set(at(2026, 3, 5, 16, 0))
    enqueue_due_reminders(db, now=clock.now())  # queued for 20:00, not sent yet
    admin = create_staff(db, Role.admin)
    meeting = meeting_on(db, group, date(2026, 3, 5))
    groups_meetings.move_meeting(
        db, actor=admin, meeting=meeting, starts_at=at(2026, 3, 5, 20, 0), now=clock.now()
    )
    run_dispatch()
    clock.set(at(2026, 3, 5, 17, 0))  # 21:00 - 3 h = 18:00 local
    enqueue_due_reminders(db, now=clock.now())
    run_dispatch()

    assert reminder_bodies(fake_sms) == [
        "Your call on Thursday 5 March at 20:00 moves to Thursday 5 March at 21:00. "
        "Reply STOP to stop reminders.",
        "Reminder: your call today at 21:00. Reply STOP to stop reminders.",
    ]
    assert [row.status for row in reminders(db)] == [Status.cancelled, Status.sent]


def test_a_schedule_change_after_the_reminder_cancels_that_evening_with_a_notice(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())  # Mon and Thu 20:00 Warsaw
    create_member(db, group, now=clock.now())
    clock.set(at(2026, 3, 5, 16, 0))
    enqueue_due_reminders(db, now=clock.now())
    run_dispatch()
    evening = meeting_on(db, group, date(2026, 3, 5))
    next_week = meeting_on(db, group, date(2026, 3, 12)).id
    admin = create_staff(db, Role.admin)
    slots = [SlotSchema(weekday="mon", start="20:00"), SlotSchema(weekday="wed", start="20:00")]
    groups_service.update_group(
        db, actor=admin, group=group, data=GroupUpdate(slots=slots), now=clock.now()
    )
    run_dispatch()

    # Reminded of tonight, so told it is off; next Thursday was never announced by SMS.
    assert reminder_bodies(fake_sms) == [
        "Reminder: your call today at 20:00. Reply STOP to stop reminders.",
        "Your call on Thursday 5 March at 20:00 is cancelled. Reply STOP to stop reminders.",
    ]
    assert evening.status is MeetingStatus.cancelled
    assert db.get(Meeting, next_week) is None
    assert meeting_on(db, group, date(2026, 3, 11)).starts_at == at(2026, 3, 11, 19)


def test_a_time_zone_change_after_the_reminder_moves_that_evening_with_a_notice(
    db: Session, clock: Clock, run_dispatch: Dispatch, fake_sms: FakeSms
) -> None:
    group = create_group(db, now=clock.now())
    create_member(db, group, now=clock.now())
    clock.set(at(2026, 3, 5, 16, 0))
    enqueue_due_reminders(db, now=clock.now())
    run_dispatch()
    evening = meeting_on(db, group, date(2026, 3, 5))
    admin = create_staff(db, Role.admin)
    groups_meetings.set_topic(db, actor=admin, meeting=evening, topic="gratitude")
    groups_service.update_group(
        db,
        actor=admin,
        group=group,
        data=GroupUpdate(time_zone="Europe/London"),
        now=clock.now(),
    )
    run_dispatch()

    # Told on the group's new clock: 20:00 in Warsaw was 19:00 in London.
    assert reminder_bodies(fake_sms)[1:] == [
        "Your call on Thursday 5 March at 19:00 moves to Thursday 5 March at 20:00. "
        "Reply STOP to stop reminders.",
    ]
    assert meeting_on(db, group, date(2026, 3, 5)).id == evening.id
    assert (evening.starts_at, evening.topic) == (at(2026, 3, 5, 20), "gratitude")
