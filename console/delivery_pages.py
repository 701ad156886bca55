"""A group's deliveries: invitations, PIN messages, reminders and notices, how each went, and
a resend for what a member did not get (the invitation through ``notifications.service``, a
new PIN through ``groups.members``)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console import views
from console.dependencies import ConsoleGroup, ConsoleMembership, ConsoleModerator
from console.rendering import PREFIX, flash, redirect, render
from core.clock import Now
from core.database import SessionDep
from core.schemas import MAX_ID
from groups import members as members_service
from notifications import service as notifications_service
from notifications.models import OutboxMessage, Status

router = APIRouter()


def deliveries_path(group_id: int) -> str:
    return f"{PREFIX}/groups/{group_id}/deliveries"


@router.get("/groups/{group_id}/deliveries")
def deliveries_page(
    request: Request,
    *,
    group: ConsoleGroup,
    staff: ConsoleModerator,
    session: SessionDep,
    status: Annotated[Status | None, Query()] = None,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> Response:
    """Messages of the group, newest first, with their status and failure reasons."""
    page = views.deliveries_page(session, group=group, status=status, offset=offset)
    return render(request, "deliveries.html", {"page": page, "group": group}, staff=staff)


class Resend(StrEnum):
    invitation = "invitation"
    pin = "pin"


RESENDS: dict[Resend, tuple[Callable[..., OutboxMessage], str]] = {
    Resend.invitation: (
        notifications_service.resend_invitation,
        "The invitation e-mail is queued again; its progress is shown below.",
    ),
    Resend.pin: (
        members_service.resend_pin,
        "A new temporary PIN is queued by SMS; the previous PIN no longer works. "
        "Nobody else ever sees it.",
    ),
}


@router.post("/memberships/{membership_id}/resend/{what}")
def resend(
    request: Request,
    what: Resend,
    *,
    membership: ConsoleMembership,
    staff: ConsoleModerator,
    session: SessionDep,
    now: Now,
) -> Response:
    """Queue the invitation e-mail again, or a new temporary PIN by SMS (nobody else sees it)."""
    service_function, message = RESENDS[what]
    service_function(session, actor=staff, membership=membership, now=now)
    flash(request, message)
    return redirect(deliveries_path(membership.group_id))
