"""Voicemail on Twilio's voice engine: out of hours (and, where set, when nobody takes a call on
duty) the caller hears the prompt in the contact point's language and leaves a message; Twilio's
status callback queues it; the job fetches the audio, stores it encrypted and deletes Twilio's
copy. A failure is retried after a backoff and shown; an unknown recording is only logged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from auth.models import Role, Staff
from helpline import voicemail
from helpline.models import CallOutcome, FetchState, HelplineCall, Voicemail
from helpline.prompts import Prompt
from helpline.prompts import text as prompt
from helpline.providers import FakeRecordings
from supportline.emulator.engine import Stage
from supportline.emulator.hooks import TwilioError
from supportline.emulator.local import LocalTwilio
from tests.clock import Clock
from tests.factories import create_staff
from tests.fixtures.calls import BASE_URL
from tests.helpline.world import CALLER, Point, contact_point, seat_now, weekly

# Saturday 7 March 2026, 17:00 in Warsaw: no duty on Saturdays.
SATURDAY = datetime(2026, 3, 7, 16, 0, tzinfo=UTC)
# Monday 2 March 2026, 17:30 in Warsaw: on duty.
MONDAY = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)


@pytest.fixture
def admin(db: Session) -> Staff:
    return create_staff(db, Role.admin)


@pytest.fixture
def sessions(db: Session) -> sessionmaker[Session]:
    return sessionmaker(
        bind=db.connection(), join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def warszawa(db: Session, admin: Staff, clock: Clock, **settings: object) -> Point:
    point = contact_point(db, admin, name="Warszawa")
    weekly(db, point, admin, clock.now(), days="mon tue wed thu fri", start="16:00", end="21:00")
    for name, value in settings.items():
        setattr(point.point, name, value)
    db.flush()
    return point


class DeleteFailsOnce(FakeRecordings):
    def delete(self, recording_sid: str) -> None:
        if not self.deleted and not getattr(self, "failed_once", False):
            self.failed_once = True
            self.failing = 1
        super().delete(recording_sid)


def stored(db: Session) -> list[Voicemail]:
    db.expire_all()
    return list(db.scalars(select(Voicemail).order_by(Voicemail.id)))


def leave_a_message(db: Session, admin: Staff, clock: Clock, sim: LocalTwilio) -> None:
    """A caller out of hours on Saturday speaks for twelve seconds, then presses #."""
    clock.set(SATURDAY)
    point = warszawa(db, admin, clock, voicemail_out_of_hours=True)
    caller = sim.dial(point.line, CALLER)
    clock.advance(seconds=12)
    caller.press("#")


def test_out_of_hours_the_caller_leaves_a_message_fetched_encrypted_and_deleted_at_twilio(
    db: Session,
    admin: Staff,
    clock: Clock,
    sim: LocalTwilio,
    sessions: sessionmaker[Session],
) -> None:
    clock.set(SATURDAY)
    point = warszawa(db, admin, clock, voicemail_out_of_hours=True, voicemail_max_seconds=120)

    caller = sim.dial(point.line, CALLER)

    assert prompt("pl", Prompt.voicemail) in caller.spoken
    assert caller.state is Stage.recording and caller.heard[-1] == "[beep]"
    record = sim.twiml[-1]
    assert 'maxLength="120"' in record and 'finishOnKey="#"' in record
    assert "transcribe" not in record
    clock.advance(seconds=25)
    caller.press("#")

    assert caller.spoken[-2:] == [
        prompt("pl", Prompt.voicemail_saved),
        prompt("pl", Prompt.goodbye),
    ]
    assert caller.heard[-1] == "[call ended]"
    [message] = stored(db)
    assert message.fetch_state is FetchState.pending
    assert message.duration_seconds == 25
    assert message.contact_point_id == point.point.id
    call = db.get(HelplineCall, message.call_id)
    assert call is not None and call.outcome is CallOutcome.out_of_hours
    media = sim.engine.recording(message.recording_sid).media

    assert voicemail.fetch_due(sessions, now=clock.now(), recordings=sim) == 1

    [message] = stored(db)
    assert message.fetch_state is FetchState.fetched
    assert message.audio == media
    assert message.deleted_at_twilio == clock.now()
    with pytest.raises(TwilioError, match="20404"):
        sim.engine.recording(message.recording_sid)  # gone at Twilio
    raw = db.execute(text("SELECT audio FROM voicemails")).scalar_one()
    assert media[:64] not in bytes(raw) and media[2000:2064] not in bytes(raw)
    # Fetched once: a second run finds nothing to do.
    assert voicemail.fetch_due(sessions, now=clock.now() + timedelta(hours=1), recordings=sim) == 0
    assert [a[0] for a in sim.actions] == ["fetch_recording", "delete_recording"]


