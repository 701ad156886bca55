"""Message status callbacks (Twilio) and the moderators' delivery API (the resend-PIN route is
a PIN reset: ``groups.router``). Incoming SMS are answered by ``supportline.sms``, which asks
``notifications.inbound`` for the keywords."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from core.clock import Now
from core.database import SessionDep
from core.errors import API_ERRORS, InvalidInput
from core.schemas import MAX_ID, Page, PageParams
from core.webhooks import TwilioRouter, Webhook
from groups.dependencies import ModeratedGroup, ModeratedMembership, ModeratingStaff
from notifications import inbound
from notifications import service as notifications_service
from notifications.models import Status
from notifications.schemas import DeliveryRead

router = APIRouter(tags=["notifications"], responses=API_ERRORS)
twilio_router = TwilioRouter("/twilio/sms")  # served by core.webhooks.TwilioWebhooks
Paging = Annotated[PageParams, Depends()]


@twilio_router.post("/status")
async def message_status(hook: Webhook) -> None:
    """Twilio's message status callback: records sent / delivered / undelivered / failed."""
    await hook.work(
        inbound.record_status,
        outbox_id=_outbox_id(hook.query),
        message_sid=hook.get("MessageSid"),
        status=hook.get("MessageStatus"),
        error_code=hook.form.get("ErrorCode"),
        now=hook.now,
    )


def _outbox_id(query: Mapping[str, str]) -> int:
    """The outbox message a status callback URL names (``?outbox=<id>``, see ``TwilioSms``)."""
    value = query.get("outbox", "")
    if (
        not (value.isascii() and value.isdigit() and len(value) <= 10)
        or not 1 <= int(value) <= MAX_ID
    ):
        raise InvalidInput("outbox: the status callback URL names no outbox message")
    return int(value)


@router.get("/api/v1/groups/{group_id}/deliveries", response_model=Page[DeliveryRead])
def list_deliveries(
    group: ModeratedGroup,
    session: SessionDep,
    paging: Paging,
    status_filter: Annotated[Status | None, Query(alias="status")] = None,
) -> object:
    """Messages of the group's outbox, newest first (``status=failed`` for what needs action)."""
    items, total = notifications_service.list_deliveries(
        session,
        group_id=group.id,
        status=status_filter,
        limit=paging.limit,
        offset=paging.offset,
    )
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


@router.post(
    "/api/v1/memberships/{membership_id}/resend-invitation",
    response_model=DeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
)
def resend_invitation(
    membership: ModeratedMembership, session: SessionDep, staff: ModeratingStaff, now: Now
) -> object:
    """Send the invitation e-mail again (queued; follow it in the group's deliveries)."""
    return notifications_service.resend_invitation(
        session, actor=staff, membership=membership, now=now
    )
