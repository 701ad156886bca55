"""The moderators' view of the outbox: a group's deliveries, and the invitation sent again.

What queues messages is in ``notifications.notices``; how a message moves on from there, in
``notifications.outbox``. A new temporary PIN by SMS is a PIN reset: ``groups.members``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from auth.models import Staff
from core import audit
from core.database import paginate
from groups.models import Membership, MembershipStatus
from notifications import notices
from notifications.exceptions import NoContact
from notifications.models import OutboxMessage, Status


def list_deliveries(
    session: Session,
    *,
    group_id: int | None,
    status: Status | None,
    limit: int,
    offset: int = 0,
) -> tuple[list[OutboxMessage], int]:
    query = select(OutboxMessage)
    if group_id is not None:
        query = query.where(OutboxMessage.group_id == group_id)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return paginate(session, query, OutboxMessage.id.desc(), limit=limit, offset=offset)


def resend_invitation(
    session: Session, *, actor: Staff, membership: Membership, now: datetime
) -> OutboxMessage:
    if membership.status not in (MembershipStatus.active, MembershipStatus.suspended):
        raise NoContact(f"this membership is {membership.status.value}")
    row = notices.send_invitation(session, membership=membership, now=now)
    audit.record(
        session,
        actor_id=actor.id,
        action="membership.resend_invitation",
        target_type="membership",
        target_id=membership.id,
        group_id=membership.group_id,
    )
    return row
