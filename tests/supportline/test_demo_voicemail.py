"""``supportline demo``'s voicemail: London, out of hours with ``--meeting-now``, takes a
message in the emulator; the inboxes already hold a few, encrypted, to play."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from helpline import voicemail
from helpline.models import FetchState, Voicemail
from helpline.prompts import Prompt, text
from supportline import demo, demo_helpline, demo_output
from supportline.emulator.engine import Stage
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock


def test_london_out_of_hours_takes_a_voicemail_fetched_from_the_emulator(
    db: Session, clock: Clock, sim: LocalTwilio
) -> None:
    seeded = demo.seed(db, now=clock.now(), meeting_now=True)
    london = seeded.helpline.points[1]
    assert london.point.name == "London" and london.on_duty_now == []

    caller = sim.dial(london.line, demo_helpline.HELPLINE_CALLER)

    assert text("en", Prompt.voicemail) in caller.spoken
    assert caller.state is Stage.recording
    clock.advance(seconds=8)
    caller.press("#")
    sessions = sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    assert voicemail.fetch_due(sessions, now=clock.now(), recordings=sim) == 1
    db.expire_all()
    newest = db.scalars(
        select(Voicemail)
        .where(Voicemail.contact_point_id == london.point.id)
        .order_by(Voicemail.received_at.desc())
    ).first()
    assert newest is not None and newest.duration_seconds == 8
    assert newest.fetch_state is FetchState.fetched and newest.deleted_at_twilio is not None


def test_the_inboxes_hold_a_few_voicemails_once(db: Session, clock: Clock) -> None:
    demo.seed(db, now=clock.now(), meeting_now=False)
    demo.seed(db, now=clock.now() + timedelta(minutes=2), meeting_now=False)

    rows = db.scalars(select(Voicemail)).all()
    assert len(rows) == 5
    assert all(row.audio and row.audio.startswith(b"RIFF") for row in rows)


def test_meeting_now_says_how_to_leave_a_voicemail_in_london_and_where_the_inbox_is(
    db: Session, clock: Clock
) -> None:
    seeded = demo.seed(db, now=clock.now(), meeting_now=True)
    london = seeded.helpline.points[1]

    notes = demo_output.voicemail_notes(seeded, "supportline")

    assert notes == [
        "Out of hours now: London takes a voicemail (# ends it):",
        f"  caller:     supportline call {london.line} --from {demo_helpline.HELPLINE_CALLER}",
        f"  its inbox:  https://line.example.org/console/helpline/{london.point.id}/voicemail "
        "(as demo-london-coordinator or demo-london-1)",
    ]
    assert demo_output.voicemail_notes(demo.seed(db, now=clock.now(), meeting_now=False), "x") == []
