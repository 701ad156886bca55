"""The states of an outbox message and every move between them.

The only code that writes an ``OutboxMessage``'s status: each transition is a function named
for it, called by the events that queue messages (``notices``), the dispatcher's loop
(``tasks``, ``delivery``, ``outcomes``) and Twilio's status callbacks (``inbound``). The way of
a message is ``pending`` → ``claimed`` → ``sending`` → ``sent`` → ``delivered``; the state
diagram, each arrow with its function (docs/delivery.md draws it for operators)::

    (an event)                     → pending          enqueue: unless its key is queued
    pending                        → no_provider      hold_without_provider: none for the channel
    pending, no_provider           → claimed          claim: due, under a claim lease
    pending, no_provider           → expired          expire_late: the meeting started
    pending, no_provider, claimed  → cancelled        supersede_pins, supersede_reminders
    claimed     → skipped, cancelled, expired, failed  end_unsent: moot when built (``Moot``)
    claimed                        → pending          release_lapsed_claims: claim lease over;
                                                      release_claims: the batch is put back
    claimed                        → sending          mark_sending: before the provider is called
    sending                        → sent             record_sent: the provider accepted it
    sending                        → pending, failed  record_failure: retried, or failed for good
    sending                        → pending          release_unsent: never handed over;
                                                      retry_in_doubt: in-doubt lease over
    sending, sent; pending and claimed after an in-doubt send
                                   → delivered, failed, sent   record_callback (Twilio's)

The rules:

- Record first, send second: a row is written in its event's transaction and holds ids only;
  the address is read when the message is built. A key (``kind:m<membership>:mt<meeting>:
  v<version>``) is queued once: a replayed event or a job run twice queue nothing new.
- The PIN (``secret``) is set to NULL as soon as its message is sent, ends or is replaced.
- At most one batch is in doubt: the next batch is claimed (``SKIP LOCKED`` on PostgreSQL, so
  dispatchers take disjoint rows) and built while one is with the provider, and marked
  ``sending`` only once that one is recorded. Rows ``claimed`` by a dispatcher that died are
  taken again when the claim lease runs out.
- A row left ``sending`` may have reached the provider: an SMS waits for Twilio's status
  callback, and is sent again only when none came within ``OUTBOX_IN_DOUBT_SECONDS``; an e-mail
  is sent again with the same Message-ID.
- A transient failure is retried after an exponential backoff with ±50 % jitter; a permanent
  one, or the ``OUTBOX_MAX_ATTEMPTS``-th, is ``failed``, and the group's moderators are told.
- A reminder or notice expires at the start it is about: never sent late.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from core.database import insert_or_nothing
from core.logs import get_logger
from core.settings import get_settings
from notifications.models import Channel, Kind, OutboxMessage, Status

log = get_logger("notifications")
_random = secrets.SystemRandom()

WAITING = (Status.pending, Status.no_provider)
SUPERSEDABLE = (Status.pending, Status.claimed, Status.no_provider)


# --- queueing ---


def idempotency_key(
    kind: Kind,
    *,
    membership_id: int | None,
    meeting_id: int | None = None,
    version: int = 0,
    tag: str = "",
    staff_id: int | None = None,
) -> str:
    key = f"{kind.value}:m{membership_id or '-'}:mt{meeting_id or '-'}:v{version}"
    if staff_id is not None:
        key = f"{kind.value}:s{staff_id}:v{version}"
    return f"{key}:{tag}" if tag else key


def enqueue(
    session: Session,
    *,
    kind: Kind,
    channel: Channel,
    group_id: int | None,
    membership_ids: Sequence[int | None],
    now: datetime,
    meeting_id: int | None = None,
    version: int = 0,
    expires_at: datetime | None = None,
    payload: dict[str, Any] | None = None,
    secret: str | None = None,
    tag: str = "",
    staff_ids: Sequence[int] = (),
) -> int:
    """→ ``pending``: the same message to each of these members (or, with ``staff_ids`` and no
    members, to each of these staff accounts); how many rows were new.

    A key already queued is left alone (``ON CONFLICT DO NOTHING``), so an event replayed, a job
    run twice or two runs at once queue each member's message once. One statement for all: it
    goes as multi-row ``VALUES`` pages ("insertmanyvalues", sized to the driver's limits).
    """
    recipients: list[tuple[int | None, int | None]] = [(m, None) for m in membership_ids]
    recipients += [(None, staff_id) for staff_id in staff_ids]
    rows = [
        {
            "idempotency_key": idempotency_key(
                kind,
                membership_id=membership_id,
                meeting_id=meeting_id,
                version=version,
                tag=tag,
                staff_id=staff_id,
            ),
            "kind": kind,
            "channel": channel,
            "status": Status.pending,
            "group_id": group_id,
            "membership_id": membership_id,
            "staff_id": staff_id,
            "meeting_id": meeting_id,
            "version": version,
            "payload": payload or {},
            "secret": secret,
            "attempts": 0,
            "next_attempt_at": now,
            "expires_at": expires_at,
            "created_at": now,
        }
        for membership_id, staff_id in recipients
    ]
    if not rows:
        return 0
    statement = insert_or_nothing(session, OutboxMessage).returning(OutboxMessage.id)
    inserted = len(session.execute(statement, rows).all())
    if inserted:
        extra = {"kind": kind.value, "group_id": group_id, "meeting_id": meeting_id}
        log.info("outbox.enqueued", extra={**extra, "count": inserted})
    return inserted


def next_version(session: Session, kind: Kind, membership_id: int) -> int:
    """The version of a member's next message of ``kind`` (a resend is a new message)."""
    latest = session.scalar(
        select(func.max(OutboxMessage.version)).where(
            OutboxMessage.kind == kind, OutboxMessage.membership_id == membership_id
        )
    )
    return (latest or 0) + 1


def get_by_key(session: Session, key: str) -> OutboxMessage:
    """The row queued under ``key`` (by this unit of work or, at the same moment, another)."""
    return session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()


def supersede_pins(session: Session, *, membership_id: int) -> None:
    """→ ``cancelled``: the member's PIN messages not yet sent; that PIN no longer works."""
    _cancel(
        session, Kind.pin, OutboxMessage.membership_id == membership_id, "replaced by a newer PIN"
    )


def supersede_reminders(session: Session, *, meeting_id: int, reason: str) -> None:
    """→ ``cancelled``: the meeting's reminders not yet sent (it was cancelled or moved)."""
    _cancel(session, Kind.reminder, OutboxMessage.meeting_id == meeting_id, reason)


def _cancel(session: Session, kind: Kind, whose: ColumnElement[bool], reason: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.kind == kind, whose, OutboxMessage.status.in_(SUPERSEDABLE))
        .values(status=Status.cancelled, secret=None, last_error=reason)
    )


