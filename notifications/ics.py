"""The invitation's calendar: one weekly recurring event per slot, in the group's time zone.

UIDs are stable per (group, slot position) so that an update (higher SEQUENCE, taken from
``Group.schedule_version``) replaces the events calendars already hold; positions the schedule no
longer uses are sent as cancelled. Cancelled occurrences are EXDATEs; a moved one is an override
with RECURRENCE-ID.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from groups import schedule
from groups.models import Group, Meeting, MeetingStatus

MAX_SLOTS = 7  # GroupCreate allows at most seven weekly slots
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def event_uid(group_id: int, position: int, host: str) -> str:
    return f"supportline-group-{group_id}-slot-{position}@{host}"


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)


def first_on_or_after(day: date, weekday: int) -> date:
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def invitation_calendar(
    *,
    group: Group,
    meetings: list[Meeting],
    title: str,
    description: str,
    host: str,
    now: datetime,
) -> bytes:
    zone = ZoneInfo(group.time_zone)
    today = now.astimezone(zone).date()
    calendar = Calendar()
    calendar.add("prodid", "-//supportline//group calls//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    slots = [schedule.Slot(s.weekday, s.start_minute) for s in group.slots]
    for position, slot in enumerate(slots):
        start = _local(first_on_or_after(today, slot.weekday), slot.start_minute, zone)
        event = _event(group, position, host, now, title=title, description=description)
        event.add("dtstart", start)
        event.add("dtend", start + timedelta(minutes=group.duration_minutes))
        event.add("rrule", {"freq": "weekly", "byday": RRULE_DAYS[slot.weekday]})
        for meeting in _exceptions(meetings, slot):
            original = _local(meeting.local_date, meeting.slot_start_minute, zone)
            if meeting.status is MeetingStatus.cancelled:
                event.add("exdate", original)
                continue
            moved = _event(group, position, host, now, title=title, description=description)
            moved.add("recurrence-id", original)
            moved.add("dtstart", meeting.starts_at.astimezone(zone))
            moved.add("dtend", meeting.ends_at.astimezone(zone))
            calendar.add_component(moved)
        calendar.add_component(event)
    if group.schedule_version > 1:
        for position in range(len(slots), MAX_SLOTS):
            gone = _event(group, position, host, now, title=title, description=description)
            gone.add("dtstart", _local(today, 0, zone))
            gone.add("status", "CANCELLED")
            calendar.add_component(gone)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def _event(
    group: Group, position: int, host: str, now: datetime, *, title: str, description: str
) -> Event:
    event = Event()
    event.add("uid", event_uid(group.id, position, host))
    event.add("sequence", group.schedule_version)
    event.add("dtstamp", now)
    event.add("summary", title)
    event.add("description", description)
    return event


def _exceptions(meetings: list[Meeting], slot: schedule.Slot) -> list[Meeting]:
    return [
        m
        for m in meetings
        if m.local_date.weekday() == slot.weekday
        and m.slot_start_minute == slot.start_minute
        and (m.status is MeetingStatus.cancelled or m.original_starts_at is not None)
    ]
