"""What came of a batch's provider calls, recorded in one commit: sent, retried, failed, in doubt.

Called by :func:`notifications.delivery.finish_batch`; ``notifications.outbox`` has the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.logs import get_logger
from groups.models import Membership
from notifications import notices, optout, outbox
from notifications.models import OutboxMessage, Status
from notifications.providers import UNSUBSCRIBED, DeliveryError, Sms

log = get_logger("notifications.dispatch")


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
    }
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
    if attempt.provider_id is not None:
        outbox.record_sent(row, provider_id=attempt.provider_id, now=now)
        log.info("outbox.sent", extra={"outbox_id": row.id, "kind": row.kind.value})
        report.sent += 1
        report.outcomes[row.id] = Status.sent
    elif attempt.error is not None:
        status = record_failure(session, row, attempt.error, now=now)
        report.outcomes[row.id] = status
        if status is Status.failed:
            report.failed += 1
        else:
            report.retried += 1
    elif attempt.started:  # the provider may have it: in doubt (docs/delivery.md)
        # It stays ``sending``: a status callback or ``outbox.retry_in_doubt`` settles it.
        row.last_error = attempt.doubt or "outcome unknown: the send did not return"
        report.in_doubt += 1
        report.outcomes[row.id] = Status.sending
        log.warning("outbox.in_doubt", extra={"outbox_id": row.id})
    else:
        outbox.release_unsent(row, now=now)


def record_failure(
    session: Session, row: OutboxMessage, error: DeliveryError, *, now: datetime
) -> Status:
    """Retried later or failed for good; a failure for good is told to the group's moderators,
    and Twilio's "unsubscribed" also records the number's opt-out."""
    status = outbox.record_failure(row, reason=error.reason, permanent=error.permanent, now=now)
    if status is not Status.failed:
        return status
    if error.code == UNSUBSCRIBED:
        follow_twilios_opt_out(session, row, now)
    notices.notify_failure(session, row, now)
    log.warning("outbox.failed", extra={"outbox_id": row.id, "reason": row.last_error})
    return status


def follow_twilios_opt_out(session: Session, row: OutboxMessage, now: datetime) -> None:
    """Twilio refused the SMS because its recipient opted out (21610, in the answer or later in
    the status callback): the app's opt-out follows, so no reminder is queued for them again."""
    if row.membership_id is None:
        return
    membership = session.get(Membership, row.membership_id)
    if membership is not None and membership.phone_index is not None:
        optout.opt_out(session, phone_index=membership.phone_index, now=now)
