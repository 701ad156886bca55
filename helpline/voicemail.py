"""Voicemail, from the caller's message to the audio stored here.

1. ``recorded`` (the ``<Record>``'s action, when the caller presses # or the time is up): the
   caller is thanked and the call ends.
2. ``recording_status`` (the ``recordingStatusCallback``, once Twilio has processed the
   recording — https://www.twilio.com/docs/voice/api/recording#recordingstatuscallback; its
   form carries ``AccountSid``, ``CallSid``, ``RecordingSid``, ``RecordingUrl``,
   ``RecordingStatus``, ``RecordingDuration``): a ``completed`` recording of a call we know is
   recorded as a voicemail ``pending`` fetch. Twilio retries a callback that failed, so a
   recording already recorded is left alone; an unknown call or recording is logged and answered
   with an empty 2xx (nothing to retry, nothing stored).
3. ``fetch_due`` (a job): claims the voicemails due, as the outbox claims messages (one
   statement, ``SKIP LOCKED`` on PostgreSQL, under a lease), fetches each recording's audio,
   stores it encrypted (once: only a ``pending`` row takes audio), then deletes Twilio's copy.
   A failure is kept on the row (attempts, last error) and tried again after a backoff.

Nothing about the caller is stored but the time and the length; the call keeps its HMAC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.logs import get_logger
from core.work import Mode, runs
from helpline.models import ContactPoint, FetchState, HelplineCall, Voicemail
from helpline.prompts import Prompt
from helpline.providers import RecordingGone, Recordings, RecordingUnavailable
from helpline.replies import Goodbye, Reply, line

log = get_logger(__name__)

RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")
LEASE = timedelta(minutes=5)  # a job that died mid-fetch leaves its claim for this long
BATCH = 20
RETRY_BASE_SECONDS = 60
RETRY_MAX_SECONDS = 6 * 3600


@runs(Mode.normal)
def recorded(session: Session, *, call_sid: str) -> Reply:
    """The recording ended: thank the caller, goodbye."""
    language = session.scalar(
        select(HelplineCall.language).where(HelplineCall.call_sid == call_sid)
    )
    return Goodbye(language or "en", (line(Prompt.voicemail_saved),))


@runs(Mode.normal)
def recording_status(
    session: Session,
    *,
    call_sid: str,
    recording_sid: str,
    status: str,
    duration: str,
    now: datetime,
) -> Voicemail | None:
    """A recording's status from Twilio: a ``completed`` one becomes a voicemail to fetch."""
    if not RECORDING_SID.match(recording_sid):
        log.warning("helpline.voicemail_ignored", extra={"reason": "not a recording id"})
        return None
    call = session.scalar(select(HelplineCall).where(HelplineCall.call_sid == call_sid))
    if call is None or call.contact_point_id is None:
        log.warning("helpline.voicemail_ignored", extra={"reason": "unknown call"})
        return None
    if status != "completed":  # absent: too short or silent, nothing to fetch
        log.info("helpline.voicemail_absent", extra={"call_id": call.id, "status": status[:16]})
        return None
    found = session.scalar(select(Voicemail).where(Voicemail.recording_sid == recording_sid))
    if found is not None:
        return found  # Twilio retried the callback
    point = session.get_one(ContactPoint, call.contact_point_id)
    voicemail = Voicemail(
        contact_point_id=point.id,
        call_id=call.id,
        recording_sid=recording_sid,
        duration_seconds=int(duration) if duration.isdigit() else 0,
        received_at=now,
        next_attempt_at=now,
        deletes_at=deletes_at(point, now),
    )
    session.add(voicemail)
    session.flush()
    log.info("helpline.voicemail", extra={"voicemail_id": voicemail.id, "call_id": call.id})
    return voicemail


def deletes_at(point: ContactPoint, received_at: datetime) -> datetime:
    """The contact point's retention days after ``received_at``, at the same local wall-clock
    time (a DST change in between moves the UTC instant by its hour)."""
    zone = ZoneInfo(point.time_zone)
    local = received_at.astimezone(zone).replace(tzinfo=None)
    later = (local + timedelta(days=point.voicemail_retention_days)).replace(tzinfo=zone)
    return later.astimezone(UTC)


# --- fetching and deleting at Twilio ---


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    recording_sid: str
    stored: bool  # the audio is here: only Twilio's copy is left to delete


