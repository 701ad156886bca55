"""The audit log's hash chain: every entry is linked to the one before it, so a change, a
removal or an entry slipped in is found and named by id."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import JSON, Engine, column, delete, insert, select, table, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from core import audit, audit_chain, migrate
from core.audit import GENESIS, AuditEntry
from core.audit_chain import BreakKind
from core.database import UTCDateTime, get_sessionmaker
from supportline.cli import app

runner = CliRunner()
FAR = 2_000_000_000  # ids far above any the sequence gives out in a test run


def note(session: Session, action: str = "test.note", **details: object) -> AuditEntry:
    return audit.record(
        session, actor_id=None, action=action, target_type="test", target_id=None, details=details
    )


def append_at(session: Session, entry_id: int, action: str = "test.note") -> AuditEntry:
    """An entry with a chosen id, chained as ``audit.record`` chains (leaves gaps to slip into)."""
    previous = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    entry = AuditEntry(
        id=entry_id,
        at=datetime(2026, 3, 2, 12, tzinfo=UTC),
        action=action,
        target_type="test",
        details={},
        prev_hash=previous.row_hash if previous is not None else GENESIS,
    )
    entry.row_hash = audit.hash_of(entry)
    session.add(entry)
    session.flush()
    return entry


def test_each_entry_names_the_hash_of_the_one_before_it(db: Session) -> None:
    first, second, third = note(db), note(db, meeting_id=3), note(db)
    assert second.prev_hash == first.row_hash
    assert third.prev_hash == second.row_hash
    assert third.row_hash == audit.hash_of(third)
    report = audit_chain.verify(db)
    assert report.verifies, report.describe()
    assert (report.last_id, report.head) == (third.id, third.row_hash)


def test_an_entry_changed_in_place_is_named(db: Session) -> None:
    _first, second, _third = note(db), note(db, meeting_id=3), note(db)
    db.execute(
        update(AuditEntry).where(AuditEntry.id == second.id).values(details={"meeting_id": 4})
    )
    broken = audit_chain.verify(db).broken
    assert broken is not None
    assert (broken.entry_id, broken.kind) == (second.id, BreakKind.changed)


def test_a_removed_entry_is_found_at_the_one_after_it(db: Session) -> None:
    _first, second, third = note(db), note(db), note(db)
    db.execute(delete(AuditEntry).where(AuditEntry.id == second.id))
    broken = audit_chain.verify(db).broken
    assert broken is not None
    assert (broken.entry_id, broken.kind) == (third.id, BreakKind.removed)
    assert f"#{third.id}" in broken.describe()


@pytest.mark.parametrize("forged_link", [False, True], ids=["any-link", "copied-link"])
def test_an_entry_slipped_in_between_is_named(db: Session, forged_link: bool) -> None:
    first = append_at(db, FAR)
    append_at(db, FAR + 2)
    append_at(db, FAR + 3)
    # Slipped into the gap: with a made-up link, or with the previous entry's hash copied and
    # its own hash computed as the application would.
    forged = AuditEntry(
        id=FAR + 1,
        at=datetime(2026, 3, 2, 12, tzinfo=UTC),
        action="referral.reject",
        target_type="referral",
        details={},
        prev_hash=first.row_hash if forged_link else "f" * 64,
    )
    forged.row_hash = audit.hash_of(forged)
    db.add(forged)
    db.flush()
    broken = audit_chain.verify(db).broken
    assert broken is not None
    assert (broken.entry_id, broken.kind) == (FAR + 1, BreakKind.inserted)


def test_the_console_says_whether_the_chain_verifies(db: Session) -> None:
    from console import views

    entry = note(db)
    assert views.audit_page(db, offset=0).chain.verifies
    db.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(action="x.y"))
    assert not views.audit_page(db, offset=0).chain.verifies


def test_audit_verify_on_an_empty_log_a_good_one_and_a_changed_one(own_database: Path) -> None:
    empty = runner.invoke(app, ["audit", "verify"])
    assert empty.exit_code == 0, empty.output
    assert "the audit log is empty" in empty.output

    with get_sessionmaker().begin() as session:
        ids = [note(session, secret="Ukryta").id for _ in range(3)]
    good = runner.invoke(app, ["audit", "verify"])
    assert good.exit_code == 0, good.output
    assert "verifies: 3 entries" in good.output

    with get_sessionmaker().begin() as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == ids[1]).values(target_id=7))
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    assert f"entry #{ids[1]} was changed" in bad.output
    assert "Ukryta" not in bad.output  # named by id, never by content


def test_the_migration_chains_the_entries_written_before_it(own_engine: Engine) -> None:
    with own_engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "0009_staff_login_keys")
    old = table(
        "audit_entries",
        column("at", UTCDateTime()),
        column("details", JSON),
        *(column(name) for name in ("action", "target_type")),
    )
    with own_engine.begin() as connection:
        for action in ("group.create", "referral.create", "referral.approve"):
            connection.execute(
                insert(old).values(
                    at=datetime(2026, 3, 2, 12, 0, 0, 123456, tzinfo=UTC),
                    action=action,
                    target_type="group",
                    details={"n": 1},
                ),
            )
    with own_engine.begin() as connection:
        migrate.upgrade(connection)
    with Session(own_engine) as session, session.begin():
        report = audit_chain.verify(session)
        assert report.verifies, report.describe()
        assert report.entries == 3
        note(session)  # the application appends where the migration stopped
        assert audit_chain.verify(session).entries == 4


@pytest.mark.postgres_only
def test_writers_appending_at_the_same_moment_do_not_fork_the_chain(own_engine: Engine) -> None:
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            start.wait(timeout=10)
            for _ in range(10):
                with Session(own_engine) as session, session.begin():
                    note(session)
        except BaseException as exc:  # reported below, on the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with Session(own_engine) as session:
        report = audit_chain.verify(session)
        hashes = session.scalars(select(AuditEntry.prev_hash)).all()
    assert report.verifies, report.describe()
    assert report.entries == 40
    assert len(set(hashes)) == 40  # no two entries chained onto the same one
