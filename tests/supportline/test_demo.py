"""``supportline demo``: an idempotent demo organisation whose printed credentials really work."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from auth import service as auth_service
from auth.models import LoginFailure, Staff
from core import security
from core.audit import AuditEntry
from core.database import Base, get_sessionmaker
from groups import members
from groups.models import Group, Meeting, MeetingStatus, Referral, ReferralStatus
from notifications.models import Kind, OutboxMessage, Status
from supportline import demo, demo_output
from supportline.cli import app
from tests.fixtures.settings import change_settings

MONDAY_NOON = datetime(2026, 3, 2, 12, tzinfo=UTC)
runner = CliRunner()


def seed(now: datetime, meeting_now: bool = False) -> dict[str, Any]:
    with get_sessionmaker().begin() as session:
        return demo_output.as_json(demo.seed(session, now=now, meeting_now=meeting_now))


def row_counts() -> dict[str, int]:
    with get_sessionmaker().begin() as session:
        return {
            table.name: session.scalar(select(func.count()).select_from(table)) or 0
            for table in Base.metadata.sorted_tables
        }


def test_the_json_has_exactly_the_documented_shape(own_database: Path) -> None:
    payload = seed(MONDAY_NOON)
    assert set(payload) == {"staff", "lines", "groups", "helpline"}
    assert [(s["role"], set(s)) for s in payload["staff"]] == [
        ("admin", {"username", "password", "role"}),
        ("moderator", {"username", "password", "role"}),
        ("helper", {"username", "password", "role"}),
    ]
    assert len(payload["lines"]) == 2 and all(n.startswith("+1") for n in payload["lines"])
    assert [g["language"] for g in payload["groups"]] == ["en", "pl", "he"]
    for group in payload["groups"]:
        assert set(group) == {"id", "name", "language", "line", "moderators", "members"}
        assert group["line"] in payload["lines"]
        assert [set(m) for m in group["moderators"]] == [{"participant_number", "pin"}]
        assert len(group["members"]) >= 3
        for member in group["members"]:
            assert set(member) == {
                "alias",
                "participant_number",
                "pin",
                "phone",
                "email",
                "language",
            }
            assert phonenumbers.is_valid_number(phonenumbers.parse(member["phone"]))
            assert member["email"].endswith("@example.org")
            assert member["language"] == group["language"]
            assert member["participant_number"].isdigit() and member["pin"].isdigit()
    numbers = [m["participant_number"] for g in payload["groups"] for m in g["members"]]
    assert len(set(numbers)) == len(numbers)


def test_a_second_run_creates_nothing_and_prints_the_same(own_database: Path) -> None:
    first = seed(MONDAY_NOON, meeting_now=True)
    counts = row_counts()
    assert counts["memberships"] == 12
    assert counts["staff"] == 3 + 3 + 11  # and the helpline's coordinators and volunteers
    second = seed(MONDAY_NOON + timedelta(minutes=2), meeting_now=True)
    assert second == first
    assert row_counts() == counts


def test_the_printed_credentials_work(own_database: Path) -> None:
    payload = seed(MONDAY_NOON)
    with get_sessionmaker().begin() as session:
        for account in payload["staff"]:
            signed_in = auth_service.authenticate(
                session, username=account["username"], password=account["password"], now=MONDAY_NOON
            )
            assert session.get_one(Staff, signed_in.id).role.value == account["role"]
        for group in payload["groups"]:
            for person in group["moderators"] + group["members"]:
                membership = members.find_by_participant_number(
                    session, person["participant_number"]
                )
                assert membership is not None and membership.group_id == group["id"]
                assert membership.pin_hash is not None
                assert security.verify_secret(person["pin"], membership.pin_hash)
            for member in group["members"]:
                found = members.find_by_participant_number(session, member["participant_number"])
                assert found is not None
                assert (found.alias, found.phone, found.email) == (
                    member["alias"],
                    member["phone"],
                    member["email"],
                )
                # through the real referral -> approval path
                referral = session.get_one(Referral, found.referral_id)
                assert referral.status is ReferralStatus.approved
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 0


def meetings_of(session: Session, name: str) -> list[Meeting]:
    group = session.scalars(select(Group).where(Group.name == name)).one()
    return list(
        session.scalars(
            select(Meeting)
            .where(Meeting.group_id == group.id, Meeting.status == MeetingStatus.scheduled)
            .order_by(Meeting.starts_at)
        )
    )


def check_meeting_now(payload: dict[str, Any], now: datetime) -> None:
    with get_sessionmaker().begin() as session:
        first = meetings_of(session, payload["groups"][0]["name"])
        assert any(m.starts_at <= now < m.ends_at for m in first), "no meeting in progress"
        later = []
        for group in payload["groups"][1:]:
            upcoming = next(m for m in meetings_of(session, group["name"]) if m.starts_at > now)
            zone = ZoneInfo(upcoming.group.time_zone)
            if (
                upcoming.starts_at >= now + timedelta(hours=1)
                and upcoming.starts_at.astimezone(zone).date() == now.astimezone(zone).date()
            ):
                later.append(upcoming)
        assert later, "no other group meets later today"


def test_meeting_now_starts_a_meeting_and_plans_one_later_today(own_database: Path) -> None:
    payload = seed(MONDAY_NOON, meeting_now=True)
    check_meeting_now(payload, MONDAY_NOON)
    with get_sessionmaker().begin() as session:
        added = session.scalars(select(AuditEntry).where(AuditEntry.action == "meeting.add"))
        assert len(list(added)) == 2


def test_meeting_now_reuses_a_regular_meeting_that_is_running(own_database: Path) -> None:
    seed(MONDAY_NOON)
    running = datetime(2026, 3, 3, 1, 10, tzinfo=UTC)  # Monday 20:10 in New York
    payload = seed(running, meeting_now=True)
    check_meeting_now(payload, running)
    with get_sessionmaker().begin() as session:
        (current,) = [
            m
            for m in meetings_of(session, payload["groups"][0]["name"])
            if m.starts_at <= running < m.ends_at
        ]
        assert current.starts_at == datetime(2026, 3, 3, 1, tzinfo=UTC)  # the regular one


def test_meeting_now_ends_before_a_regular_meeting_that_starts_soon(own_database: Path) -> None:
    soon = datetime(2026, 3, 3, 0, 30, tzinfo=UTC)  # Monday 19:30 in New York
    payload = seed(soon, meeting_now=True)
    check_meeting_now(payload, soon)
    with get_sessionmaker().begin() as session:
        first = meetings_of(session, payload["groups"][0]["name"])
        one_off, regular = first[0], first[1]
        assert one_off.starts_at == soon - timedelta(minutes=5)
        assert one_off.ends_at == regular.starts_at == datetime(2026, 3, 3, 1, tzinfo=UTC)


def without_duty(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload less who is on duty now, which ``--meeting-now`` changes."""
    for point in payload["helpline"]["contact_points"]:
        del point["on_duty_now"]
    return payload