# --- the queue, before a dispatcher claims ---


def release_lapsed_claims(session: Session, *, now: datetime) -> None:
    """``claimed`` → ``pending``: rows whose claim lease ran out (their dispatcher died)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == Status.claimed, OutboxMessage.lease_until <= now)
        .values(status=Status.pending, claim_token=None, lease_until=None)
    )


def retry_in_doubt(session: Session, *, now: datetime) -> None:
    """``sending`` → ``pending``: in doubt, and no status callback came before the in-doubt lease
    ran out, so the message is sent again."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == Status.sending, OutboxMessage.lease_until <= now)
        .values(
            status=Status.pending,
            claim_token=None,
            lease_until=None,
            next_attempt_at=now,
            last_error="outcome unknown (no answer or process stopped); sent again",
        )
    )


def expire_late(session: Session, *, now: datetime) -> None:
    """``pending``, ``no_provider`` → ``expired``: the meeting they are about has started."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status.in_(WAITING), OutboxMessage.expires_at <= now)
        .values(status=Status.expired, secret=None, last_error="too late: the meeting started")
    )


def hold_without_provider(session: Session, *, channels: Sequence[Channel]) -> None:
    """``pending`` → ``no_provider``: no provider is configured for the row's channel."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == Status.pending, OutboxMessage.channel.not_in(channels))
        .values(status=Status.no_provider, last_error="no provider configured")
    )


# --- claiming and sending ---


def claim(
    session: Session, *, now: datetime, channels: Sequence[Channel], token: str
) -> list[OutboxMessage]:
    """``pending``, ``no_provider`` → ``claimed``: up to a batch of due rows for this dispatcher
    (``token``), oldest first, in one statement, under a claim lease. On PostgreSQL they are
    locked (``SKIP LOCKED``: concurrent dispatchers take disjoint rows) until the commit."""
    settings = get_settings()
    candidates = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_(WAITING),
            OutboxMessage.next_attempt_at <= now,
            OutboxMessage.channel.in_(channels),
        )
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(settings.outbox_batch_size)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), OutboxMessage.status.in_(WAITING))
        .values(
            status=Status.claimed,
            claim_token=token,
            lease_until=now + timedelta(seconds=settings.outbox_claim_lease_seconds),
        )
        .returning(OutboxMessage)
        .execution_options(populate_existing=True)
    ).all()
    return sorted(claimed, key=lambda row: (row.next_attempt_at, row.id))


