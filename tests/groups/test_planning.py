"""Meeting planning through the service: DST weekends, schedule changes, one-off meetings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from groups import meetings, service
from groups.exceptions import InvalidMeetingTime, MeetingNotChangeable
from groups.models import Group, Meeting, MeetingStatus
from groups.schemas import GroupUpdate, SlotSchema
from tests.clock import Clock
from tests.factories import create_group, create_staff


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def of_group(db: Session, group: Group) -> list[Meeting]:
    return list(
        db.scalars(select(Meeting).where(Meeting.group_id == group.id).order_by(Meeting.starts_at))
    )


def on(db: Session, group: Group, day: date) -> Meeting:
    (meeting,) = meetings.meetings_on(db, group_id=group.id, day=day)
    return meeting


@pytest.mark.parametrize(
    "case",
    [
        # Warsaw, Sunday 29 March: 02:30 falls in the skipped hour -> 03:30 CEST.
        (
            "Europe/Warsaw",
            utc(2026, 3, 27, 12),
            ("sun", "02:30"),
            date(2026, 3, 29),
            utc(2026, 3, 29, 1, 30),
        ),
        # Warsaw, Sunday 25 October: 02:30 happens twice -> the first one (CEST).
        (
            "Europe/Warsaw",
            utc(2026, 10, 23, 12),
            ("sun", "02:30"),
            date(2026, 10, 25),
            utc(2026, 10, 25, 0, 30),
        ),
        # Jerusalem, Friday 27 March: 02:30 skipped -> 03:30 IDT.
        (
            "Asia/Jerusalem",
            utc(2026, 3, 25, 12),
            ("fri", "02:30"),
            date(2026, 3, 27),
            utc(2026, 3, 27, 0, 30),
        ),
        # Jerusalem, Sunday 25 October: 01:30 twice -> the first (IDT: the evening before in UTC).
        (
            "Asia/Jerusalem",
            utc(2026, 10, 23, 12),
            ("sun", "01:30"),
            date(2026, 10, 25),
            utc(2026, 10, 24, 22, 30),
        ),
        # New York, Sunday 8 March: 02:30 skipped -> 03:30 EDT.
        (
            "America/New_York",
            utc(2026, 3, 6, 12),
            ("sun", "02:30"),
            date(2026, 3, 8),
            utc(2026, 3, 8, 7, 30),
        ),
        # New York, Sunday 1 November: 01:30 twice -> the first (EDT).
        (
            "America/New_York",
            utc(2026, 10, 30, 12),
            ("sun", "01:30"),
            date(2026, 11, 1),
            utc(2026, 11, 1, 5, 30),
        ),
    ],
)
def test_planned_meetings_on_dst_weekends(
    db: Session, case: tuple[str, datetime, tuple[str, str], date, datetime]
) -> None:
    zone, now, slot, day, expected = case
    group = create_group(db, now=now, time_zone=zone, slots=[slot])
    meeting = on(db, group, day)
    assert meeting.starts_at == expected
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=60)


def test_evening_meetings_keep_local_time_through_both_changes_in_new_york(db: Session) -> None:
    group = create_group(
        db, now=utc(2026, 2, 27, 12), time_zone="America/New_York", slots=[("sun", "20:00")]
    )
    starts = {m.local_date: m.starts_at for m in of_group(db, group)}
    assert starts[date(2026, 3, 1)] == utc(2026, 3, 2, 1)  # EST, UTC-5
    assert starts[date(2026, 3, 8)] == utc(2026, 3, 9, 0)  # EDT from that morning
    assert len(starts) == 8  # Sundays from 1 March to eight weeks after 27 February
    autumn = create_group(
        db, now=utc(2026, 10, 26, 12), time_zone="America/New_York", slots=[("sun", "20:00")]
    )
    later = {m.local_date: m.starts_at for m in of_group(db, autumn)}
    assert later[date(2026, 11, 1)] == utc(2026, 11, 2, 1)  # EST again


def test_planning_is_idempotent(db: Session, clock: Clock) -> None:
    group = create_group(db, now=clock.now())
    before = [m.id for m in of_group(db, group)]
    assert meetings.plan_meetings(db, group=group, now=clock.now()) == []
    assert meetings.plan_all(db, now=clock.now()) == 0
    assert [m.id for m in of_group(db, group)] == before


def test_schedule_change_replans_future_meetings_only(db: Session, clock: Clock) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())  # Mon and Thu 20:00 Warsaw, from Mon 2 March
    past = on(db, group, date(2026, 3, 2))
    running = on(db, group, date(2026, 3, 5))
    with_topic = on(db, group, date(2026, 3, 9))
    dropped = on(db, group, date(2026, 3, 12))
    cancelled = on(db, group, date(2026, 3, 16))
    meetings.set_topic(db, actor=admin, meeting=with_topic, topic="gratitude")
    meetings.cancel_meeting(db, actor=admin, meeting=cancelled, now=clock.now())
    # Thursday 5 March, 20:30 in Warsaw: that evening's meeting is running.
    now = utc(2026, 3, 5, 19, 30)
    service.update_group(
        db,
        actor=admin,
        group=group,
        data=GroupUpdate(
            slots=[
                SlotSchema(weekday="mon", start="20:00"),
                SlotSchema(weekday="wed", start="18:00"),
            ]
        ),
        now=now,
    )
    db.expire_all()
    remaining = {m.id: m for m in of_group(db, group)}
    assert past.id in remaining and running.id in remaining
    assert remaining[running.id].starts_at == utc(2026, 3, 5, 19)
    assert remaining[running.id].status is MeetingStatus.scheduled
    assert remaining[with_topic.id].topic == "gratitude"
    assert remaining[cancelled.id].status is MeetingStatus.cancelled
    assert dropped.id not in remaining
    future_days = sorted(m.local_date for m in remaining.values() if m.starts_at > now)
    assert future_days[:3] == [date(2026, 3, 9), date(2026, 3, 11), date(2026, 3, 16)]
    assert all(d.weekday() in (0, 2) for d in future_days)
    assert group.schedule_version == 2


def test_time_zone_change_moves_future_meetings_but_not_the_running_one(
    db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())
    running = on(db, group, date(2026, 3, 2))
    now = utc(2026, 3, 2, 19, 15)
    service.update_group(
        db, actor=admin, group=group, data=GroupUpdate(time_zone="Europe/London"), now=now
    )
    db.expire_all()
    assert on(db, group, date(2026, 3, 2)).id == running.id
    assert running.starts_at == utc(2026, 3, 2, 19)
    assert on(db, group, date(2026, 3, 5)).starts_at == utc(2026, 3, 5, 20)  # 20:00 GMT


def test_duration_change_updates_future_meetings(db: Session, clock: Clock) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())
    service.update_group(
        db, actor=admin, group=group, data=GroupUpdate(duration_minutes=90), now=clock.now()
    )
    meeting = on(db, group, date(2026, 3, 5))
    assert meeting.ends_at - meeting.starts_at == timedelta(minutes=90)


def test_one_off_meeting_is_added_and_refused_when_it_overlaps(db: Session, clock: Clock) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())
    extra = meetings.add_meeting(
        db, actor=admin, group=group, starts_at=utc(2026, 3, 3, 17), now=clock.now()
    )
    assert extra.local_date == date(2026, 3, 3) and extra.ends_at == utc(2026, 3, 3, 18)
    assert meetings.meetings_on(db, group_id=group.id, day=date(2026, 3, 3)) == [extra]
    with pytest.raises(InvalidMeetingTime, match="overlaps"):
        meetings.add_meeting(
            db, actor=admin, group=group, starts_at=utc(2026, 3, 2, 19, 30), now=clock.now()
        )
    with pytest.raises(InvalidMeetingTime, match="over"):
        meetings.add_meeting(
            db, actor=admin, group=group, starts_at=utc(2026, 3, 1, 10), now=clock.now()
        )


def test_a_running_one_off_meeting_can_start_in_the_past(db: Session, clock: Clock) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())
    started = clock.now() - timedelta(minutes=5)
    meeting = meetings.add_meeting(db, actor=admin, group=group, starts_at=started, now=clock.now())
    assert meeting.starts_at < clock.now() < meeting.ends_at
    with pytest.raises(MeetingNotChangeable, match="already started"):
        meetings.cancel_meeting(db, actor=admin, meeting=meeting, now=clock.now())


def test_a_schedule_change_keeps_the_meetings_set_by_hand(db: Session, clock: Clock) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())  # Mon and Thu 20:00 Warsaw
    extra = meetings.add_meeting(
        db, actor=admin, group=group, starts_at=utc(2026, 3, 7, 10), now=clock.now()
    )
    moved = meetings.move_meeting(
        db,
        actor=admin,
        meeting=on(db, group, date(2026, 3, 12)),
        starts_at=utc(2026, 3, 13, 17),
        now=clock.now(),
    )
    weekly_thursday = on(db, group, date(2026, 3, 19)).id
    service.update_group(
        db,
        actor=admin,
        group=group,
        data=GroupUpdate(slots=[SlotSchema(weekday="tue", start="19:00")]),
        now=clock.now(),
    )
    db.expire_all()
    kept = {m.id: m for m in of_group(db, group)}
    assert kept[extra.id].starts_at == utc(2026, 3, 7, 10)
    assert kept[moved.id].starts_at == utc(2026, 3, 13, 17)
    assert kept[extra.id].status is kept[moved.id].status is MeetingStatus.scheduled
    assert weekly_thursday not in kept
    weekly = [m for m in kept.values() if m.id not in (extra.id, moved.id)]
    assert {m.local_date.weekday() for m in weekly if m.starts_at > clock.now()} == {1}


def test_a_weekly_meeting_is_not_planned_over_an_extra_one(db: Session, clock: Clock) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())
    # Beyond the weeks planned so far: Monday 11 May, 19:30 to 20:30 in Warsaw.
    extra = meetings.add_meeting(
        db, actor=admin, group=group, starts_at=utc(2026, 5, 11, 17, 30), now=clock.now()
    )
    assert meetings.meetings_on(db, group_id=group.id, day=date(2026, 5, 11)) == [extra]
    later = utc(2026, 4, 20, 12)
    planned = meetings.plan_meetings(db, group=group, now=later)
    assert date(2026, 5, 14) in {m.local_date for m in planned}  # that Thursday is planned
    assert meetings.meetings_on(db, group_id=group.id, day=date(2026, 5, 11)) == [extra]


def slots(*pairs: tuple[str, str]) -> GroupUpdate:
    return GroupUpdate(slots=[SlotSchema(weekday=d, start=t) for d, t in pairs])


def test_a_schedule_change_leaves_a_meeting_whose_dial_in_has_opened(
    db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())  # no members: nobody was reminded
    opening = on(db, group, date(2026, 3, 5))  # Thursday 20:00 Warsaw = 19:00 UTC
    now = utc(2026, 3, 5, 18, 55)  # callers may be in the room already
    service.update_group(db, actor=admin, group=group, data=slots(("mon", "20:00")), now=now)
    db.expire_all()
    assert on(db, group, date(2026, 3, 5)).id == opening.id
    assert opening.status is MeetingStatus.scheduled
    assert date(2026, 3, 12) not in {m.local_date for m in of_group(db, group)}


def test_a_cancelled_evening_stays_cancelled_through_schedule_changes(
    db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())  # Mon and Thu 20:00
    cancelled = on(db, group, date(2026, 3, 12))
    meetings.cancel_meeting(db, actor=admin, meeting=cancelled, now=clock.now())

    def evening() -> list[tuple[datetime, MeetingStatus]]:
        db.expire_all()
        found = meetings.meetings_on(db, group_id=group.id, day=date(2026, 3, 12))
        return sorted((m.starts_at, m.status) for m in found)

    # Thursdays dropped, then back at 20:00: the cancelled evening is kept, not planned anew.
    for change in (slots(("mon", "20:00")), slots(("mon", "20:00"), ("thu", "20:00"))):
        service.update_group(db, actor=admin, group=group, data=change, now=clock.now())
    assert evening() == [(utc(2026, 3, 12, 19), MeetingStatus.cancelled)]
    # Thursdays moved to 20:30: that evening's new meeting is planned cancelled too.
    change = slots(("mon", "20:00"), ("thu", "20:30"))
    service.update_group(db, actor=admin, group=group, data=change, now=clock.now())
    assert {status for _, status in evening()} == {MeetingStatus.cancelled}
    assert on(db, group, date(2026, 3, 19)).starts_at == utc(2026, 3, 19, 19, 30)


def test_a_weekly_meeting_is_not_moved_over_an_extra_one_that_is_running(
    db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())  # Monday 2 March 20:00 Warsaw = 19:00 UTC
    started = utc(2026, 3, 2, 14)
    extra = meetings.add_meeting(
        db, actor=admin, group=group, starts_at=started, now=started, duration_minutes=240
    )
    now = utc(2026, 3, 2, 14, 30)
    moscow = GroupUpdate(time_zone="Europe/Moscow")  # 20:00 there is 17:00 UTC: inside the extra
    service.update_group(db, actor=admin, group=group, data=moscow, now=now)
    db.expire_all()
    that_day = meetings.meetings_on(db, group_id=group.id, day=date(2026, 3, 2))
    assert [m.id for m in that_day if m.status is MeetingStatus.scheduled] == [extra.id]
    assert on(db, group, date(2026, 3, 5)).starts_at == utc(2026, 3, 5, 17)


def test_a_cancelled_extra_meeting_does_not_stop_the_weekly_one(db: Session, clock: Clock) -> None:
    admin = create_staff(db, Role.admin)
    group = create_group(db, now=clock.now())
    extra = meetings.add_meeting(
        db, actor=admin, group=group, starts_at=utc(2026, 5, 11, 17, 30), now=clock.now()
    )
    meetings.cancel_meeting(db, actor=admin, meeting=extra, now=clock.now())
    meetings.plan_meetings(db, group=group, now=utc(2026, 4, 20, 12))
    that_day = meetings.meetings_on(db, group_id=group.id, day=date(2026, 5, 11))
    weekly = [m for m in that_day if m.id != extra.id]
    assert [(m.starts_at, m.status) for m in weekly] == [
        (utc(2026, 5, 11, 18), MeetingStatus.scheduled)  # 20:00 in Warsaw, summer time
    ]