def test_cli_demo_json_is_stable_and_its_admin_logs_in(own_database: Path) -> None:
    first = runner.invoke(app, ["demo", "--json"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["demo", "--json", "--meeting-now"])
    assert second.exit_code == 0, second.output
    assert without_duty(json.loads(first.stdout)) == without_duty(json.loads(second.stdout))
    admin = json.loads(first.stdout)["staff"][0]
    text = runner.invoke(app, ["demo"])
    assert text.exit_code == 0
    assert admin["password"] in text.stdout and "Demo staff" in text.stdout
    with get_sessionmaker().begin() as session:
        signed_in = auth_service.authenticate(
            session, username=admin["username"], password=admin["password"], now=MONDAY_NOON
        )
        assert session.get_one(Staff, signed_in.id).username == admin["username"]


def test_the_demo_refuses_a_production_database(
    own_database: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    change_settings(
        environment="production",
        pii_keys=Fernet.generate_key().decode(),
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token="a-real-looking-token",
    )
    result = runner.invoke(app, ["demo", "--json"])
    assert result.exit_code == 1
    assert "not in production" in result.output
    assert row_counts()["staff"] == 0


def test_meeting_now_near_local_midnight_says_there_is_no_later_meeting(
    own_database: Path,
) -> None:
    late = datetime(2026, 3, 2, 21, 50, tzinfo=UTC)  # 22:50 in Warsaw, 23:50 in Jerusalem
    with get_sessionmaker().begin() as session:
        seeded = demo.seed(session, now=late, meeting_now=True)
        notes = demo_output.meeting_notes(seeded)
    assert seeded.meeting_now is not None and seeded.meeting_later is None
    assert notes[-1].startswith("Later today: none;")


def test_the_demo_says_how_to_dial_into_the_meeting_in_progress(own_database: Path) -> None:
    with get_sessionmaker().begin() as session:
        seeded = demo.seed(session, now=MONDAY_NOON, meeting_now=True)
        notes = demo_output.dial_in_notes(seeded, ".venv/bin/supportline")
        without = demo_output.dial_in_notes(demo.seed(session, now=MONDAY_NOON), "supportline")
    group = seeded.groups[0]
    moderator, alex = group.moderators[0], group.members[0]
    call = ".venv/bin/supportline call +12025550100 --from"
    assert f"{call} {demo.MODERATOR_PHONE}" in notes[1]
    assert f"number {moderator.participant_number}, PIN {moderator.pin}" in notes[1]
    assert f"{call} {alex.phone}   number {alex.participant_number}, PIN {alex.pin}" in notes[2]
    assert notes[-1].startswith("Live panel: https://line.example.org/console/")
    assert without == [
        "To call a meeting now: `supportline demo --meeting-now` puts one in progress and says "
        "how to dial in."
    ]


def test_the_pin_sms_queued_for_a_demo_member_is_the_pin_the_demo_prints(
    own_database: Path,
) -> None:
    payload = seed(MONDAY_NOON)
    alex = payload["groups"][0]["members"][0]
    with get_sessionmaker().begin() as session:
        membership = members.find_by_participant_number(session, alex["participant_number"])
        assert membership is not None
        queued = session.scalars(
            select(OutboxMessage.secret).where(
                OutboxMessage.membership_id == membership.id,
                OutboxMessage.kind == Kind.pin,
                OutboxMessage.status.in_([Status.pending, Status.no_provider]),
            )
        ).all()
    assert queued == [alex["pin"]]  # the random PIN of the approval no longer goes out


def test_a_pin_its_owner_changed_is_printed_as_changed_not_as_working(
    own_database: Path,
) -> None:
    alex = seed(MONDAY_NOON)["groups"][0]["members"][0]
    with get_sessionmaker().begin() as session:
        membership = members.find_by_participant_number(session, alex["participant_number"])
        assert membership is not None
        membership.pin_is_temporary = False  # Alex's first call chose a PIN of Alex's own
    again = seed(MONDAY_NOON)["groups"][0]["members"][0]
    assert again["pin"] is None
    result = CliRunner().invoke(app, ["demo"])
    assert f"number {alex['participant_number']}  PIN changed by its owner" in result.stdout
    assert alex["pin"] not in result.stdout


def test_the_demo_names_the_consoles_address_beside_the_logins(own_database: Path) -> None:
    result = CliRunner().invoke(app, ["demo"])
    first, logins = result.stdout.splitlines()[:2]
    console = "https://line.example.org/console/"
    assert first == f"Demo staff: sign in to the web console at {console} (or the API) as"
    assert "demo-admin" in logins