def mark_sending(session: Session, *, ids: Sequence[int], token: str, now: datetime) -> set[int]:
    """``claimed`` → ``sending``: the rows among ``ids`` still claimed by ``token`` and not
    expired, in one statement; ``attempts`` + 1, and the in-doubt lease starts. The ids marked."""
    return set(
        session.scalars(
            update(OutboxMessage)
            .where(
                OutboxMessage.id.in_(ids),
                OutboxMessage.claim_token == token,
                OutboxMessage.status == Status.claimed,
                or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now),
            )
            .values(
                status=Status.sending,
                attempts=OutboxMessage.attempts + 1,
                updated_at=now,
                lease_until=now + timedelta(seconds=get_settings().outbox_in_doubt_seconds),
            )
            .returning(OutboxMessage.id)
            .execution_options(synchronize_session=False)
        )
    )


def release_claims(session: Session, *, token: str, now: datetime) -> None:
    """``claimed`` → ``pending``: the rows ``token`` still holds, back to the queue now (the
    dispatcher stops, or a row's meeting began before it was marked: it then expires)."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.claim_token == token, OutboxMessage.status == Status.claimed)
        .values(status=Status.pending, claim_token=None, lease_until=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )


# --- what came of it ---


class Moot(Enum):
    """Why a claimed message is not sent after all; the value is the status it ends in."""

    late = Status.expired  # the meeting it is about has started
    unwanted = Status.skipped  # opted out, left the group, or no address for the channel
    superseded = Status.cancelled  # the meeting was cancelled or moved; the PIN is gone
    impossible = Status.failed  # cannot be built: the group has no line to send from


@dataclass(frozen=True)
class Skip:
    """Why a claimed message will not be sent (``render.build`` returns it)."""

    moot: Moot
    reason: str


def end_unsent(row: OutboxMessage, skip: Skip, *, now: datetime) -> Status:
    """``claimed`` → ``skipped``, ``cancelled``, ``expired`` or ``failed``, as ``skip`` says."""
    status = skip.moot.value
    _finish(row, status, skip.reason, now)
    return status


def record_sent(row: OutboxMessage, *, provider_id: str, now: datetime) -> None:
    """``sending`` → ``sent``, with the provider's id; a status callback that came first (the
    row is ``delivered`` or ``failed`` already) keeps what it said."""
    if row.status is Status.sending:
        row.status = Status.sent
    row.provider_id = provider_id[:64]
    row.sent_at = row.sent_at or now
    row.secret = None
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now


def record_failure(row: OutboxMessage, *, reason: str, permanent: bool, now: datetime) -> Status:
    """``sending`` → ``pending`` after a backoff (transient), or ``failed`` (permanent, or out of
    attempts). Returns the new status."""
    if permanent or row.attempts >= get_settings().outbox_max_attempts:
        if not permanent:
            reason = f"gave up after {row.attempts}: {reason}"
        _finish(row, Status.failed, reason, now)
        return Status.failed
    row.status = Status.pending
    row.last_error = reason
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now
    row.next_attempt_at = now + backoff(row.attempts)
    return Status.pending


def release_unsent(row: OutboxMessage, *, now: datetime) -> None:
    """``sending`` → ``pending``: never handed to the provider, so the attempt is not counted."""
    if row.status is not Status.sending:
        return
    row.status = Status.pending
    row.attempts -= 1
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now
    row.next_attempt_at = now


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with ±50 % jitter, so retries of many rows do not arrive together."""
    settings = get_settings()
    base = min(
        settings.outbox_retry_base_seconds * 2 ** max(attempts - 1, 0),
        settings.outbox_retry_max_seconds,
    )
    return timedelta(seconds=base * _random.uniform(0.5, 1.5))


def _finish(row: OutboxMessage, status: Status, reason: str, now: datetime) -> None:
    row.status = status
    row.last_error = reason
    row.secret = None
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now


def record_callback(
    row: OutboxMessage, *, message_sid: str, status: str, error_code: str | None, now: datetime
) -> bool:
    """Twilio's status callback: ``delivered``; ``failed`` (undelivered); any other status marks
    a row still ``sending``, ``pending`` or ``claimed`` (after an in-doubt send) ``sent``, never
    to be sent again. True when the message was reported undelivered."""
    # A message sent again after an in-doubt attempt has a second SID; the latest one wins.
    row.provider_id = message_sid[:64] or row.provider_id
    row.provider_status = status[:24]
    row.updated_at = now
    undelivered = status in ("undelivered", "failed")
    if status == "delivered":
        row.status = Status.delivered
    elif undelivered:
        row.status = Status.failed
        row.last_error = f"twilio {error_code or '-'}: {status}"
    elif row.status in (Status.sending, Status.pending, Status.claimed):
        row.status = Status.sent
        row.sent_at = row.sent_at or now
    if row.status is not Status.sending:
        row.secret = None
        row.lease_until = None
    return undelivered
