"""What came of a batch's provider calls, recorded in one commit: sent, retried, failed, in doubt.

Called by :func:`notifications.delivery.finish_batch`; docs/delivery.md has the rules.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.logs import get_logger
from core.settings import get_settings
from groups.models import Membership
from notifications import optout
from notifications import service as outbox
from notifications.models import OutboxMessage, Status
from notifications.providers import UNSUBSCRIBED, DeliveryError, Sms

log = get_logger("notifications.dispatch")
_random = secrets.SystemRandom()


@dataclass
class DispatchReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    in_doubt: int = 0
    skipped: int = 0
    outcomes: dict[int, Status] = field(default_factory=dict)


@dataclass
class Attempt:
    """One message of a batch on its way to the provider, and what came of it."""

    outbox_id: int
    message: Sms | EmailMessage
    started: bool = False
    provider_id: str | None = None
    error: DeliveryError | None = None
    doubt: str | None = None


def record_outcomes(
    session: Session, attempts: list[Attempt], *, now: datetime, report: DispatchReport
) -> None:
    ids = [attempt.outbox_id for attempt in attempts]
    # Locked, so a status callback arriving now waits for this commit instead of being overwritten.
    rows = {
        row.id: row
        for row in session.scalars(
            select(OutboxMessage).where(OutboxMessage.id.in_(ids)).with_for_update()
        )
    }  # held, so ``record_*`` find them in the identity map
    for attempt in attempts:
        record_outcome(session, rows[attempt.outbox_id], attempt, now=now, report=report)


def record_outcome(
    session: Session,
    row: OutboxMessage,
    attempt: Attempt,
    *,
    now: datetime,
    report: DispatchReport,
) -> None:
    outbox_id = row.id
    if attempt.provider_id is not None:
        record_sent(session, outbox_id=outbox_id, provider_id=attempt.provider_id, now=now)
        report.sent += 1
        report.outcomes[outbox_id] = Status.sent
    elif attempt.error is not None:
        status = record_failure(session, outbox_id=outbox_id, error=attempt.error, now=now)
        report.outcomes[outbox_id] = status
        if status is Status.failed:
            report.failed += 1
        else:
            report.retried += 1
    elif attempt.started:  # the provider may have it: in doubt (docs/delivery.md)
        row.last_error = attempt.doubt or "outcome unknown: the send did not return"
        report.in_doubt += 1
        report.outcomes[outbox_id] = Status.sending
        log.warning("outbox.in_doubt", extra={"outbox_id": outbox_id})
    else:
        release(row, now)


def release(row: OutboxMessage, now: datetime) -> None:
    """A ``sending`` row that never reached the provider: back to the queue, attempt not counted."""
    if row.status is not Status.sending:
        return
    row.status = Status.pending
    row.attempts -= 1
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now
    row.next_attempt_at = now


def finish(row: OutboxMessage, status: Status, reason: str, now: datetime) -> None:
    row.status = status
    row.last_error = reason
    row.secret = None
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now


def record_sent(session: Session, *, outbox_id: int, provider_id: str, now: datetime) -> None:
    row = session.get_one(OutboxMessage, outbox_id)
    if row.status is Status.sending:  # a status callback may have been faster
        row.status = Status.sent
    row.provider_id = provider_id[:64]
    row.sent_at = row.sent_at or now
    row.secret = None
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now
    log.info("outbox.sent", extra={"outbox_id": row.id, "kind": row.kind.value})


def record_failure(
    session: Session, *, outbox_id: int, error: DeliveryError, now: datetime
) -> Status:
    settings = get_settings()
    row = session.get_one(OutboxMessage, outbox_id)
    if error.permanent or row.attempts >= settings.outbox_max_attempts:
        reason = (
            error.reason if error.permanent else f"gave up after {row.attempts}: {error.reason}"
        )
        finish(row, Status.failed, reason, now)
        if error.code == UNSUBSCRIBED and row.membership_id is not None:
            membership = session.get(Membership, row.membership_id)
            if membership is not None and membership.phone_index is not None:
                optout.opt_out(session, phone_index=membership.phone_index, now=now)
        outbox.notify_failure(session, row, now)
        log.warning("outbox.failed", extra={"outbox_id": row.id, "reason": row.last_error})
        return Status.failed
    row.status = Status.pending
    row.last_error = error.reason
    row.claim_token = None
    row.lease_until = None
    row.updated_at = now
    row.next_attempt_at = now + backoff(row.attempts)
    return Status.pending


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with ±50 % jitter, so retries of many rows do not arrive together."""
    settings = get_settings()
    base = min(
        settings.outbox_retry_base_seconds * 2 ** max(attempts - 1, 0),
        settings.outbox_retry_max_seconds,
    )
    return timedelta(seconds=base * _random.uniform(0.5, 1.5))
