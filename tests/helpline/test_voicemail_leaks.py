"""Anonymity and encryption of voicemail: the caller's number reaches no TwiML, URL, log line or
row on the way to a voicemail; the audio is in no log and nowhere in the database file in plain
form — only its Fernet token is stored."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role
from core import pii
from core.database import Base, get_sessionmaker
from helpline import voicemail
from helpline.models import FetchState, HelplineCall, Voicemail
from helpline.providers import FakeRecordings
from supportline.emulator.local import LocalTwilio
from supportline.emulator.recorder import tone
from tests.clock import Clock
from tests.factories import create_staff
from tests.fixtures.settings import change_settings
from tests.helpline.world import contact_point, weekly

CALLER = "+48501000977"
SATURDAY = datetime(2026, 3, 7, 16, 0, tzinfo=UTC)
SID = "RE" + "5a" * 16


def test_a_voicemail_leaves_no_caller_number_anywhere(
    sim: LocalTwilio, db: Session, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock.set(SATURDAY)
    admin = create_staff(db, Role.admin)
    point = contact_point(db, admin, name="Warszawa", volunteers=1)
    weekly(db, point, admin, clock.now(), days="mon", start="16:00", end="21:00")
    point.point.voicemail_out_of_hours = True
    db.flush()

    caller = sim.dial(point.line, CALLER)
    clock.advance(seconds=20)
    caller.press("#")
    sessions = sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    voicemail.fetch_due(sessions, now=clock.now(), recordings=sim)

    seen = {
        "twiml": sim.twiml,
        "urls": [hook.url for hook in sim.sent],
        "logs": [f"{r.getMessage()} {r.__dict__}" for r in caplog.records],
    }
    assert any("voicemail" in line for line in seen["logs"])
    for form in (CALLER, CALLER.lstrip("+")):
        for what, texts in seen.items():
            assert not [text for text in texts if form in text], f"the number in {what}"
    for table in Base.metadata.sorted_tables:
        for row in db.connection().exec_driver_sql(f"SELECT * FROM {table.name}"):
            assert CALLER.lstrip("+") not in repr(tuple(row)), f"the number in {table.name}"


def test_the_audio_is_in_no_log_and_only_encrypted_in_the_database_file(
    own_database: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    media = tone(4, SID)
    sessions = get_sessionmaker()
    with sessions.begin() as session:
        admin = create_staff(session, Role.admin)
        point = contact_point(session, admin, name="Londyn", volunteers=0)
        session.add(
            HelplineCall(
                call_sid="CA" + "6" * 32,
                language="en",
                contact_point_id=point.point.id,
                started_at=SATURDAY,
            )
        )
    with sessions.begin() as session:
        voicemail.recording_status(
            session,
            call_sid="CA" + "6" * 32,
            recording_sid=SID,
            status="completed",
            duration="4",
            now=SATURDAY,
        )

    assert voicemail.fetch_due(sessions, now=SATURDAY, recordings=FakeRecordings({SID: media})) == 1
    sessions.kw["bind"].dispose()

    stored = b"".join(path.read_bytes() for path in own_database.parent.glob("supportline.db*"))
    chunks = [media[i : i + 48] for i in range(44, len(media), len(media) // 16)]
    assert chunks and not [chunk for chunk in chunks if chunk in stored]
    logged = capfd.readouterr().err + " ".join(f"{r.__dict__}" for r in caplog.records)
    assert "voicemail_fetched" in logged
    assert not [chunk for chunk in chunks if chunk.hex() in logged or repr(chunk)[2:-1] in logged]


def test_pii_rotate_re_encrypts_the_audio_with_the_new_key(own_database: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    change_settings(pii_keys=old)
    media = tone(2, SID)
    with get_sessionmaker().begin() as session:
        admin = create_staff(session, Role.admin)
        point = contact_point(session, admin, name="Londyn", volunteers=0)
        session.add(
            Voicemail(
                contact_point_id=point.point.id,
                recording_sid=SID,
                received_at=SATURDAY,
                audio=media,
                fetch_state=FetchState.fetched,
                deletes_at=SATURDAY,
            )
        )

    change_settings(pii_keys=f"{new},{old}")
    with get_sessionmaker().begin() as session:
        assert pii.rotate_all(session, Base) >= 1

    change_settings(pii_keys=new)
    with get_sessionmaker().begin() as session:
        assert session.scalars(select(Voicemail.audio)).one() == media
