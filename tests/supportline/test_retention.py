"""Retention: each rule before and after its limit, twice, and with the clock set back; the
blind-index flags outlive the contact data; the audit log is cut at a checkpoint."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from auth.models import LoginFailure, RevokedSession, Role
from conference.models import AccessEvent, AccessEventKind, Call, PinFailure
from core import audit, audit_chain
from core.audit import CUT_ACTION, AuditEntry
from core.database import get_sessionmaker, utcnow
from core.settings import settings_problems
from groups import members
from groups.models import Membership, Referral
from notifications.models import Channel, Kind, OutboxMessage, Status
from supportline import retention
from supportline.cli import app
from supportline.jobs import job_specs
from tests.clock import Clock
from tests.factories import create_group, create_member, create_referral, create_staff, unique
from tests.fixtures.settings import IsolatedSettings

DAY = timedelta(days=1)


@pytest.fixture
def sessions(db: Session) -> Iterator[sessionmaker[Session]]:
    """The job's sessions, inside the test's transaction (each job transaction a savepoint)."""
    yield sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def fields(row: object, *names: str) -> list[object]:
    return [getattr(row, name) for name in names]


def run(db: Session, sessions: sessionmaker[Session], now: datetime) -> dict[str, int]:
    db.flush()
    counts = retention.run(sessions, now)
    db.expire_all()
    return counts


def test_a_rejected_referral_loses_its_contact_data_after_30_days(
    db: Session, sessions: sessionmaker[Session], clock: Clock
) -> None:
    group = create_group(db, now=clock.now())
    referral = create_referral(db, group, now=clock.now())
    admin = create_staff(db, Role.admin)
    members.reject_referral(db, actor=admin, referral=referral, reason="knows Ola", now=clock.now())
    index = referral.phone_index

    run(db, sessions, clock.now() + 29 * DAY)
    assert referral.phone is not None and referral.decision_reason == "knows Ola"

    run(db, sessions, clock.now() + 31 * DAY)
    personal = fields(referral, "alias", "phone", "email", "note", "decision_reason")
    assert personal == [None] * 5
    assert (referral.status.value, referral.phone_index) == ("rejected", index)
    assert referral.decided_at == clock.now()


def test_an_ejected_member_loses_contact_data_after_90_days_and_is_still_flagged(
    db: Session, sessions: sessionmaker[Session], clock: Clock
) -> None:
    group = create_group(db, now=clock.now())
    phone = "+48601777001"
    membership = create_member(db, group, now=clock.now(), phone=phone).membership
    admin = create_staff(db, Role.admin)
    members.eject(db, actor=admin, membership=membership, now=clock.now())
    referral = db.get_one(Referral, membership.referral_id)

    run(db, sessions, clock.now() + 89 * DAY)
    assert membership.phone == phone and referral.phone == phone

    run(db, sessions, clock.now() + 91 * DAY)
    contact = ("alias", "phone", "email")
    assert fields(membership, *contact, "participant_number", "pin_hash") == [None] * 5
    assert fields(referral, *contact) == [None] * 3
    assert membership.phone_index is not None and membership.status.value == "ejected"

    again = create_referral(db, group, now=clock.now() + 92 * DAY, phone=phone)
    assert again.flag_previously_ejected and not again.flag_already_member


def test_calls_keep_their_attendance_and_lose_the_caller_after_30_days(
    db: Session, sessions: sessionmaker[Session], clock: Clock
) -> None:
    group = create_group(db, now=clock.now())
    membership = create_member(db, group, now=clock.now()).membership
    joined = Call(
        call_sid=unique("CA"),
        caller_index="a" * 64,
        language="en",
        membership_id=membership.id,
        joined_at=clock.now(),
        left_at=clock.now() + timedelta(minutes=55),
        created_at=clock.now(),
    )
    never_joined = Call(
        call_sid=unique("CA"), caller_index="b" * 64, language="en", created_at=clock.now()
    )
    db.add_all([joined, never_joined])
    db.flush()
    never_joined_id = never_joined.id

    run(db, sessions, clock.now() + 29 * DAY)
    assert joined.caller_index is not None and db.get(Call, never_joined_id) is not None

    run(db, sessions, clock.now() + 31 * DAY)
    assert fields(joined, "call_sid", "caller_index") == [None, None]
    assert (joined.membership_id, joined.joined_at) == (membership.id, clock.now())
    assert joined.left_at == clock.now() + timedelta(minutes=55)
    assert db.get(Call, never_joined_id) is None


def security_records(db: Session, group_id: int, membership_id: int, at: datetime) -> list[object]:
    rows: list[object] = [
        PinFailure(membership_id=membership_id, caller_index="c" * 64, at=at),
        LoginFailure(username_key="d" * 64, client_key="e" * 64, at=at),
        AccessEvent(
            group_id=group_id, membership_id=membership_id, kind=AccessEventKind.locked_out, at=at
        ),
    ]
    db.add_all(rows)
    db.flush()
    return rows


def outbox_row(db: Session, status: Status, at: datetime) -> OutboxMessage:
    row = OutboxMessage(
        idempotency_key=unique("test:"),
        kind=Kind.reminder,
        channel=Channel.sms,
        status=status,
        next_attempt_at=at,
        created_at=at,
        updated_at=at,
    )
    db.add(row)
    db.flush()
    return row


def test_failures_events_messages_and_sessions_go_after_their_limits(
    db: Session, sessions: sessionmaker[Session], clock: Clock
) -> None:
    group = create_group(db, now=clock.now())
    membership = create_member(db, group, now=clock.now()).membership
    records = security_records(db, group.id, membership.id, clock.now())
    final = [outbox_row(db, status, clock.now()) for status in (Status.sent, Status.cancelled)]
    waiting = outbox_row(db, Status.no_provider, clock.now())
    db.add(RevokedSession(id=unique("s"), expires_at=clock.now() + timedelta(hours=1)))
    db.flush()
    keys = [(type(row), row.id) for row in records]  # type: ignore[attr-defined]
    message_ids = [row.id for row in [*final, waiting]]

    def left() -> tuple[int, int, int]:
        kept = sum(db.get(model, key) is not None for model, key in keys)
        messages = sum(db.get(OutboxMessage, key) is not None for key in message_ids)
        return kept, messages, len(db.scalars(select(RevokedSession)).all())

    run(db, sessions, clock.now())
    assert left() == (3, 3, 1)
    run(db, sessions, clock.now() + 89 * DAY)
    assert left() == (3, 3, 0)  # the session expired an hour after sign-out
    run(db, sessions, clock.now() + 91 * DAY)
    assert left() == (0, 1, 0)  # a message waiting for a provider is not final


def test_a_second_run_and_a_clock_set_back_find_nothing_more(
    db: Session, sessions: sessionmaker[Session], clock: Clock
) -> None:
    group = create_group(db, now=clock.now())
    membership = create_member(db, group, now=clock.now()).membership
    members.eject(db, actor=create_staff(db, Role.admin), membership=membership, now=clock.now())
    security_records(db, group.id, membership.id, clock.now())
    later = clock.now() + 100 * DAY

    assert retention.preview(sessions, later)["ejected members: contact data"] == 1
    first = run(db, sessions, later)
    assert first["ejected members: contact data"] == 1 and first["failed PINs"] >= 1
    assert set(run(db, sessions, later).values()) == {0}
    assert set(run(db, sessions, clock.now() - 400 * DAY).values()) == {0}
    assert membership.phone_index is not None


AUDIT_AT = datetime(2040, 1, 1, 12, tzinfo=UTC)  # after every entry other tests wrote


def note(db: Session, at: datetime) -> AuditEntry:
    return audit.record(
        db, actor_id=None, action="test.note", target_type="test", target_id=None, at=at
    )


def test_the_audit_log_is_cut_after_five_years_at_a_checkpoint_that_verifies(
    db: Session, sessions: sessionmaker[Session]
) -> None:
    old = [note(db, AUDIT_AT).id for _ in range(3)]
    kept = note(db, AUDIT_AT + 5 * 365 * DAY).id
    five_years = datetime(2045, 1, 1, 12, tzinfo=UTC)

    assert retention.preview(sessions, five_years)["audit log entries"] == 0
    due = retention.preview(sessions, five_years + DAY)["audit log entries"]
    assert due >= 3
    assert run(db, sessions, five_years + DAY)["audit log entries"] == due
    assert all(db.get(AuditEntry, entry_id) is None for entry_id in old)
    cut = db.scalars(select(AuditEntry).where(AuditEntry.action == CUT_ACTION)).one()
    assert cut.details["through_id"] == old[-1] and cut.details["removed"] == due
    assert cut.actor_id is None and set(cut.details) == {"through_id", "last_hash", "removed"}
    report = audit_chain.verify(db)
    assert report.verifies, report.describe()
    assert report.first_id == kept

    assert run(db, sessions, five_years + DAY)["audit log entries"] == 0
    assert run(db, sessions, AUDIT_AT)["audit log entries"] == 0
    assert audit_chain.verify(db).verifies

    db.execute(delete(AuditEntry).where(AuditEntry.id == kept))  # the oldest one kept
    broken = audit_chain.verify(db).broken
    assert broken is not None and broken.entry_id == cut.id


@pytest.mark.parametrize(
    "field", ["retention_call_days", "retention_audit_years", "retention_outbox_days"]
)
@pytest.mark.parametrize("value", [0, -5])
def test_a_retention_of_zero_or_less_is_refused_in_one_line(field: str, value: int) -> None:
    with pytest.raises(ValidationError) as refused:
        IsolatedSettings.model_validate({field: value})
    assert settings_problems(refused.value) == [
        f"SUPPORTLINE_{field.upper()}: input should be greater than 0"
    ]


def test_the_retention_job_runs_daily_under_the_one_scheduler() -> None:
    spec = next(spec for spec in job_specs() if spec.name == "retention")
    assert spec.seconds == 24 * 3600


def test_retention_dry_run_counts_and_the_real_run_applies(own_database: Path) -> None:
    now = utcnow()
    with get_sessionmaker().begin() as session:
        group = create_group(session, now=now - 40 * DAY)
        referral = create_referral(session, group, now=now - 40 * DAY)
        admin = create_staff(session, Role.admin)
        members.reject_referral(
            session, actor=admin, referral=referral, reason=None, now=now - 40 * DAY
        )
        referral_id = referral.id
    runner = CliRunner()
    dry = runner.invoke(app, ["retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "       1  rejected referrals: contact data" in dry.output
    assert "nothing was changed" in dry.output
    with get_sessionmaker().begin() as session:
        assert session.get_one(Referral, referral_id).phone is not None

    done = runner.invoke(app, ["retention"])
    assert done.exit_code == 0, done.output
    assert "       1  rejected referrals: contact data" in done.output
    with get_sessionmaker().begin() as session:
        assert session.get_one(Referral, referral_id).phone is None
        assert session.scalars(select(Membership)).all() == []
    assert "       0  rejected referrals" in runner.invoke(app, ["retention"]).output
