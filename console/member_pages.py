"""A member's page and the moderator's actions on it; contact data only on an audited click."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from fastapi import APIRouter, Request
from fastapi.responses import Response

from auth.models import Staff
from console.dependencies import ConsoleMembership, ConsoleModerator
from console.rendering import PREFIX, flash, redirect, render
from core.clock import Now
from core.database import SessionDep
from groups import export
from groups import members as members_service
from groups import service as groups_service
from groups.models import Membership
from groups.views import credentials_read

router = APIRouter()


def _member_path(membership_id: int) -> str:
    return f"{PREFIX}/memberships/{membership_id}"


def _group_path(group_id: int) -> str:
    return f"{PREFIX}/groups/{group_id}"


@router.get("/memberships/{membership_id}")
def member_page(
    request: Request, membership: ConsoleMembership, staff: ConsoleModerator, now: Now
) -> Response:
    """One member: status, credentials state and the actions a moderator can take."""
    locked = membership.locked_until is not None and membership.locked_until > now
    context = {"membership": membership, "locked": locked}
    return render(request, "member.html", context, staff=staff)


@router.post("/memberships/{membership_id}/contact")
def reveal_contact(
    request: Request, membership: ConsoleMembership, staff: ConsoleModerator, session: SessionDep
) -> Response:
    """Show the member's phone and e-mail; the view is written to the audit log."""
    membership = members_service.reveal_contact(session, actor=staff, membership=membership)
    return render(request, "contact.html", {"membership": membership}, staff=staff)


@router.post("/memberships/{membership_id}/export")
def export_member_copy(
    membership: ConsoleMembership, staff: ConsoleModerator, session: SessionDep, now: Now
) -> Response:
    """Download everything held about the member, for them (GDPR Art. 15); audited."""
    copy = export.member_copy(session, actor=staff, membership=membership, now=now)
    return Response(
        copy.model_dump_json(indent=2),
        media_type="application/json",
        headers=export.download_headers(membership),
    )


@router.post("/memberships/{membership_id}/reset-pin")
def reset_pin(
    request: Request,
    membership: ConsoleMembership,
    staff: ConsoleModerator,
    session: SessionDep,
    now: Now,
) -> Response:
    """Issue a new temporary PIN, shown on this page only (and sent to the member by SMS)."""
    credentials = members_service.reset_pin(session, actor=staff, membership=membership, now=now)
    group = groups_service.get_group(session, membership.group_id)
    context = {"credentials": credentials_read(credentials, group), "group": group, "kind": "pin"}
    return render(request, "credentials.html", context, staff=staff)


@router.post("/memberships/{membership_id}/unlock")
def unlock(
    request: Request, membership: ConsoleMembership, staff: ConsoleModerator, session: SessionDep
) -> Response:
    """Lift a lockout after repeated wrong PINs."""
    members_service.unlock(session, actor=staff, membership=membership)
    flash(request, "Unlocked: the member can dial in again.")
    return redirect(_member_path(membership.id))


class StatusChange(StrEnum):
    suspend = "suspend"
    reinstate = "reinstate"
    eject = "eject"
    erase = "erase"


class Permanent(StrEnum):
    """The changes that cannot be undone, so they are confirmed on a page of their own first."""

    eject = "eject"
    erase = "erase"


Change = Callable[..., Membership]
CHANGES: dict[StatusChange, tuple[Change, str]] = {
    StatusChange.suspend: (
        members_service.suspend,
        "Suspended: the member cannot dial in and gets no reminders until reinstated.",
    ),
    StatusChange.reinstate: (
        members_service.reinstate,
        "Reinstated: the member can dial in again.",
    ),
    StatusChange.eject: (
        members_service.eject,
        "Ejected for good. The credentials no longer work.",
    ),
    StatusChange.erase: (
        members_service.erase,
        "Erased. Contact data and credentials are destroyed.",
    ),
}


def _confirm_page(
    request: Request, change: Permanent, membership: Membership, staff: Staff
) -> Response:
    context = {"membership": membership, "action": change.value}
    return render(request, "confirm.html", context, staff=staff)


# Fixed addresses, not "/memberships/{membership_id}/{change}": that one would also answer the
# address of every other button of the page (contact, reset-pin), opened again, with a 422.
@router.get("/memberships/{membership_id}/eject")
def confirm_eject(
    request: Request, membership: ConsoleMembership, staff: ConsoleModerator
) -> Response:
    """Confirm an ejection, saying that it is permanent."""
    return _confirm_page(request, Permanent.eject, membership, staff)


@router.get("/memberships/{membership_id}/erase")
def confirm_erase(
    request: Request, membership: ConsoleMembership, staff: ConsoleModerator
) -> Response:
    """Confirm an erasure, saying that it is permanent."""
    return _confirm_page(request, Permanent.erase, membership, staff)


@router.post("/memberships/{membership_id}/{change}")
def change_status(
    request: Request,
    change: StatusChange,
    *,
    membership: ConsoleMembership,
    staff: ConsoleModerator,
    session: SessionDep,
    now: Now,
) -> Response:
    """Suspend, reinstate, eject for good or erase a membership."""
    service_function, message = CHANGES[change]
    service_function(session, actor=staff, membership=membership, now=now)
    flash(request, message)
    if change in (StatusChange.suspend, StatusChange.reinstate):
        return redirect(_member_path(membership.id))
    return redirect(_group_path(membership.group_id))
