"""Inbound SMS, message status callbacks (Twilio), and the moderators' delivery API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from twilio.twiml.messaging_response import MessagingResponse

from core.clock import Now
from core.database import SessionDep
from core.schemas import Page, PageParams
from core.webhooks import TwilioForm
from groups.dependencies import ModeratedGroup, ModeratedMembership, ModeratingStaff
from notifications import inbound
from notifications import service as notifications_service
from notifications.models import Status
from notifications.schemas import DeliveryRead

router = APIRouter(tags=["notifications"])
Paging = Annotated[PageParams, Depends()]
TWIML = "application/xml"


@router.post("/twilio/sms", response_class=Response)
def inbound_sms(form: TwilioForm, session: SessionDep, now: Now) -> Response:
    """Twilio's incoming-message webhook: STOP / START / HELP and their configured equivalents."""
    reply = inbound.handle_sms(
        session,
        from_number=form.get("From", ""),
        to_number=form.get("To", ""),
        body=form.get("Body", ""),
        now=now,
    )
    response = MessagingResponse()
    if reply is not None:
        response.message(reply)
    return Response(content=str(response), media_type=TWIML)


@router.post("/twilio/sms/status", status_code=status.HTTP_204_NO_CONTENT)
def message_status(
    form: TwilioForm, session: SessionDep, now: Now, outbox: Annotated[int, Query(ge=1)]
) -> None:
    """Twilio's message status callback: records sent / delivered / undelivered / failed."""
    inbound.record_status(
        session,
        outbox_id=outbox,
        message_sid=form.get("MessageSid", ""),
        status=form.get("MessageStatus", ""),
        error_code=form.get("ErrorCode"),
        now=now,
    )


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


@router.post(
    "/api/v1/memberships/{membership_id}/resend-pin",
    response_model=DeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
)
def resend_pin(
    membership: ModeratedMembership, session: SessionDep, staff: ModeratingStaff, now: Now
) -> object:
    """Issue a new temporary PIN and send it to the member by SMS; nobody else ever sees it."""
    return notifications_service.resend_pin(session, actor=staff, membership=membership, now=now)
