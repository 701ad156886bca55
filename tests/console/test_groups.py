from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Role
from core.audit import AuditEntry
from groups.models import Group, Meeting, MeetingStatus
from tests.clock import Clock
from tests.console.helpers import post_form, sign_in
from tests.factories import create_group, create_line, create_member, create_staff


def _next_meeting(db: Session, group_id: int) -> Meeting:
    meeting = db.scalar(
        select(Meeting).where(Meeting.group_id == group_id).order_by(Meeting.starts_at).limit(1)
    )
    assert meeting is not None
    return meeting


def test_my_groups_shows_next_meetings_and_counts_of_my_groups_only(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    mine = create_group(db, now=clock.now(), moderator=moderator, name="Monday circle")
    create_group(db, now=clock.now(), moderator=create_staff(db), name="Someone else's")
    create_member(db, mine, now=clock.now())
    sign_in(client, moderator)
    page = client.get("/console/").text
    assert "Monday circle" in page
    assert "Someone else&#39;s" not in page and "Someone else's" not in page
    assert "1 of 12" in page  # members of capacity
    assert "Mon 02 Mar 2026, 20:00" in page  # the next meeting, in the group's own time zone


def test_group_page_lists_members_by_alias_without_contact_data(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    member = create_member(db, group, now=clock.now(), alias="Robin", email="robin@example.org")
    sign_in(client, moderator)
    page = client.get(f"/console/groups/{group.id}").text
    assert "Robin" in page
    assert "robin@example.org" not in page
    assert member.membership.phone is not None and member.membership.phone not in page
    assert member.participant_number not in page


def test_another_groups_pages_look_missing_and_helpers_are_refused(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    create_group(db, now=clock.now(), moderator=moderator)
    other = create_group(db, now=clock.now(), moderator=create_staff(db))
    member = create_member(db, other, now=clock.now())
    meeting = _next_meeting(db, other.id)
    sign_in(client, moderator)
    for path in (
        f"/console/groups/{other.id}",
        f"/console/meetings/{meeting.id}",
        f"/console/memberships/{member.membership.id}",
        f"/console/memberships/{member.membership.id}/eject",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Not found" in response.text
    refused = post_form(client, f"/console/meetings/{meeting.id}/cancel")
    assert refused.status_code == 404
    assert db.get(Meeting, meeting.id).status is MeetingStatus.scheduled  # type: ignore[union-attr]

    client.cookies.clear()
    sign_in(client, create_staff(db, Role.helper))
    assert client.get(f"/console/groups/{other.id}").status_code == 403


def test_cancelling_a_meeting_asks_first_and_then_shows_the_notice(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    meeting = _next_meeting(db, group.id)
    sign_in(client, moderator)
    confirm = client.get(f"/console/meetings/{meeting.id}/cancel")
    assert "cancellation notice" in confirm.text
    response = post_form(
        client, f"/console/meetings/{meeting.id}/cancel", page=f"/console/meetings/{meeting.id}"
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/groups/{group.id}"
    assert meeting.status is MeetingStatus.cancelled
    page = client.get(f"/console/groups/{group.id}").text
    assert "is cancelled. Members get a cancellation notice" in page  # the confirmation
    assert "Cancelled" in page
    assert "Members get a cancellation notice instead of the reminder." in page
    actions = db.scalars(select(AuditEntry.action).where(AuditEntry.target_id == meeting.id))
    assert "meeting.cancel" in list(actions)


def test_moving_a_meeting_takes_local_time_and_bad_input_is_named(
    client: TestClient, db: Session, clock: Clock
) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    meeting = _next_meeting(db, group.id)
    sign_in(client, moderator)
    path = f"/console/meetings/{meeting.id}/move"
    bad = post_form(client, path, {"starts_at": "tomorrow"})
    assert bad.status_code == 422
    assert 'id="starts_at-error"' in bad.text and "enter a date and a time" in bad.text
    past = post_form(client, path, {"starts_at": "2026-03-01T20:00"})
    assert past.status_code == 422
    assert "in the past" in past.text
    for typed, message in [
        ("2026-03-05T20:99", "between 00:00 and 23:59"),  # not quietly 21:39
        ("2026-03-05T20:-1", "enter a date and a time"),
        ("2026-03-05T20:00+05:00", "enter a date and a time"),  # an offset is not ignored
        ("2026-02-30T20:00", "a date that exists"),
        ("0001-01-01T00:00", "a date that exists"),
    ]:
        refused = post_form(client, path, {"starts_at": typed})
        assert refused.status_code == 422, typed
        assert message in refused.text, typed
    moved = post_form(client, path, {"starts_at": "2026-03-03 19:30"})  # as the hint shows it
    assert moved.status_code == 303
    assert meeting.starts_at.isoformat() == "2026-03-03T18:30:00+00:00"  # 19:30 in Warsaw
    page = client.get(f"/console/groups/{group.id}").text
    assert "Moved" in page and "members get a notice of the new time" in page


def test_setting_and_clearing_a_topic(client: TestClient, db: Session, clock: Clock) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    meeting = _next_meeting(db, group.id)
    sign_in(client, moderator)
    path = f"/console/meetings/{meeting.id}/topic"
    assert post_form(client, path, {"topic": "Relapse and shame"}).status_code == 303
    assert "Topic: Relapse and shame" in client.get(f"/console/groups/{group.id}").text
    too_long = post_form(client, path, {"topic": "x" * 201})
    assert too_long.status_code == 422 and 'id="topic-error"' in too_long.text
    invisible = post_form(client, path, {"topic": "\u200b"})
    assert invisible.status_code == 422 and 'id="topic-error"' in invisible.text
    assert "invisible character (U+200B)" in invisible.text
    assert post_form(client, path, {"topic": ""}).status_code == 303
    assert meeting.topic is None


def test_only_admins_edit_the_schedule(client: TestClient, db: Session, clock: Clock) -> None:
    moderator = create_staff(db)
    group = create_group(db, now=clock.now(), moderator=moderator)
    sign_in(client, moderator)
    assert client.get(f"/console/groups/{group.id}/schedule").status_code == 403
    assert "Edit the schedule" not in client.get(f"/console/groups/{group.id}").text

    client.cookies.clear()
    sign_in(client, create_staff(db, Role.admin))
    path = f"/console/groups/{group.id}/schedule"
    form = client.get(path)
    assert form.status_code == 200 and 'value="20:00"' in form.text
    fields = {
        "slot_day_1": "tue",
        "slot_time_1": "18:00",
        "time_zone": "Mars/Olympus",
        "duration_minutes": "60",
        "capacity": "12",
        "reminder_minutes_before": "180",
    }
    bad = post_form(client, path, fields)
    assert bad.status_code == 422
    assert 'id="time_zone-error"' in bad.text and "unknown time zone" in bad.text
    good = post_form(client, path, {**fields, "time_zone": "Europe/Warsaw"})
    assert good.status_code == 303
    assert [(s.weekday, s.start_minute) for s in group.slots] == [(1, 18 * 60)]
    page = client.get(f"/console/groups/{group.id}").text
    assert "Every Tuesday at 18:00" in page
    assert "Tue 03 Mar 2026, 18:00" in page


def test_admin_assigns_a_moderator_and_sees_their_dial_in_credentials_once(
    client: TestClient, db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    newcomer = create_staff(db, Role.moderator)
    group = create_group(db, now=clock.now())
    sign_in(client, admin)
    response = post_form(
        client, f"/console/groups/{group.id}/moderators", {"staff_id": str(newcomer.id)}
    )
    assert response.status_code == 200
    assert "Moderator credentials" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert newcomer.username in client.get(f"/console/groups/{group.id}").text


# The new-group form's fields, but for the name, the slots and the lines.
NEW_GROUP = {
    "topic": "gambling",
    "language": "pl",
    "time_zone": "Europe/Warsaw",
    "duration_minutes": "60",
    "capacity": "10",
    "reminder_minutes_before": "180",
}


def test_admin_creates_a_group_and_its_meetings_are_planned(
    client: TestClient, db: Session, clock: Clock
) -> None:
    admin = create_staff(db, Role.admin)
    line = create_line(db)
    sign_in(client, admin)
    form = client.get("/console/groups/new")
    assert form.status_code == 200 and line.number in form.text
    fields = {"name": "Wednesday group", **NEW_GROUP, f"line_{line.id}": "yes"}
    missing = post_form(client, "/console/groups", fields)
    assert missing.status_code == 422 and "add at least one" in missing.text
    overlap = {**fields, "slot_day_1": "wed", "slot_time_1": "19:00"}
    overlap |= {"slot_day_2": "wed", "slot_time_2": "19:30"}
    refused = post_form(client, "/console/groups", overlap)
    assert refused.status_code == 422 and "overlap" in refused.text
    created = post_form(
        client, "/console/groups", {**fields, "slot_day_1": "wed"} | {"slot_time_1": "19:00"}
    )
    assert created.status_code == 303
    page = client.get(created.headers["location"]).text
    assert "Wednesday group" in page
    assert "Every Wednesday at 19:00" in page
    assert "Wed 04 Mar 2026, 19:00" in page
    assert line.number in page


def test_unknown_console_pages_are_a_friendly_404(client: TestClient, db: Session) -> None:
    sign_in(client, create_staff(db))
    response = client.get("/console/no-such-page")
    assert response.status_code == 404
    assert "There is no such page." in response.text
    assert client.get("/console/groups/new").status_code == 403  # admins only


def test_line_boxes_the_form_never_rendered_are_ignored_or_refused(
    client: TestClient, db: Session
) -> None:
    sign_in(client, create_staff(db, Role.admin))
    line = create_line(db)
    fields = {**NEW_GROUP, "slot_day_1": "wed", "slot_time_1": "19:00", f"line_{line.id}": "yes"}
    for n, (odd, status) in enumerate(
        [("line_²", 303), ("line_" + "7" * 5000, 303), (f"line_{2**32}", 422)]
    ):
        response = post_form(client, "/console/groups", {**fields, "name": f"G{n}", odd: "yes"})
        assert response.status_code == status, odd
    unticked = create_line(db)
    response = post_form(
        client, "/console/groups", {**fields, "name": "G9", f"line_{unticked.id}": "no"}
    )
    assert response.status_code == 303
    created = db.scalars(select(Group).order_by(Group.id.desc())).first()
    assert created is not None and [used.id for used in created.lines] == [line.id]
