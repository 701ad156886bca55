from __future__ import annotations

from datetime import datetime

from core.schemas import Schema
from notifications.models import Channel, Kind, Status


class DeliveryRead(Schema):
    """An outbox row as moderators see it: what, to whom (membership id), how it went."""

    id: int
    kind: Kind
    channel: Channel
    status: Status
    membership_id: int | None
    meeting_id: int | None
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    provider_status: str | None
    created_at: datetime
    sent_at: datetime | None
