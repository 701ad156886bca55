"""Retention of the outbox: a message goes some time after it reached a final status."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from core.retention import Rule, days_before
from core.settings import get_settings
from notifications.models import OutboxMessage, Status

# Nothing happens to these any more (``no_provider`` waits for a provider: not final).
FINAL = (
    Status.sent,
    Status.delivered,
    Status.failed,
    Status.skipped,
    Status.expired,
    Status.cancelled,
)


def messages_due(now: datetime) -> Select[Any]:
    cutoff = days_before(now, get_settings().retention_outbox_days)
    final_at = func.coalesce(
        OutboxMessage.updated_at, OutboxMessage.sent_at, OutboxMessage.created_at
    )
    return select(OutboxMessage.id).where(OutboxMessage.status.in_(FINAL), final_at < cutoff)


def delete_messages(session: Session, ids: Sequence[int], _now: datetime) -> None:
    session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))


def rules() -> list[Rule]:
    return [Rule("final outbox messages", messages_due, delete_messages)]