def test_no_voicemail_unless_the_contact_point_offers_it(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(SATURDAY)
    point = warszawa(db, admin, clock)

    caller = sim.dial(point.line, CALLER)

    assert prompt("pl", Prompt.voicemail) not in caller.spoken
    assert caller.state is Stage.ended


def test_nobody_takes_the_call_on_duty_and_the_caller_may_leave_a_message(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(MONDAY)
    point = warszawa(db, admin, clock, voicemail_no_answer=True)
    seat_now(db, point, admin, clock.now(), point.volunteers[0])
    sim.phone(point.phones[0])

    caller = sim.dial(point.line, CALLER)
    clock.advance(seconds=45)
    sim.deliver()

    assert prompt("pl", Prompt.no_answer) in caller.spoken
    assert caller.state is Stage.recording
    clock.advance(seconds=10)
    caller.hang_up()  # the action is still requested; the status callback follows

    [message] = stored(db)
    assert message.duration_seconds == 10
    call = db.get(HelplineCall, message.call_id)
    assert call is not None and call.outcome is CallOutcome.missed


def test_the_recording_stops_at_its_maximum_length(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(SATURDAY)
    point = warszawa(db, admin, clock, voicemail_out_of_hours=True, voicemail_max_seconds=30)

    caller = sim.dial(point.line, CALLER)
    clock.advance(seconds=90)
    sim.deliver()

    assert caller.state is Stage.ended
    [message] = stored(db)
    assert message.duration_seconds == 30


def test_a_caller_who_says_nothing_leaves_no_voicemail(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    clock.set(SATURDAY)
    point = warszawa(db, admin, clock, voicemail_out_of_hours=True)

    caller = sim.dial(point.line, CALLER)
    caller.press("#")  # at once: an empty recording, status "absent"

    assert caller.state is Stage.ended
    assert caller.spoken[-1] == prompt("pl", Prompt.goodbye)
    assert stored(db) == []


def test_a_failed_fetch_is_kept_visible_and_retried_after_a_backoff(
    db: Session,
    admin: Staff,
    clock: Clock,
    sim: LocalTwilio,
    sessions: sessionmaker[Session],
) -> None:
    leave_a_message(db, admin, clock, sim)
    [message] = stored(db)
    twilio = FakeRecordings({message.recording_sid: b"RIFF-audio-bytes"}, failing=2)

    assert voicemail.fetch_due(sessions, now=clock.now(), recordings=twilio) == 0
    [message] = stored(db)
    assert message.fetch_state is FetchState.pending
    assert message.attempts == 1 and message.last_error == "fetch recording: Twilio answered 503"
    assert message.next_attempt_at == clock.now() + timedelta(minutes=1)
    # Not due yet: nothing is tried.
    assert voicemail.fetch_due(sessions, now=clock.now(), recordings=twilio) == 0
    assert twilio.failing == 1

    later = clock.now() + timedelta(minutes=1)
    assert voicemail.fetch_due(sessions, now=later, recordings=twilio) == 0
    [message] = stored(db)
    assert message.attempts == 2 and message.next_attempt_at == later + timedelta(minutes=2)

    latest = later + timedelta(minutes=2)
    assert voicemail.fetch_due(sessions, now=latest, recordings=twilio) == 1
    [message] = stored(db)
    assert message.fetch_state is FetchState.fetched and message.audio == b"RIFF-audio-bytes"
    assert message.last_error is None and message.deleted_at_twilio == latest
    assert twilio.fetched == [message.recording_sid] == twilio.deleted


def test_a_failed_delete_is_retried_without_fetching_again(
    db: Session,
    admin: Staff,
    clock: Clock,
    sim: LocalTwilio,
    sessions: sessionmaker[Session],
) -> None:
    leave_a_message(db, admin, clock, sim)
    [message] = stored(db)
    twilio = DeleteFailsOnce({message.recording_sid: b"audio"})

    assert voicemail.fetch_due(sessions, now=clock.now(), recordings=twilio) == 1
    [message] = stored(db)
    assert message.fetch_state is FetchState.fetched and message.deleted_at_twilio is None
    assert message.last_error == "delete recording: Twilio answered 503"

    later = clock.now() + timedelta(minutes=5)
    voicemail.fetch_due(sessions, now=later, recordings=twilio)
    [message] = stored(db)
    assert message.deleted_at_twilio == later
    assert twilio.fetched == [message.recording_sid]  # fetched once, deleted on the retry


def test_a_recording_twilio_no_longer_has_is_marked_failed_and_not_retried(
    db: Session,
    admin: Staff,
    clock: Clock,
    sim: LocalTwilio,
    sessions: sessionmaker[Session],
) -> None:
    leave_a_message(db, admin, clock, sim)

    voicemail.fetch_due(sessions, now=clock.now(), recordings=FakeRecordings())

    [message] = stored(db)
    assert message.fetch_state is FetchState.failed
    assert message.last_error == "fetch recording: not found at Twilio"
    assert message.next_attempt_at is None


def test_a_callback_for_an_unknown_call_or_recording_stores_nothing(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    clock.set(SATURDAY)
    warszawa(db, admin, clock, voicemail_out_of_hours=True)
    url = f"{BASE_URL}/twilio/helpline/recording"
    form = {
        "CallSid": "CA" + "1" * 32,
        "RecordingSid": "RE" + "2" * 32,
        "RecordingStatus": "completed",
        "RecordingDuration": "9",
    }

    empty = '<?xml version="1.0" encoding="UTF-8"?><Response />'
    assert sim.post(url, form) == empty
    assert sim.post(url, {**form, "RecordingSid": "not-a-recording"}) == empty

    assert stored(db) == []
    reasons = [getattr(r, "reason", "") for r in caplog.records]
    assert reasons.count("unknown call") == 1 and reasons.count("not a recording id") == 1


def test_a_callback_twilio_repeats_is_one_voicemail(
    db: Session, admin: Staff, clock: Clock, sim: LocalTwilio
) -> None:
    leave_a_message(db, admin, clock, sim)
    [callback] = [hook for hook in sim.sent if hook.url.endswith("/recording")]

    sim.post(callback.url, callback.params)

    assert len(stored(db)) == 1