def claim(session: Session, *, now: datetime) -> list[Claimed]:
    """Up to a batch of voicemails due for a fetch or a delete, oldest first, leased to this job
    in one statement; on PostgreSQL the rows are locked (``SKIP LOCKED``: two schedulers take
    disjoint rows) until the commit — as ``notifications.outbox.claim``."""
    free = or_(Voicemail.lease_until.is_(None), Voicemail.lease_until <= now)
    candidates = (
        select(Voicemail.id)
        .where(Voicemail.next_attempt_at <= now, free)
        .order_by(Voicemail.next_attempt_at, Voicemail.id)
        .limit(BATCH)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    rows = session.execute(
        update(Voicemail)
        .where(Voicemail.id.in_(candidates), free)
        .values(lease_until=now + LEASE)
        .returning(Voicemail.id, Voicemail.recording_sid, Voicemail.fetch_state)
        .execution_options(synchronize_session=False)
    ).all()
    return [Claimed(row[0], row[1], row[2] is FetchState.fetched) for row in sorted(rows)]


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_MAX_SECONDS))


def fetch_due(
    sessions: sessionmaker[Session], *, now: datetime, recordings: Recordings | None
) -> int:
    """Fetch and delete what is due; returns how many voicemails were stored. Without a Twilio
    account (``recordings`` None) nothing is claimed: the voicemails wait."""
    if recordings is None:
        return 0
    with sessions.begin() as session:
        claimed = claim(session, now=now)
    stored = 0
    for item in claimed:
        if not item.stored:
            if not _fetch(sessions, item, recordings, now):
                continue
            stored += 1
        _delete(sessions, item, recordings, now)
    return stored


def _fetch(
    sessions: sessionmaker[Session], item: Claimed, recordings: Recordings, now: datetime
) -> bool:
    try:
        audio = recordings.fetch(item.recording_sid)
    except RecordingGone as error:
        _record(sessions, item, now, str(error), state=FetchState.failed, retry=False)
        return False
    except RecordingUnavailable as error:
        _record(sessions, item, now, str(error), state=FetchState.pending, retry=True)
        return False
    with sessions.begin() as session:
        done: int = (
            session.connection()
            .execute(
                update(Voicemail)
                .where(Voicemail.id == item.id, Voicemail.fetch_state == FetchState.pending)
                .values(
                    audio=audio.content,
                    audio_type=audio.media_type[:32],
                    fetch_state=FetchState.fetched,
                    attempts=Voicemail.attempts + 1,
                    last_error=None,
                    next_attempt_at=now,
                )
            )
            .rowcount
        )
    log.info("helpline.voicemail_fetched", extra={"voicemail_id": item.id, "stored": done == 1})
    return done == 1


def _delete(
    sessions: sessionmaker[Session], item: Claimed, recordings: Recordings, now: datetime
) -> None:
    try:
        recordings.delete(item.recording_sid)
    except RecordingGone:
        pass  # already gone at Twilio: the same end
    except RecordingUnavailable as error:
        _record(sessions, item, now, str(error), state=FetchState.fetched, retry=True)
        return
    with sessions.begin() as session:
        session.execute(
            update(Voicemail)
            .where(Voicemail.id == item.id)
            .values(deleted_at_twilio=now, next_attempt_at=None, lease_until=None, last_error=None)
            .execution_options(synchronize_session=False)
        )
    log.info("helpline.voicemail_deleted_at_twilio", extra={"voicemail_id": item.id})


def _record(
    sessions: sessionmaker[Session],
    item: Claimed,
    now: datetime,
    reason: str,
    *,
    state: FetchState,
    retry: bool,
) -> None:
    """A failed attempt, kept on the row for the inbox: tried again after a backoff, or (the
    recording is gone at Twilio) never again."""
    with sessions.begin() as session:
        voicemail = session.get_one(Voicemail, item.id, populate_existing=True)
        voicemail.attempts += 1
        voicemail.last_error = reason[:200]
        voicemail.fetch_state = state
        voicemail.lease_until = None
        voicemail.next_attempt_at = now + backoff(voicemail.attempts) if retry else None
    log.warning(
        "helpline.voicemail_attempt_failed",
        extra={"voicemail_id": item.id, "reason": reason[:200], "retry": retry},
    )
